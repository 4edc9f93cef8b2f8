package app_test

import (
	"testing"
	"time"
)

// The running bot's janitor forgets an Idempotency-Key after a day: until
// then a retry returns the incident it declared; after, the key declares
// anew.
func TestIdempotencyKeysAreForgottenAfterADay(t *testing.T) {
	t.Parallel()
	w, _ := alertWorld(t, nil)
	body := `{"title":"Nightly deploy failed","severity":"SEV3"}`
	declare := func(want int, id string) {
		t.Helper()
		if code, ans := w.post("/api/v1/incidents", body, "Idempotency-Key", "nightly-7"); code != want || ans["id"] != id {
			t.Fatalf("POST with the key: %d %v, want %d %s", code, ans, want, id)
		}
		w.idle()
	}
	declare(201, "INC-1")
	w.clock.Advance(23 * time.Hour)
	if err := w.app.Janitor().Trigger(w.ctx()); err != nil {
		t.Fatal(err)
	}
	declare(200, "INC-1") // a retry within the day
	w.clock.Advance(2 * time.Hour)
	if err := w.app.Janitor().Trigger(w.ctx()); err != nil {
		t.Fatal(err)
	}
	declare(201, "INC-2")
}

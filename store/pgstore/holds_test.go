package pgstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// A hold that runs longer is never shortened by a shorter Retry-After
// that another replica learns later.
func TestASharedHoldIsNeverShortened(t *testing.T) {
	dsn := pgtest.DSN(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	for _, until := range []time.Time{now.Add(30 * time.Second), now.Add(5 * time.Second)} {
		if err := st.HoldSlack(ctx, "chat.postMessage/C1", until); err != nil {
			t.Fatal(err)
		}
	}
	if got, err := st.SlackHold(ctx, "chat.postMessage/C1"); err != nil || !got.Equal(now.Add(30*time.Second)) {
		t.Fatalf("hold until %v, %v; want the longer one", got, err)
	}
	if got, err := st.SlackHold(ctx, "chat.postMessage/C2"); err != nil || !got.IsZero() {
		t.Fatalf("unheld limit: %v, %v", got, err)
	}
}

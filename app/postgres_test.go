package app_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// The bot on PostgreSQL (store.driver: postgres) against a real server:
// it declares and keeps state across a restart of the bot; while the
// database is down /readyz says so and a command is answered "Not saved";
// once the database is back, so is the bot, and /metrics shows the pool
// and the outbox claims. The DSN's password shows nowhere.
func TestPostgresStoreRunsTheBot(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	const password = "pg-Sekr3t-pass"
	db := pgtest.Private(t)
	dsn := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", password, db.Port())
	w := newWorld(t, nil, func(c *config.Config) {
		c.Store.Driver = config.DriverPostgres
		c.Store.DSN = config.Secret(dsn)
		c.HTTP.Listen = "127.0.0.1:0"
	})
	readyz := func() (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + w.app.OpsAddr() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}

	if got := ackText(t, w.slash(alice, w.announce, "declare SEV1 checkout returns 500s")); !strings.Contains(got, "INC-1") {
		t.Fatalf("declare: %q", got)
	}
	w.declared(1, "checkout returns 500s", alice)
	w.restart()
	if inc := w.incident(1); inc.Title != "checkout returns 500s" {
		t.Fatalf("after a restart of the bot: %+v", inc)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz %d %q with the database up", code, body)
	}
	if err := db.Stop(); err != nil {
		t.Fatal(err)
	}
	code, body := readyz()
	if code != http.StatusServiceUnavailable || strings.Contains(body, password) {
		t.Fatalf("/readyz with the database down: %d %q, want 503 without the password", code, body)
	}
	if got, want := ackText(t, w.slash(alice, w.announce, "declare SEV2 payments are slow")), "Not saved: the bot cannot reach its database. Please try again in a minute."; got != want {
		t.Fatalf("declare with the database down answered %q, want %q", got, want)
	}

	if err := db.StartAgain(); err != nil {
		t.Fatal(err)
	}
	if code, body := readyz(); code != http.StatusOK {
		t.Fatalf("/readyz %d %q once the database is back", code, body)
	}
	// The stop was a crash, after which the number sequence resumes past
	// the 32 values it logs ahead; the failed attempt must spend none.
	next := nextIncidentNumber(t, dsn)
	if got := ackText(t, w.slash(alice, w.announce, "declare SEV2 payments are slow")); !strings.Contains(got, incident.FormatID(next)+"*") {
		t.Fatalf("declare once the database is back: %q, want %s (the failed attempt must not spend a number)", got, incident.FormatID(next))
	}
	w.declared(next, "payments are slow", alice)
	resp, err := http.Get("http://" + w.app.OpsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{`incidentbot_store_pool_connections{state="max"}`, "incidentbot_store_pool_acquire_wait_seconds_total", "incidentbot_store_serialization_retries_total", "incidentbot_outbox_claims_total", "incidentbot_outbox_takeovers_total 0"} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// The declaration's jobs ran through claims.
	if strings.Contains(string(metrics), "incidentbot_outbox_claims_total 0\n") {
		t.Error("no outbox claims counted, though the declaration's jobs ran")
	}
	if strings.Contains(string(metrics), password) {
		t.Error("the DSN's password appears in /metrics")
	}

	w.stop()
	if strings.Contains(w.logs.String(), password) {
		t.Fatal("the DSN's password appeared in the logs")
	}
}

// nextIncidentNumber is the number the sequence hands out next.
func nextIncidentNumber(t *testing.T, dsn string) uint64 {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(t.Context())
	var last uint64
	var called bool
	if err := conn.QueryRow(t.Context(), "SELECT last_value, is_called FROM incident_numbers").Scan(&last, &called); err != nil {
		t.Fatal(err)
	}
	if called {
		last++
	}
	return last
}

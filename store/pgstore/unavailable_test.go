package pgstore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// secret is the DSN's password: trust authentication ignores it, so the
// test can check that no message carries it.
const secret = "hunter2-Sekr3t"

func TestADatabaseThatIsDownIsNotSavedAndComesBack(t *testing.T) {
	c := pgtest.Private(t)
	dsn := fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/postgres?sslmode=disable", secret, c.Port())
	s := open(t, dsn, pgstore.Options{})
	declare(t, s, "before the outage")

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateIncident(newIncident("during")) })
	if !errors.Is(err, incident.ErrNotSaved) {
		t.Fatalf("Update with the database down = %v, want it to wrap ErrNotSaved", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Fatalf("the error shows the DSN's password: %v", err)
	}
	if got, want := incident.ErrorMessage(err), "Not saved: the bot cannot reach its database. Please try again in a minute."; got != want {
		t.Fatalf("the user is told %q, want %q", got, want)
	}
	if err := s.Ping(t.Context()); err == nil || strings.Contains(err.Error(), secret) {
		t.Fatalf("Ping with the database down = %v, want an error without the password", err)
	}

	if err := c.StartAgain(); err != nil {
		t.Fatal(err)
	}
	// The pool's connections died with the server; the store reconnects.
	// The attempt during the outage took no number. The crash (an
	// immediate stop) may skip some: a sequence logs 32 values ahead of
	// the last it handed out, and resumes after them.
	inc := declare(t, s, "after")
	if inc.Number < 2 || inc.Number > 1+1+32 {
		t.Errorf("after the restart the next incident is %s, want INC-2 to INC-34", inc.ID())
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping after the restart: %v", err)
	}
}

func TestOpenErrorsNeverShowThePassword(t *testing.T) {
	c := pgtest.Private(t)
	for _, dsn := range []string{
		// nothing listens there
		fmt.Sprintf("postgres://postgres:%s@127.0.0.1:1/postgres?sslmode=disable", secret),
		// no such database
		fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/absent?sslmode=disable", secret, c.Port()),
		// not a DSN pgx can parse
		fmt.Sprintf("postgres://postgres:%s@127.0.0.1:%d/x?sslmode=bogus", secret, c.Port()),
		fmt.Sprintf("host=127.0.0.1 port=%d password=%s dbname=absent sslmode=disable", c.Port(), secret),
	} {
		_, err := pgstore.Open(t.Context(), dsn, pgstore.Options{})
		if err == nil {
			t.Fatalf("Open(%s) succeeded", dsn)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("Open error shows the password: %v", err)
		}
	}
}

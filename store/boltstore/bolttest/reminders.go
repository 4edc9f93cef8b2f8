package bolttest

import (
	"context"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// SeedDueReminders writes, into the store file at path, one open incident of
// severity sev per channel of channels, declared at declared, its status
// update reminder due at due: a burst of reminders falling due together,
// for the benchmarks that measure one. The file is closed on return, for
// the bot to open.
func SeedDueReminders(tb testing.TB, path string, channels []string, sev string, declared, due time.Time) {
	tb.Helper()
	st, err := boltstore.Open(path, boltstore.Options{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	defer st.Close()
	const chunk = 1000
	for from := 0; from < len(channels); from += chunk {
		err := st.Update(context.Background(), func(tx store.Tx) error {
			for _, ch := range channels[from:min(from+chunk, len(channels))] {
				inc := &incident.Incident{Title: "checkout returns 500s", Severity: sev, Status: incident.Investigating,
					DeclaredBy: "UANA00001", Roles: map[string]string{incident.RoleCommander: "UANA00001"},
					StartedAt: declared, DeclaredAt: declared, NextUpdateAt: due}
				if err := tx.CreateIncident(inc); err != nil {
					return err
				}
				inc.ChannelID = ch
				if err := tx.PutIncident(inc); err != nil {
					return err
				}
				if _, err := tx.AppendEvent(inc.Number, incident.Event{At: declared, Kind: incident.EventDeclared, Actor: "UANA00001", Text: inc.Title, To: inc.Severity}); err != nil {
					return err
				}
				if err := tx.SetReminder(inc.Number, due); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

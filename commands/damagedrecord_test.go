package commands_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// One incident record that cannot be read (its JSON cut short, behind the
// store's back) must not take the others down with it: what reads many
// incidents skips it, and the operator's log says so once; what reads
// that one incident gets one line saying so; nothing panics.
func TestAnUnreadableRecordDoesNotBlockTheOthers(t *testing.T) {
	t0 := time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		// do returns what the user or operator sees.
		do   func(s *commands.Service) (string, error)
		want string
		// wantErr is the one-line error; "" for none.
		wantErr string
		// logged says the store reported INC-2 as skipped.
		logged bool
	}{
		{"/incident list and the Home tab", func(s *commands.Service) (string, error) {
			l, err := s.List(context.Background(), "UDECL", nil)
			var ids []string
			for _, inc := range l.Incidents {
				ids = append(ids, inc.ID())
			}
			return strings.Join(ids, " "), err
		}, "INC-1 INC-3", "", true},
		{"/incident stats", func(s *commands.Service) (string, error) {
			r, err := s.Stats(s.StatsQuery(t0.Add(time.Hour), 7*24*time.Hour, ""))
			return fmt.Sprintf("%d incidents", r.Current.Incidents), err
		}, "2 incidents", "", true},
		{"an update on another incident", func(s *commands.Service) (string, error) {
			if _, err := s.PostUpdate(context.Background(), commands.UpdateInput{Incident: "INC-3", Status: "identified", Severity: "SEV2", Summary: "rolled back", By: "UDECL", IdempotencyKey: "V1"}); err != nil {
				return "", err
			}
			inc, err := s.Incident(3)
			if err != nil {
				return "", err
			}
			return inc.ID() + " " + string(inc.Status), nil
		}, "INC-3 identified", "", false},
		{"export of another incident", func(s *commands.Service) (string, error) {
			r, err := s.IncidentRecord(3)
			return r.Incident.ID(), err
		}, "INC-3", "", false},
		{"export of the unreadable incident", func(s *commands.Service) (string, error) {
			_, err := s.IncidentRecord(2)
			return "", err
		}, "", "INC-2's record cannot be read", false},
		{"an update on the unreadable incident", func(s *commands.Service) (string, error) {
			_, err := s.PostUpdate(context.Background(), commands.UpdateInput{Incident: "INC-2", Status: "identified", Severity: "SEV2", Summary: "rolled back", By: "UDECL", IdempotencyKey: "V2"})
			return "", err
		}, "", "INC-2's record cannot be read", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bot.db")
			seed := &commands.Service{Store: bolttest.OpenPath(t, path, boltstore.Options{NoSync: true}), Settings: incident.DefaultSettings(), Clock: clock.NewFake(t0)}
			for _, title := range []string{"db down", "cache cold", "queue stuck"} {
				if _, err := seed.Declare(context.Background(), commands.DeclareInput{Title: title, Severity: "SEV2", DeclaredBy: "UDECL"}); err != nil {
					t.Fatal(err)
				}
			}
			if err := seed.Store.(*boltstore.Store).Close(); err != nil {
				t.Fatal(err)
			}
			db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bolt.Tx) error {
				return tx.Bucket([]byte("incidents")).Put(binary.BigEndian.AppendUint64(nil, 2), []byte(`{"number":2,"title":"cache`))
			})
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}

			var mu sync.Mutex
			var logged []string
			st := bolttest.OpenPath(t, path, boltstore.Options{NoSync: true, OnUnreadable: func(err error) {
				mu.Lock()
				defer mu.Unlock()
				logged = append(logged, err.Error())
			}})
			s := &commands.Service{Store: st, Settings: incident.DefaultSettings(), Clock: clock.NewFake(t0.Add(time.Minute))}
			for range 3 { // asked again and again, as a Home tab is
				got, err := func() (got string, err error) {
					defer func() {
						if p := recover(); p != nil {
							err = fmt.Errorf("panic: %v", p)
						}
					}()
					return tt.do(s)
				}()
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("error %v, want %q", err, tt.want)
				case tt.wantErr == "" && got != tt.want:
					t.Fatalf("got %q, want %q", got, tt.want)
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "\n")):
					t.Fatalf("error %v, want one line saying %q", err, tt.wantErr)
				case tt.wantErr != "" && errors.Is(err, context.Canceled):
					t.Fatal(err)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			want := 0
			if tt.logged {
				want = 1
			}
			if len(logged) != want || (want == 1 && !strings.Contains(logged[0], "INC-2")) {
				t.Fatalf("the store reported %q, want %d line(s) naming INC-2", logged, want)
			}
		})
	}
}

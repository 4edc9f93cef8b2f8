package app_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// BenchmarkIncidentGrowth measures the use-cases that touch the store on a
// store already holding 1,000, 10,000 or 100,000 incidents (100 open, four
// timeline events each; seedStore), on an fsync'd store with the bot's 2 ms
// batch window: one declaration, one status update on it, and `/incident
// list`, each alone; the file's size and the part of it in use; and, once
// per size, the bot's start-up to ready (store checked and open, socket
// connected to the emulator). Rendering grows with an incident's events,
// not with the number of incidents (bot's BenchmarkUpdateGrowth,
// BenchmarkPostmortemGrowth).
func BenchmarkIncidentGrowth(b *testing.B) {
	for _, n := range []int{1_000, 10_000, 100_000} {
		b.Run(fmt.Sprintf("incidents=%d", n), func(b *testing.B) {
			path := filepath.Join(b.TempDir(), "growth.db")
			seedStore(b, path, n, 100)
			fi, err := os.Stat(path)
			if err != nil {
				b.Fatal(err)
			}
			ready := startupToReady(b, path)
			st, err := boltstore.Open(path, boltstore.Options{MaxBatchDelay: 2 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			var used int64
			if err := st.View(func(tx store.Tx) error { used = tx.Size(); return nil }); err != nil {
				b.Fatal(err)
			}
			s := &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", AnnounceChannel: "CANN"}
			ctx := context.Background()
			var declare, update, list time.Duration
			seq := 0
			for b.Loop() {
				seq++
				t0 := time.Now()
				res, err := s.Declare(ctx, commands.DeclareInput{Title: fmt.Sprintf("growth %d", seq), Severity: "SEV2", DeclaredBy: "U1", IdempotencyKey: fmt.Sprint("d", seq)})
				if err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				if _, err := s.PostUpdate(ctx, commands.UpdateInput{Incident: res.Incident.ID(), Status: "identified", Severity: "SEV2", Summary: "found it", By: "U1", IdempotencyKey: fmt.Sprint("u", seq)}); err != nil {
					b.Fatal(err)
				}
				t2 := time.Now()
				if _, err := s.List(ctx, "U1", nil); err != nil {
					b.Fatal(err)
				}
				declare, update, list = declare+t1.Sub(t0), update+t2.Sub(t1), list+time.Since(t2)
			}
			per := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 / float64(seq) }
			b.ReportMetric(per(declare), "declare-ms")
			b.ReportMetric(per(update), "update-ms")
			b.ReportMetric(per(list), "list-ms")
			b.ReportMetric(float64(fi.Size()), "file-bytes")
			b.ReportMetric(float64(used), "used-bytes")
			b.ReportMetric(float64(ready.Microseconds())/1000, "startup-ms")
		})
	}
}

// startupToReady opens the bot on the store at path and returns the time
// until it is ready, as BenchmarkStartupWith100kIncidents measures it.
func startupToReady(b *testing.B, path string) time.Duration {
	b.Helper()
	emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	cfg := emulatorConfig(emu, path)
	tmpl, err := templates.Load("")
	if err != nil {
		b.Fatal(err)
	}
	ready, stop := startUntilReady(b, emu, cfg, tmpl)
	stop()
	return ready
}

package bot

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// growthWorld is one open incident with a long timeline, a Performer on a
// real store and a Slack that answers at once: what an update or a
// postmortem costs the bot as the incident's timeline grows.
type growthWorld struct {
	tb    testing.TB
	cmds  *commands.Service
	perf  *Performer
	slack *fakeSlack
	store *boltstore.Store
	inc   *incident.Incident
	n     int
}

// newGrowthWorld declares one incident and fills its timeline up to events
// entries (notes and updates by four people, some mentioning another).
// wrap, when not nil, wraps the use-cases' store (to watch what they read).
func newGrowthWorld(tb testing.TB, events int, wrap func(commands.Store) commands.Store) *growthWorld {
	tb.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(tb.TempDir(), "growth.db"), boltstore.Options{
		NoSync: true, MaxBatchDelay: time.Microsecond, Now: clk.Now,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = st.Close() })
	tmpl, err := templates.Load("")
	if err != nil {
		tb.Fatal(err)
	}
	settings := incident.DefaultSettings()
	fs := &fakeSlack{}
	hc := &http.Client{Transport: fs}
	api := slack.New("xoxb-growth", slack.OptionAPIURL("http://"+fakeHost+"/api/"), slack.OptionHTTPClient(hc))
	var cs commands.Store = st
	if wrap != nil {
		cs = wrap(st)
	}
	svc := &commands.Service{
		Store: cs, Settings: settings, ChannelPrefix: "inc", AnnounceChannel: fakeAnnounce,
		Command: "/incident", Clock: clk, PostmortemReminder: 24 * time.Hour,
	}
	b := New(Options{API: api, Web: NewWebAPI(hc, "http://"+fakeHost+"/api/", "xoxb-growth"), Store: st, Templates: tmpl, Commands: svc,
		Config: Config{Command: "/incident", Settings: settings, ChannelPrefix: "inc", AnnounceChannel: fakeAnnounce},
		Log:    zerolog.Nop(), Clock: clk})
	w := &growthWorld{tb: tb, cmds: svc, perf: b.performer, slack: fs, store: st}

	ctx := context.Background()
	res, err := svc.Declare(ctx, commands.DeclareInput{Title: "Checkout is slow", Severity: "SEV2", DeclaredBy: "UALICE001", IdempotencyKey: "growth"})
	if err != nil {
		tb.Fatal(err)
	}
	w.drain()
	users := []string{"UALICE001", "UBOB00001", "UCAROL001", "UDAVE0001"}
	have, err := svc.Timeline(res.Incident.Number)
	if err != nil {
		tb.Fatal(err)
	}
	for done := len(have); done < events; {
		err := st.Update(ctx, func(tx store.Tx) error {
			for ; done < events; done++ {
				ev := incident.Event{Kind: incident.EventNote, Actor: users[done%4],
					Text: fmt.Sprintf("checked shard %d: p99 %d ms, <@%s> agrees", done, done%900, users[(done+1)%4])}
				if done%5 == 0 {
					ev.Kind, ev.Text, ev.NextSteps = incident.EventUpdate, "Mitigation in progress.\nTraffic shifted to region B.", "Keep watching"
				}
				if _, err := tx.AppendEvent(res.Incident.Number, ev); err != nil {
					return err
				}
				if done%1000 == 999 {
					done++
					return nil
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if w.inc, err = svc.Incident(res.Incident.Number); err != nil {
		tb.Fatal(err)
	}
	fs.takeCalls()
	return w
}

// drain performs every pending job and completes it, as the worker does.
func (w *growthWorld) drain() {
	w.tb.Helper()
	drainJobs(w.tb, w.perf, w.store)
}

// update posts one status update through the use-case and performs every
// job it queued: the channel and thread posts, the card, the topic and the
// announcement.
func (w *growthWorld) update() {
	w.tb.Helper()
	w.n++
	_, err := w.cmds.PostUpdate(context.Background(), commands.UpdateInput{
		Incident: w.inc.ID(), Status: "identified", Severity: "SEV2", Summary: fmt.Sprintf("update %d: error rate falling", w.n),
		NextSteps: "watch the dashboards", By: "UBOB00001", IdempotencyKey: fmt.Sprint("growth-update-", w.n),
	})
	if err != nil {
		w.tb.Fatal(err)
	}
	w.drain()
}

// postmortem asks for the draft and performs its upload: name lookups,
// rendering, upload.
func (w *growthWorld) postmortem() {
	w.tb.Helper()
	w.n++
	_, err := w.cmds.RecordPostmortem(context.Background(), commands.PostmortemInput{
		ChannelID: w.inc.ChannelID, By: "UCAROL001", IdempotencyKey: fmt.Sprint("growth-postmortem-", w.n),
	})
	if err != nil {
		w.tb.Fatal(err)
	}
	w.drain()
}

var growthSizes = []int{10, 1_000, 10_000}

// BenchmarkUpdateGrowth is one status update, from the use-case's commit to
// every Slack call it makes, on an incident with 10, 1,000 and 10,000
// timeline events (each op adds one). Its cost must not grow with them.
func BenchmarkUpdateGrowth(b *testing.B) {
	for _, n := range growthSizes {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			w := newGrowthWorld(b, n, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.update()
				w.slack.takeCalls() // keep the fake's record from growing
			}
		})
	}
}

// BenchmarkPostmortemGrowth is `/incident postmortem` on an incident with
// 10, 1,000 and 10,000 timeline events: the request's commit, then the
// upload job (name lookups, the draft's rendering, the upload).
func BenchmarkPostmortemGrowth(b *testing.B) {
	for _, n := range growthSizes {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			w := newGrowthWorld(b, n, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				w.postmortem()
				w.slack.takeCalls()
			}
		})
	}
}

package app_test

import (
	"context"
	"encoding/json"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// storeFacts is what the store holds that deliveries could add to.
type storeFacts struct {
	seen, jobs int
	// bytes is the part of the file in use (it is allocated ahead).
	bytes int64
}

func (w *world) storeFacts() storeFacts {
	w.t.Helper()
	var f storeFacts
	err := w.app.Store().View(func(tx store.Tx) error {
		var err error
		f.seen, err = tx.SeenCount()
		f.bytes = tx.Size()
		return err
	})
	if err == nil {
		f.jobs, err = w.app.Store().OutboxDepth()
	}
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// eventID is the event_id of an events_api envelope.
func eventID(t *testing.T, env slackemu.Envelope) string {
	t.Helper()
	var p struct {
		EventID string `json:"event_id"`
	}
	if err := json.Unmarshal(env.Payload, &p); err != nil || p.EventID == "" {
		t.Fatalf("no event_id in %s: %v", env.Payload, err)
	}
	return p.EventID
}

// 📌 is an everyday reaction: outside incident channels it is none of the
// bot's business, and the store must not grow with it.
func TestReactionsOutsideIncidentChannelsWriteNothing(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.lcIncident(1, "SEV2", "queue backlog")
	w.idle()
	before := w.storeFacts()
	first := len(w.emu.Deliveries())
	for i := range 20 {
		ts, err := w.emu.PostUserMessage(w.announce, carol, "lunch at "+strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"pushpin", "eyes"} {
			if _, err := w.emu.React(w.ctx(), bob, w.announce, ts, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.idle()
	if after := w.storeFacts(); after.seen != before.seen || after.jobs != 0 {
		t.Fatalf("the store went from %d to %d delivery keys, %d jobs pending", before.seen, after.seen, after.jobs)
	}
	err := w.app.Store().View(func(tx store.Tx) error {
		for _, env := range w.emu.Deliveries()[first:] {
			if seen, err := tx.Seen("event:" + eventID(t, env)); err != nil || seen {
				t.Errorf("event %s recorded (%v)", eventID(t, env), err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := len(w.emu.Calls("reactions.add")) + len(w.emu.Calls("conversations.history")); n != 0 {
		t.Fatalf("%d Slack calls for reactions outside incidents", n)
	}
}

// growthReactions is how many 📌s TestStoreSizeAfter100kReactions sends;
// BENCHMARKS.md records the result.
const growthReactions = 100_000

// raceReactions replaces growthReactions under the race detector, which
// makes each envelope some ten times dearer: the race detector looks at
// the sixteen senders' interleavings, which ten thousand envelopes
// exercise as well as a hundred thousand, and the size figure is the
// plain run's.
const raceReactions = 10_000

// The store's size after 100,000 📌s in a channel that is no incident's,
// each an events_api envelope as Slack sends it, handed to the bot as its
// socket does (the socket's framing aside, the real code path).
func TestStoreSizeAfter100kReactions(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	if testing.Short() {
		t.Skip("sends 100,000 envelopes")
	}
	w := newWorld(t, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} }, func(c *config.Config) { c.Log.Level = "info" })
	w.lcIncident(1, "SEV2", "queue backlog")
	w.idle()
	ts, err := w.emu.PostUserMessage(w.announce, carol, "lunch?")
	if err != nil {
		t.Fatal(err)
	}
	before := w.storeFacts()
	const workers = 16
	reactions := growthReactions
	if raceDetector {
		reactions = raceReactions
	}
	var wg sync.WaitGroup
	for g := range workers {
		wg.Go(func() {
			ctx := context.Background()
			for i := g; i < reactions; i += workers {
				env := w.emu.EventEnvelope(map[string]any{
					"type": "reaction_added", "user": bob, "reaction": "pushpin", "item_user": carol,
					"item": map[string]any{"type": "message", "channel": w.announce, "ts": ts},
				})
				_, after := w.app.Bot().Handle(ctx, socketmode.Request{Type: env.Type, EnvelopeID: "env" + strconv.Itoa(i), Payload: env.Payload})
				if after != nil {
					after(ctx) // as the socket does, once it has acked
				}
			}
		})
	}
	wg.Wait()
	w.idle()
	after := w.storeFacts()
	t.Logf("%d reactions outside incident channels: store %d → %d bytes, %d → %d delivery keys, %d jobs pending",
		reactions, before.bytes, after.bytes, before.seen, after.seen, after.jobs)
	if after.seen != before.seen || after.bytes != before.bytes || after.jobs != 0 {
		t.Fatal("the store grew")
	}
}

// The running bot prunes delivery keys a day old and keeps recent ones.
func TestRunningBotPrunesOldDeliveryKeys(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	now := w.clock.Now()
	err := w.app.Store().Update(w.ctx(), func(tx store.Tx) error {
		for key, at := range map[string]time.Time{"event:Ev1": now.Add(-25 * time.Hour), "event:Ev2": now.Add(-time.Hour)} {
			if _, err := tx.MarkSeen(key, at); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.app.Janitor().Trigger(w.ctx()); err != nil {
		t.Fatal(err)
	}
	err = w.app.Store().View(func(tx store.Tx) error {
		old, _ := tx.Seen("event:Ev1")
		recent, err := tx.Seen("event:Ev2")
		if old || !recent {
			t.Errorf("after pruning: the day-old key kept %v, the hour-old key kept %v", old, recent)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

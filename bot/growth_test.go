package bot

import (
	"context"
	"encoding/json"
	"sync/atomic"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// readCounter wraps the use-cases' store and counts the timeline reads
// made through it: whole timelines loaded (Events) or streamed
// (ForEachEvent), and single events (Event).
type readCounter struct {
	commands.Store
	timelines, streams, events atomic.Int64
}

func (c *readCounter) View(fn func(tx store.Tx) error) error {
	return c.Store.View(func(tx store.Tx) error { return fn(countingTx{tx, c}) })
}

func (c *readCounter) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	return c.Store.Update(ctx, func(tx store.Tx) error { return fn(countingTx{tx, c}) })
}

func (c *readCounter) reset() { c.timelines.Store(0); c.streams.Store(0); c.events.Store(0) }

type countingTx struct {
	store.Tx
	c *readCounter
}

func (tx countingTx) Events(number uint64) ([]incident.Event, error) {
	tx.c.timelines.Add(1)
	return tx.Tx.Events(number)
}

func (tx countingTx) ForEachEvent(number uint64, fn func(incident.Event) error) error {
	tx.c.streams.Add(1)
	return tx.Tx.ForEachEvent(number, fn)
}

func (tx countingTx) Event(number, seq uint64) (incident.Event, error) {
	tx.c.events.Add(1)
	return tx.Tx.Event(number, seq)
}

func newCountedWorld(t *testing.T, events int) (*growthWorld, *readCounter) {
	var rc *readCounter
	w := newGrowthWorld(t, events, func(s commands.Store) commands.Store {
		rc = &readCounter{Store: s}
		return rc
	})
	return w, rc
}

// channelPosts are the texts the bot posted in channel since the last call.
func (w *growthWorld) channelPosts(channel string) []string {
	var out []string
	for _, c := range w.slack.takeCalls() {
		if c.Method == "chat.postMessage" && c.Args["channel"] == channel {
			out = append(out, c.Args["text"])
		}
	}
	return out
}

// Posting a status update on an incident with 10,000 timeline events reads
// none of them: the update's jobs carry what its messages show, so the
// cost of an update does not grow with the incident.
func TestUpdateReadsNoTimeline(t *testing.T) {
	w, rc := newCountedWorld(t, 10_000)
	rc.reset()
	w.update()
	if n, m := rc.timelines.Load()+rc.streams.Load(), rc.events.Load(); n != 0 || m != 0 {
		t.Fatalf("posting one update read the timeline %d times and %d single events, want none", n, m)
	}
}

// A post_update job queued by an earlier version (its payload without the
// update's snapshot) still shows the severity and status of its moment,
// replayed from the timeline, byte for byte what the new job shows.
func TestUpdateJobInTheOldShapeReplaysTheTimeline(t *testing.T) {
	w, rc := newCountedWorld(t, 10)
	ctx := context.Background()
	res, err := w.cmds.PostUpdate(ctx, commands.UpdateInput{
		Incident: w.inc.ID(), Status: "identified", Severity: "SEV2", Summary: "found the slow query",
		NextSteps: "roll back", By: "UBOB00001", IdempotencyKey: "first",
	})
	if err != nil {
		t.Fatal(err)
	}
	w.drain()
	posted := w.channelPosts(w.inc.ChannelID)
	if len(posted) != 1 {
		t.Fatalf("the update made %d posts in the channel, want 1: %q", len(posted), posted)
	}
	// A later update changes severity and status: an old job rendering
	// from the current incident would show them.
	if _, err := w.cmds.PostUpdate(ctx, commands.UpdateInput{
		Incident: w.inc.ID(), Status: "monitoring", Severity: "SEV1", Summary: "rolled back", By: "UBOB00001", IdempotencyKey: "second",
	}); err != nil {
		t.Fatal(err)
	}
	w.drain()
	w.channelPosts(w.inc.ChannelID)

	old, err := json.Marshal(map[string]any{"target": commands.TargetChannel, "template": "update.tmpl", "event": res.Event.Seq})
	if err != nil {
		t.Fatal(err)
	}
	err = w.store.Update(ctx, func(tx store.Tx) error {
		_, err := tx.Enqueue(store.Job{Incident: w.inc.Number, Kind: commands.JobPostUpdate, Payload: old})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	rc.reset()
	w.drain()
	replayed := w.channelPosts(w.inc.ChannelID)
	if len(replayed) != 1 || replayed[0] != posted[0] {
		t.Fatalf("the old job posted\n%q\nwant what the update's own job posted\n%q", replayed, posted[0])
	}
	if rc.timelines.Load() != 1 {
		t.Errorf("the old job read the timeline %d times, want once (the replay)", rc.timelines.Load())
	}
}

// The postmortem streams an incident's 10,000 events from the store once,
// one at a time, into the draft: the people to look up come out of the
// same pass, and the timeline is never loaded whole.
func TestPostmortemStreamsTheTimelineOnce(t *testing.T) {
	w, rc := newCountedWorld(t, 10_000)
	rc.reset()
	w.postmortem()
	if loaded, streamed := rc.timelines.Load(), rc.streams.Load(); loaded != 0 || streamed != 1 {
		t.Fatalf("the postmortem loaded the whole timeline %d times and streamed it %d times, want 0 and 1", loaded, streamed)
	}
	var uploads int
	for _, c := range w.slack.takeCalls() {
		if c.Method == "upload" {
			uploads++
		}
	}
	if uploads != 1 {
		t.Fatalf("%d uploads, want the draft uploaded once", uploads)
	}
}

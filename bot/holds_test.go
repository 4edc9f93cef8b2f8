package bot

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// Two replicas share one PostgreSQL database, each with its own store
// handle, Slack client and clock. A 429 that Slack gives replica A holds
// replica B's calls under the same limit, without B reaching Slack, until
// A's Retry-After has passed; calls under other limits go on.
func TestARetryAfterLearnedByOneReplicaHoldsTheOther(t *testing.T) {
	dsn := pgtest.DSN(t)
	emu := slackemu.Start(t)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type replica struct {
		clk    *clock.Fake
		api    *slack.Client
		counts callCounter
	}
	newReplica := func() replica {
		clk := clock.NewFake(start)
		st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		counts := callCounter{}
		tr := SharedTransport(httpDefault(), counts, clk, st, st)
		return replica{clk, slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(&httpClient{tr})), counts}
	}
	a, b := newReplica(), newReplica()
	c1 := emu.CreateChannel("c1", false, emu.BotUserID())
	c2 := emu.CreateChannel("c2", false, emu.BotUserID())
	post := func(r replica, ch, text string) error {
		_, _, err := r.api.PostMessage(ch, slack.MsgOptionText(text, false))
		return err
	}
	advance := func(d time.Duration) { a.clk.Advance(d); b.clk.Advance(d) }
	var rl *slack.RateLimitedError

	emu.Fail("chat.postMessage", slackemu.Fault{Status: 429, RetryAfter: 3 * time.Second, Times: 1})
	if err := post(a, c1, "a"); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("replica A's post: %v, want Slack's 429 with 3s", err)
	}
	emu.Fail("conversations.setTopic", slackemu.Fault{Status: 429, RetryAfter: 5 * time.Second, Times: 1})
	if _, err := a.api.SetTopicOfConversation(c1, "x"); !errors.As(err, &rl) {
		t.Fatalf("replica A's topic: %v, want Slack's 429", err)
	}

	advance(2 * time.Second)
	if err := post(b, c1, "b"); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("replica B's post to C1 during A's hold: %v, want a local 429 with 1s left", err)
	}
	if _, err := b.api.SetTopicOfConversation(c2, "y"); !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("replica B's topic during A's hold: %v, want a local 429 with 3s left", err)
	}
	if err := post(b, c2, "other channel"); err != nil {
		t.Fatalf("replica B's post to C2 (another limit): %v", err)
	}
	if got := len(emu.Calls("chat.postMessage")); got != 2 {
		t.Fatalf("%d posts reached Slack, want A's refused one and B's to C2", got)
	}
	if got := len(emu.Calls("conversations.setTopic")); got != 1 {
		t.Fatalf("%d topic calls reached Slack, want only A's refused one", got)
	}
	if b.counts["chat.postMessage/ratelimited_held"] != 1 || b.counts["conversations.setTopic/ratelimited_held"] != 1 {
		t.Fatalf("replica B's metrics %v", b.counts)
	}

	advance(time.Second)
	if err := post(b, c1, "after the hold"); err != nil {
		t.Fatalf("replica B's post to C1 after the hold: %v", err)
	}
	advance(2 * time.Second)
	if _, err := b.api.SetTopicOfConversation(c2, "after the hold"); err != nil {
		t.Fatalf("replica B's topic after the hold: %v", err)
	}
}

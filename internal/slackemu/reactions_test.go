package slackemu

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

func TestReactDeliversReactionAdded(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{Name: "alice"})
	bob := emu.AddUser(User{Name: "bob"})
	ch := emu.CreateChannel("inc-13", false, emu.BotUserID(), alice, bob)
	ts, err := emu.PostUserMessage(ch, alice, "db-1 is out of disk")
	mustNoErr(t, err)
	got := make(chan *slackevents.ReactionAddedEvent, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeEventsAPI {
			return
		}
		_ = client.Ack(*evt.Request)
		outer := evt.Data.(slackevents.EventsAPIEvent)
		if ev, ok := outer.InnerEvent.Data.(*slackevents.ReactionAddedEvent); ok {
			got <- ev
		}
	})
	if _, err := emu.React(ctx, bob, ch, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	ev := <-got
	if ev.User != bob || ev.Reaction != "pushpin" || ev.ItemUser != alice || ev.Item.Type != "message" || ev.Item.Channel != ch || ev.Item.Timestamp != ts {
		t.Fatalf("event = %+v", ev)
	}
	for name, call := range map[string]func() error{
		"unknown message": func() error { _, err := emu.React(ctx, bob, ch, "1.000001", "pushpin"); return err },
		"unknown user":    func() error { _, err := emu.React(ctx, "UNOBODY", ch, ts, "pushpin"); return err },
		"unknown channel": func() error { _, err := emu.React(ctx, bob, "CNOPE", ts, "pushpin"); return err },
	} {
		if call() == nil {
			t.Errorf("%s: reaction delivered", name)
		}
	}
}

func TestPostUserReplyIsAThreadReply(t *testing.T) {
	emu := Start(t)
	alice := emu.AddUser(User{Name: "alice"})
	ch := emu.CreateChannel("inc-14", false, emu.BotUserID(), alice)
	parent, err := emu.PostUserMessage(ch, alice, "parent")
	mustNoErr(t, err)
	reply, err := emu.PostUserReply(ch, parent, alice, "found it")
	mustNoErr(t, err)
	if _, err := emu.PostUserReply(ch, reply, alice, "nested"); err == nil {
		t.Fatal("replied to a reply")
	}
	api := apiClient(emu)
	hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	mustNoErr(t, err)
	if len(hist.Messages) != 1 || hist.Messages[0].Timestamp != parent {
		t.Fatalf("history shows %+v; a reply belongs to its thread only", hist.Messages)
	}
	msgs, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent})
	mustNoErr(t, err)
	if len(msgs) != 2 || msgs[1].Timestamp != reply || msgs[1].ThreadTimestamp != parent || msgs[1].Text != "found it" {
		t.Fatalf("thread = %+v", msgs)
	}
}

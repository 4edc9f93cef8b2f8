package slackemu

import (
	"testing"

	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"
)

// conversations.invite makes Slack tell the apps in the channel that
// subscribe to member_joined_channel (and may read the channel) that each
// invited user joined, with the inviter; the emulator does the same. An app
// not subscribed, or without channels:read / groups:read, hears nothing:
// the next envelope it gets is whatever comes next.
func TestInviteRaisesMemberJoinedChannel(t *testing.T) {
	subscribed := []string{"app_home_opened", "member_joined_channel", "member_left_channel"}
	tests := []struct {
		name    string
		subs    []string
		scopes  []string // nil: every scope
		private bool
		kind    string // channel_type of the events; "" = no event
	}{
		{"public channel", subscribed, nil, false, "C"},
		{"private channel", subscribed, nil, true, "G"},
		{"public, only channels:read", subscribed, []string{"channels:read"}, false, "C"},
		{"not subscribed", nil, nil, false, ""},
		{"subscribed to other events only", []string{"app_home_opened", "reaction_added"}, nil, false, ""},
		{"private without groups:read", subscribed, []string{"channels:read"}, true, ""},
		{"public without channels:read", subscribed, []string{"groups:read"}, false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := Start(t, func(o *Options) { o.EventSubscriptions, o.Scopes = tt.subs, tt.scopes })
			ctx := testCtx(t)
			alice := emu.AddUser(User{RealName: "Alice"})
			bob := emu.AddUser(User{RealName: "Bob"})
			carol := emu.AddUser(User{RealName: "Carol"})
			ch := emu.CreateChannel("inc-1-db", tt.private, emu.BotUserID(), alice)

			events := make(chan slackevents.EventsAPIInnerEvent, 8)
			runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
				if evt.Type == socketmode.EventTypeEventsAPI {
					_ = client.Ack(*evt.Request)
					events <- evt.Data.(slackevents.EventsAPIEvent).InnerEvent
				}
			})
			mustNoErr(t, emu.WaitConnected(ctx))
			if _, err := apiClient(emu).InviteUsersToConversationContext(ctx, ch, bob, carol); err != nil {
				t.Fatal(err)
			}
			next := func() slackevents.EventsAPIInnerEvent {
				select {
				case ev := <-events:
					return ev
				case <-ctx.Done():
					t.Fatal("no event delivered")
					return slackevents.EventsAPIInnerEvent{}
				}
			}
			if tt.kind == "" {
				// Nothing was raised: the next event is the one driven now.
				if _, err := emu.Event(ctx, map[string]any{"type": "app_home_opened", "user": alice, "tab": "home"}); err != nil {
					t.Fatal(err)
				}
				if ev := next(); ev.Type != "app_home_opened" {
					t.Fatalf("got %s, want no member_joined_channel", ev.Type)
				}
				return
			}
			for _, user := range []string{bob, carol} {
				ev := next()
				joined, ok := ev.Data.(*slackevents.MemberJoinedChannelEvent)
				if !ok {
					t.Fatalf("got %s (%T), want member_joined_channel", ev.Type, ev.Data)
				}
				if joined.User != user || joined.Channel != ch || joined.ChannelType != tt.kind ||
					joined.Team != emu.TeamID() || joined.Inviter != emu.BotUserID() {
					t.Fatalf("event %+v, want user %s in %s (%s) invited by the bot", joined, user, ch, tt.kind)
				}
			}
		})
	}
}

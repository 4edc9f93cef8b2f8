package slackemu

import (
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func TestSelectOptionInMessage(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("inc-11", false, emu.BotUserID(), alice)
	sel := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, plain("Severity"), "severity",
		slack.NewOptionBlockObject("SEV1", plain("SEV1"), nil), slack.NewOptionBlockObject("SEV2", plain("SEV2"), nil))
	_, ts, err := apiClient(emu).PostMessage(ch, slack.MsgOptionBlocks(slack.NewActionBlock("sev", sel)))
	mustNoErr(t, err)
	got := make(chan slack.BlockAction, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
			got <- *evt.Data.(slack.InteractionCallback).ActionCallback.BlockActions[0]
		}
	})
	tests := []struct {
		name, actionID, value string
		ok                    bool
	}{
		{"offered option", "severity", "SEV2", true},
		{"option not offered", "severity", "SEV9", false},
		{"no such menu", "status", "SEV1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := emu.SelectOption(ctx, alice, ch, ts, tt.actionID, tt.value)
			if !tt.ok {
				if err == nil {
					t.Fatal("delivered a choice the menu does not offer")
				}
				return
			}
			mustNoErr(t, err)
			a := <-got
			if a.Type != "static_select" || a.ActionID != "severity" || a.SelectedOption.Value != tt.value || a.BlockID != "sev" {
				t.Fatalf("action = %+v", a)
			}
		})
	}
}

func TestMessageShortcut(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{Name: "alice"})
	ch := emu.CreateChannel("inc-12", false, emu.BotUserID(), alice)
	ts, err := emu.PostUserMessage(ch, alice, "the cache is cold")
	mustNoErr(t, err)
	got := make(chan slack.InteractionCallback, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
			got <- evt.Data.(slack.InteractionCallback)
		}
	})
	_, err = emu.MessageShortcut(ctx, alice, ch, ts, "add_to_timeline")
	mustNoErr(t, err)
	cb := <-got
	if cb.Type != slack.InteractionTypeMessageAction || cb.CallbackID != "add_to_timeline" || cb.User.ID != alice ||
		cb.Channel.ID != ch || cb.MessageTs != ts || cb.Message.Text != "the cache is cold" || cb.TriggerID == "" || cb.ResponseURL == "" {
		t.Fatalf("message_action = %+v", cb)
	}
	if _, err := emu.MessageShortcut(ctx, alice, ch, "1.000", "add_to_timeline"); err == nil {
		t.Fatal("shortcut on a message that does not exist")
	}
}

package slackemu

import (
	"testing"

	"github.com/slack-go/slack"
)

// A user's choice in a select stays on their screen through chat.update
// while the block keeps its block_id; a new block_id shows initial_user.
func TestClientKeepsAPickUntilTheBlockIDChanges(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	bob := emu.AddUser(User{RealName: "Bob"})
	ch := emu.CreateChannel("inc-10", false, emu.BotUserID(), alice, bob)
	api := apiClient(emu)
	card := func(blockID string) slack.MsgOption {
		sel := slack.NewOptionsSelectBlockElement("users_select", plain("Commander"), "role:commander")
		sel.InitialUser = alice
		sec := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Commander*", false, false), nil, slack.NewAccessory(sel))
		sec.BlockID = blockID
		return slack.MsgOptionBlocks(sec)
	}
	_, ts, err := api.PostMessage(ch, card("role-commander"))
	mustNoErr(t, err)
	runBot(t, emu, ackAll)
	shown := func(user, want string) {
		t.Helper()
		if got, ok := emu.ShownUser(user, ch, ts, "role:commander"); !ok || got != want {
			t.Fatalf("%s sees %q (%v), want %q", user, got, ok, want)
		}
	}
	shown(bob, alice)
	_, err = emu.SelectUser(ctx, bob, ch, ts, "role:commander", bob)
	mustNoErr(t, err)
	shown(bob, bob)     // their own choice, at once
	shown(alice, alice) // nobody else's client changes
	_, _, _, err = api.UpdateMessage(ch, ts, card("role-commander"))
	mustNoErr(t, err)
	shown(bob, bob) // the same block_id: the client keeps the choice
	_, _, _, err = api.UpdateMessage(ch, ts, card("role-commander.2"))
	mustNoErr(t, err)
	shown(bob, alice) // a new block_id: initial_user again
	if _, ok := emu.ShownUser(bob, ch, ts, "role:scribe"); ok {
		t.Fatal("a select the message does not have")
	}
}

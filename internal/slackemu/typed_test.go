package slackemu

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// What a user types reaches the app escaped, as Slack sends it; a person or
// channel picked from the autocomplete arrives as markup.
func TestSlashTextArrivesEscapedLikeSlack(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("general", false, alice, emu.BotUserID())
	got := make(chan string, 8)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeSlashCommand {
			got <- evt.Data.(slack.SlashCommand).Text
		}
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = client.Ack(*evt.Request)
		}
	})
	mustNoErr(t, emu.WaitConnected(ctx))

	tests := []struct {
		typed   string
		escaped bool
		want    string
	}{
		{"declare SEV2 Checkout & payments < 50%", false, "declare SEV2 Checkout &amp; payments &lt; 50%"},
		{"note A > B & C", false, "note A &gt; B &amp; C"},
		{"note literally &amp; and <!channel>", false, "note literally &amp;amp; and &lt;!channel&gt;"},
		{"role comms <@" + alice + "|alice> & <#" + ch + "|general>", false, "role comms <@" + alice + "|alice> &amp; <#" + ch + "|general>"},
		{"role comms <@UNOBODY01>", false, "role comms &lt;@UNOBODY01&gt;"},
		{"note <!channel> &lt;3 <https://x.example|x>", true, "note <!channel> &lt;3 <https://x.example|x>"},
	}
	for _, tt := range tests {
		if _, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, ChannelID: ch, Text: tt.typed, Escaped: tt.escaped}); err != nil {
			t.Fatalf("%q: %v", tt.typed, err)
		}
		if text := <-got; text != tt.want {
			t.Errorf("typed %q (escaped %v): app got %q, want %q", tt.typed, tt.escaped, text, tt.want)
		}
	}

	for _, bad := range []string{"a & b", "a < b", "a > b", "<nope>", "&amp"} {
		if _, err := emu.SlashCommand(ctx, SlashCommand{UserID: alice, ChannelID: ch, Text: bad, Escaped: true}); err == nil {
			t.Errorf("Escaped text %q accepted: Slack never sends it", bad)
		}
	}
}

// A message a user types is kept escaped: conversations.history and a
// message shortcut's payload show it so.
func TestUserMessagesAreStoredEscaped(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("general", false, alice, emu.BotUserID())
	shortcut := make(chan string, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if cb, ok := evt.Data.(slack.InteractionCallback); ok {
			shortcut <- cb.Message.Text
		}
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = client.Ack(*evt.Request)
		}
	})
	mustNoErr(t, emu.WaitConnected(ctx))

	ts, err := emu.PostUserMessage(ch, alice, "A > B & C <!here>")
	mustNoErr(t, err)
	reply, err := emu.PostUserReply(ch, ts, alice, "x<y")
	mustNoErr(t, err)
	wire, err := emu.PostUserMarkup(ch, alice, "<!here> a &amp; b")
	mustNoErr(t, err)
	if _, err := emu.PostUserMarkup(ch, alice, "a & b"); err == nil {
		t.Error("PostUserMarkup accepted a bare &")
	}

	want := map[string]string{ts: "A &gt; B &amp; C &lt;!here&gt;", reply: "x&lt;y", wire: "<!here> a &amp; b"}
	for _, m := range emu.Messages(ch) {
		if w, ok := want[m.TS]; ok && m.Text != w {
			t.Errorf("message %s stored as %q, want %q", m.TS, m.Text, w)
		}
	}
	hist, err := apiClient(emu).GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{ChannelID: ch, Latest: ts, Inclusive: true, Limit: 1})
	mustNoErr(t, err)
	if len(hist.Messages) != 1 || hist.Messages[0].Text != want[ts] {
		raw, _ := json.Marshal(hist.Messages)
		t.Errorf("conversations.history gives %s, want text %q", raw, want[ts])
	}
	if _, err := emu.MessageShortcut(ctx, alice, ch, ts, "add_to_timeline"); err != nil {
		t.Fatal(err)
	}
	if text := <-shortcut; text != want[ts] {
		t.Errorf("message shortcut carries %q, want %q", text, want[ts])
	}
}

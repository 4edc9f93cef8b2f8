package app_test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// doubleEscaped is an entity escaped a second time: what a bot shows when it
// escapes text Slack had already escaped.
var doubleEscaped = regexp.MustCompile(`&amp;(?:amp|lt|gt);`)

// Slack escapes & < > in what users type into a slash command or a message,
// and not in what they type into a modal. Whatever the surface, the bot
// keeps exactly what was typed, shows it escaped exactly once, and writes it
// into the postmortem as typed.
func TestTypedTextIsKeptAsTypedOnEverySurface(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)

	// alice declares from the slash command, typing a broadcast mention.
	const title = "Checkout & payments < 50% <!channel>"
	w.slash(alice, w.announce, "declare SEV2 "+title)
	ch := w.declared(1, "", alice)
	if ch.Name != "inc-1-checkout-payments-50-channel" {
		t.Errorf("channel name %q", ch.Name)
	}

	w.slash(bob, ch.ID, "note A > B & C")
	w.slash(bob, ch.ID, "note literally &amp; and &lt;")
	w.slash(bob, ch.ID, "update")
	w.lcSubmit(bob, w.lcUpdateForm(1), map[string]any{
		"status": "identified", "severity": "SEV2", "summary": "A & B <!here> &amp; typed", "next_steps": "x > y",
	})
	w.idle()
	pinned, err := w.emu.PostUserMessage(ch.ID, carol, "pool < 10 & rising")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.React(w.ctx(), alice, ch.ID, pinned, "pushpin"); err != nil {
		t.Fatal(err)
	}
	shortcut, err := w.emu.PostUserMessage(ch.ID, carol, "p&q > r")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.MessageShortcut(w.ctx(), bob, ch.ID, shortcut, "add_to_timeline"); err != nil {
		t.Fatal(err)
	}
	w.idle()
	w.slash(alice, ch.ID, "resolve fixed x < y & z")
	w.idle()
	w.slash(alice, ch.ID, "postmortem")
	w.idle()

	// bob declares INC-2 from the form, where Slack escapes nothing: an
	// entity typed there is text.
	v := w.nextDeclareModal(bob)
	if _, err := w.emu.SubmitView(w.ctx(), bob, v.ID, map[string]any{
		"title": "R&amp;D & <b>ops</b>", "severity": "SEV3", "summary": "s", "service": "checkout",
	}); err != nil {
		t.Fatal(err)
	}
	ch2 := w.declared(2, "", bob)
	if ch2.Name != "inc-2-r-amp-d-b-ops-b" {
		t.Errorf("channel name %q", ch2.Name)
	}

	files := w.emu.Files()
	if len(files) != 1 {
		t.Fatalf("%d postmortem drafts", len(files))
	}
	draft := string(files[0].Content)
	event := func(kind incident.EventKind, nth int) func() string {
		return func() string {
			for _, e := range w.events(1) {
				if e.Kind == kind {
					if nth == 0 {
						return e.Text
					}
					nth--
				}
			}
			t.Fatalf("no %s #%d on the timeline", kind, nth)
			return ""
		}
	}
	nextSteps := func() string {
		for _, e := range w.events(1) {
			if e.Kind == incident.EventUpdate {
				return e.NextSteps
			}
		}
		return ""
	}
	tests := []struct {
		surface string
		stored  func() string
		want    string // as typed
		posted  string // channel where the bot shows it, "" = not shown in Slack
		inDraft string // the Markdown line part ("" = not checked)
	}{
		{"slash one-line declare", func() string { return w.incident(1).Title }, title, w.announce, `Checkout & payments \< 50% \<!channel\>`},
		{"slash note", event(incident.EventNote, 0), "A > B & C", "", `A \> B & C`},
		{"slash note with entities typed", event(incident.EventNote, 1), "literally &amp; and &lt;", "", `literally \&amp; and \&lt;`},
		{"update form summary", event(incident.EventUpdate, 0), "A & B <!here> &amp; typed", ch.ID, `A & B \<!here\> \&amp; typed`},
		{"update form next steps", nextSteps, "x > y", ch.ID, `x \> y`},
		{"slash resolve summary", func() string { return w.incident(1).Resolution }, "fixed x < y & z", ch.ID, `fixed x \< y & z`},
		{"declare form title", func() string { return w.incident(2).Title }, "R&amp;D & <b>ops</b>", w.announce, ""},
		// A captured message is kept as chat has it, escaped; the
		// postmortem shows what its author typed.
		{"📌 message", event(incident.EventMessagePinned, 0), "pool &lt; 10 &amp; rising", "", `pool \< 10 & rising`},
		{"message shortcut", event(incident.EventMessagePinned, 1), "p&amp;q &gt; r", "", `p&q \> r`},
	}
	for _, tt := range tests {
		t.Run(tt.surface, func(t *testing.T) {
			if got := tt.stored(); got != tt.want {
				t.Errorf("stored %q, want %q", got, tt.want)
			}
			if tt.posted != "" && !botShows(w.emu, tt.posted, mrkdwn.Neutralize(tt.want)) {
				t.Errorf("no message in %s shows %q escaped once (%q)", tt.posted, tt.want, mrkdwn.Neutralize(tt.want))
			}
			if tt.inDraft != "" && !strings.Contains(draft, tt.inDraft) {
				t.Errorf("postmortem lacks %q:\n%s", tt.inDraft, draft)
			}
		})
	}

	// Nothing the bot posted is escaped twice, but for the entities typed
	// as text (shown once escaped: &amp;amp;).
	typedEntities := strings.NewReplacer(mrkdwn.Escape("&amp; typed"), "", mrkdwn.Escape("R&amp;D"), "", mrkdwn.Escape("literally &amp; and &lt;"), "")
	for _, c := range []string{w.announce, ch.ID, ch2.ID} {
		for _, m := range w.emu.Messages(c) {
			if m.User != w.emu.BotUserID() {
				continue
			}
			if s := typedEntities.Replace(m.Text + blocksText(m.Blocks)); doubleEscaped.MatchString(s) {
				t.Errorf("message %s in %s is escaped twice: %s", m.TS, c, s)
			}
		}
	}
	if strings.Contains(draft, "&amp;amp;") || strings.Contains(draft, `\&amp;amp;`) {
		t.Errorf("the postmortem is escaped twice:\n%s", draft)
	}

	// A mistake quotes the words back as they were typed, escaped once.
	for _, tt := range []struct{ typed, quoted string }{
		{"frobnicate&co", `"frobnicate&amp;co" is not an /incident command`},
		{"severity SEV<9", `"SEV&lt;9" is not a severity`},
		{"declare SEV>9 x & y", `"SEV&gt;9" is not a severity`},
		{"role c&o <@" + carol + "|carol>", `"c&amp;o" is not a role`},
		{"role comms a&b", `"a&amp;b" is not a mention of a person`},
		{"stats 3&d", `"3&amp;d" is not a period`},
	} {
		if got := ackText(t, w.slash(alice, ch2.ID, tt.typed)); !strings.Contains(got, tt.quoted) || doubleEscaped.MatchString(got) {
			t.Errorf("%q answered %q, want it to quote %s", tt.typed, got, tt.quoted)
		}
	}
}

// slashMarkup sends `/incident wire`, where wire is already the form Slack
// sends, with markup typing cannot produce in the emulator (<!channel>, a
// link as <https://…|label>); the emulator refuses a form Slack never sends.
func (w *world) slashMarkup(user, channel, wire string) slackemu.Ack {
	w.t.Helper()
	ack, err := w.emu.SlashCommand(w.ctx(), slackemu.SlashCommand{UserID: user, ChannelID: channel, Command: "/incident", Text: wire, Escaped: true})
	if err != nil {
		w.t.Fatalf("/incident %s: %v", wire, err)
	}
	return ack
}

// botShows reports whether a message the bot posted in channel (thread
// replies included) carries s in its text or blocks.
func botShows(emu *slackemu.Server, channel, s string) bool {
	for _, m := range emu.Messages(channel) {
		if m.User == emu.BotUserID() && (strings.Contains(m.Text, s) || strings.Contains(blocksText(m.Blocks), s)) {
			return true
		}
	}
	return false
}

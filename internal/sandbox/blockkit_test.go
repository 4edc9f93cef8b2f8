package sandbox

import (
	"bytes"
	"encoding/json"
	"html/template"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

func parseTemplates(t *testing.T) *template.Template {
	t.Helper()
	tmpl, err := template.ParseFS(webFS, "web/*.html")
	if err != nil {
		t.Fatal(err)
	}
	return tmpl
}

func renderFragment(t *testing.T, name string, data any) string {
	t.Helper()
	var buf bytes.Buffer
	if err := parseTemplates(t).ExecuteTemplate(&buf, name, data); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// renderMessage renders one emulator message as the channel view shows it.
func renderMessage(t *testing.T, m slackemu.Message) string {
	t.Helper()
	s := &snapshot{names: testNames(), botID: "U0EMUBOT1"}
	return renderFragment(t, "message", s.message(m))
}

func TestBlocksRender(t *testing.T) {
	tests := []struct {
		name   string
		blocks string
		want   []string // fragments the HTML must contain, in order
	}{
		{
			"header is plain text with emoji",
			`[{"type":"header","text":{"type":"plain_text","text":":rotating_light: INC-1 · *db* down","emoji":true}}]`,
			[]string{`<div class="bk-header" data-block-id="">🚨 INC-1 · *db* down</div>`},
		},
		{
			"section with mrkdwn, fields and a users_select accessory showing the holder",
			`[{"type":"section","block_id":"role-comms","text":{"type":"mrkdwn","text":"*Communications Lead*\n<@UBOB00002>"},
			  "fields":[{"type":"mrkdwn","text":"_one_"},{"type":"plain_text","text":"two"}],
			  "accessory":{"type":"users_select","action_id":"role:comms","initial_user":"UBOB00002","placeholder":{"type":"plain_text","text":"Assign"}}}]`,
			[]string{
				`data-block-id="role-comms"`, `<b>Communications Lead</b><br><span class="mention" data-user="UBOB00002">@bob</span>`,
				`<div class="bk-field"><i>one</i></div><div class="bk-field">two</div>`,
				`<select class="bk-select" data-act="users_select" data-action-id="role:comms" aria-label="Assign"><option value="">Assign</option><option value="UALICE001">Alice Aalto</option><option value="UBOB00002" selected>bob</option></select>`,
			},
		},
		{
			"actions: buttons with style and value, a static select",
			`[{"type":"actions","block_id":"card-actions","elements":[
			  {"type":"button","action_id":"update","value":"INC-1","style":"primary","text":{"type":"plain_text","text":"Post status update"}},
			  {"type":"button","action_id":"snooze","value":"15m","text":{"type":"plain_text","text":"Snooze 15m"}},
			  {"type":"static_select","action_id":"sev","initial_option":{"text":{"type":"plain_text","text":"SEV2"},"value":"SEV2"},
			   "options":[{"text":{"type":"plain_text","text":"SEV1"},"value":"SEV1"},{"text":{"type":"plain_text","text":"SEV2"},"value":"SEV2"}]}]}]`,
			[]string{
				`<button type="button" class="bk-button primary" data-act="button" data-action-id="update" data-value="INC-1">Post status update</button>`,
				`<button type="button" class="bk-button" data-act="button" data-action-id="snooze" data-value="15m">Snooze 15m</button>`,
				`data-act="static_select" data-action-id="sev"`, `<option value="SEV2" selected>SEV2</option>`,
			},
		},
		{
			"context and divider",
			`[{"type":"divider"},{"type":"context","elements":[{"type":"mrkdwn","text":"by <@UALICE001>"},{"type":"image","image_url":"https://x/y.png","alt_text":"logo"}]}]`,
			[]string{`<hr class="bk-divider">`, `<span class="bk-ctx-text">by <span class="mention" data-user="UALICE001">@Alice Aalto</span></span>`, `<span class="bk-ctx-img" title="logo">🖼</span>`},
		},
		{
			"an unknown block and an element the sandbox cannot operate are named, not dropped",
			`[{"type":"video","title":{"type":"plain_text","text":"v"}},{"type":"actions","elements":[{"type":"datepicker","action_id":"d"}]}]`,
			[]string{`<div class="bk-unsupported">[video block]</div>`, `<span class="bk-unsupported" title="the sandbox cannot operate this element">[datepicker]</span>`},
		},
		{
			"rich_text from a user's client",
			`[{"type":"rich_text","elements":[{"type":"rich_text_section","elements":[{"type":"text","text":"ping "},{"type":"user","user_id":"UALICE001"},{"type":"text","text":" <b>"}]}]}]`,
			[]string{`ping <span class="mention" data-user="UALICE001">@Alice Aalto</span> &lt;b&gt;`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := renderMessage(t, slackemu.Message{Channel: "C1", TS: "1773140400.000100", User: "U0EMUBOT1", Blocks: json.RawMessage(tt.blocks)})
			rest := out
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("missing (or out of order) %s\nin %s", w, out)
				}
				rest = rest[i+len(w):]
			}
		})
	}
}

// A message's text, a header, a button, an option and a file name of
// "<script>" all show as text.
func TestMessageEscaping(t *testing.T) {
	const evil = `<script>alert(1)</script>`
	blocks, _ := json.Marshal([]any{
		map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": evil}},
		map[string]any{"type": "actions", "elements": []any{
			map[string]any{"type": "button", "action_id": `a"b`, "value": `"><script>`, "text": map[string]any{"type": "plain_text", "text": evil}},
			map[string]any{"type": "static_select", "action_id": "s", "placeholder": map[string]any{"type": "plain_text", "text": evil},
				"options": []any{map[string]any{"value": evil, "text": map[string]any{"type": "plain_text", "text": evil}}}},
		}},
	})
	tests := []struct {
		name string
		msg  slackemu.Message
	}{
		{"text without blocks", slackemu.Message{User: "UALICE001", Text: evil}},
		{"escaped text without blocks", slackemu.Message{User: "UALICE001", Text: "&lt;script&gt;alert(1)&lt;/script&gt;"}},
		{"blocks", slackemu.Message{User: "U0EMUBOT1", Blocks: blocks}},
		{"file", slackemu.Message{User: "U0EMUBOT1", Files: []slackemu.File{{ID: "F1", Name: evil, Title: evil}}}},
		{"author", slackemu.Message{User: evil, Text: "hi"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.msg.Channel, tt.msg.TS = `C1"><script>`, "1.2"
			out := renderMessage(t, tt.msg)
			if strings.Contains(out, "<script") {
				t.Fatalf("markup leaked:\n%s", out)
			}
			if !strings.Contains(out, "&lt;script&gt;") {
				t.Fatalf("the text is not shown:\n%s", out)
			}
		})
	}
}

func TestModalRender(t *testing.T) {
	view := `{"type":"modal","title":{"type":"plain_text","text":"Declare an incident"},"submit":{"type":"plain_text","text":"Declare"},
	  "close":{"type":"plain_text","text":"Cancel"},"blocks":[
	  {"type":"input","block_id":"title","label":{"type":"plain_text","text":"Title"},"element":{"type":"plain_text_input","action_id":"title","max_length":150,"initial_value":"<b>db</b>"}},
	  {"type":"input","block_id":"summary","label":{"type":"plain_text","text":"Summary"},"element":{"type":"plain_text_input","action_id":"summary","multiline":true}},
	  {"type":"input","block_id":"severity","label":{"type":"plain_text","text":"Severity"},"element":{"type":"static_select","action_id":"severity",
	    "options":[{"text":{"type":"plain_text","text":"SEV1"},"value":"SEV1","description":{"type":"plain_text","text":"Critical"}}]}},
	  {"type":"input","block_id":"commander","optional":true,"label":{"type":"plain_text","text":"Commander"},"element":{"type":"users_select","action_id":"commander","initial_user":"UALICE001"}},
	  {"type":"input","block_id":"private","optional":true,"label":{"type":"plain_text","text":"Visibility"},"element":{"type":"checkboxes","action_id":"private",
	    "options":[{"text":{"type":"plain_text","text":"Private incident"},"value":"private","description":{"type":"plain_text","text":"No details announced"}}]}},
	  {"type":"input","block_id":"status","label":{"type":"plain_text","text":"Status"},"element":{"type":"radio_buttons","action_id":"status",
	    "initial_option":{"text":{"type":"plain_text","text":"Monitoring"},"value":"monitoring"},
	    "options":[{"text":{"type":"plain_text","text":"Identified"},"value":"identified"},{"text":{"type":"plain_text","text":"Monitoring"},"value":"monitoring"}]}}]}`
	s := &snapshot{names: testNames()}
	var body obj
	if err := json.Unmarshal([]byte(view), &body); err != nil {
		t.Fatal(err)
	}
	vm := modalVM{
		ID: "V1", Hash: "h", Title: s.names.plain(body.obj("title")), Submit: s.names.plain(body.obj("submit")), Close: s.names.plain(body.obj("close")),
		Blocks: s.names.blocks(rawField(json.RawMessage(view), "blocks"), map[string]string{"title": "An incident needs a title <now>."}),
	}
	out := renderFragment(t, "modal", vm)
	for _, w := range []string{
		`<form class="modal" data-view-id="V1" data-hash="h">`,
		`<span class="modal-title">Declare an incident</span>`,
		`<div class="bk-input has-error" data-block-id="title">`,
		`<input class="bk-field-input" type="text" name="title" data-kind="text" value="&lt;b&gt;db&lt;/b&gt;" maxlength="150" required placeholder="">`,
		`<div class="bk-error" role="alert">An incident needs a title &lt;now&gt;.</div>`,
		`<textarea class="bk-field-input" name="summary" data-kind="text" rows="4" required placeholder=""></textarea>`,
		`<option value="SEV1">SEV1 — Critical</option>`,
		`<span class="bk-optional">(optional)</span>`,
		`<option value="UALICE001" selected>Alice Aalto</option>`,
		`<input type="checkbox" name="private" value="private"><span class="bk-choice-text">Private incident<span class="bk-desc">No details announced</span>`,
		`<input type="radio" name="status" value="monitoring" checked>`,
		`<button type="button" class="btn" data-close>Cancel</button><button type="submit" class="btn primary">Declare</button>`,
	} {
		if !strings.Contains(out, w) {
			t.Errorf("modal lacks %s\n%s", w, out)
		}
	}
	if strings.Contains(out, "has-error\" data-block-id=\"summary") {
		t.Error("an error shown on a field that has none")
	}
}

func TestMessagesThreadsEphemeralsAndPins(t *testing.T) {
	emu := slackemu.Start(t)
	alice := emu.AddUser(slackemu.User{ID: "UALICE001", Name: "alice", RealName: "Alice Aalto"})
	ch := emu.CreateChannel("announcements", false, emu.BotUserID(), alice)
	parent, err := emu.PostUserMessage(ch, alice, "INC-1 declared")
	if err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"first update", "second update"} {
		if _, err := emu.PostUserReply(ch, parent, alice, text); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := emu.PostUserMessage(ch, alice, "after"); err != nil {
		t.Fatal(err)
	}
	s := &snapshot{emu: emu, names: newNames(emu.Users(), emu.Channels(), testNames().now), user: alice, botID: emu.BotUserID()}
	msgs := s.messages(ch)
	if len(msgs) != 2 || len(msgs[0].Replies) != 2 || msgs[0].ReplyNum != "2" || msgs[0].ReplyWord != "replies" {
		t.Fatalf("messages = %+v", msgs)
	}
	out := renderFragment(t, "messages", messagesVM{Messages: msgs})
	for _, w := range []string{`<details class="thread" data-thread="` + parent + `"><summary>2 replies</summary>`, "first update", "second update", "after"} {
		if !strings.Contains(out, w) {
			t.Errorf("lacks %s\n%s", w, out)
		}
	}
	pinned := renderMessage(t, slackemu.Message{User: "U0EMUBOT1", Text: "card", Pinned: true, Updates: 2})
	ephemeral := renderMessage(t, slackemu.Message{User: "U0EMUBOT1", Text: "only you", Ephemeral: true})
	for _, c := range []struct{ out, want string }{
		{pinned, `<div class="pin-marker">📌 Pinned</div>`}, {pinned, `<span class="edited">(edited)</span>`},
		{pinned, `<span class="app-badge">APP</span>`}, {ephemeral, `Only visible to you`},
	} {
		if !strings.Contains(c.out, c.want) {
			t.Errorf("lacks %s\n%s", c.want, c.out)
		}
	}
}

func TestInitials(t *testing.T) {
	for in, want := range map[string]string{"Alice Aalto": "AA", "bob": "B", "carol de la Cruz": "CD", "": "?", "Ümit Öz": "ÜÖ", "  ": "?"} {
		if got := initials(in); got != want {
			t.Errorf("initials(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCompareTS(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"9.000001", "10.000000", -1},
		{"10.000002", "10.000001", 1},
		{"10.000001", "10.000001", 0},
	}
	for _, tt := range tests {
		got := compareTS(tt.a, tt.b)
		if (got < 0) != (tt.want < 0) || (got > 0) != (tt.want > 0) {
			t.Errorf("compareTS(%s, %s) = %d, want sign %d", tt.a, tt.b, got, tt.want)
		}
	}
}

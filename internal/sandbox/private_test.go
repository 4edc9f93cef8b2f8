package sandbox

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A private incident's channel, messages and postmortem are for its members
// only, whoever the browser says it is: the web API checks, not just the UI.
func TestPrivateIncidentIsForMembersOnly(t *testing.T) {
	sb := startSandbox(t, nil)
	emu := sb.Emulator()
	announce := sb.state(alice, "").Channel
	sb.mustPost("/api/slash", map[string]string{"user": alice, "channel": announce, "text": "/incident declare"})
	if _, err := emu.WaitCall(testContext(t), "views.open", nil); err != nil {
		t.Fatal(err)
	}
	form := sb.state(alice, announce).Modal
	values := map[string]any{"title": "Payroll export leaks salaries", "severity": "SEV2", "summary": "s", "service": "checkout", "private": []string{"private"}}
	sb.mustPost("/api/view/submit", map[string]any{"user": alice, "view": form.ID, "values": values})
	sb.idle()
	ch, ok := emu.ChannelByName("inc-1-payroll-export-leaks-salaries")
	if !ok || !ch.Private || slices.Contains(ch.Members, bob) {
		t.Fatalf("want a private channel without Bob: %+v", ch)
	}
	sb.mustPost("/api/slash", map[string]string{"user": alice, "channel": ch.ID, "text": "/incident postmortem"})
	sb.idle()
	var file string
	for _, f := range emu.Files() {
		if slices.Contains(f.Channels, ch.ID) {
			file = f.ID
		}
	}
	if file == "" {
		t.Fatal("no postmortem was uploaded")
	}

	for _, tt := range []struct {
		name, user string
		want       int
	}{
		{"a member reads it", alice, http.StatusOK},
		{"a non-member does not", bob, http.StatusNotFound},
		{"nobody in particular does not", "", http.StatusNotFound},
		{"an unknown user does not", "UNOBODY01", http.StatusNotFound},
	} {
		t.Run("postmortem: "+tt.name, func(t *testing.T) {
			res, err := http.Get(sb.base + "/api/file?id=" + file + "&user=" + tt.user)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var out struct{ Title, HTML string }
			_ = json.NewDecoder(res.Body).Decode(&out)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			if leaked := strings.Contains(out.Title+out.HTML, "Payroll"); leaked != (tt.want == http.StatusOK) {
				t.Fatalf("answered %+v", out)
			}
		})
	}

	// The live feed, which anyone may open, does not say where private
	// activity happens either.
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, sb.base+"/api/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	lines := bufio.NewScanner(res.Body)
	lines.Scan() // "retry: …": the stream is open
	general, _ := emu.ChannelByName("general")
	sb.mustPost("/api/message", map[string]string{"user": alice, "channel": ch.ID, "text": "salaries are in the export"})
	sb.mustPost("/api/message", map[string]string{"user": alice, "channel": general.ID, "text": "lunch?"})
	for lines.Scan() {
		if strings.Contains(lines.Text(), ch.ID) || strings.Contains(lines.Text(), alice) {
			t.Fatalf("the feed names the private channel or its poster: %s", lines.Text())
		}
		if strings.Contains(lines.Text(), general.ID) {
			break
		}
	}

	if st := sb.state(bob, ch.ID); st.Channel == ch.ID || strings.Contains(st.Messages+st.Sidebar+st.Header, "Payroll") || strings.Contains(st.Sidebar, ch.Name) {
		t.Fatalf("Bob sees the private channel: %+v", st)
	}
	card := emu.Messages(ch.ID)[0]
	aliceDM := emu.DMChannel(alice)
	for _, tt := range []struct {
		name, path string
		body       map[string]string
		want       int
	}{
		{"a button on the card", "/api/action", map[string]string{"kind": "button", "action_id": "update", "value": "INC-1", "channel": ch.ID, "ts": card.TS}, http.StatusForbidden},
		{"a reaction", "/api/react", map[string]string{"name": "pushpin", "channel": ch.ID, "ts": card.TS}, http.StatusForbidden},
		{"the message shortcut", "/api/shortcut", map[string]string{"callback_id": "add_to_timeline", "channel": ch.ID, "ts": card.TS}, http.StatusForbidden},
		{"a slash command in the channel", "/api/slash", map[string]string{"text": "/incident postmortem", "channel": ch.ID}, http.StatusForbidden},
		{"a message in the channel", "/api/message", map[string]string{"text": "hi", "channel": ch.ID}, http.StatusForbidden},
		{"a message in Alice's DM", "/api/message", map[string]string{"text": "hi", "channel": aliceDM}, http.StatusForbidden},
	} {
		t.Run("Bob cannot send "+tt.name, func(t *testing.T) {
			before := len(emu.Messages(ch.ID)) + len(emu.Messages(aliceDM))
			tt.body["user"] = bob
			status, out := sb.post(tt.path, tt.body)
			if status != tt.want {
				t.Fatalf("status %d (%v), want %d", status, out, tt.want)
			}
			// The refusal does not name the channel: its name is the title.
			if text := fmt.Sprint(out); strings.Contains(text, ch.Name) || strings.Contains(strings.ToLower(text), "payroll") {
				t.Fatalf("the refusal names the private channel: %v", out)
			}
			sb.idle()
			if after := len(emu.Messages(ch.ID)) + len(emu.Messages(aliceDM)); after != before {
				t.Fatalf("%d new messages", after-before)
			}
		})
	}
}

// A mention of a private channel shows its name to its members only;
// anyone else reads "private-channel", as in Slack, so a message in a
// public channel pointing at an incident does not give its title away.
func TestPrivateChannelMentionIsNamedToMembersOnly(t *testing.T) {
	sb := startSandbox(t, nil)
	emu := sb.Emulator()
	secret := emu.CreateChannel("inc-9-payroll-export-leaks", true, alice)
	general, _ := emu.ChannelByName("general")
	sb.mustPost("/api/message", map[string]string{"user": alice, "channel": general.ID, "text": "responders: join #inc-9-payroll-export-leaks"})
	if msgs := emu.Messages(general.ID); len(msgs) == 0 || !strings.Contains(msgs[len(msgs)-1].Text, "<#"+secret+">") {
		t.Fatalf("the mention did not become a channel reference: %+v", msgs)
	}
	if st := sb.state(alice, general.ID); !strings.Contains(st.Messages, "#inc-9-payroll-export-leaks") {
		t.Errorf("Alice, a member, does not read the channel's name:\n%s", st.Messages)
	}
	st := sb.state(bob, general.ID)
	if strings.Contains(st.Messages+st.Sidebar, "payroll") || !strings.Contains(st.Messages, "#private-channel") {
		t.Errorf("Bob reads:\n%s", st.Messages)
	}
}

package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/templates"
)

// pmStory declares INC-1 and gives it a life worth a postmortem: two action
// items typed in the channel, and — written as the use-cases that record
// them do, so this test does not wait on those features — a handoff, a
// status update, a severity change, a note and the resolution. It returns
// the incident channel.
func (w *world) pmStory() slackemu.Channel {
	w.t.Helper()
	w.slashMarkup(alice, w.announce, "declare SEV3 Checkout <!channel> returns 500s")
	ch := w.declared(1, "", alice)

	for _, tc := range []struct{ user, text, want string }{
		{bob, "action add an alert on pool exhaustion <@" + carol + "|carol>", "Owner: <@" + carol + ">"},
		{alice, "action write down the rollback steps @here", "Owner: nobody yet"},
	} {
		got := ackText(w.t, w.slash(tc.user, ch.ID, tc.text))
		if !strings.Contains(got, "recorded") || !strings.Contains(got, tc.want) {
			w.t.Fatalf("%q answered %q", tc.text, got)
		}
		if specialMention.MatchString(got) || autoMention.MatchString(got) {
			w.t.Fatalf("%q answered with a live mention: %q", tc.text, got)
		}
	}

	err := w.app.Store().Update(w.ctx(), func(tx store.Tx) error {
		inc, err := tx.Incident(1)
		if err != nil {
			return err
		}
		now := w.clock.Now()
		inc.Roles[incident.RoleCommander] = bob
		inc.Severity = "SEV2"
		inc.Resolution = "Rolled back deploy 4812."
		if err := inc.SetStatus(incident.Resolved, now); err != nil {
			return err
		}
		if err := tx.PutIncident(inc); err != nil {
			return err
		}
		for _, ev := range []incident.Event{
			{Kind: incident.EventRoleHandoff, Actor: alice, Role: incident.RoleCommander, From: alice, To: bob},
			{Kind: incident.EventUpdate, Actor: bob, Text: "Rolling back deploy 4812.", NextSteps: "Watch the error rate."},
			{Kind: incident.EventSeverityChanged, Actor: bob, From: "SEV3", To: "SEV2"},
			{Kind: incident.EventNote, Actor: carol, Text: "Pool exhausted after `max_conns: 10`."},
			{Kind: incident.EventResolved, Actor: bob, Text: "Rolled back deploy 4812."},
		} {
			ev.At = now
			if _, err := tx.AppendEvent(1, ev); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		w.t.Fatal(err)
	}
	return ch
}

// pmTimeline is the timeline section of a draft.
func pmTimeline(t *testing.T, draft string) string {
	t.Helper()
	from, to := strings.Index(draft, "## Timeline"), strings.Index(draft, "## Contributing factors")
	if from < 0 || to < from {
		t.Fatalf("draft has no timeline section:\n%s", draft)
	}
	return draft[from:to]
}

func TestPostmortemUploadsTheDraftToTheChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	ch := w.pmStory()

	got := ackText(t, w.slash(bob, ch.ID, "postmortem"))
	if !strings.Contains(got, "INC-1-postmortem.md") {
		t.Fatalf("postmortem answered %q", got)
	}
	w.idle()

	files := w.emu.Files()
	if len(files) != 1 {
		t.Fatalf("%d files uploaded, want 1", len(files))
	}
	f := files[0]
	if f.Name != "INC-1-postmortem.md" || !strings.HasPrefix(f.Title, "INC-1 postmortem draft, ") || !slices.Equal(f.Channels, []string{ch.ID}) {
		t.Fatalf("file %s %q shared in %v", f.Name, f.Title, f.Channels)
	}
	for _, m := range []string{"files.getUploadURLExternal", "upload", "files.completeUploadExternal"} {
		if n := len(w.emu.Calls(m)); n != 1 {
			t.Errorf("%d %s calls, want 1", n, m)
		}
	}
	draft := string(f.Content)

	// Every timeline event has its line, and people are shown by name.
	evs := w.events(1)
	section := pmTimeline(t, draft)
	if n := strings.Count(section, "\n- **"); n != len(evs) {
		t.Errorf("timeline has %d entries for %d events:\n%s", n, len(evs), section)
	}
	for _, ev := range evs {
		if !strings.Contains(section, "- **"+ev.At.UTC().Format("2006-01-02 15:04:05")+"**") {
			t.Errorf("no timeline line for %s at %v", ev.Kind, ev.At)
		}
	}
	for _, want := range []string{
		"# INC-1: Checkout @channel returns 500s — postmortem (draft)", "blameless",
		"## Summary", "## Impact", "## Resolution", "Rolled back deploy 4812.", "## Severity", "changed from SEV3 to **SEV2** by Bob Berg",
		"## Key times (UTC)", "| Declared |", "| Resolved |", "**Time to resolve (from declaration):**",
		"## Roles", "**Incident Commander:** Bob Berg", "handed over from Alice Aalto to Bob Berg by Alice Aalto",
		"## Timeline (UTC)", "Note by Carol Chen: Pool exhausted after \\`max_conns: 10\\`.", "*Next steps:* Watch the error rate.",
		"Postmortem draft requested by Bob Berg",
		"## Contributing factors", "## What went well", "## What went wrong", "## Where we got lucky",
		"## Action items", "next few days",
		"- [ ] add an alert on pool exhaustion — owner: Carol Chen (recorded by Bob Berg,",
		"- [ ] write down the rollback steps @here — owner: *to be decided* (recorded by Alice Aalto,",
		"## Response review", "Was the response fast enough?", "right people involved at the right time?",
		"Were the alerts accurate?", "Was communication timely and clear?",
	} {
		if !strings.Contains(draft, want) {
			t.Errorf("uploaded draft lacks %q", want)
		}
	}
	for _, bad := range []string{"<@", "<!", "@UALICE001", "<no value>"} {
		if strings.Contains(draft, bad) {
			t.Errorf("uploaded draft contains %q", bad)
		}
	}

	// The file arrives with a short message, which quotes the title safely.
	var msg *slackemu.Message
	for _, m := range w.emu.Messages(ch.ID) {
		if len(m.Files) == 1 && m.Files[0].ID == f.ID {
			msg = &m
		}
	}
	if msg == nil || !strings.Contains(msg.Text, "Postmortem draft for *INC-1*") || !strings.Contains(msg.Text, "<@"+bob+">") {
		t.Fatalf("upload message: %+v", msg)
	}
	if specialMention.MatchString(msg.Text) || autoMention.MatchString(msg.Text) {
		t.Fatalf("upload message carries a live mention: %q", msg.Text)
	}

	inc := w.incident(1)
	if inc.PostmortemAt.IsZero() || evs[len(evs)-1].Kind != incident.EventPostmortem {
		t.Fatalf("request not recorded: PostmortemAt %v, last event %+v", inc.PostmortemAt, evs[len(evs)-1])
	}

	// Asking again uploads a fresh draft, which includes the first request.
	w.slash(alice, ch.ID, "postmortem")
	w.idle()
	files = w.emu.Files()
	if len(files) != 2 {
		t.Fatalf("%d files after the second request, want 2", len(files))
	}
	if second := string(files[1].Content); strings.Count(second, "Postmortem draft requested by") != 2 {
		t.Fatalf("the fresh draft does not show both requests:\n%s", pmTimeline(t, second))
	}
}

func TestPostmortemAndActionNeedAnIncidentChannel(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	for _, text := range []string{"postmortem", "action add an alert"} {
		got := ackText(t, w.slash(alice, w.announce, text))
		if !strings.Contains(got, "only in an incident's channel") {
			t.Errorf("%q outside an incident channel answered %q", text, got)
		}
	}
	w.slash(alice, w.announce, "declare SEV3 db down")
	ch := w.declared(1, "", alice)
	for _, tc := range []struct{ text, want string }{
		{"action", "needs a description"},
		{"action <@" + bob + ">", "needs a description"},
		{"action " + strings.Repeat("x", commands.MaxActionText+1), "at most 500 characters"},
		{"postmortem now", "takes nothing after it"},
	} {
		if got := ackText(t, w.slash(alice, ch.ID, tc.text)); !strings.Contains(got, tc.want) {
			t.Errorf("%.30q answered %q, want %q", tc.text, got, tc.want)
		}
	}
	w.idle()
	if len(w.emu.Files()) != 0 || len(w.incident(1).Actions) != 0 {
		t.Fatal("a rejected command had an effect")
	}
}

// A redelivered slash command records one action item and uploads one
// draft.
func TestPostmortemAndActionRedeliveredActOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.slash(alice, w.announce, "declare SEV3 db down")
	ch := w.declared(1, "", alice)
	for i, text := range []string{"action add an alert", "postmortem"} {
		payload := json.RawMessage(fmt.Sprintf(`{"command":"/incident","text":%q,"user_id":%q,"channel_id":%q,"trigger_id":"111.222.%d","team_id":"T1"}`, text, alice, ch.ID, i))
		for attempt := range 2 {
			env := slackemu.Envelope{ID: fmt.Sprint("env-", i), Type: "slash_commands", Payload: payload, AcceptsResponsePayload: true, RetryAttempt: attempt}
			if _, err := w.emu.Deliver(w.ctx(), env); err != nil {
				t.Fatal(err)
			}
		}
	}
	w.idle()
	if n := len(w.incident(1).Actions); n != 1 {
		t.Errorf("%d action items, want 1", n)
	}
	if n := len(w.emu.Files()); n != 1 {
		t.Errorf("%d drafts uploaded, want 1", n)
	}
}

// The upload is safe to re-run: when completion took effect but its answer
// was lost, the retry finds the shared file and does not share it again;
// when the upload itself failed, the retry starts over and shares once.
func TestPostmortemUploadRetriesShareOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		method    string
		fault     slackemu.Fault
		wantSteps map[string]int
	}{
		{"completion answer lost", "files.completeUploadExternal", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1},
			map[string]int{"files.getUploadURLExternal": 1, "upload": 1, "files.completeUploadExternal": 1}},
		{"upload failed", "upload", slackemu.Fault{Status: 503, Times: 1},
			map[string]int{"files.getUploadURLExternal": 2, "upload": 2, "files.completeUploadExternal": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, nil, nil)
			w.slash(alice, w.announce, "declare SEV3 db down")
			ch := w.declared(1, "", alice)
			w.emu.Fail(tt.method, tt.fault)
			w.slash(alice, ch.ID, "postmortem")
			w.idle()
			if n := len(w.emu.Files()); n != 1 {
				t.Fatalf("%d files shared, want 1", n)
			}
			shares := 0
			for _, m := range w.emu.Messages(ch.ID) {
				shares += len(m.Files)
			}
			if shares != 1 {
				t.Fatalf("the draft was shared %d times in the channel", shares)
			}
			for m, want := range tt.wantSteps {
				if got := len(w.emu.Calls(m)); got != want {
					t.Errorf("%d %s calls, want %d", got, m, want)
				}
			}
			for _, ev := range w.events(1) {
				if ev.Kind == incident.EventDeliveryFailed {
					t.Errorf("delivery failure recorded: %s", ev.Text)
				}
			}
		})
	}
}

var pmContentType = regexp.MustCompile(`^text/markdown; charset=utf-8$`)

// The ops listener serves the same draft as export prints: people by ID.
func TestOpsListenerServesThePostmortemDraft(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, func(c *config.Config) { c.HTTP.Listen, c.HTTP.Token = "127.0.0.1:0", opsToken })
	w.pmStory()
	w.idle()

	get := func(path string) (int, string, string) {
		t.Helper()
		req, err := http.NewRequestWithContext(w.ctx(), http.MethodGet, "http://"+w.app.OpsAddr()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+opsToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
	}

	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	svc := &commands.Service{Store: w.app.Store(), Settings: w.cfg.Settings(), Command: w.cfg.Slack.Command}
	want, err := svc.DraftPostmortem(1, tmpl, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/incidents/INC-1/postmortem.md", "/incidents/1/postmortem.md", "/incidents/inc-1/postmortem.md"} {
		code, ctype, body := get(path)
		if code != http.StatusOK || !pmContentType.MatchString(ctype) || body != want {
			t.Fatalf("GET %s: %d %q\n%s", path, code, ctype, body)
		}
	}
	if !strings.Contains(want, "@"+alice) || len(pmTimeline(t, want)) == 0 {
		t.Fatalf("draft:\n%s", want)
	}
	if code, _, body := get("/incidents/INC-9/postmortem.md"); code != http.StatusNotFound || !strings.Contains(body, "INC-9 does not exist") {
		t.Fatalf("unknown incident: %d %q", code, body)
	}
	if code, _, body := get("/incidents/nope/postmortem.md"); code != http.StatusBadRequest || !strings.Contains(body, "INC-12") {
		t.Fatalf("malformed ID: %d %q", code, body)
	}
	// Rendering the draft for the ops listener asks nothing of Slack.
	if n := len(w.emu.Calls("users.info")); n != 0 {
		t.Fatalf("%d users.info calls", n)
	}
}

// A custom postmortem template in templates.dir shapes the uploaded draft.
func TestPostmortemUsesTheConfiguredTemplate(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	custom := "# {{.ID}} retro\n{{range .Actions}}* {{.Text}} ({{.Owner}})\n{{end}}"
	if err := os.WriteFile(filepath.Join(dir, postmortem.TemplateName), []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	w := newWorld(t, nil, func(c *config.Config) { c.Templates.Dir = dir })
	w.slash(alice, w.announce, "declare SEV3 db down")
	ch := w.declared(1, "", alice)
	w.slash(alice, ch.ID, "action add an alert <@"+carol+">")
	w.slash(alice, ch.ID, "postmortem")
	w.idle()
	files := w.emu.Files()
	if len(files) != 1 || string(files[0].Content) != "# INC-1 retro\n* add an alert (Carol Chen)\n" {
		t.Fatalf("files: %+v", files)
	}
}

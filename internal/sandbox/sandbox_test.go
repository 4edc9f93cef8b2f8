package sandbox

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/templates"
)

// Seeded people (see SampleUsers).
const (
	alice = "UALICE001"
	bob   = "UBOB00002"
	carol = "UCAROL003"
)

// syncBuffer collects the bot's log lines; the test prints them if it fails.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// running is a sandbox serving in the background of a test.
type running struct {
	*Sandbox
	t    testing.TB
	base string // the UI's URL without the trailing slash
}

// startSandbox opens and runs a sandbox as `incidentbot sandbox` does, and
// stops it (checking that it stops cleanly) when the test ends. mutate may
// adjust the configuration.
func startSandbox(t testing.TB, mutate func(*config.Config)) *running {
	t.Helper()
	r, _ := startSandboxIn(t, "", mutate)
	return r
}

// startSandboxIn is startSandbox keeping its data in dataDir ("" = a
// temporary folder); stop stops it (once) before the test ends.
func startSandboxIn(t testing.TB, dataDir string, mutate func(*config.Config)) (r *running, stop func()) {
	t.Helper()
	cfg := config.Default()
	if mutate != nil {
		mutate(cfg)
	}
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	sb, err := Open(Options{Listen: "127.0.0.1:0", Config: cfg, DataDir: dataDir, Templates: tmpl, Log: zerolog.New(logs).Level(zerolog.DebugLevel)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("sandbox stopped with %v", err)
				}
			case <-time.After(15 * time.Second):
				t.Error("sandbox did not stop within 15s of cancellation")
			}
			if t.Failed() {
				t.Logf("bot log:\n%s", logs.String())
			}
		})
	}
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := sb.Emulator().WaitConnected(wctx); err != nil {
		t.Fatal("the bot never connected:", err)
	}
	return &running{Sandbox: sb, t: t, base: strings.TrimSuffix(sb.URL(), "/")}, stop
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// post sends a JSON request as the page does and returns the status and the
// decoded answer.
func (r *running) post(path string, body any) (int, map[string]any) {
	r.t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, r.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", r.base)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (r *running) mustPost(path string, body any) {
	r.t.Helper()
	if status, out := r.post(path, body); status != http.StatusOK {
		r.t.Fatalf("POST %s %v: %d %v", path, body, status, out)
	}
}

func (r *running) state(user, channel string) stateResponse {
	r.t.Helper()
	res, err := http.Get(r.base + "/api/state?user=" + user + "&channel=" + channel)
	if err != nil {
		r.t.Fatal(err)
	}
	defer res.Body.Close()
	var st stateResponse
	if err := json.NewDecoder(res.Body).Decode(&st); err != nil || res.StatusCode != http.StatusOK {
		r.t.Fatalf("state: %d %v", res.StatusCode, err)
	}
	return st
}

func (r *running) idle() {
	r.t.Helper()
	if err := r.App().Bot().WaitIdle(testContext(r.t)); err != nil {
		r.t.Fatal(err)
	}
}

// The whole path a browser takes: the slash command opens the bot's modal,
// the bot's validation error shows on its field, a good submission declares,
// and the new channel shows the pinned card.
func TestDeclareThroughTheUI(t *testing.T) {
	sb := startSandbox(t, nil)
	announce := sb.state(alice, "").Channel
	sb.mustPost("/api/slash", map[string]string{"user": alice, "channel": announce, "text": "/incident declare"})
	// The bot opens the modal right after its ack, as Slack requires.
	if _, err := sb.Emulator().WaitCall(testContext(t), "views.open", nil); err != nil {
		t.Fatal(err)
	}
	st := sb.state(alice, announce)
	if st.Modal == nil || !strings.Contains(st.Modal.HTML, "Declare an incident") {
		t.Fatalf("no declare modal: %+v", st.Modal)
	}
	if other := sb.state(bob, announce); other.Modal != nil {
		t.Fatal("Bob sees Alice's modal")
	}

	values := map[string]any{"title": "   ", "severity": "SEV2", "summary": "errors since 10:02", "service": "checkout"}
	sb.mustPost("/api/view/submit", map[string]any{"user": alice, "view": st.Modal.ID, "values": values})
	st = sb.state(alice, announce)
	if st.Modal == nil || !strings.Contains(st.Modal.HTML, `<div class="bk-input has-error" data-block-id="title">`) ||
		!strings.Contains(st.Modal.HTML, `class="bk-error"`) {
		t.Fatalf("the bot's error is not on the title field: %+v", st.Modal)
	}

	values["title"] = "Checkout <script>alert(1)</script> fails"
	sb.mustPost("/api/view/submit", map[string]any{"user": alice, "view": st.Modal.ID, "values": values})
	sb.idle()
	st = sb.state(alice, announce)
	if st.Modal != nil {
		t.Fatal("the modal is still open after a good submission")
	}
	ch, ok := sb.Emulator().ChannelByName("inc-1-checkout-script-alert-1-script-fails")
	if !ok || !strings.Contains(st.Sidebar, `data-channel="`+ch.ID+`"`) {
		t.Fatalf("the new channel is not in the sidebar:\n%s", st.Sidebar)
	}
	st = sb.state(alice, ch.ID)
	for _, want := range []string{`<div class="pin-marker">📌 Pinned</div>`, "INC-1 · Checkout &lt;script&gt;alert(1)&lt;/script&gt; fails", `data-action-id="role:comms"`, `data-action-id="update"`} {
		if !strings.Contains(st.Messages, want) {
			t.Errorf("the channel lacks %s", want)
		}
	}
	if strings.Contains(st.Messages, "<script") || strings.Contains(st.Header, "<script") {
		t.Error("the title became markup")
	}
	if !strings.Contains(st.Header, "checkout runbook") {
		t.Errorf("the runbook bookmark is missing from the header:\n%s", st.Header)
	}
	if !strings.Contains(sb.state(carol, ch.ID).Sidebar, ch.Name) {
		t.Error("the checkout expert was not invited")
	}
}

func TestComposer(t *testing.T) {
	sb := startSandbox(t, nil)
	general, _ := sb.Emulator().ChannelByName("general")
	tests := []struct {
		name, path, text string
		status           int
		check            func(t *testing.T, msgs []slackemu.Message)
	}{
		{"a message shows as text", "/api/message", "<script>alert(1)</script> & @bob in #general", http.StatusOK, func(t *testing.T, msgs []slackemu.Message) {
			last := msgs[len(msgs)-1]
			if last.User != alice || last.Text != "&lt;script&gt;alert(1)&lt;/script&gt; &amp; <@"+bob+"> in <#"+general.ID+">" {
				t.Fatalf("posted %+v", last)
			}
			st := sb.state(alice, general.ID)
			if strings.Contains(st.Messages, "<script") || !strings.Contains(st.Messages, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; ") {
				t.Fatalf("shown as\n%s", st.Messages)
			}
		}},
		{"another app's command is refused like Slack does", "/api/slash", "/giphy cats", http.StatusBadRequest, nil},
		{"the bot answers help only to the user", "/api/slash", "/incident help", http.StatusOK, func(t *testing.T, _ []slackemu.Message) {
			if !strings.Contains(sb.state(alice, general.ID).Messages, "Only visible to you") {
				t.Fatal("no ephemeral answer for Alice")
			}
			if strings.Contains(sb.state(bob, general.ID).Messages, "Only visible to you") {
				t.Fatal("Bob sees Alice's ephemeral")
			}
		}},
		{"an unknown subcommand points to help once", "/api/slash", "/incident frobnicate", http.StatusOK, func(t *testing.T, _ []slackemu.Message) {
			eph := sb.Emulator().Ephemerals(alice)
			if last := eph[len(eph)-1].Text; !strings.Contains(last, "frobnicate") || strings.Count(last, "help") != 1 {
				t.Fatalf("answered %q; want the word and one pointer to help", last)
			}
		}},
		{"an empty message", "/api/message", "  ", http.StatusBadRequest, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := sb.post(tt.path, map[string]string{"user": alice, "channel": general.ID, "text": tt.text})
			if status != tt.status {
				t.Fatalf("status %d (%v), want %d", status, out, tt.status)
			}
			if tt.check != nil {
				tt.check(t, sb.Emulator().Messages(general.ID))
			}
		})
	}
}

func TestLinkNames(t *testing.T) {
	emu := slackemu.Start(t)
	for _, u := range SampleUsers() {
		emu.AddUser(u)
	}
	ch := emu.CreateChannel("inc-1-db", false, alice)
	emu.CreateChannel("inc-2-payroll", true, carol)
	h := &handler{emu: emu}
	tests := []struct {
		in        string
		withLabel bool
		want      string
	}{
		{"role comms @bob", true, "role comms <@" + bob + "|bob>"},
		{"role comms @Bob.", true, "role comms <@" + bob + "|Bob>."},
		{"ask @nobody in #inc-1-db", false, "ask @nobody in <#" + ch + ">"},
		{"mail bob@example.com", false, "mail bob@example.com"},
		{"(@carol)", false, "(<@" + carol + ">)"},
		{"see #inc-2-payroll", false, "see #inc-2-payroll"}, // private, and alice is not in it
	}
	for _, tt := range tests {
		if got := h.linkNames(alice, tt.in, tt.withLabel); got != tt.want {
			t.Errorf("linkNames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// The UI acts as any user, so only its own pages may drive it.
func TestRefusesRequestsFromElsewhere(t *testing.T) {
	sb := startSandbox(t, nil)
	body := `{"user":"UALICE001","channel":"","text":"/incident help"}`
	tests := []struct {
		name, host, origin, contentType string
		want                            int
	}{
		{"another web site", "", "https://evil.example", "application/json", http.StatusForbidden},
		{"a form post", "", "", "text/plain", http.StatusUnsupportedMediaType},
		{"a rebound DNS name", "evil.example:8090", "", "application/json", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, sb.base+"/api/slash", strings.NewReader(body))
			req.Header.Set("Content-Type", tt.contentType)
			if tt.origin != "" {
				req.Header.Set("Origin", tt.origin)
			}
			if tt.host != "" {
				req.Host = tt.host
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
		})
	}
	if got := sb.Emulator().Ephemerals(alice); len(got) != 0 {
		t.Fatalf("a refused request reached the bot, which answered %+v", got)
	}
}

func TestEventsStreamChanges(t *testing.T) {
	sb := startSandbox(t, nil)
	general, _ := sb.Emulator().ChannelByName("general")
	req, _ := http.NewRequestWithContext(testContext(t), http.MethodGet, sb.base+"/api/events", nil)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	lines := bufio.NewScanner(res.Body)
	lines.Scan() // "retry: …", sent before anything else, so the stream is open
	sb.mustPost("/api/message", map[string]string{"user": alice, "channel": general.ID, "text": "hello"})
	for lines.Scan() {
		line := lines.Text()
		if !strings.HasPrefix(line, "data: ") {
			continue
		}
		var c struct{ Kind, Channel string }
		if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &c); err != nil {
			t.Fatal(err)
		}
		if c.Kind == slackemu.ChangeMessage && c.Channel == general.ID {
			return
		}
	}
	t.Fatalf("the stream ended without the message: %v", lines.Err())
}

func TestActionsReachTheBot(t *testing.T) {
	sb := startSandbox(t, nil)
	emu := sb.Emulator()
	announce := sb.state(alice, "").Channel
	sb.mustPost("/api/slash", map[string]string{"user": alice, "channel": announce, "text": "/incident declare SEV2 db down"})
	sb.idle()
	ch, ok := emu.ChannelByName("inc-1-db-down")
	if !ok {
		t.Fatal("no incident channel")
	}
	card := emu.Messages(ch.ID)[0]
	tests := []struct {
		name   string
		body   map[string]string
		path   string
		status int
	}{
		{"a button", map[string]string{"kind": "button", "action_id": "update", "value": "INC-1"}, "/api/action", http.StatusOK},
		{"a users select", map[string]string{"kind": "users_select", "action_id": "role:comms", "value": bob}, "/api/action", http.StatusOK},
		{"a button the message lacks", map[string]string{"kind": "button", "action_id": "nope"}, "/api/action", http.StatusBadRequest},
		{"an element the sandbox cannot operate", map[string]string{"kind": "datepicker", "action_id": "d"}, "/api/action", http.StatusBadRequest},
		{"the manifest's message shortcut", map[string]string{"callback_id": "add_to_timeline"}, "/api/shortcut", http.StatusOK},
		{"a shortcut the app does not declare", map[string]string{"callback_id": "nope"}, "/api/shortcut", http.StatusBadRequest},
		{"a 📌 reaction", map[string]string{"name": "pushpin"}, "/api/react", http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.body["user"], tt.body["channel"], tt.body["ts"] = alice, ch.ID, card.TS
			if status, out := sb.post(tt.path, tt.body); status != tt.status {
				t.Fatalf("status %d (%v), want %d", status, out, tt.status)
			}
		})
	}
	if p := emu.Problems(); len(p) > 0 {
		t.Fatalf("Slack would have shown errors: %+v", p)
	}
}

func TestFileOpensAsMarkdown(t *testing.T) {
	sb := startSandbox(t, nil)
	emu := sb.Emulator()
	general, _ := emu.ChannelByName("general")
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
	if _, _, _, err := api.JoinConversationContext(testContext(t), general.ID); err != nil {
		t.Fatal(err)
	}
	doc := "# INC-1 postmortem\n\n| Time | Event |\n|---|---|\n| 10:02 | <script>declared</script> |\n"
	f, err := api.UploadFileContext(testContext(t), slack.UploadFileParameters{Filename: "INC-1-postmortem.md", Title: "INC-1 postmortem", Content: doc, FileSize: len(doc), Channel: general.ID})
	if err != nil {
		t.Fatal(err)
	}
	if st := sb.state(alice, general.ID); !strings.Contains(st.Messages, `data-file="`+f.ID+`"`) {
		t.Fatalf("no file card:\n%s", st.Messages)
	}
	res, err := http.Get(sb.base + "/api/file?user=" + alice + "&id=" + f.ID)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out struct{ Title, HTML string }
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	if out.Title != "INC-1 postmortem" || !strings.Contains(out.HTML, "<h1>INC-1 postmortem</h1>") ||
		!strings.Contains(out.HTML, "<td>&lt;script&gt;declared&lt;/script&gt;</td>") {
		t.Fatalf("file = %s", raw)
	}
}

// Without store.path the store lives in a temporary directory that Run
// removes; the ops listener stays off so a running bot keeps its port.
func TestTemporaryStoreIsRemoved(t *testing.T) {
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	sb, err := Open(Options{Listen: "127.0.0.1:0", Config: config.Default(), Templates: tmpl, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	path := sb.StorePath()
	if sb.cfg.HTTP.Listen != "" || !strings.HasPrefix(path, os.TempDir()) {
		t.Fatalf("listen %q, store %q", sb.cfg.HTTP.Listen, path)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sb.Run(ctx) }()
	if err := sb.Emulator().WaitConnected(testContext(t)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Dir(path)); !os.IsNotExist(err) {
		t.Fatalf("%s is still there (%v)", filepath.Dir(path), err)
	}
}

func TestOpenFailsCleanlyOnATakenPort(t *testing.T) {
	first := startSandbox(t, nil)
	tmpl, _ := templates.Load("")
	data := filepath.Join(t.TempDir(), "data")
	_, err := Open(Options{Listen: strings.TrimPrefix(first.base, "http://"), Config: config.Default(), DataDir: data, Templates: tmpl, Log: zerolog.Nop()})
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(data); !os.IsNotExist(err) {
		t.Fatal("a failed Open left a data folder behind")
	}
}

package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// fakeSlack answers every Web API call with a minimal success and records
// it, so fuzz tests run the real handlers, renderers and outbox performer
// at memory speed, without the emulator's sockets.
type fakeSlack struct {
	mu    sync.Mutex
	calls []fakeCall
	n     int
	// history is the text of any message conversations.history is asked
	// for (the message a 📌 captures).
	history string
}

// fakeCall is one request: its method ("upload" for an upload_url POST,
// "response_url" for a reply through one) and its arguments (form values,
// or the top-level fields of a JSON body, objects kept as JSON).
type fakeCall struct {
	Method string
	Args   map[string]string
}

const (
	fakeHost     = "slack.fake"
	fakeBotUser  = "UBOTFUZZ1"
	fakeAnnounce = "CANNOUNCE1"
	fakeRunbook  = "https://wiki.example.com/runbooks/fuzz"
)

func (f *fakeSlack) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		var err error
		if body, err = io.ReadAll(req.Body); err != nil {
			return nil, err
		}
		_ = req.Body.Close()
	}
	if req.Method == http.MethodGet {
		body = []byte(req.URL.RawQuery)
	}
	args := map[string]string{}
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		var m map[string]json.RawMessage
		if err := json.Unmarshal(body, &m); err != nil {
			return f.invalid(req, err), nil
		}
		for k, v := range m {
			var s string
			if json.Unmarshal(v, &s) == nil {
				args[k] = s
			} else {
				args[k] = string(v)
			}
		}
	} else if !strings.HasPrefix(req.URL.Path, "/upload/") {
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return f.invalid(req, err), nil
		}
		for k, v := range form {
			args[k] = strings.Join(v, ",")
		}
	}
	method := path.Base(req.URL.Path)
	switch {
	case strings.HasPrefix(req.URL.Path, "/upload/"):
		method = "upload"
	case strings.HasPrefix(req.URL.Path, "/response/"):
		method = "response_url"
	}
	f.mu.Lock()
	f.n++
	n := f.n
	f.calls = append(f.calls, fakeCall{Method: method, Args: args})
	history := f.history
	f.mu.Unlock()

	ts := fmt.Sprintf("1767225600.%06d", n)
	var answer any
	switch method {
	case "upload":
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader("OK - 1")), Header: http.Header{}, Request: req}, nil
	case "conversations.create":
		answer = map[string]any{"ok": true, "channel": map[string]any{"id": fmt.Sprintf("CINC%05d", n), "name": args["name"], "created": 1767225600, "creator": fakeBotUser}}
	case "chat.postMessage", "chat.update":
		answer = map[string]any{"ok": true, "channel": args["channel"], "ts": ts}
	case "chat.postEphemeral":
		answer = map[string]any{"ok": true, "message_ts": ts}
	case "auth.test":
		answer = map[string]any{"ok": true, "user_id": fakeBotUser, "bot_id": "BFUZZ0001", "team_id": "TFUZZ0001"}
	case "users.info":
		answer = map[string]any{"ok": true, "user": map[string]any{"id": args["user"], "name": "someone", "real_name": "Some One"}}
	case "chat.getPermalink":
		answer = map[string]any{"ok": true, "channel": args["channel"], "permalink": "https://fuzz.slack.com/archives/" + args["channel"] + "/p1"}
	case "conversations.history", "conversations.replies":
		answer = map[string]any{"ok": true, "messages": []any{map[string]any{"type": "message", "user": "UALICE001", "text": history, "ts": args["latest"]}}}
	case "files.getUploadURLExternal":
		answer = map[string]any{"ok": true, "upload_url": "http://" + fakeHost + "/upload/F1", "file_id": "FFUZZ0001"}
	case "files.completeUploadExternal":
		answer = map[string]any{"ok": true, "files": []any{map[string]any{"id": "FFUZZ0001", "title": "draft"}}}
	case "views.open", "views.publish":
		answer = map[string]any{"ok": true, "view": map[string]any{"id": "VFUZZ0001"}}
	default:
		answer = map[string]any{"ok": true}
	}
	raw, _ := json.Marshal(answer)
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(raw)),
		Header: http.Header{"Content-Type": []string{"application/json"}}, Request: req}, nil
}

// invalid records a request the fake could not read (checkCalls reports
// it) and answers with a permanent error: never with a transport error,
// which the bot would retry on a fake clock that does not move.
func (f *fakeSlack) invalid(req *http.Request, err error) *http.Response {
	f.mu.Lock()
	f.calls = append(f.calls, fakeCall{Method: "invalid", Args: map[string]string{"path": req.URL.Path, "error": err.Error()}})
	f.mu.Unlock()
	return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"ok":false,"error":"invalid_form_data"}`)),
		Header: http.Header{"Content-Type": []string{"application/json"}}, Request: req}
}

func (f *fakeSlack) takeCalls() []fakeCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.calls
	f.calls = nil
	return out
}

// fuzzWorld is a Bot on a fresh store, talking to a fakeSlack, on a fake
// clock. Everything runs on the calling goroutine.
type fuzzWorld struct {
	t     *testing.T
	b     *Bot
	cmds  *commands.Service
	slack *fakeSlack
	clock *clock.Fake
	store *boltstore.Store
	n     int // envelopes and triggers handed out
	// acks are the ack payloads of everything handled, as JSON.
	acks []json.RawMessage
}

func newFuzzWorld(t *testing.T, settings incident.Settings) *fuzzWorld {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC))
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "fuzz.db"), boltstore.Options{
		NoSync: true, MaxBatchDelay: time.Microsecond, InitialMmapSize: 1 << 20, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	fs := &fakeSlack{}
	hc := &http.Client{Transport: fs}
	api := slack.New("xoxb-fuzz", slack.OptionAPIURL("http://"+fakeHost+"/api/"), slack.OptionHTTPClient(hc))
	svc := &commands.Service{
		Store: st, Settings: settings, ChannelPrefix: "inc", AnnounceChannel: fakeAnnounce,
		Command: "/incident", Clock: clk, PostmortemReminder: 24 * time.Hour,
	}
	b := New(Options{API: api, Web: NewWebAPI(hc, "http://"+fakeHost+"/api/", "xoxb-fuzz"), Store: st, Templates: tmpl, Commands: svc,
		Config: Config{Command: "/incident", Settings: settings, ChannelPrefix: "inc", AnnounceChannel: fakeAnnounce},
		Log:    zerolog.Nop(), Clock: clk})
	return &fuzzWorld{t: t, b: b, cmds: svc, slack: fs, clock: clk, store: st}
}

func (w *fuzzWorld) next() int { w.n++; return w.n }

// handle delivers one envelope as the socket would: the handler's ack, then
// its after-ack work.
func (w *fuzzWorld) handle(typ string, payload any) json.RawMessage {
	w.t.Helper()
	raw, err := json.Marshal(payload)
	if err != nil {
		w.t.Fatal(err)
	}
	ctx := context.Background()
	ack, after := w.b.Handle(ctx, socketmode.Request{Type: typ, EnvelopeID: fmt.Sprintf("env-%d", w.next()), Payload: raw})
	out, err := json.Marshal(ack)
	if err != nil {
		w.t.Fatalf("ack of %s does not encode: %v", raw, err)
	}
	w.acks = append(w.acks, out)
	if after != nil {
		after(ctx)
	}
	return out
}

// slash runs `/incident text` as user in channel.
func (w *fuzzWorld) slash(user, channel, text string) json.RawMessage {
	n := w.next()
	return w.handle("slash_commands", map[string]any{
		"command": "/incident", "text": text, "user_id": user, "channel_id": channel, "team_id": "TFUZZ0001",
		"trigger_id": fmt.Sprintf("%d.%d.fuzz", n, n), "response_url": fmt.Sprintf("http://%s/response/%d", fakeHost, n),
	})
}

// submit submits a modal with callback, private_metadata and state values
// (block_id → the element's state object) as user.
func (w *fuzzWorld) submit(user, callback, metadata string, values map[string]any) json.RawMessage {
	n := w.next()
	state := map[string]any{}
	for block, v := range values {
		state[block] = map[string]any{block: v}
	}
	return w.handle("interactive", map[string]any{
		"type": "view_submission", "user": map[string]any{"id": user}, "trigger_id": fmt.Sprintf("%d.%d.fuzz", n, n),
		"view": map[string]any{"id": fmt.Sprintf("VSUB%05d", n), "callback_id": callback, "private_metadata": metadata,
			"state": map[string]any{"values": state}},
	})
}

// action delivers a block action on the message at ts in channel.
func (w *fuzzWorld) action(user, channel, ts string, act map[string]any) json.RawMessage {
	n := w.next()
	act["action_ts"] = fmt.Sprintf("1767225600.%06d", n)
	return w.handle("interactive", map[string]any{
		"type": "block_actions", "user": map[string]any{"id": user}, "trigger_id": fmt.Sprintf("%d.%d.fuzz", n, n),
		"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "message_ts": ts, "channel_id": channel},
		"response_url": fmt.Sprintf("http://%s/response/%d", fakeHost, n), "actions": []any{act},
	})
}

// event delivers an events_api callback with inner event ev.
func (w *fuzzWorld) event(ev map[string]any) json.RawMessage {
	n := w.next()
	return w.handle("events_api", map[string]any{
		"type": "event_callback", "team_id": "TFUZZ0001", "api_app_id": "AFUZZ0001",
		"event_id": fmt.Sprintf("Ev%06d", n), "event_time": 1767225600, "event": ev,
	})
}

// drain performs every pending outbox job, as the worker would, failing on
// any job that does not complete: with a Slack that always answers, every
// side effect must go through.
func (w *fuzzWorld) drain() {
	w.t.Helper()
	drainJobs(w.t, w.b.performer, w.store)
}

// drainJobs performs every pending job of st with p and completes it, one
// at a time in ID order, as the worker would with one slot; it fails tb if
// a job fails or the outbox never empties.
func drainJobs(tb testing.TB, p *Performer, st *boltstore.Store) {
	tb.Helper()
	ctx := context.Background()
	for range 1000 {
		jobs, err := st.PendingJobs(1)
		if err != nil {
			tb.Fatal(err)
		}
		if len(jobs) == 0 {
			return
		}
		job := jobs[0]
		apply, err := p.Perform(ctx, job)
		if err != nil {
			tb.Fatalf("job %d %s failed: %v", job.ID, job.Kind, err)
		}
		err = st.Update(ctx, func(tx store.Tx) error {
			if apply != nil {
				if err := apply(tx); err != nil {
					return err
				}
			}
			return tx.CompleteJob(job.ID)
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	tb.Fatal("the outbox never drained")
}

// incident loads INC-n.
func (w *fuzzWorld) incident(n uint64) *incident.Incident {
	w.t.Helper()
	inc, err := w.cmds.Incident(n)
	if err != nil {
		w.t.Fatal(err)
	}
	return inc
}

// Markup the bot itself may put in mrkdwn: mentions of well-formed IDs
// (a channel's with its name, as mrkdwn.LiveMentions keeps it), dates, and
// the configured runbook's link. User text yields no other "<".
var ownMarkup = regexp.MustCompile(`^(<@[UWB][A-Z0-9]{2,}>|<#[CG][A-Z0-9]{2,}(\|[a-z0-9_-]{1,80})?>|<!date\^\d+\^[^<>|]*\|[^<>]*>|<` + regexp.QuoteMeta(fakeRunbook) + `\|[^<>]*>)`)

var broadcast = regexp.MustCompile(`(?i)@(here|channel|everyone)`)

// liveMarkup describes what in mrkdwn text s could notify people or
// disguise a link: a "<" that does not open the bot's own markup (an
// unclosed one, cut by truncation, is inert), or an @here/@channel/
// @everyone that Slack would parse. "" when s is safe.
func liveMarkup(s string) string {
	if m := broadcast.FindString(s); m != "" {
		return "auto-parsed " + m
	}
	for i := strings.IndexByte(s, '<'); i >= 0; {
		rest := s[i:]
		if m := ownMarkup.FindString(rest); m != "" {
			i += len(m)
		} else if strings.IndexByte(rest, '>') >= 0 {
			end := min(len(rest), 60)
			return fmt.Sprintf("live markup %q", rest[:end])
		} else {
			i++
		}
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		i += j
	}
	return ""
}

// checkMrkdwn walks a decoded Block Kit value and reports every mrkdwn
// text object that carries live markup.
func checkMrkdwn(v any, where string, report func(string)) {
	switch x := v.(type) {
	case map[string]any:
		if x["type"] == "mrkdwn" {
			if s, ok := x["text"].(string); ok {
				if p := liveMarkup(s); p != "" {
					report(fmt.Sprintf("%s: mrkdwn text %s: %q", where, p, s))
				}
			}
		}
		for _, e := range x {
			checkMrkdwn(e, where, report)
		}
	case []any:
		for _, e := range x {
			checkMrkdwn(e, where, report)
		}
	}
}

// Text limits of the Web API (Slack's documented limits of chat.postMessage and views.open).
const (
	maxPostText    = 40000
	maxUpdateText  = 4000
	maxTopicLength = 250
)

// checkCalls holds every call to Slack's rules, using the emulator's own
// Block Kit validator, and to the no-injection property.
func checkCalls(t *testing.T, calls []fakeCall) {
	t.Helper()
	for _, c := range calls {
		report := func(p string) { t.Errorf("%s: %s", c.Method, p) }
		if c.Method == "invalid" {
			report(fmt.Sprintf("the bot sent a request Slack cannot read: %v", c.Args))
		}
		if raw, ok := c.Args["blocks"]; ok && raw != "" {
			for _, p := range slackemu.ValidateMessageBlocks(json.RawMessage(raw)) {
				report("blocks: " + p)
			}
			var v any
			if err := json.Unmarshal([]byte(raw), &v); err != nil {
				report("blocks are not JSON")
			}
			checkMrkdwn(v, "blocks", report)
		}
		if raw, ok := c.Args["view"]; ok {
			for _, p := range slackemu.ValidateView(json.RawMessage(raw)) {
				report("view: " + p)
			}
			var v any
			_ = json.Unmarshal([]byte(raw), &v)
			checkMrkdwn(v, "view", report)
		}
		limit := maxPostText
		if c.Method == "chat.update" {
			limit = maxUpdateText
		}
		for _, k := range []string{"text", "initial_comment"} {
			if s, ok := c.Args[k]; ok {
				if n := utf8.RuneCountInString(s); n > limit {
					report(fmt.Sprintf("%s of %d characters, over %d", k, n, limit))
				}
				if p := liveMarkup(s); p != "" {
					report(fmt.Sprintf("%s: %s: %q", k, p, s))
				}
			}
		}
		for _, k := range []string{"topic", "purpose"} {
			if s, ok := c.Args[k]; ok {
				if n := utf8.RuneCountInString(s); n > maxTopicLength {
					report(fmt.Sprintf("%s of %d characters, over %d", k, n, maxTopicLength))
				}
				if p := liveMarkup(s); p != "" {
					report(fmt.Sprintf("%s: %s: %q", k, p, s))
				}
			}
		}
	}
}

// checkAcks holds slash-command replies to Slack's frame limit and the
// no-injection property.
func checkAcks(t *testing.T, acks []json.RawMessage) {
	t.Helper()
	for _, a := range acks {
		if len(a) >= maxAckBytes-64 { // room for the envelope around it
			t.Errorf("ack of %d bytes: Slack drops frames of 20 KiB", len(a))
		}
		var p struct {
			Text string `json:"text"`
		}
		if json.Unmarshal(a, &p) == nil {
			if s := liveMarkup(p.Text); s != "" {
				t.Errorf("ack text %s: %q", s, p.Text)
			}
		}
	}
}

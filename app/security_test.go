package app_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// hostile is text that would ping everyone and disguise a link if it
// reached Slack as markup: special mentions typed and as markup, escaped
// forms, a user group, links with labels, mixed case.
const hostile = "<!channel> @here <https://evil.example/login|your SSO> &lt;!everyone&gt; @EveryOne <!subteam^S0001|@oncall> <http://evil.example> @Channel"

// secWorld is a workspace whose configuration is hostile too — role names,
// the service's name, a severity's description — with SEV1 reminding every
// second, and the ops listener on a free loopback port.
func secWorld(t *testing.T) *world {
	t.Helper()
	return newWorld(t, nil, func(c *config.Config) {
		c.HTTP.Listen, c.HTTP.Token = "127.0.0.1:0", opsToken
		c.Incidents.PostmortemReminder = 0
		c.Incidents.Severities = []config.Severity{
			{Name: "SEV1", Description: "<!everyone> Critical <https://evil.example|status page> @here", Reminder: time.Second},
			{Name: "SEV2", Description: "Major @channel", Reminder: time.Minute},
		}
		c.Incidents.Roles = []config.Role{
			{ID: incident.RoleCommander, Name: "<!channel> Commander"},
			{ID: incident.RoleComms, Name: "@here Comms <https://evil.example|lead>"},
			{ID: incident.RoleOps, Name: "Ops <!everyone>"},
			{ID: "scribe", Name: "<!subteam^S1|@scribes> Scribe @everyone"},
		}
		c.Services = []config.Service{{Name: "<!here> checkout @channel", Experts: []string{carol}, Runbook: runbook}}
	})
}

// hostileLife runs a whole incident life with hostile text in every field a
// user fills, and returns the acks of every slash command.
func (w *world) hostileLife() []slackemu.Ack {
	t := w.t
	t.Helper()
	var acks []slackemu.Ack
	slash := func(user, channel, text string) {
		t.Helper()
		acks = append(acks, w.slashMarkup(user, channel, text)) // hostile is Slack's wire form
	}

	v := w.openDeclareModal(alice)
	if _, err := w.emu.SubmitView(w.ctx(), alice, v.ID, map[string]any{
		"title": strings.Repeat("<!here> ", 3) + "db down @channel", "severity": "SEV2", "summary": hostile,
		"service": "<!here> checkout @channel", "commander": alice,
	}); err != nil {
		t.Fatal(err)
	}
	ch := w.declared(1, "", alice, carol)
	slash(alice, w.announce, "declare SEV2 "+hostile)
	w.idle()

	w.rolePick(alice, incident.RoleComms, bob)
	slash(alice, ch.ID, "role scribe <@"+carol+"|carol>")
	slash(alice, ch.ID, "role commander <@"+bob+"|bob>")
	w.idle()

	slash(bob, ch.ID, "update")
	w.lcSubmit(bob, w.lcUpdateForm(2), map[string]any{"status": "identified", "severity": "SEV2", "summary": hostile, "next_steps": hostile})
	w.idle()

	slash(alice, ch.ID, "note "+hostile)
	ts, err := w.emu.PostUserMarkup(ch.ID, carol, hostile)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.React(w.ctx(), alice, ch.ID, ts, "pushpin"); err != nil {
		t.Fatal(err)
	}
	other, _ := w.emu.PostUserMarkup(ch.ID, bob, "<!everyone> "+hostile)
	if _, err := w.emu.MessageShortcut(w.ctx(), alice, ch.ID, other, "add_to_timeline"); err != nil {
		t.Fatal(err)
	}
	slash(bob, ch.ID, "action "+hostile+" <@"+carol+"|carol>")
	w.idle()

	// SEV1 reminds every second; the third reminder in a row reaches the
	// announcement's thread.
	slash(alice, ch.ID, "severity SEV1")
	w.remReminder(ch.ID, 3)
	w.idle()

	slash(alice, ch.ID, "list")
	slash(alice, ch.ID, "help")
	if _, err := w.emu.Event(w.ctx(), map[string]any{"type": "app_home_opened", "user": alice, "channel": w.emu.DMChannel(alice), "tab": "home"}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.emu.WaitCall(w.ctx(), "views.publish", nil); err != nil {
		t.Fatal(err)
	}

	// Mistakes quote what was typed back to the user.
	for _, bad := range []string{"severity " + hostile, "role " + hostile, "role comms " + hostile, hostile, "declare SEV9 " + hostile} {
		slash(alice, ch.ID, bad)
	}

	slash(alice, ch.ID, "resolve "+hostile)
	w.idle()
	slash(alice, ch.ID, "postmortem")
	w.idle()
	if len(w.emu.Files()) != 1 {
		t.Fatalf("%d postmortem drafts", len(w.emu.Files()))
	}
	return acks
}

// User and configuration text can never ping @channel/@here/@everyone or a
// user group, nor disguise a link, on any path: every call the bot made
// (messages, edits, topics, forms, the Home tab, file comments, answers
// through response_urls), every ephemeral answer and every ack.
func TestUserTextNeverPingsOrDisguisesALink(t *testing.T) {
	t.Parallel()
	w := secWorld(t)
	acks := w.hostileLife()
	calls := w.emu.Calls("")
	for _, c := range calls {
		assertNoInjection(t, c)
		if s, ok := c.Args["initial_comment"].(string); ok && (specialMention.MatchString(s) || autoMention.MatchString(s)) {
			t.Fatalf("%s: initial_comment carries a live mention or link: %q", c.Method, s)
		}
	}
	for _, u := range []string{alice, bob, carol} {
		for _, m := range w.emu.Ephemerals(u) {
			if specialMention.MatchString(m.Text) || autoMention.MatchString(m.Text) || specialMention.MatchString(blocksText(m.Blocks)) {
				t.Fatalf("ephemeral to %s carries a live mention or link: %q", u, m.Text)
			}
		}
	}
	for _, a := range acks {
		if s := ackText(t, a); specialMention.MatchString(s) || autoMention.MatchString(s) {
			t.Fatalf("slash reply carries a live mention or link: %q", s)
		}
	}
	// The hostile text did reach Slack (escaped), so the paths were taken.
	reached := 0
	for _, c := range calls {
		if strings.Contains(callText(c), "your SSO") {
			reached++
		}
	}
	if reached < 10 {
		t.Fatalf("the hostile text reached Slack in only %d calls", reached)
	}
}

// secrets is everything a test must never find outside the bot's memory.
func (w *world) secrets() []string {
	return []string{w.emu.BotToken(), w.emu.AppToken(), w.cfg.HTTP.Token.Reveal()}
}

// assertNoSecret fails if where holds a token.
func (w *world) assertNoSecret(where, s string) {
	w.t.Helper()
	for _, tok := range w.secrets() {
		if tok != "" && strings.Contains(s, tok) {
			w.t.Errorf("a token appears in %s", where)
		}
	}
}

// httpGet fetches url and returns its body.
func httpGet(t *testing.T, url string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}

// Tokens never appear in the logs (at debug level), in anything shown to
// users (messages, answers, errors, the postmortem), in /metrics and the
// other ops endpoints, or in the store file — through a whole incident and
// through failures: Slack refusing the token (invalid_auth), a missing
// scope (with Slack's needed/provided), permanent errors that go on the
// timeline, and the socket's token refused so the bot stops.
func TestTokensNeverLeak(t *testing.T) {
	t.Parallel()
	w := secWorld(t)
	// Failures on the way: a refused token and a missing scope on posts
	// (permanent: recorded on the timeline, shown in the postmortem), a
	// refused assignee check (the user hears a generic refusal).
	w.slash(alice, w.announce, "declare SEV2 db down")
	w.idle()
	inc := w.incident(1)
	w.emu.Fail("users.info", slackemu.Fault{Error: "invalid_auth", Times: 1})
	if _, err := w.emu.SelectUser(w.ctx(), alice, inc.ChannelID, inc.CardTS, "role:comms", bob); err != nil {
		t.Fatal(err)
	}
	w.idle()
	w.emu.Fail("chat.postMessage", slackemu.Fault{Error: "invalid_auth", Times: 1})
	w.emu.Fail("conversations.setTopic", slackemu.Fault{Error: "missing_scope", Fields: map[string]any{"needed": "channels:manage", "provided": "chat:write,commands"}, Times: 1})
	if _, err := w.emu.SelectUser(w.ctx(), alice, inc.ChannelID, inc.CardTS, "role:comms", bob); err != nil {
		t.Fatal(err)
	}
	w.idle()
	w.emu.Fail("views.open", slackemu.Fault{Error: "invalid_auth", Times: 1})
	w.slash(alice, inc.ChannelID, "update")
	w.idle()
	w.slash(alice, inc.ChannelID, "note the pool is exhausted")
	w.slash(alice, inc.ChannelID, "resolve rolled back")
	w.idle()
	w.slash(alice, inc.ChannelID, "postmortem")
	w.idle()

	failed := 0
	for _, e := range w.events(1) {
		if e.Kind == incident.EventDeliveryFailed {
			failed++
		}
		w.assertNoSecret("the timeline", e.Text)
	}
	if failed < 2 {
		t.Fatalf("%d delivery failures on the timeline, want the refused post and topic", failed)
	}
	for _, c := range w.emu.Calls("") {
		raw, _ := json.Marshal(c.Args)
		w.assertNoSecret("what the bot sent to Slack ("+c.Method+")", string(raw))
	}
	for _, u := range []string{alice, bob} {
		for _, m := range w.emu.Ephemerals(u) {
			w.assertNoSecret("an answer to a user", m.Text+string(m.Blocks))
		}
	}
	for _, f := range w.emu.Files() {
		w.assertNoSecret("the postmortem draft", string(f.Content))
	}
	ops := "http://" + w.app.OpsAddr()
	for _, path := range []string{"/metrics", "/healthz", "/readyz", "/incidents/INC-1/postmortem.md"} {
		w.assertNoSecret(path, httpGet(t, ops+path))
	}
	if !strings.Contains(httpGet(t, ops+"/metrics"), "invalid_auth") {
		t.Error("/metrics does not count the refused calls")
	}

	// Slack refuses the app token on reconnection: the bot stops, and says
	// why without the token.
	w.emu.Fail("apps.connections.open", slackemu.Fault{Error: "invalid_auth"})
	w.emu.DropConnections()
	var runErr error
	select {
	case runErr = <-w.done:
	case <-w.ctx().Done():
		t.Fatal("the bot kept running with a refused app token")
	}
	w.cancel()
	w.cancel = nil
	if runErr == nil || !strings.Contains(runErr.Error(), "invalid_auth") {
		t.Fatalf("the bot stopped with %v, want the refusal", runErr)
	}
	w.assertNoSecret("the error the bot stopped with", runErr.Error())

	logs := w.logs.String()
	if !strings.Contains(logs, `"level":"debug"`) || !strings.Contains(logs, "invalid_auth") || !strings.Contains(logs, "missing_scope") {
		t.Fatal("the logs do not hold the debug lines and the failures this test provokes")
	}
	w.assertNoSecret("the logs", logs)
	db, err := os.ReadFile(w.cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	w.assertNoSecret("the store file", string(db))
}

// Configuration mistakes about the tokens name the key and the fix, never
// the token's value.
func TestTokenErrorsNeverQuoteTheToken(t *testing.T) {
	t.Parallel()
	const bot, app, user = "xoxb-1111-2222-secretbot", "xapp-1-A1-3333-secretapp", "xoxp-4444-secretuser"
	tests := []struct{ name, bot, app string }{
		{"swapped", app, bot},
		{"user token as bot token", user, app},
		{"bot token as app token", bot, bot},
		{"app token as bot token", app, app},
		{"not a token", "secretbot", app},
		{"app token not a token", bot, "secretapp"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.Slack.BotToken, cfg.Slack.AppToken = config.Secret(tt.bot), config.Secret(tt.app)
			err := cfg.Validate()
			if err == nil {
				t.Fatal("accepted")
			}
			for _, secret := range []string{"secretbot", "secretapp", "secretuser", "1111", "3333", "4444"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error quotes a token: %v", err)
				}
			}
			if redacted := cfg.Redacted(); strings.Contains(redacted, "secret") {
				t.Fatalf("the config summary quotes a token: %s", redacted)
			}
		})
	}
}

// The store holds every incident, private ones included: only its owner
// may read it.
func TestStoreFileIsOwnerOnly(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	w.slash(alice, w.announce, "declare SEV2 db down")
	w.idle()
	w.stop()
	fi, err := os.Stat(w.cfg.Store.Path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Fatalf("store file mode %o, want 600", perm)
	}
}

// The ops listener binds loopback only unless told otherwise: a bot run on
// a configuration that never mentions http.listen (a file without it, no
// environment) listens on a loopback address, and nothing answers on the
// machine's other addresses. Only the port is changed, to a free one: the
// default port may be taken on a shared machine.
func TestOpsListenerBindsLoopbackByDefault(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("log:\n  level: info\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	host, _, err := net.SplitHostPort(cfg.HTTP.Listen)
	if err != nil {
		t.Fatalf("default http.listen %q: %v", cfg.HTTP.Listen, err)
	}
	w := newWorld(t, nil, func(c *config.Config) { c.HTTP.Listen = net.JoinHostPort(host, "0") })
	bound, err := net.ResolveTCPAddr("tcp", w.app.OpsAddr())
	if err != nil || !bound.IP.IsLoopback() {
		t.Fatalf("with the default http.listen %q the ops listener is bound to %q (%v), not to loopback", cfg.HTTP.Listen, w.app.OpsAddr(), err)
	}
	if body := httpGet(t, "http://"+bound.String()+"/healthz"); body == "" {
		t.Fatal("empty /healthz")
	}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		ipnet, ok := a.(*net.IPNet)
		if !ok || ipnet.IP.IsLoopback() || ipnet.IP.IsLinkLocalUnicast() {
			continue
		}
		other := net.JoinHostPort(ipnet.IP.String(), fmt.Sprint(bound.Port))
		if c, err := net.DialTimeout("tcp", other, 2*time.Second); err == nil {
			c.Close()
			t.Fatalf("the ops listener answers on %s, a non-loopback address", other)
		}
	}
}

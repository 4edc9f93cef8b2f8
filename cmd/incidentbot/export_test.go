package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// freeAddr is a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// The bot, run as the built binary, writes a store; while it runs, export
// fails fast and names the ops endpoint, which serves the draft; once it
// has stopped, export prints that same draft, and the uploaded file is the
// same draft with names for user IDs.
func TestExportPrintsTheDraftOfAStoreTheBotWrote(t *testing.T) {
	emu := slackemu.Start(t)
	user := emu.AddUser(slackemu.User{Name: "zed", RealName: "Zed Quokka"})
	general := emu.CreateChannel("general", false, user)
	addr := freeAddr(t)
	const token = "export-test-token-0123456789abcdef"
	env := []string{
		"INCIDENTBOT_STORE_PATH=" + filepath.Join(t.TempDir(), "s.db"),
		"INCIDENTBOT_HTTP_LISTEN=" + addr,
		"INCIDENTBOT_HTTP_TOKEN=" + token,
	}
	logs := &lockedBuffer{}
	proc := launchBot(t, emu, logs, env)
	bot, exited := proc.cmd, proc.exited

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := emu.WaitConnected(ctx); err != nil {
		t.Fatal("bot never connected:", err)
	}
	slash := func(channel, text string) {
		t.Helper()
		if _, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: channel, Text: text}); err != nil {
			t.Fatalf("/incident %s: %v", text, err)
		}
	}
	slash(general, "declare SEV2 Checkout is down")
	if _, err := emu.WaitCall(ctx, "conversations.invite", nil); err != nil {
		t.Fatal(err)
	}
	ch, ok := emu.ChannelByName("inc-1-checkout-is-down")
	if !ok {
		t.Fatal("no incident channel")
	}
	slash(ch.ID, "action add an alert on pool exhaustion <@"+user+">")
	slash(ch.ID, "postmortem")
	if _, err := emu.WaitCall(ctx, "files.completeUploadExternal", nil); err != nil {
		t.Fatal(err)
	}

	// The bot holds the store: export says so within about 2 s.
	start := time.Now()
	_, stderr, code := runBinary(t, env, "export", "INC-1")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("export took %v to give up on a held store", took)
	}
	pointer := `curl -H "Authorization: Bearer $INCIDENTBOT_HTTP_TOKEN" http://` + addr + "/incidents/INC-1/postmortem.md"
	if code != 1 || !strings.Contains(stderr, "in use by another process") || !strings.Contains(stderr, pointer) || strings.Contains(stderr, token) {
		t.Fatalf("export while the bot runs: exit %d, stderr %q (want the pointer %q, not the token)", code, stderr, pointer)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/incidents/INC-1/postmortem.md", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET the draft: %d %v", resp.StatusCode, err)
	}

	if err := bot.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("bot exit: %v\n%s", err, logs.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("bot still running 10 s after SIGTERM")
	}

	draft, stderr, code := runBinary(t, env, "export", "INC-1")
	if code != 0 || stderr != "" {
		t.Fatalf("export: exit %d, stderr %q", code, stderr)
	}
	if draft != string(served) {
		t.Fatalf("export differs from the ops endpoint:\n--- export\n%s\n--- served\n%s", draft, served)
	}
	files := emu.Files()
	if len(files) != 1 {
		t.Fatalf("%d files uploaded", len(files))
	}
	if uploaded := strings.ReplaceAll(string(files[0].Content), "Zed Quokka", "@"+user); uploaded != draft {
		t.Fatalf("export differs from the uploaded draft (names aside):\n--- export\n%s\n--- uploaded\n%s", draft, uploaded)
	}
	for _, want := range []string{"# INC-1: Checkout is down", "add an alert on pool exhaustion — owner: @" + user, "Postmortem draft requested by @" + user} {
		if !strings.Contains(draft, want) {
			t.Errorf("draft lacks %q", want)
		}
	}

	// The whole record as JSON, flags after the ID too.
	out, stderr, code := runBinary(t, env, "export", "INC-1", "--format", "json")
	if code != 0 {
		t.Fatalf("export --format json: exit %d, %s", code, stderr)
	}
	var rec postmortem.Record
	if err := json.Unmarshal([]byte(out), &rec); err != nil {
		t.Fatalf("json: %v\n%s", err, out)
	}
	if rec.Incident.ID() != "INC-1" || rec.Incident.ChannelID != ch.ID || len(rec.Incident.Actions) != 1 || len(rec.Events) < 4 ||
		rec.Events[len(rec.Events)-1].Kind != incident.EventPostmortem {
		t.Fatalf("record: %+v", rec)
	}
}

func TestExportErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "s.db")
	seedStore(t, path)
	env := []string{"INCIDENTBOT_STORE_PATH=" + path}
	tests := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"unknown incident", env, []string{"export", "INC-7"}, 1, "INC-7 does not exist in store " + path},
		{"unknown incident as json", env, []string{"export", "--format", "json", "7"}, 1, "INC-7 does not exist"},
		{"no incident named", env, []string{"export"}, 2, "name one incident"},
		{"two incidents named", env, []string{"export", "INC-1", "INC-2"}, 2, "name one incident"},
		{"malformed ID", env, []string{"export", "ticket-1"}, 2, "IDs look like INC-12"},
		{"unknown format", env, []string{"export", "--format", "pdf", "INC-1"}, 2, "use md"},
		{"missing store", []string{"INCIDENTBOT_STORE_PATH=" + filepath.Join(dir, "nope.db")}, []string{"export", "INC-1"}, 1, "nope.db does not exist"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, tt.env, tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.want) || stdout != "" {
				t.Fatalf("exit %d (want %d), stderr %q (want %q), stdout %q", code, tt.code, stderr, tt.want, stdout)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "nope.db")); err == nil {
		t.Error("export created a missing store")
	}
}

// seedStore writes a store with INC-1 in it, as the bot would.
func seedStore(t *testing.T, path string) {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := &commands.Service{Store: st, Settings: incident.DefaultSettings()}
	if _, err := svc.Declare(context.Background(), commands.DeclareInput{Title: "db down", Summary: "primary unreachable", DeclaredBy: "UALICE001"}); err != nil {
		t.Fatal(err)
	}
}

// A postmortem template in templates.dir replaces the built-in draft; a
// broken one stops `run` at start-up, and export, naming its file and line.
func TestPostmortemTemplateOverride(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	seedStore(t, path)
	custom := t.TempDir()
	if err := os.WriteFile(filepath.Join(custom, postmortem.TemplateName), []byte("Retro of {{.ID}}: {{.Title}}\n{{.Summary}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"INCIDENTBOT_STORE_PATH=" + path, "INCIDENTBOT_TEMPLATES_DIR=" + custom}
	out, stderr, code := runBinary(t, env, "export", "INC-1")
	if code != 0 || out != "Retro of INC-1: db down\nprimary unreachable\n" {
		t.Fatalf("export with a custom template: exit %d, %q, stderr %q", code, out, stderr)
	}

	broken := t.TempDir()
	brokenFile := filepath.Join(broken, postmortem.TemplateName)
	if err := os.WriteFile(brokenFile, []byte("# {{.ID}}\n\n{{if .Open}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env = []string{"INCIDENTBOT_STORE_PATH=" + path, "INCIDENTBOT_TEMPLATES_DIR=" + broken,
		"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "INCIDENTBOT_HTTP_LISTEN="}
	for _, args := range [][]string{{"run"}, {"export", "INC-1"}} {
		start := time.Now()
		_, stderr, code := runBinary(t, env, args...)
		lines := strings.Split(strings.TrimSpace(stderr), "\n")
		// run logs its configuration first; the refusal is the last line.
		if last := lines[len(lines)-1]; code == 0 || !strings.HasPrefix(last, "incidentbot: templates: "+brokenFile+":3:") {
			t.Fatalf("%v with a broken template: exit %d, stderr %q (want a last line naming %s:3:)", args, code, stderr, brokenFile)
		}
		if time.Since(start) > 5*time.Second {
			t.Fatalf("%v took %v to refuse", args, time.Since(start))
		}
	}
}

// Export's pointer to a running bot says the route needs http.token, and
// never prints the token.
func TestRunningBotHintNeedsTheToken(t *testing.T) {
	tests := []struct {
		listen string
		token  bool
		want   string
	}{
		{"", true, "http.listen or http.token is empty here"},
		{"127.0.0.1:8089", false, "http.listen or http.token is empty here"},
		{"127.0.0.1:8089", true, `curl -H "Authorization: Bearer $INCIDENTBOT_HTTP_TOKEN" http://127.0.0.1:8089/incidents/INC-4/postmortem.md`},
		{"0.0.0.0:8089", true, `curl -H "Authorization: Bearer $INCIDENTBOT_HTTP_TOKEN" http://127.0.0.1:8089/incidents/INC-4/postmortem.md`},
	}
	for _, tt := range tests {
		got := runningBotHint(tt.listen, tt.token, "INC-4")
		if !strings.Contains(got, tt.want) {
			t.Errorf("runningBotHint(%q, %v) = %q, want %q in it", tt.listen, tt.token, got, tt.want)
		}
	}
}

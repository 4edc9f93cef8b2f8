package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// binary is the incidentbot binary built once for the tests that must run
// the real executable.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "incidentbot-bin")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "incidentbot")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("build incidentbot: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	botToken = "xoxb-1111-2222-SECRETBOTTOKEN"
	appToken = "xapp-1-A111-3333-SECRETAPPTOKEN"
)

// runBinary runs the built binary with only the given environment.
func runBinary(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir = t.TempDir() // no stray ./config.yaml
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func TestRunRefusesBadTokensWithOneClearLine(t *testing.T) {
	store := "INCIDENTBOT_STORE_PATH=" + filepath.Join(t.TempDir(), "s.db")
	tests := []struct {
		name     string
		env      []string
		wantKey  string
		wantHint string
	}{
		{"no tokens", []string{store}, "slack.bot_token", "SLACK_BOT_TOKEN"},
		{"no app token", []string{store, "SLACK_BOT_TOKEN=" + botToken}, "slack.app_token", "xapp-"},
		{"swapped tokens", []string{store, "SLACK_BOT_TOKEN=" + appToken, "SLACK_APP_TOKEN=" + botToken}, "slack.bot_token", "xoxb-"},
		{"bad duration", []string{store, "SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "INCIDENTBOT_SLACK_SILENCE_TIMEOUT=soon"}, "slack.silence_timeout", "duration"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, tt.env, "run")
			if code == 0 {
				t.Fatalf("exit code 0; stderr %q", stderr)
			}
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one line, got %q", stderr)
			}
			if !strings.Contains(stderr, tt.wantKey) || !strings.Contains(stderr, tt.wantHint) {
				t.Fatalf("stderr %q does not name %s and %s", stderr, tt.wantKey, tt.wantHint)
			}
			for _, secret := range []string{"SECRETBOTTOKEN", "SECRETAPPTOKEN"} {
				if strings.Contains(stdout+stderr, secret) {
					t.Fatalf("a token leaked: %q", stdout+stderr)
				}
			}
		})
	}
}

func TestUnknownSeverityInConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	err := os.WriteFile(cfg, []byte("incidents:\n  severities:\n    - {name: SEV1, description: x, reminder: 5 mins}\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	_, stderr, code := runBinary(t, []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken}, "run", "--config", cfg)
	if code == 0 || !strings.Contains(stderr, "reminder") || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("code %d, stderr %q", code, stderr)
	}
}

func TestVersion(t *testing.T) {
	stdout, _, code := runBinary(t, nil, "version")
	if code != 0 || !strings.HasPrefix(stdout, "incidentbot ") {
		t.Fatalf("version: %d %q", code, stdout)
	}
}

func TestUnknownSubcommand(t *testing.T) {
	var out, errb bytes.Buffer
	if code := Main(context.Background(), []string{"frobnicate"}, nil, &out, &errb); code != 2 {
		t.Fatalf("code %d", code)
	}
	if !strings.Contains(errb.String(), "unknown command") || !strings.Contains(errb.String(), "incidentbot run") {
		t.Fatalf("stderr %q", errb.String())
	}
}

// The built binary serves against the emulator, answers a slash command,
// and on SIGTERM drains and exits 0 within 5 s, logging no token.
func TestRunServesAndStopsGracefullyOnSIGTERM(t *testing.T) {
	emu := slackemu.Start(t)
	user := emu.AddUser(slackemu.User{Name: "ana"})
	channel := emu.CreateChannel("general", false, user)
	logs := &lockedBuffer{}
	bot := launchBot(t, emu, logs, []string{
		"INCIDENTBOT_STORE_PATH=" + filepath.Join(t.TempDir(), "s.db"),
		"INCIDENTBOT_HTTP_LISTEN=127.0.0.1:0",
		"INCIDENTBOT_LOG_LEVEL=debug",
	})
	cmd, exited := bot.cmd, bot.exited

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := emu.WaitConnected(ctx); err != nil {
		t.Fatal("binary never connected:", err)
	}
	ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: channel, Text: "help"})
	if err != nil || !strings.Contains(string(ack.Payload), "declare") {
		t.Fatalf("help: %s %v", ack.Payload, err)
	}
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("took %v to stop", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGTERM")
	}
	out := logs.String()
	if strings.Contains(out, emu.BotToken()) || strings.Contains(out, emu.AppToken()) {
		t.Fatal("a token appeared in the logs")
	}
	if !strings.Contains(out, `"message":"stopped"`) {
		t.Fatalf("no clean stop in the logs:\n%s", out)
	}
}

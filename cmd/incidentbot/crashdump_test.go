package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// syncWriter is a goroutine-safe output sink for a child process.
type syncWriter struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// A crash prints every goroutine's stack: with the bot mid-incident (its
// socket open, its Slack client and store in use) and logging at debug
// level, the crash output — SIGQUIT's dump, the runtime's most verbose
// traceback — holds no token.
func TestCrashOutputHoldsNoToken(t *testing.T) {
	emu := slackemu.Start(t)
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	cmd := exec.Command(binary, "run")
	cmd.Dir = t.TempDir()
	cmd.Env = []string{
		"HOME=" + t.TempDir(),
		"GOTRACEBACK=system",
		"SLACK_BOT_TOKEN=" + emu.BotToken(),
		"SLACK_APP_TOKEN=" + emu.AppToken(),
		"INCIDENTBOT_SLACK_API_URL=" + emu.APIURL(),
		"INCIDENTBOT_STORE_PATH=" + filepath.Join(t.TempDir(), "s.db"),
		"INCIDENTBOT_HTTP_LISTEN=127.0.0.1:0",
		"INCIDENTBOT_LOG_LEVEL=debug",
		"INCIDENTBOT_INCIDENTS_ANNOUNCE_CHANNEL=" + announce,
	}
	out := &syncWriter{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := emu.WaitConnected(ctx); err != nil {
		t.Fatal("binary never connected:", err)
	}
	if _, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Text: "declare SEV1 db down"}); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.WaitCall(ctx, "chat.postMessage", func(c slackemu.Call) bool { return c.OK && c.Args["channel"] == announce }); err != nil {
		t.Fatal("the declaration was never announced:", err)
	}
	if err := cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		t.Fatal(err)
	}
	var exitErr *exec.ExitError
	select {
	case err := <-exited:
		if !errors.As(err, &exitErr) || exitErr.ExitCode() != 2 {
			t.Fatalf("exit after SIGQUIT: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("still running after SIGQUIT")
	}
	dump := out.String()
	if !strings.Contains(dump, "SIGQUIT") || !strings.Contains(dump, "goroutine ") || !strings.Contains(dump, "incidentbot/bot.") {
		t.Fatalf("no goroutine dump in the crash output:\n%s", dump)
	}
	for _, tok := range []string{emu.BotToken(), emu.AppToken()} {
		if strings.Contains(dump, tok) {
			t.Fatal("a token appeared in the crash output")
		}
	}
}

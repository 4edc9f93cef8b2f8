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

// Ctrl-C stops `run` as SIGTERM does: drained, exit 0. Its logs go to
// stderr, so stdout stays free for what a script reads.
func TestRunStopsOnSIGINT(t *testing.T) {
	emu := slackemu.Start(t)
	user := emu.AddUser(slackemu.User{Name: "ana"})
	channel := emu.CreateChannel("general", false, user)
	dir := t.TempDir()
	cmd := exec.Command(binary, "run")
	cmd.Dir = dir
	cmd.Env = []string{
		"HOME=" + dir, "PATH=" + os.Getenv("PATH"),
		"SLACK_BOT_TOKEN=" + emu.BotToken(), "SLACK_APP_TOKEN=" + emu.AppToken(),
		"INCIDENTBOT_SLACK_API_URL=" + emu.APIURL(),
		"INCIDENTBOT_STORE_PATH=" + filepath.Join(dir, "s.db"),
		"INCIDENTBOT_HTTP_LISTEN=",
	}
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
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
	if _, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: channel, Text: "declare SEV2 checkout down"}); err != nil {
		t.Fatal(err)
	}
	if _, err := emu.WaitCall(ctx, "pins.add", nil); err != nil {
		t.Fatal("the declaration never pinned its card:", err)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGINT: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("still running 10 s after SIGINT")
	}
	if stdout.Len() != 0 {
		t.Fatalf("run wrote to stdout: %q", stdout.String())
	}
	if !strings.Contains(stderr.String(), `"message":"stopped"`) {
		t.Fatalf("no clean stop on stderr:\n%s", stderr.String())
	}
}

//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// The disk fills under the running binary: the declaration whose commit
// cannot be written is answered "Not saved", one error line says why, and
// the process exits non-zero for its supervisor to restart it. The full
// disk is the kernel's file-size limit (RLIMIT_FSIZE) set at the pages the
// store already uses: reusing a free page still works, growing into a new
// one fails with EFBIG, as a write on a full disk fails with ENOSPC.
func TestDiskFullExitsNonZero(t *testing.T) {
	storePath := filepath.Join(t.TempDir(), "incidentbot.db")
	st, err := boltstore.Open(storePath, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	rep, err := boltstore.Check(storePath, time.Second)
	if err != nil || len(rep.Problems) > 0 {
		t.Fatal(err, rep)
	}
	limitKiB := int(rep.Pages) * rep.PageSize / 1024

	emu := slackemu.Start(t)
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// bash's ulimit -f counts KiB.
	cmd := exec.CommandContext(ctx, "bash", "-c", fmt.Sprintf(`ulimit -f %d && exec "$0" run`, limitKiB), binary)
	cmd.Dir = t.TempDir()
	cmd.Env = append(botEnv(emu, storePath, announce, t.TempDir()), "INCIDENTBOT_LOG_LEVEL=warn")
	logs := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	if err := emu.WaitConnected(ctx); err != nil {
		t.Fatalf("never connected: %v\n%s", err, logs)
	}
	ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Command: "/incident", Text: "declare SEV1 the disk is full"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(ack.Payload), incident.ErrNotSaved.Message) {
		t.Fatalf("the declaration was answered %s, want %q\n%s", ack.Payload, incident.ErrNotSaved.Message, logs)
	}
	var ee *exec.ExitError
	select {
	case err := <-exited:
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("exit: %v\n%s", err, logs)
		}
	case <-ctx.Done():
		t.Fatalf("still running after its store failed:\n%s", logs)
	}
	var lines int
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"level":"error"`) && strings.Contains(line, "store cannot write") {
			lines++
		}
	}
	if lines != 1 || !strings.Contains(logs.String(), "file too large") {
		t.Fatalf("want one error line with the cause:\n%s", logs)
	}
}

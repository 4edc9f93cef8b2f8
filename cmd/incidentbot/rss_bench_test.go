package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// BenchmarkIdleRSS runs the built binary against the emulator, lets it
// declare one incident and settle, and reports its resident memory.
func BenchmarkIdleRSS(b *testing.B) {
	emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	var worst float64
	for b.Loop() {
		logs := &lockedBuffer{}
		bot := launchBot(b, emu, logs, botEnv(emu, filepath.Join(b.TempDir(), "s.db"), announce, b.TempDir()))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := emu.WaitConnected(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: announce, Text: "declare SEV2 memory check"}); err != nil {
			b.Fatal(err)
		}
		if _, err := emu.WaitCall(ctx, "chat.postMessage", func(c slackemu.Call) bool { return c.Args["channel"] == announce }); err != nil {
			b.Fatal(err)
		}
		cancel()
		rss, err := residentKB(bot.cmd.Process.Pid)
		if err != nil {
			b.Fatal(err)
		}
		worst = max(worst, float64(rss)/1024)
		_ = bot.cmd.Process.Signal(os.Interrupt)
		<-bot.exited
	}
	b.ReportMetric(worst, "MB-rss")
}

// residentKB reads VmRSS from /proc.
func residentKB(pid int) (int, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
		}
	}
	return 0, fmt.Errorf("no VmRSS for %d", pid)
}

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// BenchmarkRemindersDueAtOnceBotApart10k is the reminder burst of
// app.BenchmarkRemindersDueAtOnce10k (10,000 open SEV1 incidents whose
// reminders fall due at one instant, tier limits off) with the built bot
// in a process of its own, so that its CPU is counted apart from Slack's
// (the emulator, in this process): "bot-cpu-ms/reminder" is what the bot
// itself spends per reminder (from /proc), "emu-cpu-ms/reminder" what the
// emulator does, and "s-to-slack" the wall time from the due instant to
// Slack's answer to the last reminder. The bot runs on the real clock, so
// the reminders fall due a fixed lead after the store is seeded, once the
// bot is up; the window starts half a second before that.
func BenchmarkRemindersDueAtOnceBotApart10k(b *testing.B) {
	const n, lead = 10_000, 15 * time.Second
	for b.Loop() {
		b.StopTimer()
		emu := slackemu.Start(b, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
		announce := emu.CreateChannel("announcements", false, emu.BotUserID())
		channels := map[string]bool{}
		ids := make([]string, n)
		for i := range ids {
			ids[i] = emu.CreateChannel(fmt.Sprintf("inc-%d-burst", i+1), false, emu.BotUserID())
			channels[ids[i]] = true
		}
		path := filepath.Join(b.TempDir(), "burst.db")
		due := time.Now().Add(lead).Truncate(time.Second)
		bolttest.SeedDueReminders(b, path, ids, "SEV1", due.Add(-time.Hour), due)
		from := len(emu.Calls(""))
		bot := launchBot(b, emu, &lockedBuffer{}, botEnv(emu, path, announce, b.TempDir()))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		if err := emu.WaitConnected(ctx); err != nil {
			b.Fatal(err)
		}
		done := make(chan time.Time, 1)
		go func() {
			posted, i := 0, 0
			_, err := emu.WaitCall(ctx, "", func(c slackemu.Call) bool {
				if i++; i <= from {
					return false
				}
				if ch, _ := c.Args["channel"].(string); c.OK && c.Method == "chat.postMessage" && channels[ch] {
					posted++
				}
				return posted == n
			})
			if err != nil {
				b.Error(err)
			}
			done <- time.Now()
		}()
		window := time.Until(due) - 500*time.Millisecond
		if window <= 0 {
			b.Fatalf("the bot came up %v after its reminders fell due; raise the lead", -window)
		}
		<-time.After(window) // a measuring window on the bot's real clock, not a synchronisation
		botCPU0, emuCPU0 := processCPU(b, bot.cmd.Process.Pid), selfCPU(b)
		b.StartTimer()
		last := <-done
		b.StopTimer()
		botCPU, emuCPU := processCPU(b, bot.cmd.Process.Pid)-botCPU0, selfCPU(b)-emuCPU0
		cancel()
		b.ReportMetric(last.Sub(due).Seconds(), "s-to-slack")
		b.ReportMetric(float64(botCPU.Microseconds())/1000/n, "bot-cpu-ms/reminder")
		b.ReportMetric(float64(emuCPU.Microseconds())/1000/n, "emu-cpu-ms/reminder")
		_ = bot.cmd.Process.Signal(os.Interrupt)
		<-bot.exited
		b.StartTimer()
	}
}

// processCPU is the user and system CPU process pid has used so far
// (/proc/pid/stat, in the kernel's clock ticks of 10 ms).
func processCPU(b *testing.B, pid int) time.Duration {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		b.Fatal(err)
	}
	// The fields after the command name, which is in parentheses.
	fields := strings.Fields(string(raw[strings.LastIndexByte(string(raw), ')')+1:]))
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		b.Fatalf("/proc/%d/stat: %s", pid, raw)
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// selfCPU is the CPU this process (the emulator's side) has used so far.
func selfCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

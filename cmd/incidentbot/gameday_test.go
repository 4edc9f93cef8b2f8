package main

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// `incidentbot sandbox --scenario FILE` plays the game day into a drill
// once the bot is up, and still stops cleanly.
func TestSandboxPlaysAScenario(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gameday.yaml")
	if err := os.WriteFile(file, []byte("title: Queue backlog\ndeclared_by: alice\nevents:\n  - {at: +0s, kind: alert, text: queue depth 10k}\n  - {at: +0s, kind: role, user: alice, role: ops, who: bob}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errR, errW := io.Pipe()
	var stdout strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"sandbox", "--listen", "127.0.0.1:0", "--scenario", file}, []string{"INCIDENTBOT_LOG_LEVEL=info"}, &stdout, errW)
		errW.Close()
	}()
	// The log says when the drill is declared and when the last event is
	// played.
	result := make(chan string, 1)
	go func() {
		lines := bufio.NewScanner(errR)
		declared := false
		for lines.Scan() {
			line := lines.Text()
			switch {
			case strings.Contains(line, "game day: drill declared") && strings.Contains(line, `"incident":"INC-1"`):
				declared = true
			case strings.Contains(line, "game day stopped"):
				result <- "the game day failed: " + line
				return
			case strings.Contains(line, "game day: every event played"):
				if !declared {
					result <- "the game day never declared its drill"
				}
				result <- ""
				return
			}
		}
		result <- "the log ended before the game day did"
	}()
	select {
	case problem := <-result:
		if problem != "" {
			t.Fatal(problem)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the game day did not finish within 30s")
	}
	go func() { _, _ = io.Copy(io.Discard, errR) }()
	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d", c)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not stop within 15s")
	}
	if !strings.Contains(stdout.String(), `playing the game day "Queue backlog" (2 events)`) {
		t.Fatalf("stdout %q", stdout.String())
	}
}

func TestSandboxRefusesABadScenario(t *testing.T) {
	file := filepath.Join(t.TempDir(), "gameday.yaml")
	if err := os.WriteFile(file, []byte("title: x\ndeclared_by: alice\nevents: [{at: soon, kind: alert, text: t}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{file, filepath.Join(t.TempDir(), "missing.yaml")} {
		var stdout, stderr strings.Builder
		if got := Main(context.Background(), []string{"sandbox", "--scenario", path}, nil, &stdout, &stderr); got != 2 {
			t.Fatalf("%s: exit %d, want 2; stderr %s", path, got, stderr.String())
		}
		if !strings.HasPrefix(stderr.String(), "incidentbot sandbox: scenario") || strings.Count(stderr.String(), "\n") != 1 {
			t.Fatalf("%s: stderr %q, want one line about the scenario", path, stderr.String())
		}
	}
}

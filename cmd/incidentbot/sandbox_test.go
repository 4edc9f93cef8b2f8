package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `incidentbot sandbox` prints its URL and what to do there, serves the
// real bot behind it, and exits 0 when its context (SIGINT/SIGTERM in main)
// ends.
func TestSandboxServesAndStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, w := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, []string{"sandbox", "--listen", "127.0.0.1:0"}, []string{"INCIDENTBOT_LOG_LEVEL=warn"}, w, &stderr)
		w.Close()
	}()
	lines := bufio.NewReader(out)
	line, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (stderr %s)", err, stderr.String())
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	rest := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(lines)
		rest <- string(b)
	}()

	// A slash command is delivered once the bot's socket is up, and answered.
	req, _ := http.NewRequest(http.MethodPost, url+"api/slash", strings.NewReader(`{"user":"UALICE001","channel":"dm","text":"/incident help"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var answer map[string]any
	_ = json.NewDecoder(res.Body).Decode(&answer)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/incident help: %d %v", res.StatusCode, answer)
	}

	cancel()
	select {
	case c := <-code:
		if c != 0 {
			t.Fatalf("exit code %d, stderr:\n%s", c, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the sandbox did not stop within 15s")
	}
	hint, _, _ := strings.Cut(<-rest, "\n")
	if !strings.Contains(hint, "pick who you are") || !strings.Contains(hint, "`/incident declare`") {
		t.Fatalf("the line after the URL does not say what to do: %q", hint)
	}
}

// startSandboxMain runs `incidentbot sandbox args…` in-process and returns
// its URL once the bot answers a slash command, and a stop function that
// ends it and returns its exit code and stderr.
func startSandboxMain(t *testing.T, environ []string, args ...string) (url string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	out, w := io.Pipe()
	var stderr strings.Builder
	code := make(chan int, 1)
	go func() {
		code <- Main(ctx, append([]string{"sandbox", "--listen", "127.0.0.1:0"}, args...), append([]string{"INCIDENTBOT_LOG_LEVEL=warn"}, environ...), w, &stderr)
		w.Close()
	}()
	line, err := bufio.NewReader(out).ReadString('\n')
	go func() { _, _ = io.Copy(io.Discard, out) }()
	if url = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(line); err != nil || url == "" {
		cancel()
		<-code
		t.Fatalf("no URL printed: %q, %v (stderr %s)", line, err, stderr.String())
	}
	req, _ := http.NewRequest(http.MethodPost, url+"api/slash", strings.NewReader(`{"user":"UALICE001","channel":"dm","text":"/incident list"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("/incident list: %d", res.StatusCode)
	}
	return url, func() (int, string) {
		cancel()
		select {
		case c := <-code:
			return c, stderr.String()
		case <-time.After(15 * time.Second):
			t.Fatal("the sandbox did not stop within 15s")
			return 0, ""
		}
	}
}

// A real bot's store (store.path from the config file or the environment,
// as in the Docker image) holds pending Slack calls and real channel IDs:
// the sandbox leaves it byte for byte as it was, and says so.
func TestSandboxNeverTouchesARealStore(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "incidentbot.db")
	seedStore(t, real) // INC-1 declared, its channel and posts still in the outbox
	want, err := os.ReadFile(real)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgFile, []byte("store:\n  path: "+real+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	notice := "sandbox: ignoring store.path=" + real + "; the sandbox keeps its own store (use --data DIR to keep it)\n"
	for _, tt := range []struct {
		name    string
		environ []string
		args    []string
	}{
		{"store.path in the config file", nil, []string{"--config", cfgFile}},
		{"INCIDENTBOT_STORE_PATH", []string{"INCIDENTBOT_STORE_PATH=" + real}, nil},
		{"with a data folder", []string{"INCIDENTBOT_STORE_PATH=" + real}, []string{"--data", filepath.Join(dir, "sandbox")}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url, stop := startSandboxMain(t, tt.environ, tt.args...)
			res, err := http.Get(url + "api/state?user=UALICE001&channel=dm")
			if err != nil {
				t.Fatal(err)
			}
			var st struct{ Sidebar, Messages string }
			_ = json.NewDecoder(res.Body).Decode(&st)
			res.Body.Close()
			code, stderr := stop()
			if code != 0 || !strings.Contains(stderr, notice) {
				t.Fatalf("exit %d, stderr %q; want the notice %q", code, stderr, notice)
			}
			if strings.Contains(st.Sidebar+st.Messages, "db down") {
				t.Fatalf("the sandbox shows the real store's INC-1:\n%s\n%s", st.Sidebar, st.Messages)
			}
			if got, err := os.ReadFile(real); err != nil || !bytes.Equal(got, want) {
				t.Fatalf("the real store changed (%v)", err)
			}
		})
	}
}

func TestSandboxRefusesBadArguments(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want int
	}{
		{"a stray argument", []string{"sandbox", "now"}, 2},
		{"an unknown flag", []string{"sandbox", "--port", "1"}, 2},
		{"an address that cannot be bound", []string{"sandbox", "--listen", "256.0.0.1:1"}, 1},
		{"a latency that is no duration", []string{"sandbox", "--slack-latency", "150"}, 2},
		{"a negative latency", []string{"sandbox", "--slack-latency", "-150ms"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			if got := Main(context.Background(), tt.args, nil, &stdout, &stderr); got != tt.want {
				t.Fatalf("exit %d, want %d; stderr %s", got, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), "incidentbot") && !strings.Contains(stderr.String(), "flag") {
				t.Fatalf("no explanation: %q", stderr.String())
			}
		})
	}
}

// --slack-latency reaches the emulator: the bot still connects and answers
// through the slower Slack, and the sandbox says what it is doing.
func TestSandboxSlackLatency(t *testing.T) {
	_, stop := startSandboxMain(t, nil, "--slack-latency", "150ms")
	code, stderr := stop()
	if want := "sandbox: the emulated Slack answers every Web API call after 150ms"; code != 0 || !strings.Contains(stderr, want) {
		t.Fatalf("exit %d, stderr %q; want %q", code, stderr, want)
	}
}

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

// `incidentbot sandbox` prints its URL, serves the real bot behind it, and
// exits 0 when its context (SIGINT/SIGTERM in main) ends.
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
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("no URL printed: %v (stderr %s)", err, stderr.String())
	}
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`).FindString(line)
	if url == "" {
		t.Fatalf("no URL in %q", line)
	}
	go func() { _, _ = io.Copy(io.Discard, out) }()

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

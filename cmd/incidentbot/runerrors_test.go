package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A store the bot cannot open stops run (and migrate) with one line that
// says what to look at, never the DSN's password, and never the words a
// user gets when their request was lost: at start-up there is none.
func TestStoreThatCannotOpenFailsInOneLine(t *testing.T) {
	tokens := []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "INCIDENTBOT_HTTP_LISTEN="}
	// Port 1 on loopback: nothing listens there, so the connection is refused at once.
	pg := []string{"INCIDENTBOT_STORE_DRIVER=postgres", "INCIDENTBOT_STORE_DSN=postgres://bot:SECRETPASSWORD@127.0.0.1:1/incidents?connect_timeout=5"}
	dir := t.TempDir()
	tests := []struct {
		name string
		env  []string
		args []string
		want []string
	}{
		{"run, database down", append(tokens, pg...), []string{"run"}, []string{"cannot reach the database of store.dsn", "*****@127.0.0.1:1", "INCIDENTBOT_STORE_DSN"}},
		{"migrate, database down", pg, []string{"migrate"}, []string{"incidentbot migrate: cannot reach the database of store.dsn", "connection refused"}},
		{"run, no such folder", append(tokens, "INCIDENTBOT_STORE_PATH="+filepath.Join(dir, "gone", "s.db")), []string{"run"}, []string{"does not exist; create it"}},
		{"run, a folder", append(tokens, "INCIDENTBOT_STORE_PATH="+dir), []string{"run"}, []string{"it is a directory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBinary(t, append(tt.env, "INCIDENTBOT_LOG_LEVEL=warn"), tt.args...)
			if code != 1 {
				t.Fatalf("exit %d, want 1; stderr %q", code, stderr)
			}
			if lines := strings.Split(strings.TrimSpace(stderr), "\n"); len(lines) != 1 {
				t.Fatalf("want one line, got %d: %q", len(lines), stderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Fatalf("stderr %q does not say %q", stderr, w)
				}
			}
			for _, never := range []string{"SECRETPASSWORD", "SECRETBOTTOKEN", "SECRETAPPTOKEN", "request was not saved", "goroutine", "panic"} {
				if strings.Contains(stdout+stderr, never) {
					t.Fatalf("output says %q: %q", never, stdout+stderr)
				}
			}
		})
	}
}

// A setting that fails validation because of a misspelt key names the
// misspelling on the same line: otherwise the warning, logged only once the
// config is valid, would never be seen.
func TestInvalidConfigNamesUnknownKeys(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfg, []byte("slack:\n  app_tokn: "+appToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"run", "--config", cfg}, []string{"SLACK_BOT_TOKEN=" + botToken}, &out, &errb)
	stderr := errb.String()
	if code != 2 || strings.Count(stderr, "\n") != 1 {
		t.Fatalf("exit %d, want 2 and one line: %q", code, stderr)
	}
	if !strings.Contains(stderr, "slack.app_token is not set") || !strings.Contains(stderr, "unknown key slack.app_tokn") {
		t.Fatalf("stderr %q does not name both the missing key and the misspelt one", stderr)
	}
	if strings.Contains(stderr, "SECRETAPPTOKEN") || strings.Contains(stderr, "SECRETBOTTOKEN") {
		t.Fatalf("a token leaked: %q", stderr)
	}
}

// check on a store.path that names no file says so, as export and stats
// do, and exits 3 (cannot check).
func TestCheckMissingStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "typo.db")
	var out, errb bytes.Buffer
	code := Main(context.Background(), []string{"check"}, []string{"INCIDENTBOT_STORE_PATH=" + path}, &out, &errb)
	want := "incidentbot check: store " + path + " does not exist; point store.path (or INCIDENTBOT_STORE_PATH, or --config) at the bot's store file\n"
	if code != 3 || errb.String() != want || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A setting that names a severity the configuration does not have stops
// run at once, with one line naming the key and the severities there are.
func TestRunRefusesAnUnknownSeverity(t *testing.T) {
	tests := []struct {
		name, yaml, wantKey string
	}{
		{"alert severity map", "alertmanager:\n  severities: {critical: SEV9}\n", "alertmanager.severities.critical"},
		{"paging threshold", "pagerduty:\n  routing_key: R0UTINGKEY0123456789ABCDEFGHIJKLM\n  min_severity: SEV9\n", "pagerduty.min_severity"},
		{"severities of their own", "incidents:\n  severities:\n    - {name: P1, description: Page, reminder: 1s}\n    - {name: P2, description: Ticket, reminder: 0s}\nalertmanager:\n  severities: {critical: SEV3}\n", "alertmanager.severities.critical"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := filepath.Join(t.TempDir(), "config.yaml")
			if err := os.WriteFile(cfg, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			// A config taken for valid would connect: to a port where
			// nothing listens, and for at most a few seconds.
			env := []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "INCIDENTBOT_STORE_PATH=" + filepath.Join(t.TempDir(), "s.db"),
				"INCIDENTBOT_SLACK_API_URL=http://127.0.0.1:1/api/", "INCIDENTBOT_HTTP_LISTEN="}
			stdout, stderr, code := runBinaryFor(t, 10*time.Second, env, "run", "--config", cfg)
			if code != 2 || stdout != "" || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, tt.wantKey) {
				t.Fatalf("exit %d, stdout %q, stderr %q: want exit 2 and one line naming %s", code, stdout, stderr, tt.wantKey)
			}
		})
	}
}

// runBinaryFor is runBinary that kills the binary after limit and fails.
func runBinaryFor(t *testing.T, limit time.Duration, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("still running after %v: %s", limit, errb.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

package main

import (
	"strings"
	"testing"
)

// The binary's own words, run as a script would: asking for help or the
// version is not a mistake (stdout, exit 0); nothing at all, or a command
// that does not exist, is (the usage on stderr, exit 2, stdout empty). The
// usage names every sub-command.
func TestTopLevelCommandLine(t *testing.T) {
	tests := []struct {
		args      []string
		code      int
		stdout    string // prefix; "" = must be empty
		stderrHas string // "" = must be empty
		wantUsage bool   // the usage is on the stream that is not empty
	}{
		{nil, 2, "", "usage:", true},
		{[]string{"help"}, 0, "usage:", "", true},
		{[]string{"--help"}, 0, "usage:", "", true},
		{[]string{"-h"}, 0, "usage:", "", true},
		{[]string{"version"}, 0, "incidentbot ", "", false},
		{[]string{"--version"}, 0, "incidentbot ", "", false},
		{[]string{"-v"}, 0, "incidentbot ", "", false},
		{[]string{"serve"}, 2, "", `unknown command "serve"`, true},
		{[]string{"RUN"}, 2, "", `unknown command "RUN"`, true},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runBinary(t, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr %q", code, tt.code, stderr)
			}
			if (tt.stdout == "") != (stdout == "") || !strings.HasPrefix(stdout, tt.stdout) {
				t.Fatalf("stdout %q, want it to start %q", stdout, tt.stdout)
			}
			if (tt.stderrHas == "") != (stderr == "") || !strings.Contains(stderr, tt.stderrHas) {
				t.Fatalf("stderr %q, want it to say %q", stderr, tt.stderrHas)
			}
			if !tt.wantUsage {
				if strings.Count(stdout, "\n") != 1 {
					t.Fatalf("the version is one line, got %q", stdout)
				}
				return
			}
			usage := stdout + stderr
			for _, sub := range []string{"run", "export", "check", "stats", "store copy", "sandbox", "migrate", "version"} {
				if !strings.Contains(usage, "incidentbot "+sub+" ") {
					t.Fatalf("the usage does not name `incidentbot %s`:\n%s", sub, usage)
				}
			}
		})
	}
}

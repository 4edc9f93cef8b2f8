package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// Asking a sub-command for help is not a mistake: the usage goes to stdout
// and the exit code is 0. A wrong flag or a stray argument is one line
// naming the sub-command, then its synopsis, on stderr, with exit 2. None
// of these reads a config or opens a store.
func TestSubcommandHelpAndMistakes(t *testing.T) {
	commands := []struct{ name, synopsis string }{
		{"run", "usage: incidentbot run [--config FILE]"},
		{"export", "usage: incidentbot export [--config FILE] [--format md|json] INC-N"},
		{"check", "usage: incidentbot check [--config FILE]"},
		{"stats", "usage: incidentbot stats [--config FILE]"},
		{"sandbox", "usage: incidentbot sandbox [--listen 127.0.0.1:8090]"},
		{"migrate", "usage: incidentbot migrate [--config FILE] [--dry-run]"},
	}
	for _, c := range commands {
		t.Run(c.name, func(t *testing.T) {
			for _, help := range []string{"--help", "-h"} {
				var out, errb bytes.Buffer
				code := Main(context.Background(), []string{c.name, help}, nil, &out, &errb)
				if code != 0 || !strings.HasPrefix(out.String(), c.synopsis) || !strings.Contains(out.String(), "-config") || errb.Len() != 0 {
					t.Fatalf("%s %s: exit %d\nstdout %q\nstderr %q", c.name, help, code, out.String(), errb.String())
				}
			}
			var out, errb bytes.Buffer
			code := Main(context.Background(), []string{c.name, "--bogus"}, nil, &out, &errb)
			lines := strings.Split(strings.TrimSpace(errb.String()), "\n")
			want := "incidentbot " + c.name + ": flag provided but not defined: -bogus"
			if code != 2 || out.Len() != 0 || len(lines) != 2 || lines[0] != want || !strings.HasPrefix(lines[1], c.synopsis) {
				t.Fatalf("%s --bogus: exit %d\nstdout %q\nstderr %q", c.name, code, out.String(), errb.String())
			}
		})
	}
	t.Run("run with a stray argument", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"run", "--config", "x.yaml", "now"}, nil, &out, &errb)
		if code != 2 || !strings.HasPrefix(errb.String(), "incidentbot run: unexpected argument \"now\"\n") {
			t.Fatalf("exit %d, stderr %q", code, errb.String())
		}
	})
	t.Run("store --help", func(t *testing.T) {
		var out, errb bytes.Buffer
		code := Main(context.Background(), []string{"store", "--help"}, nil, &out, &errb)
		if code != 0 || !strings.HasPrefix(out.String(), "usage: incidentbot store copy") || errb.Len() != 0 {
			t.Fatalf("exit %d\nstdout %q\nstderr %q", code, out.String(), errb.String())
		}
	})
}

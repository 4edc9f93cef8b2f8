package templates

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

func mustLoad(t *testing.T, dir string) *Set {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatalf("Load(%q): %v", dir, err)
	}
	return s
}

// overrideDir writes files (name → content) to a fresh folder.
func overrideDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func defaultHelp() HelpData {
	s := incident.DefaultSettings()
	return HelpData{Command: "/incident", Severities: s.Severities, Roles: s.Roles}
}

func TestHelpListsEverySubCommand(t *testing.T) {
	out, err := mustLoad(t, "").Render("help.tmpl", defaultHelp())
	if err != nil {
		t.Fatal(err)
	}
	for _, form := range []string{
		"`/incident declare`", "`/incident declare [SEVn] TITLE…`", "`/incident update`",
		"`/incident role ROLE @user`", "`/incident severity SEVn`", "`/incident resolve [SUMMARY…]`",
		"`/incident note TEXT…`", "`/incident action TEXT… [@owner]`", "`/incident postmortem`",
		"`/incident list`", "`/incident help`",
		"`/incident declare SEV1 checkout is failing`", "`/incident role comms @ana`",
		"`SEV1`: Critical: customers broadly affected", "`SEV4`: Low: no customer impact yet",
		"`commander`: Incident Commander", "`comms`: Communications Lead", "`ops`: Operations Lead",
	} {
		if !strings.Contains(out, form) {
			t.Errorf("help does not contain %q:\n%s", form, out)
		}
	}
	if n := utf8.RuneCountInString(out); n > 2000 {
		t.Errorf("help is %d characters; keep it well under a section's 3000", n)
	}
	if strings.Contains(out, "<no value>") || strings.Contains(out, "\n\n\n") {
		t.Errorf("help renders badly:\n%s", out)
	}
}

func TestHelpUsesConfiguration(t *testing.T) {
	out, err := mustLoad(t, "").Render("help.tmpl", HelpData{
		Command:    "/sev",
		Severities: []incident.Severity{{Name: "P1", Description: "<!channel> & everything @here"}},
		Roles:      []incident.Role{{ID: "scribe", Name: "Scribe"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"`/sev declare P1 checkout is failing`", "`P1`: &lt;!channel&gt; &amp; everything @\u2060here", "`scribe`: Scribe"} {
		if !strings.Contains(out, want) {
			t.Errorf("help does not contain %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "/incident") {
		t.Errorf("help names /incident although the command is /sev:\n%s", out)
	}

	// No severities or roles configured: the sections are left out.
	out, err = mustLoad(t, "").Render("help.tmpl", HelpData{Command: "/incident"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "*Severities*") || strings.Contains(out, "*Roles*") || !strings.Contains(out, "`/incident declare checkout is failing`") {
		t.Errorf("help without severities or roles:\n%s", out)
	}
}

func TestNames(t *testing.T) {
	names := mustLoad(t, "").Names()
	if !slices.Contains(names, "help.tmpl") {
		t.Errorf("Names() = %v, want help.tmpl among them", names)
	}
	if !slices.IsSorted(names) {
		t.Errorf("Names() = %v, not sorted", names)
	}
}

func TestOverride(t *testing.T) {
	dir := overrideDir(t, map[string]string{
		"help.tmpl":  "Ask in #incidents. Use {{.Command}} {{join .Names \"|\"}}.",
		"README.txt": "not a template, ignored",
	})
	s := mustLoad(t, dir)
	out, err := s.Render("help.tmpl", map[string]any{"Command": "/incident", "Names": []string{"declare", "list"}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "Ask in #incidents. Use /incident declare|list."; out != want {
		t.Errorf("Render = %q, want %q", out, want)
	}
	if got, want := s.Names(), mustLoad(t, "").Names(); !slices.Equal(got, want) {
		t.Errorf("Names() = %v with an override, want %v", got, want)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		want  []string // the error must contain each
	}{
		{"broken override", map[string]string{"help.tmpl": "line one\nline two\n{{ .Foo"},
			[]string{"templates: ", filepath.FromSlash("/help.tmpl:3:")}},
		{"unknown function", map[string]string{"help.tmpl": "{{ nosuchfunc .Command }}"},
			[]string{"help.tmpl:1:", "nosuchfunc"}},
		{"unknown template name", map[string]string{"hlep.tmpl": "typo"},
			[]string{"hlep.tmpl", "help.tmpl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := overrideDir(t, tt.files)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("Load succeeded, want an error")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "templates: "+dir) {
				t.Errorf("error %q does not start with %q", msg, "templates: "+dir)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not contain %q", msg, w)
				}
			}
		})
	}

	t.Run("missing folder", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope")
		_, err := Load(missing)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Errorf("Load(%q) = %v, want an error naming the folder", missing, err)
		}
	})
}

func TestRenderErrors(t *testing.T) {
	s := mustLoad(t, overrideDir(t, map[string]string{"help.tmpl": "{{.Command}} {{.Missing}}"}))
	if _, err := s.Render("help.tmpl", map[string]any{"Command": "/incident"}); err == nil {
		t.Error("a missing map key rendered without error")
	}
	if _, err := s.Render("help.tmpl", defaultHelp()); err == nil || !strings.Contains(err.Error(), "Missing") {
		t.Errorf("a missing field: err = %v", err)
	}
	if _, err := s.Render("nope.tmpl", nil); err == nil || !strings.Contains(err.Error(), "nope.tmpl") {
		t.Errorf("an unknown template: err = %v", err)
	}
}

// Package templates holds the texts users read, as text/template files
// embedded in the binary, any of which an operator may replace with a file
// of the same name in a folder of their own.
package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"text/template"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// builtin must be a package-level variable for go:embed; it is read-only.
//
//go:embed *.tmpl
var builtin embed.FS

// DefaultCommand is the slash command's name when none is configured
// (slack.command's default): what a part built without one names in its
// texts.
const DefaultCommand = "/incident"

// HelpData is what help.tmpl is rendered with.
type HelpData struct {
	Command    string // the configured slash command, e.g. "/incident"
	Severities []incident.Severity
	Roles      []incident.Role
}

// Set is a loaded set of templates, addressed by file name. It is safe for
// concurrent use.
type Set struct {
	byName map[string]*template.Template
}

// funcs is what every template may call besides text/template's built-ins.
func funcs() template.FuncMap {
	return template.FuncMap{
		"join":       strings.Join,
		"lower":      strings.ToLower,
		"upper":      strings.ToUpper,
		"neutralize": mrkdwn.Neutralize, // user or config text placed in mrkdwn
	}
}

// Load parses every built-in template, taking instead the file of the same
// name in dir when dir is not "" and holds one. All templates are parsed
// now, so a broken override fails here, at start-up, with an error of the
// form "templates: FILE:LINE: message" naming the override's path. A *.tmpl
// file in dir that matches no built-in template is an error too, since it
// would otherwise be silently ignored (a typo in its name, say).
func Load(dir string) (*Set, error) {
	names, err := fs.Glob(builtin, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("templates: list built-ins: %w", err)
	}
	overrides, err := overridesIn(dir, names)
	if err != nil {
		return nil, err
	}
	s := &Set{byName: make(map[string]*template.Template, len(names))}
	for _, name := range names {
		var src []byte
		// The template is named after where it came from, so parse and
		// execution errors point at the file to fix.
		from := name
		if overrides[name] {
			from = filepath.Join(dir, name)
			src, err = os.ReadFile(from)
		} else {
			src, err = builtin.ReadFile(name)
		}
		if err != nil {
			return nil, fmt.Errorf("templates: read %s: %w", from, err)
		}
		t, err := template.New(from).Option("missingkey=error").Funcs(funcs()).Parse(string(src))
		if err != nil {
			// text/template says "template: NAME:LINE: message".
			return nil, errors.New("templates: " + strings.TrimPrefix(err.Error(), "template: "))
		}
		s.byName[name] = t
	}
	return s, nil
}

// overridesIn reports which built-in names dir overrides.
func overridesIn(dir string, builtins []string) (map[string]bool, error) {
	found := map[string]bool{}
	if dir == "" {
		return found, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("templates: read override folder: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() || filepath.Ext(e.Name()) != ".tmpl" {
			continue
		}
		if !slices.Contains(builtins, e.Name()) {
			return nil, fmt.Errorf("templates: %s: no built-in template has this name; overridable are %s",
				filepath.Join(dir, e.Name()), strings.Join(builtins, ", "))
		}
		found[e.Name()] = true
	}
	return found, nil
}

// Render executes the template with this file name (e.g. "help.tmpl") on
// data. A missing map key or struct field is an error, not "<no value>".
func (s *Set) Render(name string, data any) (string, error) {
	t, ok := s.byName[name]
	if !ok {
		return "", fmt.Errorf("templates: no template named %q", name)
	}
	var b strings.Builder
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("templates: render %s: %w", name, err)
	}
	return b.String(), nil
}

// Names lists the file names of the templates, sorted.
func (s *Set) Names() []string {
	names := make([]string, 0, len(s.byName))
	for n := range s.byName {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

package sandbox

import (
	"go/ast"
	"go/parser"
	gotoken "go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/commands"
)

// botShortcode is a ":name:" the bot may send; a name must hold a letter, so
// that times such as "15:04:05" do not count.
// A shortcode starts a word: "delivery:shortcut:" in a store key is not one.
var botShortcode = regexp.MustCompile(`(?:^|[^A-Za-z0-9_\-]):([a-z0-9_+\-]*[a-z][a-z0-9_+\-]*):`)

// Every emoji the bot sends must show as a picture in the sandbox, as it does
// in Slack: the shortcodes in the message templates and in the Go strings of
// the packages that talk to Slack, and the reaction that marks a captured
// message.
func TestEveryShortcodeTheBotSendsRenders(t *testing.T) {
	found := map[string]string{commands.CapturedEmoji: "commands.CapturedEmoji"}
	tmpls, err := filepath.Glob("../../templates/*.tmpl")
	if err != nil || len(tmpls) == 0 {
		t.Fatalf("no templates found (%v)", err)
	}
	for _, path := range tmpls {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range botShortcode.FindAllStringSubmatch(string(raw), -1) {
			found[m[1]] = filepath.Base(path)
		}
	}
	for _, dir := range []string{"../../bot", "../../commands", "../../templates"} {
		for _, lit := range goStrings(t, dir) {
			for _, m := range botShortcode.FindAllStringSubmatch(lit.value, -1) {
				found[m[1]] = lit.where
			}
		}
	}
	if len(found) < 10 {
		t.Fatalf("found only %d shortcodes; is the search broken? %v", len(found), found)
	}
	for name, where := range found {
		if _, ok := emoji[name]; !ok {
			t.Errorf(":%s: (in %s) is not in the sandbox's emoji table, so it shows as text", name, where)
		}
	}
}

type goString struct{ value, where string }

// goStrings returns the string literals of the non-test Go files in dir.
func goStrings(t *testing.T, dir string) []goString {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s (%v)", dir, err)
	}
	var out []goString
	fset := gotoken.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == gotoken.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil {
					out = append(out, goString{v, fset.Position(lit.Pos()).String()})
				}
			}
			return true
		})
	}
	return out
}

package sandbox

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

func TestMarkdown(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"headings", "# INC-1: db down\n## Timeline\n###### small ##", "<h1>INC-1: db down</h1>\n<h2>Timeline</h2>\n<h6>small</h6>\n"},
		{"paragraphs", "one\ntwo\n\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>\n"},
		{"inline styles", "**bold** *it* _it2_ ~~gone~~ `co*de*`", "<p><strong>bold</strong> <em>it</em> <em>it2</em> <del>gone</del> <code>co*de*</code></p>\n"},
		{"snake case is not italic", "a_b_c", "<p>a_b_c</p>\n"},
		{"link", "[runbook](https://wiki.example.com/r?a=1&b=2)", `<p><a class="mk-link" href="https://wiki.example.com/r?a=1&amp;b=2" target="_blank" rel="noopener noreferrer">runbook</a></p>` + "\n"},
		{"link in angle brackets, in parentheses", `checkout ([run\_book](<https://wiki.example.com/r>))`, `<p>checkout (<a class="mk-link" href="https://wiki.example.com/r" target="_blank" rel="noopener noreferrer">run_book</a>)</p>` + "\n"},
		{"backslash escapes", `\# not a heading \*not em\* a\|b`, "<p># not a heading *not em* a|b</p>\n"},
		{"escaped backticks are not code", "the \\_cache\\_ \\`redis\\` and ``a ` b``", "<p>the _cache_ `redis` and <code>a ` b</code></p>\n"},
		{"bare URL", "see https://example.com.", `<p>see <a class="mk-link" href="https://example.com" target="_blank" rel="noopener noreferrer">https://example.com</a>.</p>` + "\n"},
		{"list", "- a\n- b\n  - c\n- d", "<ul>\n<li>a</li>\n<li>b<ul>\n<li>c</li></ul>\n</li>\n<li>d</li></ul>\n"},
		{"ordered list", "1. one\n2. two", "<ol>\n<li>one</li>\n<li>two</li></ol>\n"},
		{"task list", "- [ ] follow up\n- [x] done", "<ul>\n<li><input type=\"checkbox\" disabled> follow up</li>\n<li><input type=\"checkbox\" checked disabled> done</li></ul>\n"},
		{"quote", "> blameless\n> always", "<blockquote>\n<p>blameless<br>\nalways</p>\n</blockquote>\n"},
		{"fence", "```go\nif a < b {}\n```", "<pre><code class=\"language-go\">if a &lt; b {}</code></pre>\n"},
		{"rule", "---", "<hr>\n"},
		{
			"table",
			"| Time (UTC) | Event |\n|---|:--:|\n| 10:02 | declared `a|b` |\n| 10:05 | role \\| comms |",
			"<table>\n<thead><tr><th>Time (UTC)</th><th class=\"align-center\">Event</th></tr>\n</thead>\n<tbody>\n" +
				"<tr><td>10:02</td><td class=\"align-center\">declared <code>a|b</code></td></tr>\n" +
				"<tr><td>10:05</td><td class=\"align-center\">role | comms</td></tr>\n</tbody>\n</table>\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(markdown(tt.in)); got != tt.want {
				t.Errorf("markdown(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMarkdownEscapes(t *testing.T) {
	tests := []string{
		"<script>alert(1)</script>",
		"# <img src=x onerror=alert(1)>",
		"[click](javascript:alert(1))",
		"[x](https://example.com\" onclick=\"alert(1))",
		"| <b>h</b> |\n|---|\n| <script> |",
		"- <iframe>",
		"```\n</code><script>\n```",
		"<javascript:alert(1)>",
	}
	for _, in := range tests {
		t.Run(in, func(t *testing.T) {
			out := string(markdown(in))
			for _, bad := range []string{"<script", "<img", "<iframe", "<b>", `href="javascript`, "onclick=\""} {
				if strings.Contains(out, bad) {
					t.Fatalf("markdown(%q) leaked %s:\n%s", in, bad, out)
				}
			}
		})
	}
}

func FuzzMarkdownNeverLeaksMarkup(f *testing.F) {
	for _, s := range []string{"# <x>", "- [ ] <y>", "| a | b |\n|---|---|\n| <c> | d |", "**[l](https://a)**", "> `<q>`"} {
		f.Add(s)
	}
	allowed := []string{"<h1>", "<h2>", "<h3>", "<h4>", "<h5>", "<h6>", "</h", "<p>", "</p>", "<br>", "<ul>", "</ul>", "<ol", "</ol>",
		"<li>", "</li>", "<blockquote>", "</blockquote>", "<pre>", "</pre>", "<code", "</code>", "<hr>", "<table>", "</table>",
		"<thead>", "</thead>", "<tbody>", "</tbody>", "<tr>", "</tr>", "<th", "</th>", "<td", "</td>", "<strong>", "</strong>",
		"<em>", "</em>", "<del>", "</del>", "<a class=\"mk-link\" href=\"http", "<a class=\"mk-link\" href=\"mailto:", "</a>",
		"<input type=\"checkbox\""}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(markdown(s))
		for i := strings.IndexByte(out, '<'); i >= 0; i = strings.IndexByte(out, '<') {
			ok := false
			for _, tag := range allowed {
				if strings.HasPrefix(out[i:], tag) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("markdown(%q) produced unexpected markup at %q", s, out[i:])
			}
			out = out[i+1:]
		}
	})
}

// The postmortem draft, as the real template renders it (the postmortem
// package's golden file), opens in the sandbox with no empty table headers.
func TestPostmortemDraftHasNoEmptyTableHeader(t *testing.T) {
	doc, err := os.ReadFile("../../postmortem/testdata/realistic.md")
	if err != nil {
		t.Fatal(err)
	}
	out := string(markdown(string(doc)))
	if n := strings.Count(out, "<table>"); n < 2 {
		t.Fatalf("%d tables rendered, want the facts and the key times:\n%s", n, out)
	}
	for _, head := range regexp.MustCompile(`(?s)<thead>.*?</thead>`).FindAllString(out, -1) {
		if regexp.MustCompile(`<th[^>]*>\s*</th>`).MatchString(head) {
			t.Errorf("empty table header: %s", head)
		}
	}
}

package postmortem

import "testing"

func testRenderer() *renderer {
	names := map[string]string{"UANA00001": "Ana Alves", "USTAR0001": "*star* [x]"}
	return &renderer{names: func(id string) string { return names[id] }, cache: map[string]string{}, escaped: map[string]string{}}
}

func TestInline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain words, 3.5% of users (EU)", "plain words, 3.5% of users (EU)"},
		{"  folded \n\t whitespace  ", "folded whitespace"},
		{"*bold* _em_ `code` ~~del~~", `\*bold\* \_em\_ \` + "`code\\`" + ` \~\~del\~\~`},
		{"snake_case_name stays", "snake_case_name stays"},
		{"[link](https://x.example) ![i](y)", `\[link\](https://x.example) !\[i\](y)`},
		{"a | b", `a \| b`},
		{`back\slash`, `back\\slash`},
		{"<b>html</b>", `\<b\>html\</b\>`},
		{"R&D &amp; &#65; &copy;", `R&D \&amp; \&#65; \&copy;`}, // typed so: kept
		{"issue #42 ##", `issue #42 \#\#`},
		{"ask <@UANA00001> or <@UBOB00002|bob>", "ask Ana Alves or @UBOB00002"},
		{"in <#C123|general> and <#C456>", "in #general and #C456"},
		{"ping <@USTAR0001>", `ping \*star\* \[x\]`},
		{"<!here> <!channel|@channel>", `\<!here\> \<!channel\|@channel\>`}, // typed so: inert text
		{"see <https://x.example/a|the doc>", `see \<https://x.example/a\|the doc\>`},
		{"a &lt;b&gt; c", `a \&lt;b\&gt; c`},
		{"bell\x07 and nul\x00", "bell and nul"},
	}
	r := testRenderer()
	for _, tt := range tests {
		if got := r.inline(tt.in); got != tt.want {
			t.Errorf("inline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// A captured message is kept as chat has it, escaped and with markup: the
// draft shows what its author typed, and what a reader saw in Slack.
func TestChatTextIsDecodedOnce(t *testing.T) {
	tests := []struct{ in, want string }{
		{"R&amp;D &amp;amp; &lt;b&gt;", `R&D \&amp; \<b\>`},
		{"ask <@UANA00001> or <@UBOB00002|bob>", "ask Ana Alves or @UBOB00002"},
		{"<!here> <!channel|@channel> <!subteam^S1>", "@here @channel @S1"},
		{"see <https://x.example/a|the doc> and <https://y.example>", "see the doc (https://x.example/a) and https://y.example"},
		{"a &lt;b&gt; c", `a \<b\> c`},
	}
	r := testRenderer()
	for _, tt := range tests {
		if got := r.block(fromChat(tt.in), "  "); got != tt.want {
			t.Errorf("block(fromChat(%q)) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestBlock(t *testing.T) {
	tests := []struct{ in, indent, want string }{
		{"one line", "  ", "one line"},
		{"first\nsecond", "  ", "first\n  second"},
		{"para one\n\n\n\npara two", "", "para one\n\npara two"},
		{"# heading\n- item\n+ item\n1. item\n22) item\n---\n===\n> quote", "",
			"\\# heading\n\\- item\n\\+ item\n1\\. item\n22\\) item\n\\---\n\\===\n\\> quote"},
		{"    code block\r\nnext  ", "", "code block\nnext"},
		{"```\nfence", "", "\\`\\`\\`\nfence"},
		{"", "", ""},
		{"\n\n", "", ""},
	}
	r := testRenderer()
	for _, tt := range tests {
		if got := r.block(tt.in, tt.indent); got != tt.want {
			t.Errorf("block(%q, %q) = %q, want %q", tt.in, tt.indent, got, tt.want)
		}
	}
}

func TestLinkURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://wiki.example.com/runbooks/checkout", "https://wiki.example.com/runbooks/checkout"},
		{" http://x.example/a?b=c ", "http://x.example/a?b=c"},
		{"javascript:alert(1)", ""},
		{"https://x.example/a b", ""},
		{"https://x.example/<script>", ""},
		{"https://x.example/a|b", ""},
		{"ftp://x.example", ""},
	}
	for _, tt := range tests {
		if got := linkURL(tt.in); got != tt.want {
			t.Errorf("linkURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzBlock(f *testing.F) {
	f.Add("# heading\n- item\n<!channel> *x* `y`")
	f.Add("a\n\n\nb")
	f.Fuzz(func(t *testing.T, s string) {
		r := testRenderer()
		out := r.block(s, "  ")
		for i, line := range splitLines(out) {
			if i > 0 && line != "" && line[:2] != "  " {
				t.Fatalf("block(%q) line %d %q is not indented", s, i, line)
			}
			if len(line) >= 2 && line[len(line)-2:] == "  " {
				t.Fatalf("block(%q) line %q ends in a hard break", s, line)
			}
		}
	})
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

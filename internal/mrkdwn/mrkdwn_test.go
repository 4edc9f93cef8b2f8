package mrkdwn

import (
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// adversarial is the list of Slack markup injections (mentions, links, formatting), plus a few
// near misses.
var adversarial = []string{
	"<!channel>", "<!here|here>", "@everyone", "<!subteam^S1>", "<@U1>", "&lt;", ">>>",
	"<https://evil.example|click>", "<#C123|general>", "<!everyone>", "<!date^1392734382^{date}|x>",
	"@here", "@HERE", "@Channel", "hey @channel!", "@@everyone", "a@here", "@hereford",
	"&lt;!channel&gt;", "&amp;", "x & y < z > w", "<<!channel>>", "<\u2060!here>",
	"\xff<!here>\xfe", "@\xffhere", "",
}

func TestEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"a<b & <!here>", "a&lt;b &amp; &lt;!here&gt;"}, // Slack's own example: escape &, < and > and nothing else
		{"&lt;", "&amp;lt;"},
		{">>>", "&gt;&gt;&gt;"},
		{`"quotes" and 'apostrophes'`, `"quotes" and 'apostrophes'`},
		{"é<\xff>", "é&lt;\xff&gt;"},
	}
	for _, tt := range tests {
		if got := Escape(tt.in); got != tt.want {
			t.Errorf("Escape(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNeutralize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"db is down", "db is down"},
		{"<!channel>", "&lt;!channel&gt;"},
		{"<!here|here>", "&lt;!here|here&gt;"},
		{"<@U1>", "&lt;@U1&gt;"},
		{"<https://evil.example|click>", "&lt;https://evil.example|click&gt;"},
		{"@everyone look", "@\u2060everyone look"},
		{"ping @Here and @CHANNEL", "ping @\u2060Here and @\u2060CHANNEL"},
		{"@@here", "@@\u2060here"},
		{"mail ana@example.com", "mail ana@example.com"},
		{"@ana", "@ana"},
		{"<!here>", "&lt;!here&gt;"}, // escaped: no joiner needed, "!" separates @ from nothing
	}
	for _, tt := range tests {
		if got := Neutralize(tt.in); got != tt.want {
			t.Errorf("Neutralize(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	for _, in := range adversarial {
		checkSafe(t, in, Neutralize(in))
	}
}

var broadcast = regexp.MustCompile(`(?i)@(here|channel|everyone)`)

// checkSafe asserts that out, the neutralised form of in, carries no
// control sequence and no parseable broadcast.
func checkSafe(t *testing.T, in, out string) {
	t.Helper()
	for _, bad := range []string{"<", ">", "<!", "<@", "<#", "<http"} {
		if strings.Contains(out, bad) {
			t.Fatalf("Neutralize(%q) = %q contains %q", in, out, bad)
		}
	}
	if broadcast.MatchString(out) {
		t.Fatalf("Neutralize(%q) = %q contains a broadcast mention", in, out)
	}
	if utf8.ValidString(in) && !utf8.ValidString(out) {
		t.Fatalf("Neutralize(%q) = %q is not valid UTF-8", in, out)
	}
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"", 5, ""},
		{"hello", 5, "hello"},
		{"hello", 10, "hello"},
		{"hello world", 5, "hell…"},
		{"hello world", 7, "hello…"}, // the space before the cut goes
		{"hello", 1, "…"},
		{"hello", 0, ""},
		{"hello", -3, ""},
		{"héllo wörld", 4, "hél…"},
		{"🔥🔥🔥🔥", 3, "🔥🔥…"},
		{"a &amp; b", 4, "a…"},       // would keep "a &a": cut before the entity
		{"a &amp; b", 8, "a &amp;…"}, // the entity fits whole
		{"&lt;&lt;&lt;", 7, "&lt;…"},
		{"&lt;&lt;&lt;", 5, "&lt;…"},
		{"&lt;&lt;&lt;", 4, "…"},
		{"x&#x1F525;y", 6, "x…"},
		{"fish & chips and more", 8, "fish &…"}, // a lone & is not an entity
		{"a&b;c d e f", 4, "a…"},                // looks like an entity: kept whole or not at all
	}
	for _, tt := range tests {
		got := Truncate(tt.in, tt.max)
		if got != tt.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		checkTruncate(t, tt.in, tt.max, got)
	}
}

// checkTruncate holds Truncate's guarantees.
func checkTruncate(t *testing.T, in string, max int, out string) {
	t.Helper()
	n := utf8.RuneCountInString(out)
	if max >= 0 && n > max {
		t.Fatalf("Truncate(%q, %d) = %q has %d runes", in, max, out, n)
	}
	if max > 0 && utf8.RuneCountInString(in) <= max && out != in {
		t.Fatalf("Truncate(%q, %d) = %q, but the input fits", in, max, out)
	}
	if utf8.ValidString(in) && !utf8.ValidString(out) {
		t.Fatalf("Truncate(%q, %d) = %q is not valid UTF-8", in, max, out)
	}
	if out != in && out != "" {
		if !strings.HasSuffix(out, Ellipsis) {
			t.Fatalf("Truncate(%q, %d) = %q was cut but has no ellipsis", in, max, out)
		}
		if !strings.HasPrefix(in, strings.TrimSuffix(out, Ellipsis)) {
			t.Fatalf("Truncate(%q, %d) = %q is not a prefix of the input", in, max, out)
		}
	}
}

func TestTruncateKeepsEscapesWhole(t *testing.T) {
	// Every cut of an escaped adversarial string must still be safe and
	// must not leave a dangling "&am" or "&l".
	partial := regexp.MustCompile(`&(a|am|amp|l|lt|g|gt)…$`)
	for _, in := range adversarial {
		esc := Neutralize(strings.Repeat(in, 3))
		for max := 0; max <= utf8.RuneCountInString(esc)+1; max++ {
			out := Truncate(esc, max)
			checkTruncate(t, esc, max, out)
			checkSafe(t, in, out)
			if partial.MatchString(out) {
				t.Fatalf("Truncate(%q, %d) = %q splits an entity", esc, max, out)
			}
		}
	}
}

func TestText(t *testing.T) {
	long := strings.Repeat("<!channel> @everyone ", 400) // 8,400 characters, more once escaped
	for _, in := range append(adversarial, long, strings.Repeat("x", 40001)) {
		out := Text(in, 3000)
		checkSafe(t, in, out)
		if n := utf8.RuneCountInString(out); n > 3000 {
			t.Fatalf("Text(…, 3000) has %d runes", n)
		}
	}
}

func TestPlain(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"Database down", 150, "Database down"},
		{"  line one\n\nline\ttwo  ", 150, "line one line two"},
		{"a\x00b\x1bc", 150, "a b c"},
		{"<!channel> & co", 150, "<!channel> & co"}, // plain_text is not parsed
		{"\xffx", 150, "\ufffdx"},
		{"a very long title", 10, "a very lo…"},
		{" \n\t ", 10, ""},
	}
	for _, tt := range tests {
		if got := Plain(tt.in, tt.max); got != tt.want {
			t.Errorf("Plain(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
}

func FuzzNeutralize(f *testing.F) {
	for _, s := range adversarial {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkSafe(t, in, Neutralize(in))
	})
}

func FuzzTruncate(f *testing.F) {
	for i, s := range adversarial {
		f.Add(s, i%7)
	}
	f.Fuzz(func(t *testing.T, in string, max int) {
		checkTruncate(t, in, max, Truncate(in, max))
		esc := Neutralize(in)
		out := Truncate(esc, max)
		checkTruncate(t, esc, max, out)
		checkSafe(t, in, out)
		p := Plain(in, max)
		if max >= 0 && utf8.RuneCountInString(p) > max || !utf8.ValidString(p) {
			t.Fatalf("Plain(%q, %d) = %q", in, max, p)
		}
	})
}

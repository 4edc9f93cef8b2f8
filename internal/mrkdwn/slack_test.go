package mrkdwn

import (
	"regexp"
	"strings"
	"testing"
)

func TestFromSlack(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"a &amp; b &lt;c&gt;", "a & b <c>"},
		{"ask <@U123ABC|ana> now", "ask <@U123ABC> now"},
		{"ask <@U123ABC>", "ask <@U123ABC>"},
		{"in <#C0123|general>", "in <#C0123|general>"},
		{"in <#C0123|Not A Name>", "in <#C0123>"},
		{"<!here> and <!channel|channel>", "@here and channel"},
		{"<!subteam^S1|@oncall> look", "@oncall look"},
		{"<!subteam^S1>", "@S1"},
		{"see <https://x.example/a|the doc>", "see the doc (https://x.example/a)"},
		{"see <https://x.example/a>", "see https://x.example/a"},
		{"&amp;lt;", "&lt;"},
	}
	for _, tt := range tests {
		if got := FromSlack(tt.in); got != tt.want {
			t.Errorf("FromSlack(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLiveMentionsRevivesOnlyPeopleAndChannels(t *testing.T) {
	in := FromSlack("ping <@U123ABC|ana> in <#C999|ops> not <!channel> or <https://evil.example|click> @everyone")
	got := LiveMentions(Neutralize(in))
	for _, want := range []string{"<@U123ABC>", "<#C999|ops>"} {
		if !strings.Contains(got, want) {
			t.Errorf("%q lacks live %s", got, want)
		}
	}
	for _, bad := range []string{"<!", "<http", "@everyone"} {
		if strings.Contains(got, bad) {
			t.Errorf("%q contains %s", got, bad)
		}
	}
}

func FuzzLiveMentions(f *testing.F) {
	for _, s := range adversarial {
		f.Add(s)
	}
	f.Add("<@U123ABC|x> <#C1|y> &lt;@U1&gt;")
	f.Fuzz(func(t *testing.T, in string) {
		out := LiveMentions(Neutralize(FromSlack(in)))
		for _, bad := range []string{"<!", "<http", "<mailto", ">>"} {
			if strings.Contains(out, bad) {
				t.Fatalf("%q → %q contains %q", in, out, bad)
			}
		}
		if broadcast.MatchString(out) {
			t.Fatalf("%q → %q contains a broadcast mention", in, out)
		}
		// Every "<" left opens a user or channel mention.
		for i := strings.IndexByte(out, '<'); i >= 0; i = strings.IndexByte(out, '<') {
			m := escapedLive.FindString(out[i:])
			if m == "" {
				t.Fatalf("%q → %q has a stray '<' at %d", in, out, i)
			}
			out = out[i+len(m):]
		}
	})
}

var escapedLive = regexp.MustCompile(`^<(@[UW][A-Z0-9]{2,20}|#[CG][A-Z0-9]{2,20}(\|[a-z0-9_-]{1,80})?)>`)

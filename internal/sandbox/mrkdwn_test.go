package sandbox

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// testNames is a directory with two users and a channel, read on
// 2026-03-10 at 12:00 UTC.
func testNames() *names {
	return newNames(
		[]slackemu.User{
			{ID: "UALICE001", Name: "alice", RealName: "Alice Aalto"},
			{ID: "UBOB00002", Name: "bob"},
			{ID: "U0EMUBOT1", Name: "incidentbot", RealName: "incidentbot", IsBot: true},
		},
		[]slackemu.Channel{{ID: "C00000003", Name: "inc-1-db-down"}},
		time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC),
	)
}

func TestMrkdwn(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain text", "hello", "hello"},
		{"bold italic strike", "*bold* _it_ ~gone~", "<b>bold</b> <i>it</i> <s>gone</s>"},
		{"nested styles", "*bold _and italic_*", "<b>bold <i>and italic</i></b>"},
		{"markers inside words stay", "snake_case_name and 2*3*4", "snake_case_name and 2*3*4"},
		{"unclosed marker stays", "*not bold", "*not bold"},
		{"marker needs a non-space after it", "a * b * c", "a * b * c"},
		{"code is not styled", "`*x* <@UALICE001>`", `<code class="mk-code">*x* @Alice Aalto</code>`},
		{"preformatted block", "before\n```\n*raw* &lt;b&gt;\n```\nafter", `before<pre class="mk-pre">*raw* &lt;b&gt;` + "\n" + `</pre>after`},
		{"unmatched fence is text", "a ``` b", "a ``` b"},
		{"line breaks", "one\ntwo", "one<br>two"},
		{"quote lines", "&gt; quoted\n&gt; more\nplain", `<blockquote class="mk-quote">quoted<br>more</blockquote>plain`},
		{"raw quote marker", "> said", `<blockquote class="mk-quote">said</blockquote>`},
		{"triple quote takes the rest", "&gt;&gt;&gt; all\nof this", `<blockquote class="mk-quote">all<br>of this</blockquote>`},
		{"user mention uses the real name", "<@UALICE001> and <@UBOB00002|whatever>", `<span class="mention" data-user="UALICE001">@Alice Aalto</span> and <span class="mention" data-user="UBOB00002">@bob</span>`},
		{"unknown user keeps the label", "<@UZZZ|zed>", `<span class="mention" data-user="UZZZ">@zed</span>`},
		{"channel link", "see <#C00000003>", `see <a class="channel-link" href="#" data-channel="C00000003">#inc-1-db-down</a>`},
		{"link with label", "<https://example.com/a?b=1&amp;c=2|the docs>", `<a class="mk-link" href="https://example.com/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the docs</a>`},
		{"label with spaces", "<https://evil.example|click me>", `<a class="mk-link" href="https://evil.example" target="_blank" rel="noopener noreferrer">click me</a>`},
		{"bare link", "<https://example.com>", `<a class="mk-link" href="https://example.com" target="_blank" rel="noopener noreferrer">https://example.com</a>`},
		{"mailto", "<mailto:a@example.com|mail us>", `<a class="mk-link" href="mailto:a@example.com" target="_blank" rel="noopener noreferrer">mail us</a>`},
		{"auto-linked URL", "go to https://example.com/x.", `go to <a class="mk-link" href="https://example.com/x" target="_blank" rel="noopener noreferrer">https://example.com/x</a>.`},
		{"broadcasts", "<!here> <!channel|channel> <!everyone>", `<span class="mention broadcast">@here</span> <span class="mention broadcast">@channel</span> <span class="mention broadcast">@everyone</span>`},
		{"user group", "<!subteam^S123|@oncall>", `<span class="mention">@oncall</span>`},
		{"emoji", ":rotating_light: :no_such_emoji:", "🚨 :no_such_emoji:"},
		{"styled mention", "*<@UALICE001>*", `<b><span class="mention" data-user="UALICE001">@Alice Aalto</span></b>`},
		{
			"date today",
			"<!date^1773140400^{date_short_pretty} {time}|2026-03-10 11:00 UTC>",
			`<time class="mk-date" datetime="2026-03-10T11:00:00Z" title="Tuesday, 10 March 2026 11:00:00 UTC">Today 11:00 UTC</time>`,
		},
		{
			"date long",
			"<!date^1772971200^{date_long} at {time_secs}|fallback>",
			`<time class="mk-date" datetime="2026-03-08T12:00:00Z" title="Sunday, 8 March 2026 12:00:00 UTC">Sunday, March 8th, 2026 at 12:00:00 UTC</time>`,
		},
		{"date that does not parse shows the fallback", "<!date^soon^{date}|some day>", "some day"},
	}
	n := testNames()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := string(n.mrkdwn(tt.in)); got != tt.want {
				t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

// Nothing a sender writes may become markup: escaped text, raw angle
// brackets, hostile links and attribute breakouts all come out as text.
func TestMrkdwnEscapes(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"raw script tag is text", "<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"escaped script tag is text", "&lt;script&gt;alert(1)&lt;/script&gt;", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"ampersands", "a &amp; b &amp;amp; c & d", "a &amp; b &amp;amp; c &amp; d"},
		{"javascript link is text", "<javascript:alert(1)|click>", "&lt;javascript:alert(1)|click&gt;"},
		{"data link is text", "<data:text/html,<b>x</b>|x>", "&lt;data:text/html,&lt;b&gt;x&lt;/b&gt;|x&gt;"},
		{"quote in a label", `<https://example.com|"><img src=x onerror=alert(1)>>`, `<a class="mk-link" href="https://example.com" target="_blank" rel="noopener noreferrer">&#34;</a>&lt;img src=x onerror=alert(1)&gt;&gt;`},
		{"quote in a URL", `<https://example.com/"onmouseover="alert(1)>`, `<a class="mk-link" href="https://example.com/&#34;onmouseover=&#34;alert(1)" target="_blank" rel="noopener noreferrer">https://example.com/&#34;onmouseover=&#34;alert(1)</a>`},
		{"mention label", "<@UZZZ|<b>>", "&lt;@UZZZ|&lt;b&gt;&gt;"},
		{"private-use characters cannot forge placeholders", "\ue000\ue001 <@UALICE001>", "\ufffd\ufffd " + `<span class="mention" data-user="UALICE001">@Alice Aalto</span>`},
		{"html in code", "`<img src=x>`", `<code class="mk-code">&lt;img src=x&gt;</code>`},
		{"typed link syntax stays text", mrkdwn.Escape("<https://evil.example|click me>"), `&lt;<a class="mk-link" href="https://evil.example" target="_blank" rel="noopener noreferrer">https://evil.example</a>|click me&gt;`},
	}
	n := testNames()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(n.mrkdwn(tt.in))
			if got != tt.want {
				t.Errorf("mrkdwn(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
			if strings.Contains(got, "<script") || strings.Contains(got, "<img") || strings.Contains(strings.ToLower(got), "javascript:alert(1)\"") {
				t.Errorf("markup leaked: %s", got)
			}
		})
	}
}

func FuzzMrkdwnNeverLeaksMarkup(f *testing.F) {
	for _, s := range []string{"<script>", "*<@U1|<b>>*", "```<x>```", "&gt; <https://a|b>", "_<!date^1^{date}|<i>>_"} {
		f.Add(s)
	}
	n := testNames()
	allowed := []string{"<b>", "</b>", "<i>", "</i>", "<s>", "</s>", "<br>", "<code ", "</code>", "<pre ", "</pre>",
		"<blockquote ", "</blockquote>", "<span ", "</span>", "<a ", "</a>", "<time ", "</time>"}
	f.Fuzz(func(t *testing.T, s string) {
		out := string(n.mrkdwn(s))
		for i := strings.IndexByte(out, '<'); i >= 0; i = strings.IndexByte(out, '<') {
			ok := false
			for _, tag := range allowed {
				if strings.HasPrefix(out[i:], tag) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("mrkdwn(%q) produced unexpected markup at %q", s, out[i:])
			}
			out = out[i+1:]
		}
	})
}

// mkLink is a link the renderer made: its target and its label, as HTML.
var mkLink = regexp.MustCompile(`<a class="mk-link" href="([^"]*)"[^>]*>(.*?)</a>`)

// What a user types reaches the bot and comes back escaped (mrkdwn.Escape,
// mrkdwn.Text), so it can never be a disguised link: any link in it is a bare
// URL shown as itself, ending where a would-be label starts.
func FuzzTypedTextMakesNoDisguisedLink(f *testing.F) {
	for _, s := range []string{"<https://evil.example|click me>", "see <https://a.example/x?y=1&z=2|docs>.", "https://a.example|b", "<mailto:a@b.example|mail>"} {
		f.Add(s)
	}
	n := testNames()
	f.Fuzz(func(t *testing.T, s string) {
		for _, escaped := range []string{mrkdwn.Escape(s), mrkdwn.Text(s, 3000)} {
			out := string(n.mrkdwn(escaped))
			for _, m := range mkLink.FindAllStringSubmatch(out, -1) {
				if m[1] != m[2] || strings.Contains(m[1], "|") {
					t.Fatalf("typed %q became a link to %s labelled %s", s, m[1], m[2])
				}
			}
			if strings.Contains(out, `class="mention`) {
				t.Fatalf("typed %q became a mention: %s", s, out)
			}
		}
	})
}

// Package mrkdwn makes user-supplied text safe to show in Slack: escaped so
// it cannot become a mention, a channel link or a fake link, defanged so
// Slack's automatic parsing cannot turn it into @here/@channel/@everyone,
// and cut to Block Kit's length limits without breaking an escape.
package mrkdwn

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis ends every string that Truncate had to cut.
const Ellipsis = "…"

// wordJoiner is invisible and stops Slack from reading "@\u2060here" as
// @here, while the text still looks the same to a reader.
const wordJoiner = "\u2060"

// Escape replaces the three characters Slack treats as control characters,
// & < >, with &amp; &lt; &gt;, and nothing else, as Slack asks. Bytes that
// are not valid UTF-8 are passed through unchanged.
func Escape(s string) string {
	if !strings.ContainsAny(s, "&<>") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// broadcasts are the words Slack's automatic parsing turns into a
// notification when they follow a plain "@".
var broadcasts = []string{"here", "channel", "everyone"}

// Neutralize makes user text safe for a mrkdwn text object, including one
// with verbatim false: it escapes & < > and puts an invisible word joiner
// after any "@" that starts @here, @channel or @everyone (in any case).
//
// The output never contains "<" at all, since Escape replaces every "<"
// with "&lt;" and none of the replacements or the word joiner contains one;
// so no <!channel>, <@U…>, <#C…> or <http…|…> sequence can survive.
func Neutralize(s string) string {
	s = Escape(s)
	if !strings.Contains(s, "@") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		b.WriteByte(s[i])
		if s[i] == '@' && startsBroadcast(s[i+1:]) {
			b.WriteString(wordJoiner)
		}
	}
	return b.String()
}

func startsBroadcast(s string) bool {
	for _, w := range broadcasts {
		if len(s) >= len(w) && strings.EqualFold(s[:len(w)], w) {
			return true
		}
	}
	return false
}

// Truncate returns s when it has at most max runes (Slack's limits count
// characters); otherwise it keeps as much of s as fits with Ellipsis at the
// end, cut on a rune boundary and never inside an HTML entity such as
// &amp; (the cut moves before the "&"), so an escaped string stays escaped.
// The result has at most max runes, and is valid UTF-8 when s is. A max of
// zero or less gives "".
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	// Keep max-1 runes, leaving room for the ellipsis.
	end, n := 0, 0
	for end < len(s) && n < max-1 {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
		n++
	}
	end = entityStart(s, end)
	kept := strings.TrimRightFunc(s[:end], unicode.IsSpace)
	return kept + Ellipsis
}

// entityStart moves a cut at end back to the start of an entity (&name; or
// &#123;) that the cut would split, and otherwise returns end unchanged.
func entityStart(s string, end int) int {
	const longest = len("&#x10FFFF;")
	from := max(end-longest+1, 0)
	amp := strings.LastIndexByte(s[from:end], '&')
	if amp < 0 {
		return end
	}
	amp += from
	if n := entityLen(s[amp:]); n > 0 && amp+n > end {
		return amp
	}
	return end
}

// entityLen is the length of the entity s begins with, or 0 when s does not
// begin with one.
func entityLen(s string) int {
	const longest = len("&#x10FFFF;")
	for i := 1; i < len(s) && i < longest; i++ {
		c := s[i]
		switch {
		case c == ';':
			if i == 1 {
				return 0
			}
			return i + 1
		case c == '#' && i == 1, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		default:
			return 0
		}
	}
	return 0
}

// Plain prepares text for a short plain_text object (a header, a button, an
// option, a modal title or placeholder). plain_text is not parsed, so
// nothing is escaped; the text is folded onto one line (control characters
// and runs of whitespace become one space, invalid UTF-8 becomes U+FFFD) and
// truncated to max runes. It may return "", which Slack rejects in a
// plain_text object: callers choose a fallback.
func Plain(s string, max int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	return Truncate(strings.Join(strings.Fields(s), " "), max)
}

// Text is Neutralize then Truncate: user text ready for a mrkdwn object of
// at most max characters. The order matters, since escaping lengthens the
// text and Truncate must see the final form to keep entities whole.
func Text(s string, max int) string { return Truncate(Neutralize(s), max) }

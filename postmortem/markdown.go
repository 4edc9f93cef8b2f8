package postmortem

import (
	"regexp"

	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text reaches the draft in two forms. What users type is stored as they
// typed it: the bot decodes a slash command's text once, as it arrives
// (Slack escapes it: &amp; &lt; &gt;, mentions and links as <…> markup; see
// mrkdwn.FromSlack), and Slack does not escape a modal's inputs at all. So
// that text is never decoded again: an "&amp;" or a "<!channel>" in it is
// what its author typed, and the only markup it holds is a user or channel
// mention in the canonical form FromSlack leaves, shown here by name. A
// captured message is the exception: it is kept as chat has it, escaped
// and with markup, and decoded here (fromChat) into what a reader saw.

// mention is a user or channel mention in the canonical form that
// mrkdwn.FromSlack leaves: <@U…> or <#C…>.
var mention = regexp.MustCompile(`<(@[UW][A-Z0-9]{2,20}|#[CG][A-Z0-9]{2,20})(?:\|([a-z0-9_-]{1,80}))?>`)

// entity matches what Markdown would read as an HTML entity or numeric
// character reference.
var entity = regexp.MustCompile(`^&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});`)

// fromChat turns a captured message's text, as chat has it, into the text
// its author typed (see mrkdwn.FromSlack).
func fromChat(s string) string { return mrkdwn.FromSlack(s) }

// people shows the user and channel mentions of stored text by name, when
// known.
func (r *renderer) people(s string) string {
	if strings.IndexByte(s, '<') < 0 {
		return s
	}
	return mention.ReplaceAllStringFunc(s, func(m string) string {
		sub := mention.FindStringSubmatch(m)
		switch {
		case sub[1][0] == '@':
			return r.name(sub[1][1:]) // escaped with the rest of s
		case sub[2] != "":
			return "#" + sub[2]
		default:
			return sub[1]
		}
	})
}

// inline makes user text one line of Markdown that reads as typed:
// mentions shown by name, whitespace folded, and every character that Markdown
// would read as emphasis, code, a link, HTML, a table cell or an entity
// escaped with a backslash.
func (r *renderer) inline(s string) string {
	if plainLine(s) {
		return escapeInline(strings.TrimSpace(s))
	}
	s = r.people(s)
	return escapeInline(strings.Join(strings.Fields(clean(s)), " "))
}

// block makes user text one or more paragraphs of Markdown. Lines are kept,
// runs of blank lines become one, and lines after the first are prefixed
// with indent so the text stays inside a list item ("  " for "- ").
// Leading spaces are dropped (four would start a code block) and a line
// that would start a heading, quote, list, rule or fence is escaped.
func (r *renderer) block(s, indent string) string {
	if plainLine(s) {
		return escapeLineStart(escapeInline(strings.TrimSpace(s)))
	}
	s = clean(r.people(s))
	var b strings.Builder
	blank := false
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			blank = b.Len() > 0
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\n")
			if blank {
				b.WriteString("\n")
			}
			b.WriteString(indent)
		}
		blank = false
		b.WriteString(escapeLineStart(escapeInline(line)))
	}
	return b.String()
}

// plainLine reports whether s is one line with no Slack markup, entity,
// control character or run of spaces: the common case, which needs only
// escaping.
func plainLine(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c < ' ', c == 0x7f, c == '<', c == '&', c >= 0x80:
			return false
		case c == ' ' && i+1 < len(s) && s[i+1] == ' ':
			return false
		}
	}
	return true
}

// clean makes every line ending a "\n" and every tab a space, and drops
// other control characters and invalid UTF-8.
func clean(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case r == '\r' || r == '\u2028' || r == '\u2029':
			return '\n'
		case unicode.IsControl(r), r == utf8.RuneError:
			return -1
		}
		return r
	}, s)
}

// escapeInline backslash-escapes the ASCII punctuation that forms inline
// Markdown. "_" between two letters or digits is left alone (snake_case
// cannot become emphasis), and so are "&" that starts no entity and "#"
// anywhere but in a trailing run (which would close an ATX heading).
func escapeInline(s string) string {
	if !strings.ContainsAny(s, "\\`*_[]<>|~&#") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '`', '*', '[', ']', '<', '>', '|', '~':
			b.WriteByte('\\')
		case '_':
			if i == 0 || i == len(s)-1 || !wordByte(s[i-1]) || !wordByte(s[i+1]) {
				b.WriteByte('\\')
			}
		case '&':
			if entity.MatchString(s[i:]) {
				b.WriteByte('\\')
			}
		case '#':
			if strings.TrimRight(s[i:], "#") == "" {
				b.WriteByte('\\')
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func wordByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c >= 0x80
}

// escapeLineStart escapes what would make a line a block of its own: an
// ATX heading (#), a list item (- + or 1. 1)), a thematic break or setext
// underline (- = _ *; * and _ are already escaped inline).
func escapeLineStart(line string) string {
	if line == "" {
		return line
	}
	switch line[0] {
	case '#', '-', '+', '=':
		return "\\" + line
	}
	if i := strings.IndexFunc(line, func(r rune) bool { return r < '0' || r > '9' }); i > 0 && i <= 9 && (line[i] == '.' || line[i] == ')') {
		return line[:i] + "\\" + line[i:]
	}
	return line
}

// linkURL keeps a URL that can be written as a Markdown autolink
// (<https://…>) and drops anything else.
func linkURL(u string) string {
	u = strings.TrimSpace(u)
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return ""
	}
	if strings.ContainsAny(u, "<>| \t\n\"`\\") {
		return ""
	}
	return u
}

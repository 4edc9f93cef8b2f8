package sandbox

import (
	"html/template"
	"strings"
	"unicode/utf8"
)

// unescape undoes Slack's escaping of its three control characters; nothing
// else in mrkdwn is an entity.
var unescape = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">")

// placeholders stand for control sequences and code spans while the styling
// markers are matched; they come from Unicode's private use area, which is
// scrubbed from the input first.
const (
	placeholderBase = 0xE000
	placeholderMax  = 0xF8FF
)

// scrubPlaceholders replaces the input's private-use characters, so that
// none of them can pass for a placeholder.
func scrubPlaceholders(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= placeholderBase && c <= placeholderMax {
			return utf8.RuneError
		}
		return c
	}, s)
}

// mrkdwn renders Slack mrkdwn as HTML: *bold*, _italic_, ~strike~, `code`,
// ```preformatted```, > quotes, <links|labels>, <@U…> mentions, <#C…> channel
// links, <!here>-style broadcasts and <!date^…> dates, :emoji: and bare URLs.
// Every piece of text is HTML-escaped, so nothing in s can become markup; a
// "<…>" that is not a control sequence Slack knows is shown as typed.
func (n *names) mrkdwn(s string) template.HTML {
	parts := strings.Split(s, "```")
	if len(parts)%2 == 0 { // an unmatched ``` is literal text
		last := len(parts) - 1
		parts[last-1] += "```" + parts[last]
		parts = parts[:last]
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString(`<pre class="mk-pre">`)
			b.WriteString(n.inline(strings.TrimPrefix(p, "\n"), true))
			b.WriteString(`</pre>`)
			continue
		}
		if i > 0 {
			p = strings.TrimPrefix(p, "\n")
		}
		if i < len(parts)-1 {
			p = strings.TrimSuffix(p, "\n")
		}
		n.lines(&b, p)
	}
	return template.HTML(b.String())
}

// lines renders text outside preformatted blocks: quotes and line breaks.
func (n *names) lines(b *strings.Builder, s string) {
	if s == "" {
		return
	}
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		if rest, ok := cutQuote(lines[i], 3); ok { // >>> quotes everything after it
			b.WriteString(`<blockquote class="mk-quote">`)
			n.joined(b, append([]string{rest}, lines[i+1:]...))
			b.WriteString(`</blockquote>`)
			return
		}
		if _, ok := cutQuote(lines[i], 1); ok {
			var quoted []string
			for ; i < len(lines); i++ {
				rest, ok := cutQuote(lines[i], 1)
				if !ok {
					break
				}
				if _, triple := cutQuote(lines[i], 3); triple {
					break
				}
				quoted = append(quoted, rest)
			}
			i--
			b.WriteString(`<blockquote class="mk-quote">`)
			n.joined(b, quoted)
			b.WriteString(`</blockquote>`)
			continue
		}
		b.WriteString(n.inline(lines[i], false))
		if i < len(lines)-1 {
			if _, next := cutQuote(lines[i+1], 1); !next {
				b.WriteString("<br>")
			}
		}
	}
}

func (n *names) joined(b *strings.Builder, lines []string) {
	for i, l := range lines {
		if i > 0 {
			b.WriteString("<br>")
		}
		b.WriteString(n.inline(l, false))
	}
}

// cutQuote reports whether line starts with depth quote markers, raw or
// escaped (a client sends a typed ">" as "&gt;"), and returns the rest.
func cutQuote(line string, depth int) (string, bool) {
	rest := line
	for range depth {
		switch {
		case strings.HasPrefix(rest, ">"):
			rest = rest[1:]
		case strings.HasPrefix(rest, "&gt;"):
			rest = rest[4:]
		default:
			return line, false
		}
	}
	return strings.TrimPrefix(rest, " "), true
}

package sandbox

import (
	"html"
	"regexp"
	"strings"
)

var (
	mdLink      = regexp.MustCompile(`\[([^\]]*)\]\((?:<([^<>\n]*)>|([^()\s]*(?:\([^()\s]*\)[^()\s]*)*))(?:\s+"[^"]*")?\)`)
	mdAutolink  = regexp.MustCompile(`<((?:https?://|mailto:)[^\s<>]+)>`)
	mdBold      = regexp.MustCompile(`\*\*([^*\s](?:[^*]*?[^*\s])?)\*\*|__([^_\s](?:[^_]*?[^_\s])?)__`)
	mdStrike    = regexp.MustCompile(`~~([^~\s](?:[^~]*?[^~\s])?)~~`)
	mdItalic    = regexp.MustCompile(`\*([^*\s](?:[^*]*?[^*\s])?)\*`)
	mdUnderline = regexp.MustCompile(`(^|[^\p{L}\p{N}_])_([^_\s](?:[^_]*?[^_\s])?)_($|[^\p{L}\p{N}_])`)
)

// mdInline renders inline Markdown. Code spans, backslash escapes and links
// are set aside as placeholders first (their insides are not styled), the
// rest is escaped, then styled; nothing in s can become markup.
func mdInline(s string) string {
	s = scrubPlaceholders(s)
	var held []string
	hold := func(h string) string {
		if placeholderBase+len(held) >= placeholderMax {
			return h
		}
		held = append(held, h)
		return string(rune(placeholderBase + len(held) - 1))
	}
	s = codeAndEscapes(s, hold)
	s = mdLink.ReplaceAllStringFunc(s, func(m string) string {
		sub := mdLink.FindStringSubmatch(m)
		target := sub[2] + sub[3] // <destination> or destination
		if !safeLink(target) {
			return m
		}
		// The label may hold backslash escapes, already set aside as HTML.
		label := expandHeld(html.EscapeString(sub[1]), held)
		return hold(linkHTML(target, label))
	})
	s = mdAutolink.ReplaceAllStringFunc(s, func(m string) string {
		target := m[1 : len(m)-1]
		return hold(link(target, strings.TrimPrefix(target, "mailto:")))
	})
	s = bareURL.ReplaceAllStringFunc(s, func(m string) string {
		u := strings.TrimRight(m, ".,;:!?)'")
		return hold(link(u, u)) + m[len(u):]
	})
	s = html.EscapeString(s)
	s = mdBold.ReplaceAllString(s, "<strong>$1$2</strong>")
	s = mdStrike.ReplaceAllString(s, "<del>$1</del>")
	s = mdItalic.ReplaceAllString(s, "<em>$1</em>")
	// Twice: a match consumes the boundary character the next one needs.
	s = mdUnderline.ReplaceAllString(s, "$1<em>$2</em>$3")
	s = mdUnderline.ReplaceAllString(s, "$1<em>$2</em>$3")
	s = strings.ReplaceAll(s, "\n", "<br>\n")
	return expandHeld(s, held)
}

// codeAndEscapes sets aside, left to right as CommonMark reads them, code
// spans (a run of backticks up to the next run of the same length; nothing
// inside is an escape) and backslash escapes of ASCII punctuation.
func codeAndEscapes(s string, hold func(string) string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == '\\' && i+1 < len(s) && isASCIIPunct(s[i+1]):
			b.WriteString(hold(html.EscapeString(s[i+1 : i+2])))
			i += 2
		case c == '`':
			n := backtickRun(s, i)
			end := -1
			for j := i + n; j < len(s); {
				if s[j] != '`' {
					j++
					continue
				}
				if m := backtickRun(s, j); m == n {
					end = j
					break
				} else {
					j += m
				}
			}
			if end < 0 {
				b.WriteString(s[i : i+n])
				i += n
				continue
			}
			code := s[i+n : end]
			if len(code) > 1 && code[0] == ' ' && code[len(code)-1] == ' ' && strings.Trim(code, " ") != "" {
				code = code[1 : len(code)-1]
			}
			b.WriteString(hold("<code>" + html.EscapeString(code) + "</code>"))
			i = end + n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String()
}

func backtickRun(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == '`' {
		n++
	}
	return n
}

func isASCIIPunct(c byte) bool {
	return c >= '!' && c <= '/' || c >= ':' && c <= '@' || c >= '[' && c <= '`' || c >= '{' && c <= '~'
}

func expandHeld(s string, held []string) string {
	if len(held) == 0 {
		return s
	}
	var b strings.Builder
	for _, c := range s {
		if c >= placeholderBase && c < placeholderBase+rune(len(held)) {
			b.WriteString(held[c-placeholderBase])
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

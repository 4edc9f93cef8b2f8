package sandbox

import (
	"html"
	"net/url"
	"regexp"
	"strings"
	"unicode"
)

// token is a control sequence (<…>) or a code span, set aside while styles are
// matched.
type token struct {
	code bool
	raw  string // the control sequence between < and >, or the code span's text
}

type inlineRenderer struct {
	n        *names
	toks     []token
	textOnly bool // inside code: no links, no emoji, controls as their labels
}

// inline renders one line (or, textOnly, the inside of a code block).
func (n *names) inline(line string, textOnly bool) string {
	r := &inlineRenderer{n: n, textOnly: textOnly}
	line = scrubPlaceholders(line)
	// Control sequences first, on the escaped text: a "<" that Slack sees is
	// a real one, while "&lt;" is a character the sender typed.
	var w strings.Builder
	for len(line) > 0 {
		i := strings.IndexByte(line, '<')
		if i < 0 {
			w.WriteString(unescape.Replace(line))
			break
		}
		w.WriteString(unescape.Replace(line[:i]))
		end := strings.IndexByte(line[i+1:], '>')
		inner := ""
		if end >= 0 {
			inner = line[i+1 : i+1+end]
		}
		if end < 0 || inner == "" || strings.ContainsRune(inner, '<') || !r.room() {
			w.WriteString("<")
			line = line[i+1:]
			continue
		}
		w.WriteRune(r.add(token{raw: inner}))
		line = line[i+2+end:]
	}
	text := []rune(w.String())
	if textOnly {
		return r.leaf(text)
	}
	return r.style(r.codeSpans(text))
}

func (r *inlineRenderer) room() bool { return placeholderBase+len(r.toks) < placeholderMax }

func (r *inlineRenderer) add(t token) rune {
	r.toks = append(r.toks, t)
	return rune(placeholderBase + len(r.toks) - 1)
}

// codeSpans sets `code` aside so that nothing inside it is styled.
func (r *inlineRenderer) codeSpans(s []rune) []rune {
	var out []rune
	for i := 0; i < len(s); i++ {
		if s[i] == '`' {
			if j := indexRune(s, '`', i+1); j > i+1 && r.room() {
				out = append(out, r.add(token{code: true, raw: string(s[i+1 : j])}))
				i = j
				continue
			}
		}
		out = append(out, s[i])
	}
	return out
}

func indexRune(s []rune, c rune, from int) int {
	for i := from; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

var styleTags = map[rune]string{'*': "b", '_': "i", '~': "s"}

// style matches *bold*, _italic_ and ~strike~ the way Slack does: a marker
// opens after a non-word character and before a non-space, and closes after a
// non-space and before a non-word character, on the same line.
func (r *inlineRenderer) style(s []rune) string {
	var b strings.Builder
	start := 0
	for i := 0; i < len(s); i++ {
		tag, ok := styleTags[s[i]]
		if !ok || !opens(s, i) {
			continue
		}
		j := closes(s, i)
		if j < 0 {
			continue
		}
		b.WriteString(r.leaf(s[start:i]))
		b.WriteString("<" + tag + ">" + r.style(s[i+1:j]) + "</" + tag + ">")
		i, start = j, j+1
	}
	b.WriteString(r.leaf(s[start:]))
	return b.String()
}

func isWord(c rune) bool { return unicode.IsLetter(c) || unicode.IsDigit(c) }

func opens(s []rune, i int) bool {
	if i+1 >= len(s) || unicode.IsSpace(s[i+1]) || s[i+1] == s[i] {
		return false
	}
	return i == 0 || !isWord(s[i-1])
}

func closes(s []rune, i int) int {
	for j := i + 2; j < len(s); j++ {
		if s[j] == s[i] && !unicode.IsSpace(s[j-1]) && (j+1 == len(s) || !isWord(s[j+1])) {
			return j
		}
	}
	return -1
}

// bareURL is a URL in plain text, which Slack's client links. It stops at
// "|": typed text such as "<https://evil.example|click me>" arrives escaped,
// and its URL must not swallow the would-be label.
var bareURL = regexp.MustCompile(`https?://[^\s<>"|]+`)

// leaf renders unstyled text: escaped, with placeholders expanded, emoji and
// bare URLs turned into pictures and links.
func (r *inlineRenderer) leaf(s []rune) string {
	var b strings.Builder
	start := 0
	for i, c := range s {
		if c < placeholderBase || c >= placeholderBase+rune(len(r.toks)) {
			continue
		}
		b.WriteString(r.text(string(s[start:i])))
		t := r.toks[c-placeholderBase]
		if t.code {
			b.WriteString(`<code class="mk-code">` + html.EscapeString(r.plainControls(t.raw)) + `</code>`)
		} else {
			b.WriteString(r.n.control(t.raw, r.textOnly))
		}
		start = i + 1
	}
	b.WriteString(r.text(string(s[start:])))
	return b.String()
}

// plainControls expands placeholders inside a code span as plain labels.
func (r *inlineRenderer) plainControls(s string) string {
	var b strings.Builder
	for _, c := range s {
		if c >= placeholderBase && c < placeholderBase+rune(len(r.toks)) {
			b.WriteString(r.n.controlLabel(r.toks[c-placeholderBase].raw))
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *inlineRenderer) text(s string) string {
	if r.textOnly {
		return html.EscapeString(s)
	}
	s = emojify(s)
	var b strings.Builder
	last := 0
	for _, m := range bareURL.FindAllStringIndex(s, -1) {
		u := strings.TrimRight(s[m[0]:m[1]], ".,;:!?)'")
		b.WriteString(html.EscapeString(s[last:m[0]]))
		b.WriteString(link(u, u))
		last = m[0] + len(u)
	}
	b.WriteString(html.EscapeString(s[last:]))
	return b.String()
}

// safeLink reports whether a link target may become an href: only web and
// mail links, never javascript: or data:.
func safeLink(target string) bool {
	u, err := url.Parse(target)
	if err != nil {
		return false
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
		return u.Host != ""
	case "mailto":
		return u.Opaque != ""
	}
	return false
}

// link is a link to target (one safeLink allows) labelled label.
func link(target, label string) string {
	return linkHTML(target, html.EscapeString(label))
}

// linkHTML is a link to target (one safeLink allows) around labelHTML,
// markup already made safe. The scheme is written in lower case, as
// url.Parse reads it: "HtTp://" is a web link like any other, and the page
// then only ever holds hrefs that start with http, https or mailto.
func linkHTML(target, labelHTML string) string {
	if u, err := url.Parse(target); err == nil && len(u.Scheme) < len(target) {
		target = u.Scheme + target[len(u.Scheme):]
	}
	return `<a class="mk-link" href="` + html.EscapeString(target) + `" target="_blank" rel="noopener noreferrer">` + labelHTML + `</a>`
}

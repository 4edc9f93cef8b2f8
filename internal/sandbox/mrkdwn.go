package sandbox

import (
	"html"
	"html/template"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// names resolves the user and channel IDs that messages refer to, the way the
// client shows them, and holds the reader's "now" for relative dates.
type names struct {
	users        map[string]slackemu.User
	channels     map[string]slackemu.Channel
	userOrder    []string
	channelOrder []string
	now          time.Time
}

func newNames(users []slackemu.User, channels []slackemu.Channel, now time.Time) *names {
	n := &names{users: map[string]slackemu.User{}, channels: map[string]slackemu.Channel{}, now: now}
	for _, u := range users {
		n.users[u.ID] = u
		n.userOrder = append(n.userOrder, u.ID)
	}
	for _, c := range channels {
		n.channels[c.ID] = c
		n.channelOrder = append(n.channelOrder, c.ID)
	}
	return n
}

// userName is what the client shows for a user: the real name, else the
// handle, else the ID.
func (n *names) userName(id string) string {
	u, ok := n.users[id]
	switch {
	case !ok:
		return id
	case u.RealName != "":
		return u.RealName
	case u.Name != "":
		return u.Name
	}
	return id
}

func (n *names) channelName(id string) string {
	if c, ok := n.channels[id]; ok && c.Name != "" {
		return c.Name
	}
	return id
}

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
	line = strings.Map(func(c rune) rune {
		if c >= placeholderBase && c <= placeholderMax {
			return utf8.RuneError
		}
		return c
	}, line)
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

func link(target, label string) string {
	return `<a class="mk-link" href="` + html.EscapeString(target) + `" target="_blank" rel="noopener noreferrer">` + html.EscapeString(label) + `</a>`
}

// control renders a control sequence (the text between < and >).
func (n *names) control(raw string, textOnly bool) string {
	if textOnly {
		return html.EscapeString(n.controlLabel(raw))
	}
	body, label, _ := strings.Cut(raw, "|")
	label = unescape.Replace(label)
	switch {
	case strings.HasPrefix(body, "@") && len(body) > 1:
		id := body[1:]
		return `<span class="mention" data-user="` + html.EscapeString(id) + `">@` + html.EscapeString(n.mentionName(id, label)) + `</span>`
	case strings.HasPrefix(body, "#") && len(body) > 1:
		id := body[1:]
		return `<a class="channel-link" href="#" data-channel="` + html.EscapeString(id) + `">#` + html.EscapeString(n.channelLabel(id, label)) + `</a>`
	case strings.HasPrefix(body, "!"):
		return n.special(body[1:], label)
	}
	target := unescape.Replace(body)
	if !safeLink(target) {
		return html.EscapeString("<" + unescape.Replace(raw) + ">")
	}
	if label == "" {
		label = strings.TrimPrefix(target, "mailto:")
	}
	return link(target, label)
}

func (n *names) mentionName(id, label string) string {
	if _, ok := n.users[id]; ok || label == "" {
		return n.userName(id)
	}
	return label
}

func (n *names) channelLabel(id, label string) string {
	if _, ok := n.channels[id]; ok || label == "" {
		return n.channelName(id)
	}
	return label
}

// special renders <!…>: broadcasts, user groups and dates.
func (n *names) special(cmd, label string) string {
	switch {
	case cmd == "here" || cmd == "channel" || cmd == "everyone":
		return `<span class="mention broadcast">@` + cmd + `</span>`
	case strings.HasPrefix(cmd, "subteam^"):
		if label == "" {
			label = "@" + strings.TrimPrefix(cmd, "subteam^")
		}
		return `<span class="mention">` + html.EscapeString(label) + `</span>`
	case strings.HasPrefix(cmd, "date^"):
		return n.date(cmd, label)
	}
	if label == "" {
		label = "<!" + cmd + ">"
	}
	return html.EscapeString(label)
}

// controlLabel is a control sequence as plain text (inside code).
func (n *names) controlLabel(raw string) string {
	body, label, _ := strings.Cut(raw, "|")
	label = unescape.Replace(label)
	switch {
	case strings.HasPrefix(body, "@") && len(body) > 1:
		return "@" + n.mentionName(body[1:], label)
	case strings.HasPrefix(body, "#") && len(body) > 1:
		return "#" + n.channelLabel(body[1:], label)
	case body == "!here" || body == "!channel" || body == "!everyone":
		return "@" + body[1:]
	case label != "":
		return label
	}
	return "<" + unescape.Replace(body) + ">"
}

// date renders <!date^unix^format[^link]|fallback> in UTC (the sandbox has no
// reader's time zone, so it says which one it uses).
func (n *names) date(cmd, fallback string) string {
	parts := strings.SplitN(cmd, "^", 4)
	if len(parts) < 3 {
		return html.EscapeString(fallback)
	}
	sec, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil {
		return html.EscapeString(fallback)
	}
	t := time.Unix(sec, 0).UTC()
	text := n.formatDate(t, unescape.Replace(parts[2]))
	out := `<time class="mk-date" datetime="` + t.Format(time.RFC3339) + `" title="` + html.EscapeString(t.Format("Monday, 2 January 2006 15:04:05 UTC")) + `">` + html.EscapeString(text) + `</time>`
	if len(parts) == 4 {
		if target := unescape.Replace(parts[3]); safeLink(target) {
			out = `<a class="mk-link" href="` + html.EscapeString(target) + `" target="_blank" rel="noopener noreferrer">` + out + `</a>`
		}
	}
	return out
}

var dateToken = regexp.MustCompile(`\{[a-z_]+\}`)

func (n *names) formatDate(t time.Time, format string) string {
	day := func(pretty bool, plain string) string {
		if !pretty {
			return plain
		}
		now := n.now.UTC()
		today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
		switch d := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC); {
		case d.Equal(today):
			return "today"
		case d.Equal(today.AddDate(0, 0, -1)):
			return "yesterday"
		case d.Equal(today.AddDate(0, 0, 1)):
			return "tomorrow"
		}
		return plain
	}
	long := t.Format("Monday, January ") + ordinal(t.Day()) + t.Format(", 2006")
	medium := t.Format("January ") + ordinal(t.Day()) + t.Format(", 2006")
	short := t.Format("Jan 2, 2006")
	out := dateToken.ReplaceAllStringFunc(format, func(tok string) string {
		switch tok {
		case "{date_num}":
			return t.Format("2006-01-02")
		case "{date_slash}":
			return t.Format("1/2/2006")
		case "{date_long}", "{date_long_pretty}":
			return day(tok == "{date_long_pretty}", long)
		case "{date}", "{date_pretty}":
			return day(tok == "{date_pretty}", medium)
		case "{date_short}", "{date_short_pretty}":
			return day(tok == "{date_short_pretty}", short)
		case "{time}":
			return t.Format("15:04") + " UTC"
		case "{time_secs}":
			return t.Format("15:04:05") + " UTC"
		case "{ago}":
			return ago(n.now.Sub(t))
		}
		return tok
	})
	if r, size := utf8.DecodeRuneInString(out); size > 0 {
		out = string(unicode.ToUpper(r)) + out[size:]
	}
	return out
}

func ordinal(d int) string {
	suffix := "th"
	switch {
	case d%100 >= 11 && d%100 <= 13:
	case d%10 == 1:
		suffix = "st"
	case d%10 == 2:
		suffix = "nd"
	case d%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(d) + suffix
}

func ago(d time.Duration) string {
	future := d < 0
	if future {
		d = -d
	}
	var s string
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		s = plural(int(d.Minutes()), "minute")
	case d < 24*time.Hour:
		s = plural(int(d.Hours()), "hour")
	default:
		s = plural(int(d.Hours()/24), "day")
	}
	if future {
		return "in " + s
	}
	return s + " ago"
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

package sandbox

import (
	"html"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

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
			out = linkHTML(target, out)
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

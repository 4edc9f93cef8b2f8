package sandbox

import (
	"html"
	"html/template"
	"regexp"
	"strconv"
	"strings"
)

// markdown renders a Markdown document (an uploaded file such as the
// postmortem) as HTML: headings, paragraphs, nested and task lists, quotes,
// fenced code, rules and pipe tables, with **bold**, *italic*, ~~strike~~,
// `code` and [links](…). Raw HTML in the source is shown as text: every piece
// of the document is escaped, and only http(s) and mailto links become links.
func markdown(src string) template.HTML {
	r := &mdRenderer{}
	r.blocks(strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n"))
	return template.HTML(r.b.String())
}

type mdRenderer struct {
	b strings.Builder
}

var (
	mdHeading   = regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$`)
	mdRule      = regexp.MustCompile(`^ {0,3}(?:(?:\*[ \t]*){3,}|(?:-[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	mdFence     = regexp.MustCompile("^ {0,3}(```+|~~~+)[ \t]*([^`]*)$")
	mdQuote     = regexp.MustCompile(`^ {0,3}> ?(.*)$`)
	mdItem      = regexp.MustCompile(`^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$`)
	mdTableRule = regexp.MustCompile(`^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$`)
)

func (r *mdRenderer) blocks(lines []string) {
	var para []string
	flush := func() {
		if len(para) > 0 {
			r.b.WriteString("<p>" + mdInline(strings.Join(para, "\n")) + "</p>\n")
			para = nil
		}
	}
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case mdFence.MatchString(line):
			flush()
			i = r.fence(lines, i)
		case mdHeading.MatchString(line):
			flush()
			m := mdHeading.FindStringSubmatch(line)
			level := strconv.Itoa(len(m[1]))
			r.b.WriteString("<h" + level + ">" + mdInline(m[2]) + "</h" + level + ">\n")
		case mdRule.MatchString(line):
			flush()
			r.b.WriteString("<hr>\n")
		case mdQuote.MatchString(line):
			flush()
			var inner []string
			for ; i < len(lines) && mdQuote.MatchString(lines[i]); i++ {
				inner = append(inner, mdQuote.FindStringSubmatch(lines[i])[1])
			}
			i--
			sub := &mdRenderer{}
			sub.blocks(inner)
			r.b.WriteString("<blockquote>\n" + sub.b.String() + "</blockquote>\n")
		case mdItem.MatchString(line):
			flush()
			i = r.list(lines, i)
		case strings.Contains(line, "|") && i+1 < len(lines) && mdTableRule.MatchString(lines[i+1]) && strings.Contains(lines[i+1], "-"):
			flush()
			i = r.table(lines, i)
		default:
			para = append(para, strings.TrimSpace(line))
		}
	}
	flush()
}

// fence renders a fenced code block starting at lines[i] and returns the index
// of its last line.
func (r *mdRenderer) fence(lines []string, i int) int {
	m := mdFence.FindStringSubmatch(lines[i])
	marker := m[1]
	var code []string
	j := i + 1
	for ; j < len(lines); j++ {
		if t := strings.TrimSpace(lines[j]); strings.HasPrefix(t, marker[:3]) && strings.Trim(t, marker[:1]) == "" && len(t) >= len(marker) {
			break
		}
		code = append(code, lines[j])
	}
	class := ""
	if lang := strings.Fields(m[2]); len(lang) > 0 {
		class = ` class="language-` + html.EscapeString(lang[0]) + `"`
	}
	r.b.WriteString("<pre><code" + class + ">" + html.EscapeString(strings.Join(code, "\n")) + "</code></pre>\n")
	if j == len(lines) {
		return j - 1
	}
	return j
}

// listFrame is an open <ul>/<ol> and the indentation of its items.
type listFrame struct {
	tag    string
	indent int
}

// list renders consecutive list items (nested by indentation) starting at
// lines[i] and returns the index of the last line it consumed.
func (r *mdRenderer) list(lines []string, i int) int {
	var stack []listFrame
	closeTo := func(indent int) {
		for len(stack) > 0 && stack[len(stack)-1].indent > indent {
			r.b.WriteString("</li></" + stack[len(stack)-1].tag + ">\n")
			stack = stack[:len(stack)-1]
		}
	}
	for ; i < len(lines); i++ {
		line := lines[i]
		m := mdItem.FindStringSubmatch(line)
		if m == nil {
			if strings.TrimSpace(line) == "" {
				// A blank line ends the list unless an item or an indented
				// continuation follows.
				if i+1 < len(lines) && (mdItem.MatchString(lines[i+1]) || indentOf(lines[i+1]) >= 2) && strings.TrimSpace(lines[i+1]) != "" {
					continue
				}
				break
			}
			if isBlockStart(line) {
				break
			}
			r.b.WriteString(" " + mdInline(strings.TrimSpace(line)))
			continue
		}
		indent := indentOf(m[1])
		tag := "ul"
		if m[2][0] >= '0' && m[2][0] <= '9' {
			tag = "ol"
		}
		closeTo(indent)
		top := len(stack) - 1
		switch {
		case top < 0 || indent > stack[top].indent:
			start := ""
			if n, err := strconv.Atoi(strings.TrimRight(m[2], ".)")); tag == "ol" && err == nil && n != 1 {
				start = ` start="` + strconv.Itoa(n) + `"`
			}
			r.b.WriteString("<" + tag + start + ">\n")
			stack = append(stack, listFrame{tag: tag, indent: indent})
		case stack[top].tag != tag:
			r.b.WriteString("</li></" + stack[top].tag + ">\n<" + tag + ">\n")
			stack[top].tag = tag
		default:
			r.b.WriteString("</li>\n")
		}
		r.b.WriteString("<li>" + taskItem(m[3]))
	}
	closeTo(-1)
	return i - 1
}

func isBlockStart(line string) bool {
	return mdHeading.MatchString(line) || mdFence.MatchString(line) || mdRule.MatchString(line) || mdQuote.MatchString(line)
}

func indentOf(s string) int {
	n := 0
	for _, c := range s {
		switch c {
		case ' ':
			n++
		case '\t':
			n += 4
		default:
			return n
		}
	}
	return n
}

// taskItem renders "[ ] …" and "[x] …" items as checkboxes.
func taskItem(s string) string {
	switch {
	case strings.HasPrefix(s, "[ ] "):
		return `<input type="checkbox" disabled> ` + mdInline(s[4:])
	case strings.HasPrefix(s, "[x] "), strings.HasPrefix(s, "[X] "):
		return `<input type="checkbox" checked disabled> ` + mdInline(s[4:])
	}
	return mdInline(s)
}

// table renders a pipe table whose header is lines[i] and returns the index
// of its last row.
func (r *mdRenderer) table(lines []string, i int) int {
	aligns := []string{}
	for _, c := range splitRow(lines[i+1]) {
		c = strings.TrimSpace(c)
		switch {
		case strings.HasPrefix(c, ":") && strings.HasSuffix(c, ":"):
			aligns = append(aligns, "center")
		case strings.HasSuffix(c, ":"):
			aligns = append(aligns, "right")
		case strings.HasPrefix(c, ":"):
			aligns = append(aligns, "left")
		default:
			aligns = append(aligns, "")
		}
	}
	row := func(line, cell string) {
		r.b.WriteString("<tr>")
		for k, c := range splitRow(line) {
			style := "" // a class: the page's CSP allows no inline styles
			if k < len(aligns) && aligns[k] != "" {
				style = ` class="align-` + aligns[k] + `"`
			}
			r.b.WriteString("<" + cell + style + ">" + mdInline(strings.TrimSpace(c)) + "</" + cell + ">")
		}
		r.b.WriteString("</tr>\n")
	}
	r.b.WriteString("<table>\n<thead>")
	row(lines[i], "th")
	r.b.WriteString("</thead>\n<tbody>\n")
	j := i + 2
	for ; j < len(lines) && strings.Contains(lines[j], "|") && strings.TrimSpace(lines[j]) != ""; j++ {
		row(lines[j], "td")
	}
	r.b.WriteString("</tbody>\n</table>\n")
	return j - 1
}

// splitRow splits a table row on the pipes that are not escaped (\|) or in
// code.
func splitRow(line string) []string {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "|")
	if strings.HasSuffix(line, "|") && !strings.HasSuffix(line, `\|`) {
		line = line[:len(line)-1]
	}
	var cells []string
	var cur strings.Builder
	inCode := false
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '\\' && i+1 < len(line) && line[i+1] == '|':
			cur.WriteString(`\|`)
			i++
		case c == '`':
			inCode = !inCode
			cur.WriteByte(c)
		case c == '|' && !inCode:
			cells = append(cells, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(c)
		}
	}
	return append(cells, cur.String())
}

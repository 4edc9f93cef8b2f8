package slackemu

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// The literals of jsonReader: numbers and strings, as encoding/json reads
// them (see decodeValue).

// number reads a number as JSON's grammar has it, and keeps its text
// (UseNumber).
func (r *jsonReader) number() (any, bool) {
	d, start := r.data, r.pos
	i := start
	if d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && '1' <= d[i] && d[i] <= '9':
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	default:
		return nil, false
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return nil, false
		}
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
	}
	r.pos = i
	return json.Number(d[start:i]), true
}

// str reads a string literal. Like encoding/json it turns bytes that are not
// UTF-8 into U+FFFD, and a lone or broken surrogate escape into U+FFFD; a
// control character or an escape JSON does not know is invalid.
func (r *jsonReader) str() (string, bool) {
	d := r.data
	start := r.pos + 1
	i := start
	for i < len(d) {
		c := d[i]
		if c == '"' {
			r.pos = i + 1
			return d[start:i], true
		}
		if c == '\\' || c < ' ' {
			break
		}
		if c < utf8.RuneSelf {
			i++
			continue
		}
		rr, size := utf8.DecodeRuneInString(d[i:])
		if rr == utf8.RuneError && size == 1 {
			break
		}
		i += size
	}
	// The slow way: escapes or bytes to replace.
	b := make([]byte, i-start, i-start+64)
	copy(b, d[start:i])
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			r.pos = i + 1
			return string(b), true
		case c < ' ':
			return "", false
		case c == '\\':
			if i+1 >= len(d) {
				return "", false
			}
			switch e := d[i+1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rr := hex4(d[i+2:])
				if rr < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(rr) {
					if rr1 := hex4u(d[i:]); rr1 >= 0 {
						if dec := utf16.DecodeRune(rr, rr1); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							i += 6
							continue
						}
					}
					rr = utf8.RuneError
				}
				b = utf8.AppendRune(b, rr)
				continue
			default:
				return "", false
			}
			i += 2
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			rr, size := utf8.DecodeRuneInString(d[i:])
			b = utf8.AppendRune(b, rr)
			i += size
		}
	}
	return "", false
}

// hex4 reads the 4 hex digits of a \u escape; -1 when they are not.
func hex4(d string) rune {
	if len(d) < 4 {
		return -1
	}
	var r rune
	for _, c := range d[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// hex4u reads a "\uXXXX" escape; -1 when d does not start with one.
func hex4u(d string) rune {
	if len(d) < 6 || d[0] != '\\' || d[1] != 'u' {
		return -1
	}
	return hex4(d[2:])
}

// boxString is s as an any. Putting a string in an interface allocates its
// header; the words Block Kit repeats in every block come back as constants,
// which do not.
func boxString(s string) any {
	switch s {
	case "section":
		return "section"
	case "actions":
		return "actions"
	case "context":
		return "context"
	case "divider":
		return "divider"
	case "header":
		return "header"
	case "input":
		return "input"
	case "button":
		return "button"
	case "plain_text":
		return "plain_text"
	case "mrkdwn":
		return "mrkdwn"
	case "primary":
		return "primary"
	case "danger":
		return "danger"
	case "static_select":
		return "static_select"
	case "users_select":
		return "users_select"
	case "plain_text_input":
		return "plain_text_input"
	case "":
		return ""
	}
	return s
}

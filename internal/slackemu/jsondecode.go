package slackemu

import (
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// The emulator decodes every JSON argument of every call (a post's blocks
// and metadata, a view) into plain values: Call.Args holds them that way and
// the Block Kit checks walk them. encoding/json scans each value twice (once
// to find its end, once to decode it) through a byte-at-a-time state
// machine, and grows every object's map key by key; in a burst of posts that
// was the largest part of the emulator's CPU. decodeValue is a one-pass
// reader for the common case, a document that is exactly one valid JSON
// value, and gives exactly what json.Decoder with UseNumber gives for it
// (map[string]any, []any, string, json.Number, bool, nil). Anything else
// (invalid JSON, trailing data, very deep nesting) it refuses, and the
// caller decodes with encoding/json, so its answer and errors stay the
// authority.

// maxFastDepth bounds decodeValue's recursion; deeper documents go to
// encoding/json, which has its own limit.
const maxFastDepth = 200

type jsonReader struct {
	data  string // strings read without escapes are slices of it, not copies
	pos   int
	depth int
	pairs []jsonPair // scratch: the members of the objects being read
	items []any      // scratch: the elements of the arrays being read
	// lenient makes skip take any valid JSON, not only what Marshal
	// would copy as it is.
	lenient bool
}

type jsonPair struct {
	key string
	val any
}

// decodeValue decodes data if it is one JSON value, with only white space
// around it; ok is false otherwise.
func decodeValue(data string) (v any, ok bool) {
	r := jsonReader{data: data}
	r.space()
	v, ok = r.value()
	if !ok {
		return nil, false
	}
	r.space()
	return v, r.pos == len(r.data)
}

// decodeJSONArg is decodeValue for text, falling back to json.Decoder with
// UseNumber for anything decodeValue refuses (so for invalid text, it
// returns encoding/json's error).
func decodeJSONArg(text string) (any, error) {
	if v, ok := decodeValue(text); ok {
		return v, nil
	}
	return decodeJSON(json.RawMessage(text)) // refused again there, and decoded by encoding/json
}

func (r *jsonReader) space() {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return
		}
	}
}

func (r *jsonReader) value() (any, bool) {
	if r.pos >= len(r.data) {
		return nil, false
	}
	switch c := r.data[r.pos]; {
	case c == '{':
		return r.object()
	case c == '[':
		return r.array()
	case c == '"':
		s, ok := r.str()
		return boxString(s), ok
	case c == '-' || ('0' <= c && c <= '9'):
		return r.number()
	case c == 't':
		return true, r.literal("true")
	case c == 'f':
		return false, r.literal("false")
	case c == 'n':
		return nil, r.literal("null")
	}
	return nil, false
}

func (r *jsonReader) literal(word string) bool {
	if len(r.data)-r.pos < len(word) || r.data[r.pos:r.pos+len(word)] != word {
		return false
	}
	r.pos += len(word)
	return true
}

func (r *jsonReader) object() (any, bool) {
	if r.depth++; r.depth > maxFastDepth {
		return nil, false
	}
	r.pos++ // '{'
	base := len(r.pairs)
	r.space()
	if r.pos < len(r.data) && r.data[r.pos] == '}' {
		r.pos++
		r.depth--
		return map[string]any{}, true
	}
	for {
		if r.pos >= len(r.data) || r.data[r.pos] != '"' {
			return nil, false
		}
		key, ok := r.str()
		if !ok {
			return nil, false
		}
		r.space()
		if r.pos >= len(r.data) || r.data[r.pos] != ':' {
			return nil, false
		}
		r.pos++
		r.space()
		val, ok := r.value()
		if !ok {
			return nil, false
		}
		r.pairs = append(r.pairs, jsonPair{key, val})
		r.space()
		if r.pos >= len(r.data) {
			return nil, false
		}
		c := r.data[r.pos]
		r.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, false
		}
		r.space()
	}
	// Sized once: growing a map member by member was a good part of
	// encoding/json's cost. A key given twice keeps its last value, as there.
	m := make(map[string]any, len(r.pairs)-base)
	for _, p := range r.pairs[base:] {
		m[p.key] = p.val
	}
	clear(r.pairs[base:])
	r.pairs = r.pairs[:base]
	r.depth--
	return m, true
}

func (r *jsonReader) array() (any, bool) {
	if r.depth++; r.depth > maxFastDepth {
		return nil, false
	}
	r.pos++ // '['
	r.space()
	if r.pos < len(r.data) && r.data[r.pos] == ']' {
		r.pos++
		r.depth--
		return []any{}, true
	}
	base := len(r.items)
	for {
		v, ok := r.value()
		if !ok {
			return nil, false
		}
		r.items = append(r.items, v)
		r.space()
		if r.pos >= len(r.data) {
			return nil, false
		}
		c := r.data[r.pos]
		r.pos++
		if c == ']' {
			break
		}
		if c != ',' {
			return nil, false
		}
		r.space()
	}
	// Sized once, like an object's map.
	list := make([]any, len(r.items)-base)
	copy(list, r.items[base:])
	clear(r.items[base:])
	r.items = r.items[:base]
	r.depth--
	return list, true
}

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

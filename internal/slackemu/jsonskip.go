package slackemu

import (
	"unicode/utf8"
	"unsafe"
)

// Passing over JSON without decoding it: to check that a RawMessage is
// what Marshal would copy as it is (plainJSON), and to find an ack's
// payload (a lenient reader).

// validNumber is JSON's number grammar, which Marshal checks a json.Number
// against.
func validNumber(s string) bool {
	r := jsonReader{data: s}
	if s == "" || !(s[0] == '-' || ('0' <= s[0] && s[0] <= '9')) {
		return false
	}
	_, ok := r.number()
	return ok && r.pos == len(s)
}

// plainJSON reports whether raw is one valid JSON value that Marshal would
// copy as it is: compact (no white space outside strings) and with nothing in
// its strings that Marshal escapes (<, >, &, U+2028, U+2029). The emulator's
// stored blocks and metadata are encoded by appendJSON, so they always are.
func plainJSON(raw []byte) bool {
	// The scan keeps nothing of raw, so it may read it in place.
	r := jsonReader{data: unsafe.String(unsafe.SliceData(raw), len(raw))}
	return r.skip() && r.pos == len(raw)
}

// skip passes over one compact value, refusing white space and what Marshal
// would escape; unlike value it keeps nothing. A lenient reader's skip
// passes over any valid value.
func (r *jsonReader) skip() bool {
	if r.pos >= len(r.data) {
		return false
	}
	switch c := r.data[r.pos]; {
	case c == '{' || c == '[':
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		if r.depth++; r.depth > maxFastDepth {
			return false
		}
		r.pos++
		r.gap()
		if r.pos < len(r.data) && r.data[r.pos] == end {
			r.pos++
			r.depth--
			return true
		}
		for {
			if c == '{' {
				if !r.skipString() {
					return false
				}
				if r.gap(); r.pos >= len(r.data) || r.data[r.pos] != ':' {
					return false
				}
				r.pos++
				r.gap()
			}
			if !r.skip() {
				return false
			}
			if r.gap(); r.pos >= len(r.data) {
				return false
			}
			next := r.data[r.pos]
			r.pos++
			if next == end {
				r.depth--
				return true
			}
			if next != ',' {
				return false
			}
			r.gap()
		}
	case c == '"':
		return r.skipString()
	case c == '-' || ('0' <= c && c <= '9'):
		_, ok := r.number()
		return ok
	case c == 't':
		return r.literal("true")
	case c == 'f':
		return r.literal("false")
	case c == 'n':
		return r.literal("null")
	}
	return false
}

// gap passes over white space between tokens, where skip allows it.
func (r *jsonReader) gap() {
	if r.lenient {
		r.space()
	}
}

// skipString passes over a string literal that Marshal would leave as it is:
// escapes are allowed only where Marshal itself writes them the same way.
func (r *jsonReader) skipString() bool {
	d := r.data
	if r.pos >= len(d) || d[r.pos] != '"' {
		return false
	}
	for i := r.pos + 1; i < len(d); {
		c := d[i]
		switch {
		case c == '"':
			r.pos = i + 1
			return true
		case c < ' ':
			return false
		case (c == '<' || c == '>' || c == '&') && !r.lenient:
			return false
		case c == '\\':
			// Compacting copies escapes as they are; only their validity matters.
			if i+1 >= len(d) {
				return false
			}
			switch d[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(d[i+2:]) < 0 {
					return false
				}
				i += 6
			default:
				return false
			}
		case c < utf8.RuneSelf:
			i++
		default:
			rr, size := utf8.DecodeRuneInString(d[i:])
			if (rr == '\u2028' || rr == '\u2029') && !r.lenient {
				return false
			}
			// Compacting leaves bytes that are not UTF-8 as they are, too.
			i += size
		}
	}
	return false
}

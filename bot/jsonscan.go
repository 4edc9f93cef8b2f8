package bot

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A reader for the two JSON objects every slash command brings, the Socket
// Mode envelope and its payload, read on each ack's path (the envelope on
// the socket's one read loop). encoding/json scans a value twice (checking
// it, then decoding by reflection); these read it once. They take the
// common shape only and report !ok for anything else (a key that differs
// from a field's only in case, a number where a string belongs, an escape in
// a key, nesting deeper than encoding/json allows), so that the caller
// decodes with encoding/json, which then decides as it always has.

// maxJSONDepth is encoding/json's nesting limit; deeper input is left to it
// (it refuses it).
const maxJSONDepth = 10000

// scanObject reads data as one JSON object with nothing around it but
// white space, calling fn with each member's key and raw value in order. It
// checks every value as encoding/json does. ok is false when data is not
// valid JSON, is not an object, has a key with an escape, or fn returned
// false.
func scanObject(data []byte, fn func(key, raw []byte) bool) (ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return false
		}
		end, escaped := scanString(data, i)
		if end < 0 || escaped {
			return false
		}
		key := data[i+1 : end-1]
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return false
		}
		i = skipSpace(data, i+1)
		end = validValueAt(data, i, 2) // inside the object
		if end < 0 || !fn(key, data[i:end]) {
			return false
		}
		i = skipSpace(data, end)
		if i >= len(data) {
			return false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return skipSpace(data, i+1) == len(data)
		default:
			return false
		}
	}
}

// scanString returns the index after the string starting at data[i] (a
// quote), or -1 if it is not a valid JSON string; escaped says whether it
// holds a backslash.
func scanString(data []byte, i int) (end int, escaped bool) {
	for i++; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return i + 1, escaped
		case c < 0x20:
			return -1, false
		case c == '\\':
			escaped = true
			i++
			if i >= len(data) {
				return -1, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) {
					return -1, false
				}
				for _, h := range data[i+1 : i+5] {
					if !isHex(h) {
						return -1, false
					}
				}
				i += 4
			default:
				return -1, false
			}
		}
	}
	return -1, false
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// validValueAt returns the index after the JSON value starting at data[i],
// at nesting depth depth, or -1 if there is no valid value there or it
// nests deeper than maxJSONDepth.
func validValueAt(data []byte, i, depth int) int {
	if i >= len(data) {
		return -1
	}
	switch c := data[i]; {
	case c == '"':
		end, _ := scanString(data, i)
		return end
	case c == '{' || c == '[':
		if depth > maxJSONDepth {
			return -1
		}
		return skipComposite(data, i, depth)
	case c == 't':
		return skipLiteral(data, i, "true")
	case c == 'f':
		return skipLiteral(data, i, "false")
	case c == 'n':
		return skipLiteral(data, i, "null")
	default:
		return skipNumber(data, i)
	}
}

// skipComposite skips the object or array starting at data[i].
func skipComposite(data []byte, i, depth int) int {
	closing, object := byte(']'), data[i] == '{'
	if object {
		closing = '}'
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == closing {
		return i + 1
	}
	for {
		if object {
			if i >= len(data) || data[i] != '"' {
				return -1
			}
			if i, _ = scanString(data, i); i < 0 {
				return -1
			}
			i = skipSpace(data, i)
			if i >= len(data) || data[i] != ':' {
				return -1
			}
			i = skipSpace(data, i+1)
		}
		if i = validValueAt(data, i, depth+1); i < 0 {
			return -1
		}
		i = skipSpace(data, i)
		if i >= len(data) {
			return -1
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case closing:
			return i + 1
		default:
			return -1
		}
	}
}

func skipLiteral(data []byte, i int, lit string) int {
	if len(data)-i < len(lit) || string(data[i:i+len(lit)]) != lit {
		return -1
	}
	return i + len(lit)
}

// skipNumber skips -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?.
func skipNumber(data []byte, i int) int {
	digits := func(i int) int {
		j := i
		for j < len(data) && '0' <= data[j] && data[j] <= '9' {
			j++
		}
		if j == i {
			return -1
		}
		return j
	}
	if i < len(data) && data[i] == '-' {
		i++
	}
	switch {
	case i >= len(data):
		return -1
	case data[i] == '0':
		i++
	default:
		if i = digits(i); i < 0 {
			return -1
		}
	}
	if i < len(data) && data[i] == '.' {
		if i = digits(i + 1); i < 0 {
			return -1
		}
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		if i = digits(i); i < 0 {
			return -1
		}
	}
	return i
}

// jsonString decodes raw, a valid JSON string or null, into *dst as
// encoding/json does (null leaves *dst alone); ok is false for any other
// value.
func jsonString(raw []byte, dst *string) (ok bool) {
	switch {
	case string(raw) == "null":
		return true
	case len(raw) < 2 || raw[0] != '"':
		return false
	}
	inner := raw[1 : len(raw)-1]
	if !utf8.Valid(inner) {
		// encoding/json replaces what is not UTF-8.
		return json.Unmarshal(raw, dst) == nil
	}
	if !strings.ContainsRune(string(inner), '\\') {
		*dst = string(inner)
		return true
	}
	// Slack escapes every slash (a URL's, a command's name).
	var b strings.Builder
	b.Grow(len(inner))
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++ // scanString saw to it that an escape is complete
		switch inner[i] {
		case '"', '\\', '/':
			b.WriteByte(inner[i])
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		default: // \u, with its surrogate pairs and their mistakes
			return json.Unmarshal(raw, dst) == nil
		}
	}
	*dst = b.String()
	return true
}

// jsonInt decodes raw, a plain JSON integer that fits an int, or null.
func jsonInt(raw []byte, dst *int) (ok bool) {
	if string(raw) == "null" {
		return true
	}
	n, err := strconv.Atoi(string(raw))
	if err != nil {
		return false
	}
	*dst = n
	return true
}

// jsonBool decodes raw, true, false or null.
func jsonBool(raw []byte, dst *bool) (ok bool) {
	switch string(raw) {
	case "true":
		*dst = true
	case "false":
		*dst = false
	case "null":
	default:
		return false
	}
	return true
}

// foreignKey reports whether key matches none of fields, as encoding/json
// matches keys (exactly, else ignoring case): such a member is ignored.
// A key that is not plain ASCII is not judged (Unicode case folding has
// corners encoding/json treats its own way): false.
func foreignKey(key []byte, fields ...string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= utf8.RuneSelf {
			return false
		}
	}
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return false
		}
	}
	return true
}

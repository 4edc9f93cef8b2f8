package slackemu

import (
	"encoding/json"
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

package slackemu

import (
	"encoding/json"
	"slices"
	"strings"
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
	// canon, when set, has each value's encoding as json.Marshal would
	// write it once decoded appended to out (see decodeCanonical).
	canon bool
	out   []byte
	items []any // scratch: the elements of the arrays being read
	// lenient makes skip take any valid JSON, not only what Marshal
	// would copy as it is.
	lenient bool
}

type jsonPair struct {
	key        string
	val        any
	start, end int // the member's "key":value in out, with canon
}

// decodeValue decodes data if it is one JSON value, with only white space
// around it; ok is false otherwise.
func decodeValue(data string) (v any, ok bool) {
	var pairs [16]jsonPair // the scratch, sized for a post's blocks at once
	var items [16]any
	r := jsonReader{data: data, pairs: pairs[:0], items: items[:0]}
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
		if ok && r.canon {
			r.out = appendJSONString(r.out, s)
		}
		return boxString(s), ok
	case c == '-' || ('0' <= c && c <= '9'):
		n, ok := r.number()
		if ok && r.canon {
			r.out = append(r.out, n.(json.Number)...)
		}
		return n, ok
	case c == 't':
		return true, r.literal("true") && r.emit("true")
	case c == 'f':
		return false, r.literal("false") && r.emit("false")
	case c == 'n':
		return nil, r.literal("null") && r.emit("null")
	}
	return nil, false
}

// emit appends text to out, with canon; it reports true.
func (r *jsonReader) emit(text string) bool {
	if r.canon {
		r.out = append(r.out, text...)
	}
	return true
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
		r.emit("{}")
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
		start := len(r.out)
		if r.canon {
			r.out = appendJSONString(r.out, key)
			r.out = append(r.out, ':')
		}
		val, ok := r.value()
		if !ok {
			return nil, false
		}
		r.pairs = append(r.pairs, jsonPair{key, val, start, len(r.out)})
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
	if r.canon {
		r.canonObject(r.pairs[base:])
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
		r.emit("[]")
		return []any{}, true
	}
	base := len(r.items)
	r.emit("[")
	for {
		if len(r.items) > base {
			r.emit(",")
		}
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
	r.emit("]")
	// Sized once, like an object's map.
	list := make([]any, len(r.items)-base)
	copy(list, r.items[base:])
	clear(r.items[base:])
	r.items = r.items[:base]
	r.depth--
	return list, true
}

// decodeCanonical is decodeValue that also appends to out what json.Marshal
// gives for the decoded value: a post's blocks are stored that way, and
// encoding the decoded maps again cost a third of decoding them.
func decodeCanonical(data string, out []byte) (v any, canon []byte, ok bool) {
	var pairs [16]jsonPair // the scratch, sized for a post's blocks at once
	var items [16]any
	r := jsonReader{data: data, canon: true, out: out, pairs: pairs[:0], items: items[:0]}
	r.space()
	if v, ok = r.value(); !ok {
		return nil, nil, false
	}
	r.space()
	return v, r.out, r.pos == len(r.data)
}

// canonObject replaces the members an object wrote to out (each "key":value,
// in the order read) by the object as Marshal writes its map: members in
// key order, a key given twice once, with its last value.
func (r *jsonReader) canonObject(members []jsonPair) {
	start := members[0].start
	var small [16]int
	order := small[:0]
	for i := range members {
		order = append(order, i)
	}
	slices.SortStableFunc(order, func(a, b int) int { return strings.Compare(members[a].key, members[b].key) })
	final := len(r.out)
	r.out = append(r.out, '{')
	first := true
	for n, i := range order {
		if n+1 < len(order) && members[order[n+1]].key == members[i].key {
			continue // the later one wins
		}
		if !first {
			r.out = append(r.out, ',')
		}
		first = false
		r.out = append(r.out, r.out[members[i].start:members[i].end]...)
	}
	r.out = append(r.out, '}')
	n := copy(r.out[start:], r.out[final:])
	r.out = r.out[:start+n]
}

package slackemu

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/incidentbot/incidentbot/internal/jsonenc"
)

// appendJSON appends v encoded exactly as json.Marshal encodes it (map keys
// sorted, <, > and & escaped, a RawMessage compacted), for the values the
// emulator's answers and arguments are made of: maps, slices, strings,
// bools, ints, json.Number, json.RawMessage and nil. Marshal walks them by
// reflection and sorts each map's keys as reflect.Values, which made
// encoding an answer cost more than producing it. Any other type is handed
// to json.Marshal itself; ok is false when that fails (as Marshal of the
// whole would).
func appendJSON(dst []byte, v any) ([]byte, bool) {
	switch v := v.(type) {
	case nil:
		return append(dst, "null"...), true
	case string:
		return appendJSONString(dst, v), true
	case bool:
		return strconv.AppendBool(dst, v), true
	case int:
		return strconv.AppendInt(dst, int64(v), 10), true
	case int64:
		return strconv.AppendInt(dst, v, 10), true
	case json.Number:
		if v == "" {
			return append(dst, '0'), true
		}
		if !validNumber(string(v)) {
			return dst, false
		}
		return append(dst, v...), true
	case json.RawMessage:
		if v == nil {
			return append(dst, "null"...), true
		}
		if plainJSON(v) {
			return append(dst, v...), true
		}
	case map[string]any:
		if v == nil {
			return append(dst, "null"...), true
		}
		// Members taken out in one pass (no lookup per key afterwards),
		// on the stack for most maps.
		var small [16]member
		members := small[:0]
		for k, val := range v {
			members = append(members, member{k, val})
		}
		slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
		dst = append(dst, '{')
		for i, m := range members {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, m.key)
			dst = append(dst, ':')
			var ok bool
			if dst, ok = appendJSON(dst, m.val); !ok {
				return dst, false
			}
		}
		return append(dst, '}'), true
	case []any:
		return appendJSONList(dst, v)
	case []map[string]any:
		return appendJSONList(dst, v)
	case []string:
		return appendJSONList(dst, v)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return dst, false
	}
	return append(dst, b...), true
}

type member struct {
	key string
	val any
}

func appendJSONList[T any](dst []byte, list []T) ([]byte, bool) {
	if list == nil {
		return append(dst, "null"...), true
	}
	dst = append(dst, '[')
	for i, e := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		var ok bool
		if dst, ok = appendJSON(dst, e); !ok {
			return dst, false
		}
	}
	return append(dst, ']'), true
}

// marshalJSON is json.Marshal for the values appendJSON knows (and for any
// other, through it).
func marshalJSON(v any) ([]byte, error) {
	if b, ok := appendJSON(make([]byte, 0, 512), v); ok {
		return b, nil
	}
	return json.Marshal(v)
}

// marshalExact is marshalJSON into a buffer of the exact size (what it
// encodes is kept: an answer in the call log, a post's blocks). It encodes
// in a buffer from scratch (a pool of *[]byte; nil for none) first, so the
// buffer grows to fit once rather than on every call.
func marshalExact(scratch *sync.Pool, v any) ([]byte, error) {
	if scratch == nil {
		return marshalJSON(v)
	}
	buf := scratchBuffer(scratch)
	defer scratch.Put(buf)
	b, ok := appendJSON((*buf)[:0], v)
	*buf = b[:0]
	if !ok {
		return json.Marshal(v)
	}
	return bytes.Clone(b), nil
}

// scratchBuffer takes a buffer from a pool of *[]byte (nil: no pool); give
// it back with putScratch.
func scratchBuffer(scratch *sync.Pool) *[]byte {
	if scratch != nil {
		if buf, ok := scratch.Get().(*[]byte); ok {
			return buf
		}
	}
	return new([]byte)
}

func putScratch(scratch *sync.Pool, buf *[]byte) {
	if scratch != nil {
		scratch.Put(buf)
	}
}

// appendJSONString is encoding/json's string encoding with HTML escaping.
func appendJSONString(dst []byte, s string) []byte { return jsonenc.AppendString(dst, s, true) }

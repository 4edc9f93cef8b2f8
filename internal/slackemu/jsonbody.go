package slackemu

import (
	"bytes"
	"slices"
)

// decodeBody decodes a JSON call's body, an object, as decodeValue does,
// and appends to out in the same pass what json.Marshal gives for each
// member that is a JSON argument (isJSONArg: blocks, metadata, ...), as
// decodeCanonical gives a form's: encoding a post's blocks again from the
// decoded maps cost a tenth of the emulator's handling of a post. A key
// given twice keeps its last value, as in any object. ok is false for
// anything decodeValue would refuse or that is not an object; the caller
// then decodes with encoding/json. The encodings are copies: out, grown,
// is the caller's scratch again.
func decodeBody(data string, out []byte) (args map[string]any, canon []encodedArg, scratch []byte, ok bool) {
	var pairs [16]jsonPair
	var items [16]any
	r := jsonReader{data: data, out: out, pairs: pairs[:0], items: items[:0], depth: 1} // as the object would be in decodeValue
	r.space()
	if r.pos >= len(r.data) || r.data[r.pos] != '{' {
		return nil, nil, r.out, false
	}
	r.pos++
	r.space()
	if r.pos < len(r.data) && r.data[r.pos] == '}' {
		r.pos++
		r.space()
		return map[string]any{}, nil, r.out, r.pos == len(r.data)
	}
	// The members go on the scratch of pairs as an object's do (nested
	// objects use it above them), with their values' span in out when
	// JSON arguments.
	for {
		if r.pos >= len(r.data) || r.data[r.pos] != '"' {
			return nil, nil, r.out, false
		}
		key, ok := r.str()
		if !ok {
			return nil, nil, r.out, false
		}
		r.space()
		if r.pos >= len(r.data) || r.data[r.pos] != ':' {
			return nil, nil, r.out, false
		}
		r.pos++
		r.space()
		start := len(r.out)
		r.canon = isJSONArg(key)
		val, ok := r.value()
		r.canon = false
		if !ok {
			return nil, nil, r.out, false
		}
		r.pairs = append(r.pairs, jsonPair{key, val, start, len(r.out)})
		r.space()
		if r.pos >= len(r.data) {
			return nil, nil, r.out, false
		}
		c := r.data[r.pos]
		r.pos++
		if c == '}' {
			break
		}
		if c != ',' {
			return nil, nil, r.out, false
		}
		r.space()
	}
	r.space()
	if r.pos != len(r.data) {
		return nil, nil, r.out, false
	}
	members := r.pairs
	args = make(map[string]any, len(members))
	n := 0
	for i, p := range members {
		args[p.key] = p.val
		if isJSONArg(p.key) && !slices.ContainsFunc(members[i+1:], func(q jsonPair) bool { return q.key == p.key }) {
			n++ // a JSON argument, not given again later
		}
	}
	if n == 0 {
		return args, nil, r.out, true
	}
	kept := bytes.Clone(r.out[len(out):]) // one copy for all of them
	canon = make([]encodedArg, 0, n)
	for i, p := range members {
		if isJSONArg(p.key) && !slices.ContainsFunc(members[i+1:], func(q jsonPair) bool { return q.key == p.key }) {
			from, to := p.start-len(out), p.end-len(out)
			canon = append(canon, encodedArg{p.key, kept[from:to:to]})
		}
	}
	return args, canon, r.out, true
}

package slackemu

import (
	"encoding/json"
	"strings"
	"unsafe"
)

// ackFrame is what the emulator reads of an ack frame.
type ackFrame struct {
	EnvelopeID string          `json:"envelope_id"`
	Payload    json.RawMessage `json:"payload"`
}

// parseAck is json.Unmarshal of an ack frame into an ackFrame. An ack is
// one small object read on every envelope; Unmarshal scans it whole to
// validate it, then again to decode it, and once more inside the payload.
// parseAck reads it once, for the frames a bot sends (an object whose only
// keys that matter are exactly "envelope_id", a string, and "payload", each
// given once) and hands any other frame to Unmarshal, which matches keys
// without regard to case and reports type errors: the result, and whether
// there is an error, are Unmarshal's.
func parseAck(data []byte) (ackFrame, error) {
	if ack, ok := readAck(data); ok {
		return ack, nil
	}
	var ack ackFrame
	err := json.Unmarshal(data, &ack)
	return ack, err
}

func readAck(data []byte) (ack ackFrame, ok bool) {
	// Read in place: what is kept (the ID, the payload) is copied out.
	r := jsonReader{data: unsafe.String(unsafe.SliceData(data), len(data)), lenient: true}
	r.space()
	if r.pos >= len(r.data) || r.data[r.pos] != '{' {
		return ackFrame{}, false
	}
	r.pos++
	r.space()
	var haveID, havePayload bool
	if r.pos < len(r.data) && r.data[r.pos] == '}' {
		r.pos++
	} else {
		for {
			if r.pos >= len(r.data) || r.data[r.pos] != '"' {
				return ackFrame{}, false
			}
			key, ok := r.str()
			if !ok || !plainKey(key) {
				return ackFrame{}, false
			}
			if r.space(); r.pos >= len(r.data) || r.data[r.pos] != ':' {
				return ackFrame{}, false
			}
			r.pos++
			r.space()
			start := r.pos
			switch {
			case key == "envelope_id" && !haveID:
				if r.pos >= len(r.data) || r.data[r.pos] != '"' {
					return ackFrame{}, false
				}
				id, ok := r.str()
				if !ok {
					return ackFrame{}, false
				}
				ack.EnvelopeID, haveID = strings.Clone(id), true
			case key == "payload" && !havePayload:
				if !r.skip() {
					return ackFrame{}, false
				}
				ack.Payload, havePayload = json.RawMessage([]byte(r.data[start:r.pos])), true
			case key == "envelope_id" || key == "payload":
				return ackFrame{}, false // given twice: Unmarshal decides
			default:
				if !r.skip() {
					return ackFrame{}, false
				}
			}
			if r.space(); r.pos >= len(r.data) {
				return ackFrame{}, false
			}
			c := r.data[r.pos]
			r.pos++
			if c == '}' {
				break
			}
			if c != ',' {
				return ackFrame{}, false
			}
			r.space()
		}
	}
	r.space()
	return ack, r.pos == len(r.data)
}

// plainKey reports whether Unmarshal could match key to an ackFrame field
// only by equality: it is ASCII (no Unicode folding can make it one of the
// names) and, if it is not one of them exactly, differs from them in more
// than case.
func plainKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return false
		}
	}
	switch key {
	case "envelope_id", "payload":
		return true
	}
	return !equalFoldASCII(key, "envelope_id") && !equalFoldASCII(key, "payload")
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

package bot

import "encoding/json"

// withoutEcho drops the "message" Slack echoes back in a chat.postMessage
// answer: the whole message posted, blocks included. The Slack client
// decodes it into typed blocks, which made up most of the client's cost of
// a post, and hands none of it to its caller (PostMessage returns the
// channel and ts only). The member is cut out of the bytes where it lies
// (see echoSpan) rather than the answer decoded and encoded again, which
// cost about as much as the decoding it saved. An answer that does not
// parse is left as it is.
func withoutEcho(body []byte) []byte {
	from, to, ok := echoSpan(body)
	if !ok {
		return body
	}
	out := make([]byte, 0, len(body)-(to-from))
	out = append(append(out, body[:from]...), body[to:]...)
	if !json.Valid(out) {
		return body
	}
	return out
}

// echoSpan finds the top-level member "message" of the JSON object body,
// with the comma that separates it from its neighbour: body[from:to] is
// what to cut.
func echoSpan(body []byte) (from, to int, ok bool) {
	i := skipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return 0, 0, false
	}
	prevEnd := -1 // where the previous member's value ended
	for i = skipSpace(body, i+1); i < len(body) && body[i] == '"'; {
		keyStart := i
		keyEnd := skipValue(body, i)
		j := skipSpace(body, keyEnd)
		if keyEnd < 0 || j >= len(body) || body[j] != ':' {
			return 0, 0, false
		}
		valEnd := skipValue(body, skipSpace(body, j+1))
		if valEnd < 0 {
			return 0, 0, false
		}
		next := skipSpace(body, valEnd)
		if next >= len(body) {
			return 0, 0, false
		}
		if string(body[keyStart:keyEnd]) == `"message"` {
			switch {
			case body[next] == ',':
				return keyStart, next + 1, true
			case prevEnd >= 0:
				return prevEnd, valEnd, true
			default:
				return keyStart, valEnd, true
			}
		}
		if body[next] != ',' {
			return 0, 0, false
		}
		prevEnd = valEnd
		i = skipSpace(body, next+1)
	}
	return 0, 0, false
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// skipValue returns where the JSON value starting at b[i] ends, or -1. It
// checks only what it needs to find the end (withoutEcho validates what
// it keeps).
func skipValue(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		for i++; i < len(b); i++ {
			switch b[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
		return -1
	case '{', '[':
		depth := 0
		for ; i < len(b); i++ {
			switch b[i] {
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return i + 1
				}
			case '"':
				end := skipValue(b, i)
				if end < 0 {
					return -1
				}
				i = end - 1
			}
		}
		return -1
	default:
		for ; i < len(b); i++ {
			switch b[i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return i
			}
		}
		return i
	}
}

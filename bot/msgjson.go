package bot

import (
	"strconv"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// A chat.postMessage the outbox sends often (a reminder: ten thousand may
// fall due at once after an outage) is written as its JSON body by hand
// here, rather than built as slack-go's Block Kit structs, encoded by
// reflection and then URL-encoded as a form: that was most of the bot's
// own cost of a post. Slack takes JSON bodies for chat.postMessage (with
// the token in an Authorization header, see WebAPI). Only the JSON
// escaping of strings happens here; the text is rendered and made safe
// mrkdwn (mention, mrkdwn.Neutralize) before it arrives, as for every post.

// postBody is the JSON arguments of a chat.postMessage posted by outbox
// job jobID: in thread when thread is a ts, tagged with the job (see
// jobMetadataType) and with link unfurls off, like postOnce's. blocks
// appends the message's blocks (a JSON array) to its argument.
func postBody(dst []byte, jobID uint64, channel, thread, text string, blocks func([]byte) []byte) []byte {
	dst = append(dst, `{"channel":`...)
	dst = appendJSONString(dst, channel)
	if thread != "" {
		dst = append(dst, `,"thread_ts":`...)
		dst = appendJSONString(dst, thread)
	}
	dst = append(dst, `,"text":`...)
	dst = appendJSONString(dst, text)
	dst = append(dst, `,"metadata":{"event_type":"`+jobMetadataType+`","event_payload":{"job":`...)
	dst = strconv.AppendUint(dst, jobID, 10)
	dst = append(dst, `}},"unfurl_links":false,"blocks":`...)
	dst = blocks(dst)
	return append(dst, '}')
}

// appendSection appends a section block of mrkdwn text, as section() builds it.
func appendSection(dst []byte, blockID, text string) []byte {
	dst = append(dst, `{"type":"section","text":{"type":"mrkdwn","text":`...)
	dst = appendJSONString(dst, mrkdwn.Truncate(text, maxSectionText))
	dst = append(dst, `},"block_id":`...)
	dst = appendJSONString(dst, blockID)
	return append(dst, '}')
}

// appendButton appends a button element with a plain_text label (with
// emoji off, as the bot's other buttons have it); style "" is the default
// look.
func appendButton(dst []byte, actionID, value, label, style string) []byte {
	dst = append(dst, `{"type":"button","text":{"type":"plain_text","text":`...)
	dst = appendJSONString(dst, label)
	dst = append(dst, `,"emoji":false},"action_id":`...)
	dst = appendJSONString(dst, actionID)
	dst = append(dst, `,"value":`...)
	dst = appendJSONString(dst, value)
	if style != "" {
		dst = append(dst, `,"style":`...)
		dst = appendJSONString(dst, style)
	}
	return append(dst, '}')
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string. Like encoding/json, it
// writes each byte of invalid UTF-8 as U+FFFD and escapes U+2028 and
// U+2029 (JSON allows them raw, JavaScript did not); unlike it, it leaves
// <, > and & as they are (the HTML-safe escaping is for embedding in
// HTML, and decodes to the same string).
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

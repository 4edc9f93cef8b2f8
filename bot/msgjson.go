package bot

import (
	"strconv"

	"github.com/incidentbot/incidentbot/internal/jsonenc"
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

// appendJSONString appends s as a JSON string, leaving <, > and & as they
// are (the HTML-safe escaping is for embedding in HTML, and decodes to the
// same string).
func appendJSONString(dst []byte, s string) []byte { return jsonenc.AppendString(dst, s, false) }

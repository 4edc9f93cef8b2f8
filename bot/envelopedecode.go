package bot

import (
	"encoding/json"

	"github.com/slack-go/slack/socketmode"
)

// decodeEnvelope decodes a Socket Mode frame as json.Unmarshal into a
// socketmode.Request does. Envelopes (slash commands, interactions, events)
// are read in one pass (scanObject), their payload kept as the frame's
// bytes: the socket reads frames one at a time, so every envelope behind
// this one waits for it. hello and disconnect frames, and anything out of
// the common shape, go to encoding/json.
func decodeEnvelope(data []byte) (socketmode.Request, error) {
	var f socketmode.Request
	ok := scanObject(data, func(key, raw []byte) bool {
		switch string(key) {
		case "type":
			return jsonString(raw, &f.Type)
		case "envelope_id":
			return jsonString(raw, &f.EnvelopeID)
		case "payload":
			// Unlike json.RawMessage's decoder, no copy: each frame
			// is a buffer of its own (websocket.Conn.ReadMessage).
			f.Payload = json.RawMessage(raw)
			return true
		case "accepts_response_payload":
			return jsonBool(raw, &f.AcceptsResponsePayload)
		case "retry_attempt":
			return jsonInt(raw, &f.RetryAttempt)
		case "retry_reason":
			return jsonString(raw, &f.RetryReason)
		}
		return foreignKey(key, "type", "envelope_id", "payload", "accepts_response_payload", "retry_attempt", "retry_reason",
			"num_connections", "connection_info", "reason", "debug_info")
	})
	if ok {
		return f, nil
	}
	f = socketmode.Request{}
	err := json.Unmarshal(data, &f)
	return f, err
}

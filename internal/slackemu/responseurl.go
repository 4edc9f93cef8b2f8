package slackemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Limits of a response_url: "up to 5 times within 30 minutes" (HUI-doc).
const (
	responseURLUses = 5
	responseURLLife = 30 * time.Minute
)

// responseURL is a minted response_url and what it answers for.
type responseURL struct {
	channel, user     string
	created           time.Time
	uses              int
	originalTS        string // the message an interaction came from; "" for slash commands
	originalEphemeral bool
}

// mintResponseURL needs s.mu. kind is "commands" or "actions", as in Slack's URLs.
func (s *Server) mintResponseURL(kind, channelID, user, originalTS string, ephemeral bool) string {
	s.ws.counters["response_url"]++
	path := fmt.Sprintf("/%s/%s/%d/%s", kind, s.teamID, 37_000_000_000+s.ws.counters["response_url"], randHex(24))
	s.ws.responses[path] = &responseURL{channel: channelID, user: user, created: s.now(), originalTS: originalTS, originalEphemeral: ephemeral}
	return s.base + path
}

// responseMessage is the body of a response_url POST (slack-go's slack.Msg).
type responseMessage struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal bool            `json:"replace_original"`
	DeleteOriginal  bool            `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
	Metadata        json.RawMessage `json:"metadata"`
}

// serveResponseURL answers a response_url POST. A dead URL (unknown, used 5 times,
// older than 30 min) gets HTTP 404 with {"ok":false,"error":"used_url"|"expired_url"|
// "invalid_url"}: Slack's exact answer is undocumented (observed behaviour).
func (s *Server) serveResponseURL(w http.ResponseWriter, r *http.Request) {
	call := Call{Method: "response_url", At: s.now(), Args: map[string]any{"url": s.base + r.URL.Path}}
	if res, handled := s.fault(r.Context(), "response_url"); handled {
		s.writeResult(w, res, call)
		return
	}
	raw, err := io.ReadAll(r.Body)
	if err != nil || r.Method != http.MethodPost {
		s.writeResult(w, statusFailure(http.StatusBadRequest, "invalid_payload"), call)
		return
	}
	var args map[string]any
	var msg responseMessage
	if json.Unmarshal(raw, &args) != nil || json.Unmarshal(raw, &msg) != nil {
		s.writeResult(w, statusFailure(http.StatusBadRequest, "invalid_payload"), call)
		return
	}
	for k, v := range args {
		call.Args[k] = v
	}
	s.mu.Lock()
	res := s.respond(r.URL.Path, msg)
	s.mu.Unlock()
	s.writeResult(w, res, call)
}

func statusFailure(status int, code string) apiResult {
	res := failure(code)
	res.status = status
	return res
}

// respond applies a response_url message; needs s.mu.
func (s *Server) respond(path string, msg responseMessage) apiResult {
	ru, ok := s.ws.responses[path]
	switch {
	case !ok:
		return statusFailure(http.StatusNotFound, "invalid_url")
	case s.now().Sub(ru.created) > responseURLLife:
		return statusFailure(http.StatusNotFound, "expired_url")
	case ru.uses >= responseURLUses:
		return statusFailure(http.StatusNotFound, "used_url")
	}
	var blocks json.RawMessage
	if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		if !isJSONArray(msg.Blocks) {
			return statusFailure(http.StatusBadRequest, "invalid_blocks_format")
		}
		var problems []string
		if blocks, problems = checkedBlocks(msg.Blocks); len(problems) > 0 {
			res := blockErrors(problems)
			res.status = http.StatusBadRequest
			return res
		}
	}
	if !msg.DeleteOriginal && msg.Text == "" && blocks == nil {
		return statusFailure(http.StatusBadRequest, "no_text")
	}
	ru.uses++

	original := s.originalOf(ru)
	switch {
	case msg.DeleteOriginal:
		// Not supported for slash commands (no original): nothing happens.
		if original != nil {
			s.deleteMessage(ru, original)
		}
	case msg.ReplaceOriginal && original != nil:
		original.Text, original.Blocks = msg.Text, blocks
		original.Updates++
		s.emit(Change{Kind: ChangeMessageUpdated, Channel: original.Channel, TS: original.TS})
	case msg.ResponseType == "in_channel":
		c, ok := s.ws.channels[ru.channel]
		if !ok {
			return statusFailure(http.StatusNotFound, "channel_not_found")
		}
		// A response_url "will bypass any channel posting permissions" (HUI-doc).
		s.postMessage(c, &Message{User: s.botUserID, Text: msg.Text, Blocks: blocks, ThreadTS: msg.ThreadTS})
	default:
		s.addEphemeral(ru.channel, ru.user, &Message{Text: msg.Text, Blocks: blocks, ThreadTS: msg.ThreadTS})
	}
	return success(nil)
}

func (s *Server) originalOf(ru *responseURL) *Message {
	if ru.originalTS == "" {
		return nil
	}
	if ru.originalEphemeral {
		return s.ephemeral(ru.user, ru.originalTS)
	}
	if c, ok := s.ws.channels[ru.channel]; ok {
		return c.message(ru.originalTS)
	}
	return nil
}

func (s *Server) deleteMessage(ru *responseURL, m *Message) {
	if m.Ephemeral {
		for i, e := range s.ws.ephemerals {
			if e == m {
				s.ws.ephemerals = append(s.ws.ephemerals[:i], s.ws.ephemerals[i+1:]...)
				break
			}
		}
	} else if c, ok := s.ws.channels[ru.channel]; ok {
		c.removeMessage(m.TS)
	}
	s.emit(Change{Kind: ChangeMessageDeleted, Channel: m.Channel, TS: m.TS})
}

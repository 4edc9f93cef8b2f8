package slackemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Text limits from M/chat.postMessage and M/chat.update.
const (
	maxPostedText  = 40000 // longer text is truncated
	maxUpdatedText = 4000  // longer text is msg_too_long on chat.update
)

// content is the message payload of a chat.* request.
type content struct {
	text           string
	hasText        bool
	blocks         json.RawMessage // nil when absent or empty
	hasBlocks      bool
	metadata       json.RawMessage
	hasMetadata    bool
	hasAttachments bool
}

func (c content) empty() bool { return c.text == "" && c.blocks == nil && !c.hasAttachments }

// readContent decodes text, blocks, metadata and attachments, validating blocks
// for surf; a non-nil result is the error answer. It depends on the request
// alone, so answerNormally reads a message's content before it takes the
// workspace lock (see readContentEarly), and this returns what it read.
func readContent(req *apiRequest, surf surface) (content, *apiResult) {
	if req.early != nil {
		return req.early.body, req.early.bad
	}
	return readContentNow(req, surf)
}

// earlyContent is readContent's result, read before the lock.
type earlyContent struct {
	body content
	bad  *apiResult
}

// readContentEarly reads the content of the methods that post or edit a
// message, outside the workspace lock: checking and encoding their blocks
// was most of the time the lock was held for a post.
func readContentEarly(req *apiRequest) {
	switch req.method {
	case "chat.postMessage", "chat.postEphemeral", "chat.update":
		body, bad := readContentNow(req, surfaceMessage)
		req.early = &earlyContent{body: body, bad: bad}
	}
}

func readContentNow(req *apiRequest, surf surface) (content, *apiResult) {
	c := content{text: req.str("text"), hasText: req.has("text")}
	raw, ok, err := req.raw("blocks")
	if ok {
		if err != nil || !isJSONArray(raw) {
			res := failure("invalid_blocks_format")
			return c, &res
		}
		// Blocks the request parsed already are checked as they are, and
		// raw is their encoding, compact: decoding it again to check it,
		// and once more to compact it, was most of the emulator's cost of
		// a post.
		v, decoded := req.decoded("blocks")
		var problems []string
		if decoded {
			problems = checkBlocks(v, surf, "/blocks")
		} else {
			problems = validateBlocks(raw, surf, "/blocks")
		}
		if len(problems) > 0 {
			res := blockErrors(problems)
			return c, &res
		}
		c.hasBlocks = true
		if list, _ := v.([]any); decoded && len(list) > 0 {
			c.blocks = raw
		} else if !decoded {
			c.blocks = compactArray(raw)
		}
	}
	if raw, ok, err := req.raw("metadata"); ok {
		if err != nil || !validMetadata(raw) {
			res := failure("invalid_metadata_format")
			return c, &res
		}
		c.hasMetadata = true
		if _, decoded := req.decoded("metadata"); decoded {
			c.metadata = raw
		} else {
			c.metadata = compact(raw)
		}
	}
	if raw, ok, _ := req.raw("attachments"); ok {
		var list []any
		if json.Unmarshal(raw, &list) == nil {
			if len(list) > 100 {
				res := failure("too_many_attachments")
				return c, &res
			}
			c.hasAttachments = len(list) > 0
		}
	}
	return c, nil
}

func isJSONArray(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && t[0] == '['
}

// compactArray returns raw compacted, or nil for an empty array.
func compactArray(raw json.RawMessage) json.RawMessage {
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return nil
	}
	return compact(raw)
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// validMetadata accepts {"event_type": "…", "event_payload": {…}}.
func validMetadata(raw json.RawMessage) bool {
	var md struct {
		EventType    string          `json:"event_type"`
		EventPayload json.RawMessage `json:"event_payload"`
	}
	if json.Unmarshal(raw, &md) != nil || md.EventType == "" {
		return false
	}
	p := bytes.TrimSpace(md.EventPayload)
	return len(p) > 0 && p[0] == '{'
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// visibleChannel returns a channel the bot can see: public ones, and private ones
// it is a member of (Slack answers channel_not_found for the others).
func (s *Server) visibleChannel(id string) (*channel, string) {
	c, ok := s.ws.channels[id]
	if !ok || (c.Private && !c.isMember(s.botUserID)) {
		return nil, "channel_not_found"
	}
	return c, ""
}

// postTarget resolves a chat.* channel argument: a channel ID, a user ID (the bot's
// DM with that user) or a channel name.
func (s *Server) postTarget(id string) (*channel, string) {
	if c, code := s.visibleChannel(id); code == "" {
		return c, ""
	}
	if u, ok := s.ws.users[id]; ok {
		if u.Deleted || u.IsBot {
			return nil, "channel_not_found"
		}
		return s.imChannel(id), ""
	}
	name := strings.TrimPrefix(id, "#")
	for _, cid := range s.ws.chanOrder {
		if c := s.ws.channels[cid]; c.Name == name && !c.Archived {
			return s.visibleChannel(cid)
		}
	}
	return nil, "channel_not_found"
}

func (s *Server) chatPostMessage(req *apiRequest) apiResult {
	c, code := s.postTarget(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	if c.Archived {
		return failure("is_archived")
	}
	if !c.IM && !c.isMember(s.botUserID) && !s.hasScope("chat:write.public") {
		// Only chat:write.public lets a bot post where it is not a member
		// (private channels it is not in are channel_not_found already).
		return failure("not_in_channel")
	}
	body, bad := readContent(req, surfaceMessage)
	if bad != nil {
		return *bad
	}
	if body.empty() {
		return failure("no_text")
	}
	m := &Message{User: s.botUserID, Text: truncateRunes(body.text, maxPostedText), Blocks: body.blocks, Metadata: body.metadata}
	if ts := req.str("thread_ts"); ts != "" {
		parent := c.message(ts)
		if parent == nil {
			return failure("thread_not_found")
		}
		m.ThreadTS = parent.TS
		if parent.ThreadTS != "" {
			m.ThreadTS = parent.ThreadTS // a reply's ts threads under its parent
		}
	}
	s.postMessage(c, m)
	return success(map[string]any{"channel": c.ID, "ts": m.TS, "message": s.messageJSON(c, m, true)})
}

func (s *Server) chatPostEphemeral(req *apiRequest) apiResult {
	c, code := s.postTarget(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	user := req.str("user")
	if _, ok := s.ws.users[user]; !ok {
		return failure("user_not_found")
	}
	if !c.isMember(user) {
		return failure("user_not_in_channel")
	}
	if c.Archived {
		return failure("is_archived")
	}
	body, bad := readContent(req, surfaceMessage)
	if bad != nil {
		return *bad
	}
	if body.empty() {
		return failure("no_text")
	}
	m := &Message{Text: truncateRunes(body.text, maxPostedText), Blocks: body.blocks, ThreadTS: req.str("thread_ts")}
	s.addEphemeral(c.ID, user, m)
	return success(map[string]any{"message_ts": m.TS})
}

func (s *Server) chatUpdate(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	m := c.message(req.str("ts"))
	if m == nil {
		return failure("message_not_found")
	}
	if m.User != s.botUserID {
		return failure("cant_update_message")
	}
	if c.Archived {
		return failure("is_archived")
	}
	body, bad := readContent(req, surfaceMessage)
	if bad != nil {
		return *bad
	}
	if utf8.RuneCountInString(body.text) > maxUpdatedText {
		return failure("msg_too_long")
	}
	if !body.hasText && !body.hasBlocks && !body.hasMetadata && !body.hasAttachments {
		return failure("no_text")
	}
	switch {
	case body.hasBlocks:
		m.Blocks = body.blocks
	case body.hasText:
		m.Blocks = nil // text without blocks removes the previous blocks (M/chat.update)
	}
	if body.hasText {
		m.Text = body.text
	}
	if body.hasMetadata {
		m.Metadata = body.metadata
	}
	m.Updates++
	s.emit(Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: m.TS})
	return success(map[string]any{"channel": c.ID, "ts": m.TS, "text": m.Text, "message": s.messageJSON(c, m, true)})
}

func (s *Server) chatGetPermalink(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	m := c.message(req.str("message_ts"))
	if m == nil {
		return failure("message_not_found")
	}
	return success(map[string]any{"channel": c.ID, "permalink": s.permalink(c, m)})
}

func (s *Server) permalink(c *channel, m *Message) string {
	link := fmt.Sprintf("%s/archives/%s/p%s", s.base, c.ID, strings.Replace(m.TS, ".", "", 1))
	if m.ThreadTS != "" {
		link += "?thread_ts=" + m.ThreadTS + "&cid=" + c.ID
	}
	return link
}

// messageJSON renders m as Slack's message object.
func (s *Server) messageJSON(c *channel, m *Message, withMetadata bool) map[string]any {
	out := map[string]any{"type": "message", "ts": m.TS, "text": m.Text, "user": m.User, "team": s.teamID}
	if m.User == s.botUserID {
		out["bot_id"] = s.botID
		out["app_id"] = s.appID
	}
	if m.Blocks != nil {
		out["blocks"] = m.Blocks
	}
	if m.ThreadTS != "" {
		out["thread_ts"] = m.ThreadTS
	} else if c != nil {
		if n := replyCount(c, m.TS); n > 0 {
			out["thread_ts"] = m.TS
			out["reply_count"] = n
		}
	}
	if withMetadata && m.Metadata != nil {
		out["metadata"] = m.Metadata
	}
	if m.Pinned {
		out["pinned_to"] = []string{m.Channel}
	}
	if len(m.Files) > 0 {
		files := make([]map[string]any, len(m.Files))
		for i, f := range m.Files {
			files[i] = map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "size": len(f.Content)}
		}
		out["files"] = files
	}
	if len(m.Reactions) > 0 {
		rs := make([]map[string]any, len(m.Reactions))
		for i, r := range m.Reactions {
			rs[i] = map[string]any{"name": r, "users": []string{s.botUserID}, "count": 1}
		}
		out["reactions"] = rs
	}
	if m.Updates > 0 {
		out["edited"] = map[string]any{"user": m.User, "ts": m.TS}
	}
	return out
}

func replyCount(c *channel, ts string) int {
	n := 0
	for _, r := range c.messages {
		if r.ThreadTS == ts {
			n++
		}
	}
	return n
}

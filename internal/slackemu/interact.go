package slackemu

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"unicode/utf8"
)

// verificationToken is the deprecated token Slack still puts in payloads; bots in
// Socket Mode ignore it.
const verificationToken = "emu-verification-token"

// SlashCommand is a slash command a user types.
type SlashCommand struct {
	UserID    string
	ChannelID string // "" = the user's DM with the bot
	Command   string // default "/incident"
	// Text is what the user typed after the command; Slack escapes it (see
	// typed), so "a & b" reaches the app as "a &amp; b".
	Text string
	// Escaped says Text is already the wire form Slack sends, markup and
	// all (<!channel> for a typed @channel, <https://…|label> for a link),
	// and is sent unchanged; SlashCommand refuses a form Slack could not
	// have sent.
	Escaped bool
}

// SlashCommand delivers a slash_commands envelope like Slack: it mints a trigger_id
// and a response_url and fills team, channel_name, user_name and api_app_id. The
// ack payload is shown as Slack does (ephemeral by default, or in_channel).
func (s *Server) SlashCommand(ctx context.Context, c SlashCommand) (Ack, error) {
	if c.Command == "" {
		c.Command = "/incident"
	}
	if c.Escaped {
		if err := checkWire(c.Text); err != nil {
			return Ack{}, fmt.Errorf("slackemu: SlashCommand: Escaped text %q: %w", c.Text, err)
		}
	}
	s.mu.Lock()
	u, ok := s.ws.users[c.UserID]
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: SlashCommand: unknown user %q (AddUser first)", c.UserID)
	}
	if !c.Escaped {
		c.Text = s.typed(c.Text)
	}
	var ch *channel
	if c.ChannelID == "" {
		ch = s.imChannel(u.ID)
	} else if ch, ok = s.ws.channels[c.ChannelID]; !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: SlashCommand: unknown channel %q", c.ChannelID)
	}
	name := ch.Name
	if ch.IM {
		name = "directmessage"
	}
	payload := map[string]any{
		"token": verificationToken, "team_id": s.teamID, "team_domain": s.teamDomain,
		"channel_id": ch.ID, "channel_name": name, "user_id": u.ID, "user_name": u.Name,
		"command": c.Command, "text": c.Text, "api_app_id": s.appID, "is_enterprise_install": false,
		"response_url": s.mintResponseURL("commands", ch.ID, u.ID, "", false),
		"trigger_id":   s.mintTrigger(u.ID, ""),
	}
	userID, channelID := u.ID, ch.ID
	s.mu.Unlock()
	raw, _ := marshalJSON(payload)
	env := Envelope{Type: "slash_commands", Payload: raw, AcceptsResponsePayload: true}
	// ackEffects would read these four back from the payload; valid UTF-8
	// comes back from JSON as it went in, so there is no need to.
	effects := func(p json.RawMessage) string { return s.applyCommandAck(userID, channelID, c.Command, c.Text, p) }
	if !utf8.ValidString(userID) || !utf8.ValidString(channelID) || !utf8.ValidString(c.Command) || !utf8.ValidString(c.Text) {
		effects = s.ackEffects(env)
	}
	return s.deliverOnce(ctx, env, effects)
}

// Interact delivers a raw interactive payload. It fills trigger_id, team,
// api_app_id, token and enterprise fields when absent, and turns a "user" given as
// an ID string into Slack's user object.
func (s *Server) Interact(ctx context.Context, payload map[string]any) (Ack, error) {
	p := maps.Clone(payload)
	s.mu.Lock()
	var userID string
	switch u := p["user"].(type) {
	case string:
		known, ok := s.ws.users[u]
		if !ok {
			s.mu.Unlock()
			return Ack{}, fmt.Errorf("slackemu: Interact: unknown user %q", u)
		}
		userID = u
		p["user"] = s.userObject(known)
	case map[string]any:
		userID, _ = u["id"].(string)
	}
	if _, ok := p["trigger_id"]; !ok {
		var viewID string
		if v, ok := p["view"].(map[string]any); ok {
			viewID, _ = v["id"].(string)
		}
		p["trigger_id"] = s.mintTrigger(userID, viewID)
	}
	s.fillCommon(p)
	s.mu.Unlock()
	typ, _ := p["type"].(string)
	raw, err := marshalJSON(p)
	if err != nil {
		return Ack{}, fmt.Errorf("slackemu: Interact: encode payload: %w", err)
	}
	env := Envelope{Type: "interactive", Payload: raw, AcceptsResponsePayload: typ == "view_submission" || typ == "block_suggestion"}
	return s.deliverOnce(ctx, env, s.ackEffects(env))
}

// fillCommon adds the fields every interactive payload carries, unless present.
func (s *Server) fillCommon(p map[string]any) {
	defaults := map[string]any{
		"team":       map[string]any{"id": s.teamID, "domain": s.teamDomain},
		"api_app_id": s.appID, "token": verificationToken,
		"is_enterprise_install": false, "enterprise": nil,
	}
	for k, v := range defaults {
		if _, ok := p[k]; !ok {
			p[k] = v
		}
	}
}

func (s *Server) userObject(u *User) map[string]any {
	return map[string]any{"id": u.ID, "username": u.Name, "name": u.Name, "team_id": s.teamID}
}

// ClickButton delivers block_actions for a click on the button actionID in the
// message at messageTS (a channel message, or an ephemeral shown to userID). value
// picks among buttons sharing an action_id ("" = the first); the block_id comes
// from the stored message. The payload carries a response_url bound to the message.
func (s *Server) ClickButton(ctx context.Context, userID, channelID, messageTS, actionID, value string) (Ack, error) {
	return s.messageAction(ctx, userID, channelID, messageTS, func(el map[string]any) (map[string]any, bool) {
		if el["type"] != "button" || el["action_id"] != actionID || (value != "" && el["value"] != value) {
			return nil, false
		}
		action := map[string]any{"type": "button", "action_id": actionID, "text": el["text"], "value": el["value"]}
		if st, ok := el["style"]; ok {
			action["style"] = st
		}
		return action, true
	}, fmt.Sprintf("button %q (value %q)", actionID, value))
}

// SelectUser delivers block_actions for choosing selectedUser in the users_select
// actionID of the message at messageTS.
func (s *Server) SelectUser(ctx context.Context, userID, channelID, messageTS, actionID, selectedUser string) (Ack, error) {
	if _, ok := s.User(selectedUser); !ok {
		return Ack{}, fmt.Errorf("slackemu: SelectUser: unknown user %q", selectedUser)
	}
	// The client shows the choice at once, whatever the bot makes of it.
	s.rememberPick(pickKey{userID, channelID, messageTS, actionID}, selectedUser)
	return s.messageAction(ctx, userID, channelID, messageTS, func(el map[string]any) (map[string]any, bool) {
		if el["type"] != "users_select" || el["action_id"] != actionID {
			return nil, false
		}
		action := map[string]any{"type": "users_select", "action_id": actionID, "selected_user": selectedUser}
		if iu, ok := el["initial_user"]; ok {
			action["initial_user"] = iu
		}
		return action, true
	}, fmt.Sprintf("users_select %q", actionID))
}

// messageAction builds and delivers a block_actions payload for the first element
// of the message that match accepts.
func (s *Server) messageAction(ctx context.Context, userID, channelID, ts string, match func(map[string]any) (map[string]any, bool), what string) (Ack, error) {
	s.mu.Lock()
	u, ok := s.ws.users[userID]
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: unknown user %q", userID)
	}
	c, ok := s.ws.channels[channelID]
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: unknown channel %q", channelID)
	}
	m, ephemeral := c.message(ts), false
	if m == nil {
		if m = s.ephemeral(userID, ts); m != nil && m.Channel == channelID {
			ephemeral = true
		} else {
			s.mu.Unlock()
			return Ack{}, fmt.Errorf("slackemu: no message %s in %s visible to %s", ts, channelID, userID)
		}
	}
	action, blockID, found := findAction(m.Blocks, match)
	if !found {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: message %s in %s has no %s", ts, channelID, what)
	}
	action["block_id"] = blockID
	action["action_ts"] = s.ws.nextTS(s.now())
	name := c.Name
	if c.IM {
		name = "directmessage"
	}
	payload := map[string]any{
		"type": "block_actions", "user": s.userObject(u),
		"container":    map[string]any{"type": "message", "message_ts": ts, "channel_id": channelID, "is_ephemeral": ephemeral},
		"trigger_id":   s.mintTrigger(userID, ""),
		"channel":      map[string]any{"id": channelID, "name": name},
		"state":        map[string]any{"values": map[string]any{}},
		"response_url": s.mintResponseURL("actions", channelID, userID, ts, ephemeral),
		"actions":      []any{action},
	}
	if !ephemeral {
		payload["message"] = s.messageJSON(c, m, false)
	}
	s.fillCommon(payload)
	s.mu.Unlock()
	raw, _ := marshalJSON(payload)
	return s.deliverOnce(ctx, Envelope{Type: "interactive", Payload: raw}, nil)
}

// findAction looks for an interactive element in actions blocks and section
// accessories.
func findAction(blocks json.RawMessage, match func(map[string]any) (map[string]any, bool)) (map[string]any, string, bool) {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return nil, "", false
	}
	for _, b := range list {
		var candidates []any
		if els, ok := b["elements"].([]any); ok && b["type"] == "actions" {
			candidates = els
		}
		if acc, ok := b["accessory"]; ok {
			candidates = append(candidates, acc)
		}
		for _, e := range candidates {
			el, ok := e.(map[string]any)
			if !ok {
				continue
			}
			if action, ok := match(el); ok {
				blockID, _ := b["block_id"].(string)
				return action, blockID, true
			}
		}
	}
	return nil, "", false
}

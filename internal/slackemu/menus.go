package slackemu

import (
	"context"
	"fmt"
)

// SelectOption delivers block_actions for choosing the option with value in the
// static_select (or overflow menu) actionID of the message at messageTS, as
// Slack's client does when a user picks from a menu in a message. The option must
// be one the menu offers.
func (s *Server) SelectOption(ctx context.Context, userID, channelID, messageTS, actionID, value string) (Ack, error) {
	return s.messageAction(ctx, userID, channelID, messageTS, func(el map[string]any) (map[string]any, bool) {
		typ, _ := el["type"].(string)
		if (typ != "static_select" && typ != "overflow") || el["action_id"] != actionID {
			return nil, false
		}
		opt, err := findOption(el, value, false)
		if err != nil {
			return nil, false
		}
		action := map[string]any{"type": typ, "action_id": actionID, "selected_option": opt}
		if initial, ok := el["initial_option"]; ok {
			action["initial_option"] = initial
		}
		return action, true
	}, fmt.Sprintf("static_select %q with option %q", actionID, value))
}

// MessageShortcut delivers the message_action payload Slack sends when userID
// runs the app's message shortcut callbackID from the "More actions" menu of the
// message at messageTS. Slack offers only the shortcuts the app's manifest
// declares; the emulator does not know the manifest, so the caller picks.
func (s *Server) MessageShortcut(ctx context.Context, userID, channelID, messageTS, callbackID string) (Ack, error) {
	s.mu.Lock()
	u, ok := s.ws.users[userID]
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: MessageShortcut: unknown user %q", userID)
	}
	c, ok := s.ws.channels[channelID]
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: MessageShortcut: unknown channel %q", channelID)
	}
	m := c.message(messageTS)
	if m == nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: MessageShortcut: no message %s in %s", messageTS, channelID)
	}
	name := c.Name
	if c.IM {
		name = "directmessage"
	}
	payload := map[string]any{
		"type": "message_action", "callback_id": callbackID, "user": s.userObject(u),
		"channel":      map[string]any{"id": channelID, "name": name},
		"message_ts":   messageTS,
		"message":      s.messageJSON(c, m, false),
		"trigger_id":   s.mintTrigger(userID, ""),
		"response_url": s.mintResponseURL("actions", channelID, userID, "", false),
		"action_ts":    s.ws.nextTS(s.now()),
	}
	s.fillCommon(payload)
	s.mu.Unlock()
	raw, _ := marshalJSON(payload)
	return s.deliverOnce(ctx, Envelope{Type: "interactive", Payload: raw}, nil)
}

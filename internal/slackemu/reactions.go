package slackemu

import (
	"context"
	"fmt"
)

// React is userID adding the emoji reaction name (without colons) to the
// message at messageTS, as Slack's client does: Slack delivers a
// reaction_added event (see Event, with its redelivery) naming the reacting
// user, the reaction, the message's author as item_user and the message as
// item. The reaction itself is not stored: Message.Reactions holds only the
// bot's own.
func (s *Server) React(ctx context.Context, userID, channelID, messageTS, name string) (Ack, error) {
	s.mu.Lock()
	if _, ok := s.ws.users[userID]; !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: React: unknown user %q", userID)
	}
	c, ok := s.ws.channels[channelID]
	if !ok {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: React: unknown channel %q", channelID)
	}
	m := c.message(messageTS)
	if m == nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: React: no message %s in %s", messageTS, channelID)
	}
	author := m.User
	s.mu.Unlock()
	return s.Event(ctx, map[string]any{
		"type": "reaction_added", "user": userID, "reaction": name, "item_user": author,
		"item": map[string]any{"type": "message", "channel": channelID, "ts": messageTS},
	})
}

// PostUserReply posts text as userID in the thread of the message at
// threadTS, as if the user replied there, and returns the reply's ts. The
// text is kept escaped, as Slack keeps what a user types (see typed).
func (s *Server) PostUserReply(channelID, threadTS, userID, text string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ws.channels[channelID]
	if !ok {
		return "", fmt.Errorf("slackemu: PostUserReply: unknown channel %q", channelID)
	}
	if parent := c.message(threadTS); parent == nil || parent.ThreadTS != "" {
		return "", fmt.Errorf("slackemu: PostUserReply: no top-level message %s in %s", threadTS, channelID)
	}
	m := &Message{User: userID, Text: s.typed(text), ThreadTS: threadTS}
	s.postMessage(c, m)
	return m.TS, nil
}

package slackemu

import (
	"context"
	"fmt"
	"slices"
)

// LeaveChannel is userID leaving channelID from Slack's client. Slack tells
// the apps in the channel with a member_left_channel event (channel_type
// "C" for a public channel, "G" for a private one; it needs channels:read /
// groups:read and a subscription); the emulator delivers it (see Event)
// when the bot is a member, and returns the zero Ack otherwise. The
// "has left the channel" message Slack also posts is not modelled.
func (s *Server) LeaveChannel(ctx context.Context, userID, channelID string) (Ack, error) {
	s.mu.Lock()
	c, ok := s.ws.channels[channelID]
	switch {
	case !ok:
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: LeaveChannel: unknown channel %q", channelID)
	case c.IM:
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: LeaveChannel: %s is a DM", channelID)
	case !c.isMember(userID):
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: LeaveChannel: %s is not in %s", userID, channelID)
	}
	c.Members = slices.DeleteFunc(c.Members, func(m string) bool { return m == userID })
	botIn := c.isMember(s.botUserID)
	kind := "C"
	if c.Private {
		kind = "G"
	}
	s.mu.Unlock()
	s.emit(Change{Kind: ChangeMembers, Channel: channelID})
	if !botIn {
		return Ack{}, nil
	}
	return s.Event(ctx, map[string]any{
		"type": "member_left_channel", "user": userID, "channel": channelID,
		"channel_type": kind, "team": s.teamID,
	})
}

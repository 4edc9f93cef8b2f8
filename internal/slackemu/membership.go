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

// raiseJoined tells the app that users joined channel c, invited by
// inviter, as Slack does: one member_joined_channel event per user (the
// "has joined the channel" message Slack also posts is not modelled).
// Slack sends it only to an app that is in the channel, subscribes to the
// event, and holds channels:read (public channel, channel_type "C") or
// groups:read (private, "G"). The events go out on their own goroutine, in
// order, with Event's redelivery: at Slack they come after the call, in no
// fixed order with its answer, and a bot that handles them while its call is
// still open must not deadlock. Called with s.mu held.
func (s *Server) raiseJoined(c *channel, users []string, inviter string) {
	if len(users) == 0 || !c.isMember(s.botUserID) || !slices.Contains(s.opts.EventSubscriptions, "member_joined_channel") {
		return
	}
	kind, scope := "C", "channels:read"
	if c.Private {
		kind, scope = "G", "groups:read"
	}
	if !s.hasScope(scope) {
		return
	}
	id := c.ID
	events := make([]map[string]any, len(users))
	for i, u := range users {
		events[i] = map[string]any{
			"type": "member_joined_channel", "user": u, "channel": id,
			"channel_type": kind, "team": s.teamID, "inviter": inviter,
		}
	}
	s.spawn(func() {
		for _, ev := range events {
			if _, err := s.Event(context.Background(), ev); err != nil {
				s.logf("member_joined_channel %s in %s: %v", ev["user"], id, err)
			}
		}
	})
}

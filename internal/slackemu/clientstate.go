package slackemu

import (
	"encoding/json"
	"sync"
)

// Slack clients keep what a user chose in a message's select menu when the
// message is updated, as long as the block keeps its block_id: the new
// initial_user shows only in a block with a new block_id. So a bot that
// refuses a pick and redraws the message with the same block_ids leaves the
// refused choice on the user's screen. clientPicks remembers each user's
// choices so that ShownUser can say what their client shows.
type clientPicks struct {
	mu sync.Mutex
	m  map[pickKey]pickState
}

type pickKey struct{ user, channel, ts, actionID string }

type pickState struct{ blockID, value string }

// rememberPick records that userID chose value in the users_select
// actionID of the message, in the block_id that select has now.
func (s *Server) rememberPick(k pickKey, value string) {
	_, blockID, found := findAction(s.messageBlocks(k.channel, k.ts), usersSelect(k.actionID))
	if !found {
		return // messageAction reports it
	}
	s.picks.mu.Lock()
	defer s.picks.mu.Unlock()
	if s.picks.m == nil {
		s.picks.m = map[pickKey]pickState{}
	}
	s.picks.m[k] = pickState{blockID: blockID, value: value}
}

// ShownUser is the user that userID's client shows in the users_select
// actionID of the message at messageTS: their own last choice while the
// select's block keeps the block_id it had then, otherwise the message's
// initial_user ("" for none). ok is false when the message has no such
// select.
func (s *Server) ShownUser(userID, channelID, messageTS, actionID string) (user string, ok bool) {
	el, blockID, found := findAction(s.messageBlocks(channelID, messageTS), usersSelect(actionID))
	if !found {
		return "", false
	}
	s.picks.mu.Lock()
	p, picked := s.picks.m[pickKey{userID, channelID, messageTS, actionID}]
	s.picks.mu.Unlock()
	if picked && p.blockID == blockID {
		return p.value, true
	}
	initial, _ := el["initial_user"].(string)
	return initial, true
}

// messageBlocks are the current blocks of a channel message (nil if none).
func (s *Server) messageBlocks(channelID, ts string) json.RawMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.ws.channels[channelID]; ok {
		if m := c.message(ts); m != nil {
			return m.Blocks
		}
	}
	return nil
}

// usersSelect matches the users_select element actionID, returning it.
func usersSelect(actionID string) func(map[string]any) (map[string]any, bool) {
	return func(el map[string]any) (map[string]any, bool) {
		return el, el["type"] == "users_select" && el["action_id"] == actionID
	}
}

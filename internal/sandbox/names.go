package sandbox

import (
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// names resolves the user and channel IDs that messages refer to, the way the
// client shows them, and holds the reader's "now" for relative dates.
type names struct {
	users        map[string]slackemu.User
	channels     map[string]slackemu.Channel
	userOrder    []string
	channelOrder []string
	now          time.Time
}

func newNames(users []slackemu.User, channels []slackemu.Channel, now time.Time) *names {
	n := &names{users: map[string]slackemu.User{}, channels: map[string]slackemu.Channel{}, now: now}
	for _, u := range users {
		n.users[u.ID] = u
		n.userOrder = append(n.userOrder, u.ID)
	}
	for _, c := range channels {
		n.channels[c.ID] = c
		n.channelOrder = append(n.channelOrder, c.ID)
	}
	return n
}

// userName is what the client shows for a user: the real name, else the
// handle, else the ID.
func (n *names) userName(id string) string {
	u, ok := n.users[id]
	switch {
	case !ok:
		return id
	case u.RealName != "":
		return u.RealName
	case u.Name != "":
		return u.Name
	}
	return id
}

func (n *names) channelName(id string) string {
	if c, ok := n.channels[id]; ok && c.Name != "" {
		return c.Name
	}
	return id
}

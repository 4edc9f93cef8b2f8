package bot

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clock"
)

// Private incidents are shown only to the members of their channel, and
// Slack's member list is the truth. Listing it on every `/incident list`
// and every Home tab opening would spend conversations.members (Tier 4)
// for each private incident each time, so a channel's list is kept for
// membershipTTL. The bot subscribes to member_joined_channel and
// member_left_channel, which drop a channel's list at once; the TTL only
// bounds how stale it gets when such an event is lost (the socket was down
// through Slack's retries, or the app's manifest predates them): someone
// who left may still see the incident for up to membershipTTL, and someone
// who joined may not see it yet for as long.
const membershipTTL = time.Minute

// Limits of one member-list fetch: Slack pages conversations.members, at
// most 1000 a page. An incident channel is far smaller; a list longer than
// maxMemberPages pages is refused rather than fetched for a minute.
const (
	memberPageSize = 1000
	maxMemberPages = 20
)

// members answers "is this user in that channel", caching channel member
// lists.
type members struct {
	api   *slack.Client
	clock clock.Clock
	log   zerolog.Logger

	mu        sync.Mutex
	byChannel map[string]memberList
	// gen counts the invalidations of a channel, so that a fetch that
	// started before one does not store the list it read.
	gen map[string]uint64
}

type memberList struct {
	users map[string]bool
	at    time.Time
}

func newMembers(api *slack.Client, clk clock.Clock, log zerolog.Logger) *members {
	return &members{api: api, clock: clk, log: log, byChannel: map[string]memberList{}, gen: map[string]uint64{}}
}

// forget drops channel's list: its membership changed.
func (m *members) forget(channel string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.byChannel, channel)
	m.gen[channel]++
}

// IsMember reports whether user is a member of channel, from a list at
// most membershipTTL old (commands.Membership). A Slack error, such as
// channel_not_found for a private channel the bot was removed from, is
// returned: callers then treat the user as not known to be a member.
func (m *members) IsMember(ctx context.Context, channel, user string) (bool, error) {
	now := m.clock.Now()
	m.mu.Lock()
	list, ok := m.byChannel[channel]
	gen := m.gen[channel]
	m.mu.Unlock()
	if ok && now.Sub(list.at) < membershipTTL {
		return list.users[user], nil
	}
	users, err := m.channelMembers(ctx, channel)
	if err != nil {
		m.log.Warn().Err(err).Str("channel", channel).Str("user", user).Msg("conversations.members failed: private incidents in this channel stay hidden from the user")
		return false, err
	}
	m.mu.Lock()
	if m.gen[channel] == gen {
		m.byChannel[channel] = memberList{users: users, at: now}
	}
	m.mu.Unlock()
	return users[user], nil
}

// channelMembers reads channel's whole member list from Slack.
func (m *members) channelMembers(ctx context.Context, channel string) (map[string]bool, error) {
	users := map[string]bool{}
	cursor := ""
	for range maxMemberPages {
		page, next, err := m.api.GetUsersInConversationContext(ctx, &slack.GetUsersInConversationParameters{
			ChannelID: channel, Cursor: cursor, Limit: memberPageSize,
		})
		if err != nil {
			return nil, fmt.Errorf("conversations.members %s: %w", channel, err)
		}
		for _, u := range page {
			users[u] = true
		}
		if next == "" {
			return users, nil
		}
		cursor = next
	}
	return nil, fmt.Errorf("conversations.members %s: more than %d members", channel, maxMemberPages*memberPageSize)
}

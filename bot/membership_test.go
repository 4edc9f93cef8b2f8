package bot

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// memberBot is a Bot on the emulator with a hand-driven clock; only its
// Web API client is used.
func memberBot(t *testing.T, emu *slackemu.Server) (*Bot, *clock.Fake) {
	t.Helper()
	st, err := boltstore.Open(filepath.Join(t.TempDir(), "members.db"), boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tmpl, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
	return New(Options{API: api, Store: st, Templates: tmpl, Log: zerolog.Nop(), Clock: clk}), clk
}

func isMember(t *testing.T, b *Bot, channel, user string) bool {
	t.Helper()
	in, err := b.IsMember(context.Background(), channel, user)
	if err != nil {
		t.Fatalf("IsMember(%s, %s): %v", channel, user, err)
	}
	return in
}

// A channel's member list is read once and kept for membershipTTL: someone
// who left without the bot hearing of it (the bot is not in this channel,
// so Slack sends it no event) is still a member for up to membershipTTL,
// and no longer after. A membership event drops the list at once.
func TestMembershipIsCachedForTheTTL(t *testing.T) {
	emu := slackemu.Start(t)
	const alice, bob = "UALICE001", "UBOB00002"
	emu.AddUser(slackemu.User{ID: alice, Name: "alice"})
	emu.AddUser(slackemu.User{ID: bob, Name: "bob"})
	ch := emu.CreateChannel("ops", false, alice, bob)
	b, clk := memberBot(t, emu)

	if !isMember(t, b, ch, alice) || !isMember(t, b, ch, bob) || isMember(t, b, ch, emu.BotUserID()) {
		t.Fatal("first lookup")
	}
	if n := len(emu.Calls("conversations.members")); n != 1 {
		t.Fatalf("%d conversations.members calls for two lookups, want 1", n)
	}
	if _, err := emu.LeaveChannel(context.Background(), alice, ch); err != nil {
		t.Fatal(err)
	}
	clk.Advance(membershipTTL - time.Second)
	if !isMember(t, b, ch, alice) {
		t.Fatal("the cached list was dropped before the TTL")
	}
	clk.Advance(time.Second)
	if isMember(t, b, ch, alice) || !isMember(t, b, ch, bob) {
		t.Fatal("alice is still a member a TTL after leaving")
	}
	if n := len(emu.Calls("conversations.members")); n != 2 {
		t.Fatalf("%d conversations.members calls, want 2", n)
	}

	// A member_joined_channel / member_left_channel event forgets the list.
	b.members.forget(ch)
	isMember(t, b, ch, bob)
	if n := len(emu.Calls("conversations.members")); n != 3 {
		t.Fatalf("%d conversations.members calls after forget, want 3", n)
	}
}

// Slack pages conversations.members; every page is read.
func TestMembershipReadsEveryPage(t *testing.T) {
	emu := slackemu.Start(t)
	users := make([]string, 2500)
	for i := range users {
		users[i] = fmt.Sprintf("U%08d", i)
		emu.AddUser(slackemu.User{ID: users[i], Name: fmt.Sprintf("user%d", i)})
	}
	ch := emu.CreateChannel("big", false, users...)
	b, _ := memberBot(t, emu)
	if !isMember(t, b, ch, users[0]) || !isMember(t, b, ch, users[2499]) || isMember(t, b, ch, "UNOBODY01") {
		t.Fatal("membership of a 2,500-member channel")
	}
	if n := len(emu.Calls("conversations.members")); n != 3 {
		t.Fatalf("%d pages read, want 3", n)
	}
}

// A private channel the bot is not in answers channel_not_found: the
// lookup fails (callers then hide the incident) and nothing is cached.
func TestMembershipOfAPrivateChannelWithoutTheBotFails(t *testing.T) {
	emu := slackemu.Start(t)
	const alice = "UALICE001"
	emu.AddUser(slackemu.User{ID: alice, Name: "alice"})
	ch := emu.CreateChannel("secret", true, alice)
	b, _ := memberBot(t, emu)
	for range 2 {
		in, err := b.IsMember(context.Background(), ch, alice)
		if in || slackCode(err) != "channel_not_found" {
			t.Fatalf("IsMember = %v, %v; want false, channel_not_found", in, err)
		}
	}
	if n := len(emu.Calls("conversations.members")); n != 2 {
		t.Fatalf("%d conversations.members calls, want 2 (errors are not cached)", n)
	}
}

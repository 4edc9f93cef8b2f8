package slackemu

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
)

func TestChatPostUpdateAndHistory(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	ch := emu.CreateChannel("inc-1-db", false, emu.BotUserID())
	blocks := slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*SEV1* db down", false, false), nil, nil))
	meta := slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "incident", EventPayload: map[string]any{"id": "INC-1"}})

	gotCh, ts, err := api.PostMessage(ch, slack.MsgOptionText("db down", false), blocks, meta)
	mustNoErr(t, err)
	if gotCh != ch || !tsPattern(ts) {
		t.Fatalf("PostMessage = %q %q", gotCh, ts)
	}
	_, reply, err := api.PostMessage(ch, slack.MsgOptionText("update 1", false), slack.MsgOptionTS(ts))
	mustNoErr(t, err)
	_, ts2, err := api.PostMessage(ch, slack.MsgOptionText("second", false))
	mustNoErr(t, err)
	if !(ts < reply && reply < ts2) {
		t.Fatalf("ts not increasing: %s %s %s", ts, reply, ts2)
	}

	// text without blocks removes the blocks; the bot edits only its own messages
	_, _, _, err = api.UpdateMessage(ch, ts, slack.MsgOptionText("db down (edited)", false))
	mustNoErr(t, err)
	msgs := emu.Messages(ch)
	if len(msgs) != 3 || msgs[0].Blocks != nil || msgs[0].Text != "db down (edited)" || msgs[0].Updates != 1 ||
		msgs[1].ThreadTS != ts || msgs[0].Metadata == nil {
		t.Fatalf("messages = %+v", msgs)
	}
	_, _, _, err = api.UpdateMessage(ch, ts, slack.MsgOptionText(strings.Repeat("x", 4001), false))
	wantCode(t, err, "msg_too_long")
	_, _, _, err = api.UpdateMessage(ch, "1.000001", slack.MsgOptionText("x", false))
	wantCode(t, err, "message_not_found")
	alice := emu.AddUser(User{RealName: "Alice"})
	userTS, err := emu.PostUserMessage(ch, alice, "hello")
	mustNoErr(t, err)
	_, _, _, err = api.UpdateMessage(ch, userTS, slack.MsgOptionText("x", false))
	wantCode(t, err, "cant_update_message")

	hist, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, IncludeAllMetadata: true, Limit: 2})
	mustNoErr(t, err)
	if len(hist.Messages) != 2 || !hist.HasMore || hist.ResponseMetaData.NextCursor == "" || hist.Messages[0].Timestamp != userTS {
		t.Fatalf("history page 1 = %+v", hist)
	}
	page2, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, IncludeAllMetadata: true, Cursor: hist.ResponseMetaData.NextCursor})
	mustNoErr(t, err)
	if len(page2.Messages) != 1 || page2.HasMore {
		t.Fatalf("history page 2 = %+v", page2)
	}
	first := page2.Messages[0]
	if first.Timestamp != ts || first.Metadata.EventType != "incident" || first.Metadata.EventPayload["id"] != "INC-1" || first.ReplyCount != 1 {
		t.Fatalf("oldest message = %+v", first.Msg)
	}
	plain, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
	mustNoErr(t, err)
	if plain.Messages[2].Metadata.EventType != "" {
		t.Fatal("metadata returned without include_all_metadata")
	}

	link, err := api.GetPermalink(&slack.PermalinkParameters{Channel: ch, Ts: ts})
	mustNoErr(t, err)
	if !strings.Contains(link, "/archives/"+ch+"/p") {
		t.Fatalf("permalink = %s", link)
	}
}

func tsPattern(ts string) bool {
	secs, frac, ok := strings.Cut(ts, ".")
	return ok && len(frac) == 6 && len(secs) >= 10
}

func TestPostToUserIDLandsInDM(t *testing.T) {
	emu := Start(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch, _, err := apiClient(emu).PostMessage(alice, slack.MsgOptionText("hi", false))
	mustNoErr(t, err)
	if ch != emu.DMChannel(alice) || !strings.HasPrefix(ch, "D") || len(emu.Messages(alice)) != 1 {
		t.Fatalf("channel %s, messages %+v", ch, emu.Messages(alice))
	}
}

func TestPostEphemeral(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	bob := emu.AddUser(User{RealName: "Bob"})
	ch := emu.CreateChannel("ops", false, emu.BotUserID(), alice)
	_, err := api.PostEphemeral(ch, alice, slack.MsgOptionText("only you", false))
	mustNoErr(t, err)
	_, err = api.PostEphemeral(ch, bob, slack.MsgOptionText("x", false))
	wantCode(t, err, "user_not_in_channel")
	if e := emu.Ephemerals(alice); len(e) != 1 || e[0].Text != "only you" {
		t.Fatalf("ephemerals = %+v", e)
	}
}

func TestCreateConversationNames(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	ch, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1-db-down", IsPrivate: true})
	mustNoErr(t, err)
	if !strings.HasPrefix(ch.ID, "C") || !ch.IsPrivate || ch.Creator != emu.BotUserID() || !ch.IsMember {
		t.Fatalf("channel = %+v", ch)
	}
	state, _ := emu.Channel(ch.ID)
	if len(state.Members) != 1 || state.Members[0] != emu.BotUserID() {
		t.Fatalf("members = %v", state.Members)
	}
	_, err = api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1-db-down"})
	wantCode(t, err, "name_taken")
	mustNoErr(t, api.ArchiveConversation(ch.ID))
	_, err = api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1-db-down"})
	wantCode(t, err, "name_taken") // archived channels keep their names

	for _, tc := range []struct{ name, code string }{
		{"", "invalid_name_required"},
		{strings.Repeat("a", 81), "invalid_name_maxlength"},
		{"Inc-2", "invalid_name_specials"},
		{"inc 2", "invalid_name_specials"},
		{"inc.2", "invalid_name_specials"},
		{"-_-", "invalid_name_punctuation"},
	} {
		_, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: tc.name})
		if e := slackErr(t, err); e.Err != tc.code {
			t.Errorf("create %q: %s, want %s", tc.name, e.Err, tc.code)
		}
	}
	_, err = api.CreateConversation(slack.CreateConversationParams{ChannelName: strings.Repeat("a", 80)})
	mustNoErr(t, err)
}

func TestInviteUsers(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	bob := emu.AddUser(User{RealName: "Bob"})
	gone := emu.AddUser(User{RealName: "Gone", Deleted: true})
	ch, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-2"})
	mustNoErr(t, err)

	_, err = api.InviteUsersToConversation(ch.ID, alice)
	mustNoErr(t, err)
	_, err = api.InviteUsersToConversation(ch.ID, alice)
	wantCode(t, err, "already_in_channel")

	_, err = api.InviteUsersToConversation(ch.ID, bob, "U404", emu.BotUserID())
	e := slackErr(t, err)
	if e.Err != "user_not_found" || len(e.Errors) != 2 {
		t.Fatalf("partial failure = %+v", e)
	}
	perUser := e.Errors[1].ConversationsInviteResponseError
	if perUser == nil || perUser.User != emu.BotUserID() || perUser.Error != "cant_invite_self" {
		t.Fatalf("per-user error = %+v", perUser)
	}
	if c, _ := emu.Channel(ch.ID); len(c.Members) != 2 {
		t.Fatalf("bob was invited although another invite failed: %v", c.Members)
	}
	_, err = api.InviteUsersToConversation(ch.ID, gone)
	wantCode(t, err, "cant_invite")

	other := emu.CreateChannel("elsewhere", false, alice)
	_, err = api.InviteUsersToConversation(other, bob)
	wantCode(t, err, "not_in_channel")
}

func TestTopicPurposeJoinArchiveInfo(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	pub := emu.CreateChannel("announce", false, alice)
	priv := emu.CreateChannel("secret", true, alice)

	_, err := api.SetTopicOfConversation(pub, "x")
	wantCode(t, err, "not_in_channel")
	_, _, warnings, err := api.JoinConversation(pub)
	mustNoErr(t, err)
	if len(warnings) != 0 {
		t.Fatalf("warnings on first join: %v", warnings)
	}
	_, warning, _, err := api.JoinConversation(pub)
	mustNoErr(t, err)
	if warning != "already_in_channel" {
		t.Fatalf("warning = %q", warning)
	}
	_, _, _, err = api.JoinConversation(priv)
	wantCode(t, err, "method_not_supported_for_channel_type")
	_, err = api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: priv})
	wantCode(t, err, "channel_not_found")

	c, err := api.SetTopicOfConversation(pub, "SEV1 | investigating")
	mustNoErr(t, err)
	if c.Topic.Value != "SEV1 | investigating" {
		t.Fatalf("topic = %+v", c.Topic)
	}
	_, err = api.SetPurposeOfConversation(pub, strings.Repeat("p", 251))
	wantCode(t, err, "too_long")
	_, err = api.SetPurposeOfConversation(pub, "db is down")
	mustNoErr(t, err)
	info, err := api.GetConversationInfo(&slack.GetConversationInfoInput{ChannelID: pub, IncludeNumMembers: true})
	mustNoErr(t, err)
	if info.Purpose.Value != "db is down" || info.NumMembers != 2 || !info.IsMember {
		t.Fatalf("info = %+v", info)
	}
	members, _, err := api.GetUsersInConversation(&slack.GetUsersInConversationParameters{ChannelID: pub})
	mustNoErr(t, err)
	if len(members) != 2 {
		t.Fatalf("members = %v", members)
	}
	mustNoErr(t, api.ArchiveConversation(pub))
	wantCode(t, api.ArchiveConversation(pub), "already_archived")
	_, _, err = api.PostMessage(pub, slack.MsgOptionText("x", false))
	wantCode(t, err, "is_archived")
}

func TestPinsReactionsBookmarks(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	ch := emu.CreateChannel("inc-3", false, emu.BotUserID())
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("summary", false))
	mustNoErr(t, err)
	ref := slack.NewRefToMessage(ch, ts)

	mustNoErr(t, api.AddPin(ch, ref))
	wantCode(t, api.AddPin(ch, ref), "already_pinned")
	wantCode(t, api.AddPin(ch, slack.NewRefToMessage(ch, "1.000002")), "message_not_found")
	mustNoErr(t, api.AddReaction("rotating_light", ref))
	wantCode(t, api.AddReaction("rotating_light", ref), "already_reacted")
	m := emu.Messages(ch)[0]
	if !m.Pinned || len(m.Reactions) != 1 {
		t.Fatalf("message = %+v", m)
	}

	b, err := api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "Runbook", Type: "link", Link: "https://wiki.example.com/rb"})
	mustNoErr(t, err)
	if b.ID == "" || b.Link != "https://wiki.example.com/rb" {
		t.Fatalf("bookmark = %+v", b)
	}
	_, err = api.AddBookmark(ch, slack.AddBookmarkParameters{Title: "x", Type: "link", Link: "ftp://x"})
	wantCode(t, err, "invalid_link")
	if c, _ := emu.Channel(ch); len(c.Bookmarks) != 1 || c.Bookmarks[0].Title != "Runbook" {
		t.Fatalf("bookmarks = %+v", c.Bookmarks)
	}
}

func TestUsersInfoAndLookup(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice Smith", Email: "alice@example.com"})
	gone := emu.AddUser(User{RealName: "Gone", Email: "gone@example.com", Deleted: true})
	u, err := api.GetUserInfo(alice)
	mustNoErr(t, err)
	if u.RealName != "Alice Smith" || u.Profile.Email != "alice@example.com" || u.Deleted || u.IsBot {
		t.Fatalf("user = %+v", u)
	}
	g, err := api.GetUserInfo(gone)
	mustNoErr(t, err)
	if !g.Deleted {
		t.Fatal("deleted flag lost")
	}
	bot, err := api.GetUserInfo(emu.BotUserID())
	mustNoErr(t, err)
	if !bot.IsBot {
		t.Fatal("bot user is not is_bot")
	}
	_, err = api.GetUserInfo("U404")
	wantCode(t, err, "user_not_found")
	byEmail, err := api.GetUserByEmail("ALICE@example.com")
	mustNoErr(t, err)
	if byEmail.ID != alice {
		t.Fatalf("lookup = %s", byEmail.ID)
	}
	_, err = api.GetUserByEmail("gone@example.com")
	wantCode(t, err, "users_not_found")

	auth, err := api.AuthTest()
	mustNoErr(t, err)
	if auth.UserID != emu.BotUserID() || auth.TeamID != emu.TeamID() || auth.BotID != emu.BotID() {
		t.Fatalf("auth.test = %+v", auth)
	}
}

func TestUploadFileThreeSteps(t *testing.T) {
	emu := Start(t)
	ch := emu.CreateChannel("inc-4", false, emu.BotUserID())
	content := "# Postmortem\n\nblameless\n"
	f, err := apiClient(emu).UploadFile(slack.UploadFileParameters{
		Filename: "postmortem.md", FileSize: len(content), Content: content,
		Title: "INC-4 postmortem", Channel: ch, InitialComment: "Draft postmortem",
	})
	mustNoErr(t, err)
	files := emu.Files()
	if len(files) != 1 || files[0].ID != f.ID || string(files[0].Content) != content || files[0].Title != "INC-4 postmortem" || files[0].Name != "postmortem.md" {
		t.Fatalf("files = %+v", files)
	}
	msgs := emu.Messages(ch)
	if len(msgs) != 1 || msgs[0].Text != "Draft postmortem" || len(msgs[0].Files) != 1 || string(msgs[0].Files[0].Content) != content {
		t.Fatalf("messages = %+v", msgs)
	}
	if calls := emu.Calls("upload"); len(calls) != 1 || calls[0].Status != 200 {
		t.Fatalf("upload calls = %+v", calls)
	}
	_, err = apiClient(emu).CompleteUploadExternalContext(testCtx(t), slack.CompleteUploadExternalParameters{Files: []slack.FileSummary{{ID: f.ID}}})
	wantCode(t, err, "file_not_found") // completing twice
}

func TestRateLimitFault(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	ch := emu.CreateChannel("inc-5", false, emu.BotUserID())
	emu.Fail("chat.postMessage", Fault{Status: 429, RetryAfter: 2 * time.Second, Times: 1})
	_, _, err := api.PostMessage(ch, slack.MsgOptionText("x", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 2*time.Second {
		t.Fatalf("err = %#v, want *slack.RateLimitedError{2s}", err)
	}
	_, _, err = api.PostMessage(ch, slack.MsgOptionText("x", false))
	mustNoErr(t, err)
	calls := emu.Calls("chat.postMessage")
	if len(calls) != 2 || calls[0].Status != 429 || calls[0].Error != "ratelimited" || !calls[1].OK {
		t.Fatalf("calls = %+v", calls)
	}
}

func TestFaultKinds(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	emu.Fail("auth.test", Fault{Status: 503, Times: 1})
	emu.Fail("auth.test", Fault{Error: "fatal_error", Times: 1})
	_, err := api.AuthTest()
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 503 {
		t.Fatalf("err = %#v, want StatusCodeError 503", err)
	}
	_, err = api.AuthTest()
	wantCode(t, err, "fatal_error")
	_, err = api.AuthTest()
	mustNoErr(t, err)
	emu.Fail("*", Fault{Error: "internal_error"})
	_, err = api.AuthTest()
	wantCode(t, err, "internal_error")
	emu.ClearFaults()
	_, err = api.AuthTest()
	mustNoErr(t, err)
}

func TestRateLimitBuckets(t *testing.T) {
	clock := NewClock(time.Unix(1_700_000_000, 0))
	emu := Start(t, func(o *Options) { o.RateLimits = true; o.Now = clock.Now })
	api := apiClient(emu)
	ch := emu.CreateChannel("inc-6", false, emu.BotUserID())
	_, burst := tier2.limits()
	for i := range int(burst) { // conversations.setTopic is Tier 2: 20/min
		if _, err := api.SetTopicOfConversation(ch, "t"); err != nil {
			t.Fatalf("call %d within the burst: %v", i, err)
		}
	}
	_, err := api.SetTopicOfConversation(ch, "t")
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("err = %v, want RateLimitedError with Retry-After 3s (20/min)", err)
	}
	clock.Advance(3 * time.Second)
	_, err = api.SetTopicOfConversation(ch, "t")
	mustNoErr(t, err)
}

// chat.postMessage is limited per channel (about 1/s, short bursts) and
// across the workspace ("several hundred a minute"), not per method: a
// busy channel does not stop posts elsewhere until the workspace limit.
func TestPostMessageRateLimits(t *testing.T) {
	clock := NewClock(time.Unix(1_700_000_000, 0))
	emu := Start(t, func(o *Options) { o.RateLimits = true; o.Now = clock.Now })
	api := apiClient(emu)
	busy := emu.CreateChannel("busy", false, emu.BotUserID())
	post := func(ch string) error {
		_, _, err := api.PostMessage(ch, slack.MsgOptionText("t", false))
		return err
	}
	_, burst := tierPostMessage.limits()
	for i := range int(burst) {
		if err := post(busy); err != nil {
			t.Fatalf("post %d within the channel's burst: %v", i, err)
		}
	}
	var rl *slack.RateLimitedError
	if err := post(busy); !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("post beyond the channel's burst: %v, want Retry-After 1s", err)
	}
	_, workspace := tierPostMessageWorkspace.limits()
	for i := int(burst); i < int(workspace); i++ {
		if err := post(emu.CreateChannel(fmt.Sprintf("quiet-%d", i), false, emu.BotUserID())); err != nil {
			t.Fatalf("post %d to a quiet channel: %v", i, err)
		}
	}
	quiet := emu.CreateChannel("one-more", false, emu.BotUserID())
	if err := post(quiet); !errors.As(err, &rl) {
		t.Fatalf("post beyond the workspace's burst: %v, want a 429", err)
	}
	clock.Advance(rl.RetryAfter)
	mustNoErr(t, post(quiet))
}

func TestWaitCallAndSubscribe(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	changes, cancel := emu.Subscribe()
	defer cancel()
	ch := emu.CreateChannel("inc-7", false, emu.BotUserID())
	done := make(chan Call, 1)
	go func() {
		c, err := emu.WaitCall(ctx, "chat.postMessage", func(c Call) bool { return c.Args["text"] == "second" })
		if err == nil {
			done <- c
		}
		close(done)
	}()
	api := apiClient(emu)
	for _, text := range []string{"first", "second"} {
		_, _, err := api.PostMessage(ch, slack.MsgOptionText(text, false))
		mustNoErr(t, err)
	}
	c, ok := <-done
	if !ok || !c.OK || c.Token != emu.BotToken() {
		t.Fatalf("WaitCall = %+v", c)
	}
	var kinds []string
	for ch := range changes {
		kinds = append(kinds, ch.Kind)
		if len(kinds) == 5 {
			break
		}
	}
	want := []string{ChangeChannel, ChangeMessage, ChangeCall, ChangeMessage, ChangeCall}
	if strings.Join(kinds, ",") != strings.Join(want, ",") {
		t.Fatalf("changes = %v, want %v", kinds, want)
	}
}

func TestCallArgsDecodeJSONFields(t *testing.T) {
	emu := Start(t)
	ch := emu.CreateChannel("inc-8", false, emu.BotUserID())
	_, _, err := apiClient(emu).PostMessage(ch, slack.MsgOptionBlocks(slack.NewDividerBlock()), slack.MsgOptionText("t", false))
	mustNoErr(t, err)
	c := emu.Calls("chat.postMessage")[0]
	blocks, ok := c.Args["blocks"].([]any)
	if !ok || len(blocks) != 1 || c.Args["channel"] != ch {
		t.Fatalf("args = %#v", c.Args)
	}
	var resp struct{ TS string }
	mustNoErr(t, json.NewDecoder(bytes.NewReader(c.Response)).Decode(&resp))
	if resp.TS == "" {
		t.Fatalf("response = %s", c.Response)
	}
}

func TestConversationsListPagesVisibleChannels(t *testing.T) {
	emu := Start(t)
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
	emu.CreateChannel("pub-a", false)
	emu.CreateChannel("secret", true) // the bot is not a member: invisible
	mine := emu.CreateChannel("mine", true, emu.BotUserID())
	emu.CreateChannel("pub-b", false)
	var names []string
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1}
	for {
		chans, cursor, err := api.GetConversations(params)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range chans {
			names = append(names, c.Name)
			if c.ID == mine && !c.IsPrivate {
				t.Fatal("private channel listed as public")
			}
		}
		if cursor == "" {
			break
		}
		params.Cursor = cursor
	}
	if got := strings.Join(names, ","); got != "pub-a,mine,pub-b" {
		t.Fatalf("listed %s", got)
	}
}

func TestConversationsRepliesReturnsTheThread(t *testing.T) {
	emu := Start(t)
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
	ch := emu.CreateChannel("ann", false, emu.BotUserID())
	_, parent, err := api.PostMessage(ch, slack.MsgOptionText("parent", false))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = api.PostMessage(ch, slack.MsgOptionText("reply", false), slack.MsgOptionTS(parent),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "x", EventPayload: map[string]any{"job": 7}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("other", false)); err != nil {
		t.Fatal(err)
	}
	msgs, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent, IncludeAllMetadata: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 2 || msgs[0].Text != "parent" || msgs[1].Text != "reply" || msgs[1].Metadata.EventType != "x" {
		t.Fatalf("thread = %+v", msgs)
	}
	if _, _, _, err := api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: "1.000001"}); err == nil || err.Error() != "thread_not_found" {
		t.Fatalf("unknown thread: %v", err)
	}
}

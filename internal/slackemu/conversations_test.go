package slackemu

import (
	"fmt"
	"slices"
	"testing"

	"github.com/slack-go/slack"
)

// withScopes starts an emulator whose bot token holds only scopes.
func withScopes(scopes ...string) func(*Options) {
	return func(o *Options) { o.Scopes = scopes }
}

// A bot posts in a public channel it is not in only with chat:write.public;
// it never reads a channel it is not in.
func TestPostingAndReadingWhereTheBotIsNotAMember(t *testing.T) {
	tests := []struct {
		name     string
		scopes   []string
		private  bool
		postErr  string
		readErr  string
		joinErr  string
		canAfter bool // the bot can read the channel after joining
	}{
		{"public, chat:write.public", []string{"chat:write", "chat:write.public", "channels:history", "channels:join"}, false, "", "not_in_channel", "", true},
		{"public, chat:write only", []string{"chat:write", "channels:history", "channels:join"}, false, "not_in_channel", "not_in_channel", "", true},
		{"public, no channels:join", []string{"chat:write", "chat:write.public", "channels:history"}, false, "", "not_in_channel", "missing_scope", false},
		{"private", []string{"chat:write", "chat:write.public", "groups:history", "channels:join"}, true, "channel_not_found", "channel_not_found", "method_not_supported_for_channel_type", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := Start(t, withScopes(tt.scopes...))
			api := apiClient(emu)
			alice := emu.AddUser(User{RealName: "Alice"})
			ch := emu.CreateChannel("announce", tt.private, alice)
			_, _, err := api.PostMessage(ch, slack.MsgOptionText("declared", false))
			if tt.postErr == "" {
				mustNoErr(t, err)
			} else {
				wantCode(t, err, tt.postErr)
			}
			_, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
			wantCode(t, err, tt.readErr)
			_, _, _, err = api.JoinConversation(ch)
			if tt.joinErr == "" {
				mustNoErr(t, err)
			} else {
				wantCode(t, err, tt.joinErr)
			}
			if tt.joinErr == "missing_scope" {
				se := slackErr(t, err)
				if se.Needed != "channels:join" || se.Provided != "chat:write,chat:write.public,channels:history" {
					t.Fatalf("missing_scope needed=%q provided=%q", se.Needed, se.Provided)
				}
			}
			_, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch})
			if (err == nil) != tt.canAfter {
				t.Fatalf("history after join: %v", err)
			}
		})
	}
}

func TestJoinArchivedOrUnknownChannel(t *testing.T) {
	emu := Start(t, withScopes("channels:join"))
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	arch := emu.CreateChannel("old", false, alice)
	emu.mu.Lock()
	emu.ws.channels[arch].Archived = true // archived by a person, not the bot
	emu.mu.Unlock()
	_, _, _, err := api.JoinConversation(arch)
	wantCode(t, err, "is_archived")
	_, _, _, err = api.JoinConversation("C404")
	wantCode(t, err, "channel_not_found")
}

// historyAll pages through conversations.history with params and returns
// every ts, in the order the pages gave them, and the number of pages.
func historyAll(t *testing.T, api *slack.Client, params slack.GetConversationHistoryParameters) ([]string, int) {
	t.Helper()
	var got []string
	pages := 0
	for {
		resp, err := api.GetConversationHistory(&params)
		mustNoErr(t, err)
		pages++
		for _, m := range resp.Messages {
			got = append(got, m.Timestamp)
		}
		if resp.HasMore != (resp.ResponseMetaData.NextCursor != "") {
			t.Fatalf("has_more %v with next_cursor %q", resp.HasMore, resp.ResponseMetaData.NextCursor)
		}
		if !resp.HasMore {
			return got, pages
		}
		params.Cursor = resp.ResponseMetaData.NextCursor
	}
}

func TestHistoryTimeRangeAndPaging(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	ch := emu.CreateChannel("busy", false, emu.BotUserID())
	var ts []string // oldest first
	for i := range 7 {
		v, err := emu.PostUserMessage(ch, emu.BotUserID(), fmt.Sprint("m", i))
		mustNoErr(t, err)
		ts = append(ts, v)
	}
	// A thread reply is not history.
	_, _, err := api.PostMessage(ch, slack.MsgOptionText("reply", false), slack.MsgOptionTS(ts[2]))
	mustNoErr(t, err)
	rev := func(in ...string) []string { out := slices.Clone(in); slices.Reverse(out); return out }

	tests := []struct {
		name      string
		params    slack.GetConversationHistoryParameters
		want      []string
		wantPages int
	}{
		{"everything, newest first", slack.GetConversationHistoryParameters{}, rev(ts...), 1},
		{"oldest excludes its own ts", slack.GetConversationHistoryParameters{Oldest: ts[4]}, rev(ts[5:]...), 1},
		{"oldest inclusive", slack.GetConversationHistoryParameters{Oldest: ts[4], Inclusive: true}, rev(ts[4:]...), 1},
		{"latest excludes its own ts", slack.GetConversationHistoryParameters{Latest: ts[2]}, rev(ts[:2]...), 1},
		{"both ends inclusive", slack.GetConversationHistoryParameters{Oldest: ts[1], Latest: ts[3], Inclusive: true}, rev(ts[1:4]...), 1},
		{"pages of 2 from oldest", slack.GetConversationHistoryParameters{Oldest: ts[1], Inclusive: true, Limit: 2}, rev(ts[1:]...), 3},
		{"pages of 3", slack.GetConversationHistoryParameters{Limit: 3}, rev(ts...), 3},
		{"page size equal to what is left", slack.GetConversationHistoryParameters{Limit: 7}, rev(ts...), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.params.ChannelID = ch
			got, pages := historyAll(t, api, tt.params)
			if !slices.Equal(got, tt.want) || pages != tt.wantPages {
				t.Fatalf("got %v in %d pages, want %v in %d", got, pages, tt.want, tt.wantPages)
			}
		})
	}
	_, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, Oldest: "yesterday"})
	wantCode(t, err, "invalid_ts_oldest")
	_, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, Latest: "x.1"})
	wantCode(t, err, "invalid_ts_latest")
	_, err = api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, Cursor: "garbage"})
	wantCode(t, err, "invalid_cursor")
}

func TestRepliesTimeRangeAndPaging(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	ch := emu.CreateChannel("ann", false, emu.BotUserID())
	_, parent, err := api.PostMessage(ch, slack.MsgOptionText("parent", false))
	mustNoErr(t, err)
	var replies []string
	for i := range 5 {
		_, r, err := api.PostMessage(ch, slack.MsgOptionText(fmt.Sprint("r", i), false), slack.MsgOptionTS(parent))
		mustNoErr(t, err)
		replies = append(replies, r)
		if i == 1 { // another thread and a top-level message interleave
			_, _, err = api.PostMessage(ch, slack.MsgOptionText("top", false))
			mustNoErr(t, err)
		}
	}
	all := func(params slack.GetConversationRepliesParameters) ([]string, int) {
		t.Helper()
		var got []string
		pages := 0
		for {
			msgs, more, next, err := api.GetConversationReplies(&params)
			mustNoErr(t, err)
			pages++
			for _, m := range msgs {
				got = append(got, m.Timestamp)
			}
			if more != (next != "") {
				t.Fatalf("has_more %v with next_cursor %q", more, next)
			}
			if !more {
				return got, pages
			}
			params.Cursor = next
		}
	}
	with := func(ts ...string) []string { return append([]string{parent}, ts...) }
	tests := []struct {
		name      string
		params    slack.GetConversationRepliesParameters
		want      []string
		wantPages int
	}{
		{"whole thread, earliest first", slack.GetConversationRepliesParameters{}, with(replies...), 1},
		{"ts of a reply names its thread", slack.GetConversationRepliesParameters{Timestamp: replies[3]}, with(replies...), 1},
		{"oldest: the parent still leads", slack.GetConversationRepliesParameters{Oldest: replies[2]}, with(replies[3:]...), 1},
		{"oldest inclusive", slack.GetConversationRepliesParameters{Oldest: replies[2], Inclusive: true}, with(replies[2:]...), 1},
		{"latest", slack.GetConversationRepliesParameters{Latest: replies[1]}, with(replies[0]), 1},
		{"pages of 2", slack.GetConversationRepliesParameters{Limit: 2}, with(replies...), 3},
		{"pages of 2 from oldest", slack.GetConversationRepliesParameters{Oldest: replies[0], Inclusive: true, Limit: 2}, with(replies...), 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.params.ChannelID = ch
			if tt.params.Timestamp == "" {
				tt.params.Timestamp = parent
			}
			got, pages := all(tt.params)
			if !slices.Equal(got, tt.want) || pages != tt.wantPages {
				t.Fatalf("got %v in %d pages, want %v in %d", got, pages, tt.want, tt.wantPages)
			}
		})
	}
	_, _, _, err = api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent, Oldest: "soon"})
	wantCode(t, err, "invalid_ts_oldest")
	_, _, _, err = api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: parent, Cursor: "garbage"})
	wantCode(t, err, "invalid_cursor")
	outsider := emu.CreateChannel("elsewhere", false)
	_, _, _, err = api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: outsider, Timestamp: parent})
	wantCode(t, err, "not_in_channel")
}

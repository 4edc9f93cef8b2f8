package slackemu

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/slack-go/slack"
)

// A workspace saved and loaded into a new emulator is the same workspace:
// what the bot stored about it (channel IDs, message ts, file and view IDs)
// still points at the same things, and new IDs and ts never repeat old ones.
func TestSaveLoadKeepsTheWorkspace(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice Aalto", Email: "alice@example.com"})
	bob := emu.AddUser(User{RealName: "Bob Berg"})
	emu.CreateChannel("general", false, alice, bob)
	priv, err := api.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-1-secret", IsPrivate: true})
	mustNoErr(t, err)
	_, err = api.InviteUsersToConversation(priv.ID, alice)
	mustNoErr(t, err)
	_, err = api.SetTopicOfConversation(priv.ID, "SEV2 · Investigating")
	mustNoErr(t, err)
	_, ts, err := api.PostMessage(priv.ID, slack.MsgOptionText("card", false), slack.MsgOptionBlocks(slack.NewDividerBlock()))
	mustNoErr(t, err)
	mustNoErr(t, api.AddPin(priv.ID, slack.NewRefToMessage(priv.ID, ts)))
	mustNoErr(t, api.AddReaction("memo", slack.NewRefToMessage(priv.ID, ts)))
	_, err = api.AddBookmark(priv.ID, slack.AddBookmarkParameters{Title: "Runbook", Type: "link", Link: "https://wiki.example.com/rb"})
	mustNoErr(t, err)
	_, err = api.PostEphemeral(priv.ID, alice, slack.MsgOptionText("only you", false))
	mustNoErr(t, err)
	_, _, err = api.PostMessage(bob, slack.MsgOptionText("a DM", false))
	mustNoErr(t, err)
	doc := "# INC-1 postmortem\n"
	_, err = api.UploadFileContext(testCtx(t), slack.UploadFileParameters{Filename: "INC-1-postmortem.md", Content: doc, FileSize: len(doc), Channel: priv.ID})
	mustNoErr(t, err)
	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	_, err = api.PublishView(alice, home, "")
	mustNoErr(t, err)

	path := filepath.Join(t.TempDir(), "workspace.json")
	mustNoErr(t, emu.Save(path))
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("saved file: %v %v", fi, err)
	}
	again := Start(t)
	mustNoErr(t, again.Load(path))

	same := func(what string, a, b any) {
		t.Helper()
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		if string(ja) != string(jb) {
			t.Errorf("%s differs after Load:\nbefore %s\nafter  %s", what, ja, jb)
		}
	}
	same("users", emu.Users(), again.Users())
	same("channels", emu.Channels(), again.Channels())
	for _, c := range emu.Channels() {
		same("messages of "+c.Name, emu.Messages(c.ID), again.Messages(c.ID))
	}
	same("the DM", emu.Messages(bob), again.Messages(bob))
	same("the DM channel", emu.DMChannel(bob), again.DMChannel(bob))
	same("ephemerals", emu.Ephemerals(alice), again.Ephemerals(alice))
	same("files", emu.Files(), again.Files())
	same("views", emu.Views(), again.Views())

	// What comes next is new: the loaded emulator works through the Web API
	// with its own tokens, and hands out IDs and ts not seen before.
	api2 := apiClient(again)
	next, err := api2.CreateConversation(slack.CreateConversationParams{ChannelName: "inc-2-next"})
	mustNoErr(t, err)
	_, ts2, err := api2.PostMessage(next.ID, slack.MsgOptionText("next", false))
	mustNoErr(t, err)
	for _, c := range emu.Channels() {
		if c.ID == next.ID {
			t.Fatalf("the new channel reuses %s", c.ID)
		}
	}
	if tsCompare(ts2, ts) <= 0 {
		t.Fatalf("new ts %s is not after %s", ts2, ts)
	}
	_, _, err = api2.PostMessage(priv.ID, slack.MsgOptionText("still here", false))
	mustNoErr(t, err) // the bot is still a member of the old private channel
}

func tsCompare(a, b string) int {
	if len(a) != len(b) {
		return len(a) - len(b)
	}
	if a < b {
		return -1
	}
	if a > b {
		return 1
	}
	return 0
}

// Save must know every part of the workspace: a field added to it (or to a
// channel) without being saved would silently be lost on a restart.
func TestSaveCoversTheWorkspace(t *testing.T) {
	for _, tt := range []struct {
		typ  reflect.Type
		want []string
	}{
		{reflect.TypeFor[workspace](), []string{ // saved, except triggers and responses (see savedWorkspace)
			"users", "userOrder", "channels", "chanOrder", "ims", "ephemerals", "uploads", "fileOrder",
			"views", "viewOrder", "triggers", "responses", "lastMicros", "counters"}},
		{reflect.TypeFor[channel](), []string{"Channel", "created", "topicCreator", "topicSet", "purposeCreator", "purposeSet", "imUser", "messages"}},
		{reflect.TypeFor[upload](), []string{"file", "secret", "uploaded", "completed"}},
		{reflect.TypeFor[view](), []string{"id", "hash", "triggerID", "user", "typ", "rootID", "previousID", "body", "closed", "errors", "rendered"}},
	} {
		var got []string
		for i := range tt.typ.NumField() {
			got = append(got, tt.typ.Field(i).Name)
		}
		slices.Sort(got)
		slices.Sort(tt.want)
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s has fields %v; persist.go saves %v: save the new ones (or say why not)", tt.typ, got, tt.want)
		}
	}
}

func TestLoadRefusesAnotherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "workspace.json")
	mustNoErr(t, os.WriteFile(path, []byte(`{"version":99}`), 0o600))
	if err := Start(t).Load(path); err == nil {
		t.Fatal("loaded a format it does not know")
	}
}

package slackemu

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject("plain_text", s, false, false)
}

// declareModal is shaped like incidentbot's declare modal (docs/contract.md).
func declareModal() slack.ModalViewRequest {
	sev := slack.NewOptionsSelectBlockElement("static_select", plain("Severity"), "severity",
		slack.NewOptionBlockObject("SEV1", plain("SEV1"), nil), slack.NewOptionBlockObject("SEV2", plain("SEV2"), nil))
	commander := slack.NewOptionsSelectBlockElement("users_select", plain("Commander"), "commander")
	private := slack.NewCheckboxGroupsBlockElement("private", slack.NewOptionBlockObject("private", plain("Private channel"), nil))
	commanderBlock := slack.NewInputBlock("commander", plain("Commander"), nil, commander)
	commanderBlock.Optional = true
	privateBlock := slack.NewInputBlock("private", plain("Private"), nil, private)
	privateBlock.Optional = true
	return slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Declare an incident"), Submit: plain("Declare"), Close: plain("Cancel"),
		CallbackID: "incident_declare", PrivateMetadata: `{"channel":"C1"}`,
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("title", plain("Title"), nil, slack.NewPlainTextInputBlockElement(plain("What is broken?"), "title")),
			slack.NewInputBlock("severity", plain("Severity"), nil, sev),
			commanderBlock, privateBlock,
		}},
	}
}

func TestOpenViewTriggers(t *testing.T) {
	clock := NewClock(time.Unix(1_700_000_000, 0))
	emu := Start(t, func(o *Options) { o.Now = clock.Now })
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})

	trigger := emu.MintTriggerID(alice)
	v, err := api.OpenView(trigger, declareModal())
	mustNoErr(t, err)
	if !strings.HasPrefix(v.ID, "V") || v.Hash == "" || v.State == nil || v.CallbackID != "incident_declare" {
		t.Fatalf("view = %+v", v.View)
	}
	views := emu.Views()
	if len(views) != 1 || views[0].UserID != alice || views[0].TriggerID != trigger || views[0].Closed {
		t.Fatalf("views = %+v", views)
	}

	_, err = api.OpenView(trigger, declareModal())
	wantCode(t, err, "exchanged_trigger_id")
	late := emu.MintTriggerID(alice)
	clock.Advance(3*time.Second + time.Millisecond)
	_, err = api.OpenView(late, declareModal())
	wantCode(t, err, "expired_trigger_id")
	_, err = api.OpenView("1.2.bogus", declareModal())
	e := slackErr(t, err)
	if e.Err != "invalid_arguments" || len(e.ResponseMetadata.Messages) != 1 || e.ResponseMetadata.Messages[0] != "invalid `trigger_id`" {
		t.Fatalf("unknown trigger = %+v", e)
	}

	_, err = api.UpdateView(declareModal(), "", "stale.hash", v.ID)
	wantCode(t, err, "hash_conflict")
	updated, err := api.UpdateView(declareModal(), "", v.Hash, v.ID)
	mustNoErr(t, err)
	if updated.Hash == v.Hash || updated.ID != v.ID {
		t.Fatalf("update kept hash %s / changed id %s", updated.Hash, updated.ID)
	}

	home := slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: []slack.Block{slack.NewDividerBlock()}}}
	pub, err := api.PublishView(alice, home, "")
	mustNoErr(t, err)
	if pub.Type != slack.VTHomeTab {
		t.Fatalf("published = %+v", pub.View)
	}
}

func TestViewLimitsRejected(t *testing.T) {
	emu := Start(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	m := declareModal()
	m.Title = plain(strings.Repeat("t", 25))
	m.PrivateMetadata = strings.Repeat("m", 3001)
	_, err := apiClient(emu).OpenView(emu.MintTriggerID(alice), m)
	e := slackErr(t, err)
	want := []string{
		"[ERROR] must be less than 25 characters [json-pointer:/view/title/text]",
		"[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]",
	}
	if e.Err != "invalid_arguments" || strings.Join(e.ResponseMetadata.Messages, "|") != strings.Join(want, "|") {
		t.Fatalf("error = %+v", e)
	}
}

func TestSubmitViewResponseActions(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	bob := emu.AddUser(User{RealName: "Bob"})
	submitted := make(chan slack.InteractionCallback, 4)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type != socketmode.EventTypeInteractive {
			return
		}
		cb := evt.Data.(slack.InteractionCallback)
		submitted <- cb
		switch cb.View.State.Values["title"]["title"].Value {
		case "x":
			_ = client.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"title": "Say a bit more"}))
		case "push me":
			next := declareModal()
			next.Title = plain("Confirm")
			_ = client.Ack(*evt.Request, slack.NewPushViewSubmissionResponse(&next))
		default:
			_ = client.Ack(*evt.Request)
		}
	})
	v, err := api.OpenView(emu.MintTriggerID(alice), declareModal())
	mustNoErr(t, err)

	_, err = emu.SubmitView(ctx, alice, v.ID, map[string]any{"title": "x", "severity": "SEV1"})
	mustNoErr(t, err)
	cb := <-submitted
	values := cb.View.State.Values
	if cb.Type != slack.InteractionTypeViewSubmission || cb.View.ID != v.ID || cb.View.CallbackID != "incident_declare" ||
		values["severity"]["severity"].SelectedOption.Value != "SEV1" || values["commander"]["commander"].SelectedUser != "" ||
		cb.View.PrivateMetadata != `{"channel":"C1"}` || cb.TriggerID == "" {
		t.Fatalf("submission = %+v", cb)
	}
	got, _ := emu.View(v.ID)
	if got.Closed || got.Errors["title"] != "Say a bit more" {
		t.Fatalf("after errors: %+v", got)
	}

	_, err = emu.SubmitView(ctx, alice, v.ID, map[string]any{"title": "push me", "severity": "SEV2", "commander": bob, "private": []string{"private"}})
	mustNoErr(t, err)
	cb = <-submitted
	if cb.View.State.Values["commander"]["commander"].SelectedUser != bob || len(cb.View.State.Values["private"]["private"].SelectedOptions) != 1 {
		t.Fatalf("submission = %+v", cb.View.State.Values)
	}
	views := emu.Views()
	if len(views) != 2 || views[1].PreviousViewID != v.ID || views[1].RootViewID != v.ID || views[1].Closed {
		t.Fatalf("after push: %+v", views)
	}

	_, err = emu.SubmitView(ctx, alice, views[1].ID, map[string]any{"title": "DB down", "severity": "SEV1"})
	mustNoErr(t, err)
	<-submitted
	if top, _ := emu.View(views[1].ID); !top.Closed {
		t.Fatal("an empty ack did not close the submitted view")
	}
	if root, _ := emu.View(v.ID); root.Closed {
		t.Fatal("an empty ack closed the view below it")
	}

	for _, tc := range []struct {
		name   string
		values map[string]any
	}{
		{"required input left empty", map[string]any{"title": "DB down"}},
		{"option not offered", map[string]any{"title": "DB down", "severity": "SEV9"}},
		{"no such input", map[string]any{"title": "DB down", "severity": "SEV1", "colour": "red"}},
		{"unknown user", map[string]any{"title": "DB down", "severity": "SEV1", "commander": "U404"}},
	} {
		if _, err := emu.SubmitView(ctx, alice, v.ID, tc.values); err == nil {
			t.Errorf("%s: SubmitView accepted it", tc.name)
		}
	}
	if _, err := emu.SubmitView(ctx, bob, v.ID, map[string]any{"title": "x", "severity": "SEV1"}); err == nil {
		t.Error("another user submitted alice's view")
	}
}

func TestClickButtonAndResponseURL(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("inc-9", false, emu.BotUserID(), alice)
	actions := slack.NewActionBlock("summary-actions",
		slack.NewButtonBlockElement("update", "INC-9", plain("Post update")),
		slack.NewButtonBlockElement("snooze", "15m", plain("Snooze 15m")),
		slack.NewButtonBlockElement("snooze2", "30m", plain("Snooze 30m")))
	_, ts, err := api.PostMessage(ch, slack.MsgOptionText("Reminder", false), slack.MsgOptionBlocks(actions))
	mustNoErr(t, err)

	clicks := make(chan slack.InteractionCallback, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
			clicks <- evt.Data.(slack.InteractionCallback)
		}
	})
	_, err = emu.ClickButton(ctx, alice, ch, ts, "snooze", "")
	mustNoErr(t, err)
	cb := <-clicks
	action := cb.ActionCallback.BlockActions[0]
	if cb.Type != slack.InteractionTypeBlockActions || action.ActionID != "snooze" || action.Value != "15m" ||
		action.BlockID != "summary-actions" || cb.Container.MessageTs != ts || cb.Channel.ID != ch || cb.Message.Text != "Reminder" {
		t.Fatalf("block_actions = %+v / %+v", cb, action)
	}
	if _, err := emu.ClickButton(ctx, alice, ch, ts, "snooze", "1h"); err == nil {
		t.Fatal("clicked a button value that is not on the message")
	}

	_, _, err = api.PostMessage("", slack.MsgOptionReplaceOriginal(cb.ResponseURL), slack.MsgOptionText("Snoozed for 15m", false))
	mustNoErr(t, err)
	m := emu.Messages(ch)[0]
	if m.Text != "Snoozed for 15m" || m.Blocks != nil || m.Updates != 1 {
		t.Fatalf("replaced message = %+v", m)
	}
	for range responseURLUses - 1 {
		_, _, err = api.PostMessage("", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("note", false))
		mustNoErr(t, err)
	}
	if n := len(emu.Ephemerals(alice)); n != responseURLUses-1 {
		t.Fatalf("%d ephemerals", n)
	}
	_, _, err = api.PostMessage("", slack.MsgOptionResponseURL(cb.ResponseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText("sixth", false))
	var sc slack.StatusCodeError
	if !errors.As(err, &sc) || sc.Code != 404 {
		t.Fatalf("sixth use: %v", err)
	}
	if last := emu.Calls("response_url"); last[len(last)-1].Error != "used_url" {
		t.Fatalf("calls = %+v", last[len(last)-1])
	}
}

func TestSelectUserInMessage(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	alice := emu.AddUser(User{RealName: "Alice"})
	bob := emu.AddUser(User{RealName: "Bob"})
	ch := emu.CreateChannel("inc-10", false, emu.BotUserID(), alice)
	sel := slack.NewOptionsSelectBlockElement("users_select", plain("Commander"), "role:commander")
	sec := slack.NewSectionBlock(slack.NewTextBlockObject("mrkdwn", "*Commander*", false, false), nil, slack.NewAccessory(sel))
	sec.BlockID = "roles"
	_, ts, err := apiClient(emu).PostMessage(ch, slack.MsgOptionBlocks(sec))
	mustNoErr(t, err)
	got := make(chan slack.BlockAction, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
			got <- *evt.Data.(slack.InteractionCallback).ActionCallback.BlockActions[0]
		}
	})
	_, err = emu.SelectUser(ctx, alice, ch, ts, "role:commander", bob)
	mustNoErr(t, err)
	a := <-got
	if a.SelectedUser != bob || a.BlockID != "roles" || a.Type != "users_select" {
		t.Fatalf("action = %+v", a)
	}
}

func TestPushViewStackAndCloseView(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	callbacks := make(chan slack.InteractionCallback, 4)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
			callbacks <- evt.Data.(slack.InteractionCallback)
		}
	})
	modal := declareModal()
	modal.NotifyOnClose = true
	root, err := api.OpenView(emu.MintTriggerID(alice), modal)
	mustNoErr(t, err)
	_, err = api.PushView(emu.MintTriggerID(alice), declareModal())
	if e := slackErr(t, err); e.Err != "invalid_arguments" {
		t.Fatalf("push without a modal interaction: %+v", e)
	}
	clickInModal := func() string {
		_, err := emu.Interact(ctx, map[string]any{"type": "block_actions", "user": alice,
			"container": map[string]any{"type": "view", "view_id": root.ID}, "view": map[string]any{"id": root.ID},
			"actions": []any{map[string]any{"type": "button", "action_id": "more", "block_id": "b", "value": "x"}}})
		mustNoErr(t, err)
		return (<-callbacks).TriggerID
	}
	for range maxViewStack - 1 {
		_, err := api.PushView(clickInModal(), declareModal())
		mustNoErr(t, err)
	}
	_, err = api.PushView(clickInModal(), declareModal())
	wantCode(t, err, "push_limit_reached")

	_, err = emu.CloseView(ctx, alice, root.ID)
	mustNoErr(t, err)
	if v, _ := emu.View(root.ID); !v.Closed {
		t.Fatal("CloseView left the view open")
	}
	if cb := <-callbacks; cb.Type != slack.InteractionTypeViewClosed || cb.View.ID != root.ID {
		t.Fatalf("notify_on_close delivered %+v", cb)
	}
}

func TestEphemeralButtonDeleteOriginal(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("general", false, emu.BotUserID(), alice)
	confirm := slack.NewActionBlock("confirm", slack.NewButtonBlockElement("resolve", "INC-1", plain("Resolve")))
	ts, err := api.PostEphemeral(ch, alice, slack.MsgOptionText("Resolve INC-1?", false), slack.MsgOptionBlocks(confirm))
	mustNoErr(t, err)
	urls := make(chan slack.InteractionCallback, 1)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request)
			urls <- evt.Data.(slack.InteractionCallback)
		}
	})
	_, err = emu.ClickButton(ctx, alice, ch, ts, "resolve", "INC-1")
	mustNoErr(t, err)
	cb := <-urls
	if !cb.Container.IsEphemeral {
		t.Fatalf("container = %+v", cb.Container)
	}
	_, _, err = api.PostMessage("", slack.MsgOptionDeleteOriginal(cb.ResponseURL))
	mustNoErr(t, err)
	if e := emu.Ephemerals(alice); len(e) != 0 {
		t.Fatalf("ephemeral not deleted: %+v", e)
	}
}

func TestDisconnectWarningKeepsSocket(t *testing.T) {
	emu := Start(t)
	ws := rawSocket(t, emu)
	emu.Disconnect("warning")
	var frame map[string]any
	mustNoErr(t, ws.ReadJSON(&frame))
	if frame["type"] != "disconnect" || frame["reason"] != "warning" || emu.Connections() != 1 {
		t.Fatalf("frame %v, %d connections", frame, emu.Connections())
	}
	emu.Disconnect("link_disabled")
	mustNoErr(t, ws.ReadJSON(&frame))
	if frame["reason"] != "link_disabled" || emu.Connections() != 0 {
		t.Fatalf("frame %v, %d connections", frame, emu.Connections())
	}
	if _, _, err := ws.NextReader(); err == nil {
		t.Fatal("socket still open after disconnect")
	}
}

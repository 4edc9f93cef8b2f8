package slackemu

import (
	"slices"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// A form's pre-filled inputs are submitted as they are shown unless the user
// changes or clears them: Slack's client sends what the input holds, and
// before anyone touches it that is its initial value.
func TestSubmitViewSendsInitialValues(t *testing.T) {
	emu := Start(t)
	ctx := testCtx(t)
	api := apiClient(emu)
	alice := emu.AddUser(User{RealName: "Alice"})
	bob := emu.AddUser(User{RealName: "Bob"})
	submitted := make(chan slack.InteractionCallback, 4)
	runBot(t, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Type == socketmode.EventTypeInteractive {
			_ = client.Ack(*evt.Request, slack.NewErrorsViewSubmissionResponse(map[string]string{"title": "again"}))
			submitted <- evt.Data.(slack.InteractionCallback)
		}
	})

	title := slack.NewPlainTextInputBlockElement(plain("Title"), "title")
	title.InitialValue = "DB down"
	sev1 := slack.NewOptionBlockObject("SEV1", plain("SEV1"), nil)
	sev2 := slack.NewOptionBlockObject("SEV2", plain("SEV2"), nil)
	sev := slack.NewOptionsSelectBlockElement("static_select", plain("Severity"), "severity", sev1, sev2)
	sev.InitialOption = sev2
	commander := slack.NewOptionsSelectBlockElement("users_select", plain("Commander"), "commander")
	commander.InitialUser = alice
	drill := slack.NewOptionBlockObject("drill", plain("Drill"), nil)
	drillBox := slack.NewCheckboxGroupsBlockElement("drill", drill)
	drillBox.InitialOptions = []*slack.OptionBlockObject{drill}
	optional := func(b *slack.InputBlock) *slack.InputBlock { b.Optional = true; return b }
	v, err := api.OpenView(emu.MintTriggerID(alice), slack.ModalViewRequest{
		Type: slack.VTModal, Title: plain("Declare"), Submit: plain("Declare"), CallbackID: "incident_declare",
		Blocks: slack.Blocks{BlockSet: []slack.Block{
			slack.NewInputBlock("title", plain("Title"), nil, title),
			slack.NewInputBlock("severity", plain("Severity"), nil, sev),
			optional(slack.NewInputBlock("commander", plain("Commander"), nil, commander)),
			optional(slack.NewInputBlock("drill", plain("Drill"), nil, drillBox)),
		}},
	})
	mustNoErr(t, err)

	type shown struct {
		title, severity, commander string
		drill                      []string
	}
	submit := func(values map[string]any) shown {
		t.Helper()
		if _, err := emu.SubmitView(ctx, alice, v.ID, values); err != nil {
			t.Fatal(err)
		}
		s := (<-submitted).View.State.Values
		var got shown
		got.title = s["title"]["title"].Value
		got.severity = s["severity"]["severity"].SelectedOption.Value
		got.commander = s["commander"]["commander"].SelectedUser
		for _, o := range s["drill"]["drill"].SelectedOptions {
			got.drill = append(got.drill, o.Value)
		}
		return got
	}
	same := func(a, b shown) bool {
		return a.title == b.title && a.severity == b.severity && a.commander == b.commander && slices.Equal(a.drill, b.drill)
	}

	if got, want := submit(map[string]any{}), (shown{"DB down", "SEV2", alice, []string{"drill"}}); !same(got, want) {
		t.Fatalf("untouched form submitted %+v, want its initial values %+v", got, want)
	}
	if got, want := submit(map[string]any{"title": "Disk full", "severity": "SEV1", "commander": bob, "drill": []string{}}), (shown{"Disk full", "SEV1", bob, nil}); !same(got, want) {
		t.Fatalf("changed form submitted %+v, want %+v", got, want)
	}
	if _, err := emu.SubmitView(ctx, alice, v.ID, map[string]any{"title": ""}); err == nil {
		t.Fatal("a required input cleared by the user was submitted")
	}
}

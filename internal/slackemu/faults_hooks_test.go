package slackemu

import (
	"errors"
	"testing"

	"github.com/slack-go/slack"
)

// OnCall runs while the faulted call is in flight, once per call it hits,
// and leaves the call's answer alone when the fault scripts nothing else.
func TestFaultOnCallRunsWhileTheCallIsInFlight(t *testing.T) {
	emu := Start(t)
	api := apiClient(emu)
	var during []int
	emu.Fail("auth.test", Fault{Times: 2, OnCall: func() { during = append(during, len(emu.Calls("auth.test"))) }})
	for range 3 {
		if _, err := api.AuthTestContext(testCtx(t)); err != nil {
			t.Fatal(err)
		}
	}
	// The hook saw 0 and 1 calls recorded: each call is recorded only once
	// answered, after its hook ran; the third call had no fault.
	if len(during) != 2 || during[0] != 0 || during[1] != 1 {
		t.Fatalf("OnCall saw %v recorded calls, want [0 1]", during)
	}
}

// Fields add to the error body, as Slack's needed and provided do for
// missing_scope; slack-go reads them into its error.
func TestFaultFieldsReachTheCaller(t *testing.T) {
	emu := Start(t)
	emu.Fail("auth.test", Fault{Error: "missing_scope", Fields: map[string]any{"needed": "channels:manage", "provided": "chat:write"}, Times: 1})
	_, err := apiClient(emu).AuthTestContext(testCtx(t))
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) || se.Err != "missing_scope" || se.Needed != "channels:manage" || se.Provided != "chat:write" {
		t.Fatalf("got %#v", err)
	}
}

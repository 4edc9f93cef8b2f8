package bot

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

type callCounter map[string]int

func (c callCounter) SlackCall(method, err string) { c[method+"/"+err]++ }

// A 429 on one call holds back every caller of that method until its
// Retry-After has passed, without reaching Slack; other methods go on.
func TestTransportHoldsAMethodAfterA429(t *testing.T) {
	emu := slackemu.Start(t)
	counts := callCounter{}
	tr := Transport(nil, counts).(*transport)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr.now = func() time.Time { return now }
	tr.next = httpDefault()
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(&httpClient{tr}))
	ch := emu.CreateChannel("c", false, emu.BotUserID())

	emu.Fail("chat.postMessage", slackemu.Fault{Status: 429, RetryAfter: 3 * time.Second, Times: 1})
	_, _, err := api.PostMessage(ch, slack.MsgOptionText("a", false))
	var rl *slack.RateLimitedError
	if !errors.As(err, &rl) || rl.RetryAfter != 3*time.Second {
		t.Fatalf("first post: %v", err)
	}
	now = now.Add(2 * time.Second)
	_, _, err = api.PostMessage(ch, slack.MsgOptionText("b", false))
	if !errors.As(err, &rl) || rl.RetryAfter != time.Second {
		t.Fatalf("post during the hold: %v, want a local 429 with 1s left", err)
	}
	if n := len(emu.Calls("chat.postMessage")); n != 1 {
		t.Fatalf("%d posts reached Slack during the hold", n)
	}
	if _, err := api.SetTopicOfConversation(ch, "other methods are not held"); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if _, _, err := api.PostMessage(ch, slack.MsgOptionText("c", false)); err != nil {
		t.Fatalf("post after the hold: %v", err)
	}
	if counts["chat.postMessage/ratelimited_held"] != 1 || counts["chat.postMessage/http_429"] != 1 {
		t.Fatalf("metrics %v", counts)
	}
}

type httpClient struct {
	rt interface {
		RoundTrip(*http.Request) (*http.Response, error)
	}
}

func (c *httpClient) Do(req *http.Request) (*http.Response, error) { return c.rt.RoundTrip(req) }

func httpDefault() http.RoundTripper { return http.DefaultTransport }

func TestMethodOfKeepsSecretsOutOfLabels(t *testing.T) {
	tests := map[string]string{
		"/api/chat.postMessage":              "chat.postMessage",
		"/upload/v1/SECRET123":               "upload",
		"/commands/T1/123/SECRETRESPONSEURL": "response_url",
		"/actions/T1/123/SECRET":             "response_url",
	}
	for path, want := range tests {
		if got := methodOf(path); got != want {
			t.Errorf("methodOf(%q) = %q, want %q", path, got, want)
		}
	}
}

package bot

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

type callCounter map[string]int

func (c callCounter) SlackCall(method, err string) { c[method+"/"+err]++ }

// A 429 on one call holds back every caller of that method until its
// Retry-After has passed, without reaching Slack; other methods go on.
func TestTransportHoldsAMethodAfterA429(t *testing.T) {
	emu := slackemu.Start(t)
	counts := callCounter{}
	tr := Transport(nil, counts, nil).(*transport)
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

// Slack limits chat.postMessage per channel and every other method per
// workspace: a 429 holds exactly the calls its limit covers.
func TestTransportHoldsWhatTheLimitCovers(t *testing.T) {
	tests := []struct {
		name     string
		limited  string // method refused with Retry-After: 5
		first    func(api *slack.Client, c1, c2 string) error
		then     func(api *slack.Client, c1, c2 string) error
		wantHeld bool
	}{
		{
			name:    "a post to C1 does not hold a post to C2",
			limited: "chat.postMessage",
			first: func(api *slack.Client, c1, _ string) error {
				_, _, err := api.PostMessage(c1, slack.MsgOptionText("a", false))
				return err
			},
			then: func(api *slack.Client, _, c2 string) error {
				_, _, err := api.PostMessage(c2, slack.MsgOptionText("b", false))
				return err
			},
		},
		{
			name:    "a post to C1 holds the next post to C1",
			limited: "chat.postMessage",
			first: func(api *slack.Client, c1, _ string) error {
				_, _, err := api.PostMessage(c1, slack.MsgOptionText("a", false))
				return err
			},
			then: func(api *slack.Client, c1, _ string) error {
				_, _, err := api.PostMessage(c1, slack.MsgOptionText("b", false))
				return err
			},
			wantHeld: true,
		},
		{
			name:    "a JSON post is keyed by its channel too",
			limited: "chat.postMessage",
			first: func(api *slack.Client, c1, _ string) error {
				_, _, err := api.PostMessage(c1, slack.MsgOptionText("a", false))
				return err
			},
			then: func(api *slack.Client, c1, _ string) error {
				_, _, _, err := api.SendMessage(c1, slack.MsgOptionText("b", false))
				return err
			},
			wantHeld: true,
		},
		{
			name:     "setTopic on C1 holds setTopic on C2: the limit is per method",
			limited:  "conversations.setTopic",
			first:    func(api *slack.Client, c1, _ string) error { _, err := api.SetTopicOfConversation(c1, "a"); return err },
			then:     func(api *slack.Client, _, c2 string) error { _, err := api.SetTopicOfConversation(c2, "b"); return err },
			wantHeld: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			emu := slackemu.Start(t)
			clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			tr := Transport(http.DefaultTransport, callCounter{}, clk)
			api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(&httpClient{tr}))
			c1 := emu.CreateChannel("c1", false, emu.BotUserID())
			c2 := emu.CreateChannel("c2", false, emu.BotUserID())
			emu.Fail(tt.limited, slackemu.Fault{Status: 429, RetryAfter: 5 * time.Second, Times: 1})
			var rl *slack.RateLimitedError
			if err := tt.first(api, c1, c2); !errors.As(err, &rl) {
				t.Fatalf("first call: %v, want a 429", err)
			}
			clk.Advance(time.Second)
			err := tt.then(api, c1, c2)
			held := errors.As(err, &rl)
			if held != tt.wantHeld {
				t.Fatalf("second call: %v; held = %v, want %v", err, held, tt.wantHeld)
			}
			if reached := len(emu.Calls(tt.limited)); reached != map[bool]int{true: 1, false: 2}[tt.wantHeld] {
				t.Fatalf("%d calls reached Slack", reached)
			}
			if held && rl.RetryAfter != 4*time.Second {
				t.Fatalf("held with %v left, want 4s", rl.RetryAfter)
			}
		})
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

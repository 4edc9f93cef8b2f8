package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// bodySpy records the answers the Slack client is handed.
type bodySpy struct {
	rt     http.RoundTripper
	bodies []map[string]json.RawMessage
}

func (s *bodySpy) Do(req *http.Request) (*http.Response, error) {
	resp, err := s.rt.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(raw, &fields)
	s.bodies = append(s.bodies, fields)
	resp.Body = io.NopCloser(bytes.NewReader(raw))
	return resp, nil
}

// The client is not handed the message a post echoes back (it would decode
// every block of it for nothing); the post itself still answers with its
// channel and ts, and a refusal with its error.
func TestTransportDropsTheEchoOfAPost(t *testing.T) {
	emu := slackemu.Start(t)
	counts := callCounter{}
	spy := &bodySpy{rt: Transport(httpDefault(), counts, nil)}
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(spy))
	ch := emu.CreateChannel("c", false, emu.BotUserID())

	channel, ts, err := api.PostMessage(ch, slack.MsgOptionText("status", false),
		slack.MsgOptionBlocks(slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, "*status*", false, false), nil, nil)))
	if err != nil || channel != ch || ts == "" {
		t.Fatalf("PostMessage = %q, %q, %v", channel, ts, err)
	}
	if msgs := emu.Messages(ch); len(msgs) != 1 || msgs[0].TS != ts {
		t.Fatalf("messages in the channel: %+v, want the one posted at %s", msgs, ts)
	}
	got := spy.bodies[len(spy.bodies)-1]
	if _, echoed := got["message"]; echoed {
		t.Errorf("the client was handed the echoed message: %s", got["message"])
	}
	if string(got["ok"]) != "true" || string(got["ts"]) != `"`+ts+`"` {
		t.Errorf("answer handed on = %v, want ok and the ts kept", got)
	}

	if _, _, err := api.PostMessage("CNOSUCH", slack.MsgOptionText("x", false)); err == nil || err.Error() != "channel_not_found" {
		t.Errorf("post to a missing channel: %v, want channel_not_found", err)
	}
	if counts["chat.postMessage/channel_not_found"] != 1 {
		t.Errorf("metrics %v", counts)
	}
}

// The echo is cut out wherever it sits in the answer, and an answer it
// cannot be cut from cleanly is handed on as it came.
func TestWithoutEcho(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"first", `{"message":{"text":"a","blocks":[{"type":"section"}]},"ok":true,"ts":"1.2"}`, `{"ok":true,"ts":"1.2"}`},
		{"middle", `{"ok":true, "message" : {"text":"}\"]"} ,"ts":"1.2"}`, `{"ok":true, "ts":"1.2"}`},
		{"last", `{"ok":true,"ts":"1.2","message":{"text":"a"}}`, `{"ok":true,"ts":"1.2"}`},
		{"alone", `{"message":[1,2]}`, `{}`},
		{"none", `{"ok":false,"error":"channel_not_found"}`, `{"ok":false,"error":"channel_not_found"}`},
		{"nested only", `{"ok":true,"x":{"message":1}}`, `{"ok":true,"x":{"message":1}}`},
		{"in a string", `{"ok":true,"text":"\"message\":1"}`, `{"ok":true,"text":"\"message\":1"}`},
		{"escaped quote in key", `{"a\"":1,"message":2,"ts":"1"}`, `{"a\"":1,"ts":"1"}`},
		{"cut off", `{"ok":true,"message":{"text":"a"`, `{"ok":true,"message":{"text":"a"`},
		{"not an object", `[{"message":1}]`, `[{"message":1}]`},
		{"bad neighbour", `{"ok":tru,"message":1}`, `{"ok":tru,"message":1}`},
	} {
		if got := string(withoutEcho([]byte(tc.in))); got != tc.want {
			t.Errorf("%s: withoutEcho(%s) = %s, want %s", tc.name, tc.in, got, tc.want)
		}
	}
}

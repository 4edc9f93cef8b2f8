package bot

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// nastyText is user text as it may reach a post: quotes, backslashes,
// control characters, markup (already neutralized upstream, or not: the
// JSON must carry it unchanged either way), and characters JSON writers
// escape or not.
const nastyText = "*INC-7* \"quoted\" \\back\\ <@U0123ABC> & <!channel> > 1\n\tnext line \x01\x1f\x7f 日本語 é 🚨 \u2028\u2029 end"

// slackGoReminderBlocks is the reminder's blocks as slack-go's Block Kit
// structs: what reminderBlocks writes by hand must be this, as Slack reads it.
func slackGoReminderBlocks(id, text string) []slack.Block {
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	update := slack.NewButtonBlockElement(actionUpdate, id, pt("Post status update"))
	update.Style = slack.StylePrimary
	blocks := []slack.Block{section("reminder", text)}
	for i, d := range commands.SnoozeChoices {
		value := incident.FormatDuration(d, incident.DurationValue)
		snooze := slack.NewButtonBlockElement(actionSnooze, value, pt("Snooze "+value))
		if i == 0 {
			blocks = append(blocks, slack.NewActionBlock("reminder-actions", update, snooze))
			continue
		}
		blocks = append(blocks, slack.NewActionBlock("reminder-snooze-"+value, snooze))
	}
	return blocks
}

// A post written as JSON lands in Slack as the very message slack-go's
// form of it posts (text, blocks, thread, the job's metadata that a retry
// looks for), in a channel and in a thread.
func TestJSONPostLandsAsSlackGosPost(t *testing.T) {
	emu := slackemu.Start(t)
	hc := &http.Client{Transport: Transport(httpDefault(), callCounter{}, nil)}
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(hc))
	web := NewWebAPI(hc, emu.APIURL(), emu.BotToken())
	ch := emu.CreateChannel("inc-7-json", false, emu.BotUserID())
	_, parent, err := api.PostMessage(ch, slack.MsgOptionText("parent", false))
	if err != nil {
		t.Fatal(err)
	}
	const job = 4242
	for _, tc := range []struct {
		name, thread string
		json         func([]byte) []byte
		form         []slack.Block
	}{
		{"reminder", "", reminderBlocks("INC-7", nastyText), slackGoReminderBlocks("INC-7", nastyText)},
		{"escalation in a thread", parent, sectionOnly("reminder", nastyText), []slack.Block{section("reminder", nastyText)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			text := fallbackText(nastyText)
			jsonTS, err := web.postMessage(withPostChannel(ctx, ch), postBody(nil, job, ch, tc.thread, text, tc.json))
			if err != nil || jsonTS == "" {
				t.Fatalf("JSON post: ts %q, %v", jsonTS, err)
			}
			opts := []slack.MsgOption{
				slack.MsgOptionText(text, false),
				slack.MsgOptionMetadata(slack.SlackMetadata{EventType: jobMetadataType, EventPayload: map[string]any{"job": job}}),
				slack.MsgOptionDisableLinkUnfurl(),
				slack.MsgOptionBlocks(tc.form...),
			}
			if tc.thread != "" {
				opts = append(opts, slack.MsgOptionTS(tc.thread))
			}
			_, formTS, err := api.PostMessage(ch, opts...)
			if err != nil {
				t.Fatal(err)
			}
			got, want := landed(t, emu, ch, jsonTS), landed(t, emu, ch, formTS)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("the JSON post landed as\n%+v\nslack-go's as\n%+v", got, want)
			}
			if got.Text != text {
				t.Errorf("text landed as %q, want %q", got.Text, text)
			}
			var msgs []slack.Message
			if tc.thread == "" {
				h, err := api.GetConversationHistory(&slack.GetConversationHistoryParameters{ChannelID: ch, IncludeAllMetadata: true, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				msgs = h.Messages
			} else {
				msgs, _, _, err = api.GetConversationReplies(&slack.GetConversationRepliesParameters{ChannelID: ch, Timestamp: tc.thread, IncludeAllMetadata: true, Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
			}
			// A retried job's look-up (postedBy) reads the JSON post as its own.
			for _, m := range msgs {
				if m.Timestamp == jsonTS && postedBy([]slack.Message{m}, job) != jsonTS {
					t.Errorf("postedBy does not see job %d in the JSON post's metadata %+v", job, m.Metadata)
				}
			}
		})
	}
}

// landedMessage is what a reader of the message sees, decoded.
type landedMessage struct {
	Text, ThreadTS   string
	Blocks, Metadata any
}

func landed(t *testing.T, emu *slackemu.Server, ch, ts string) landedMessage {
	t.Helper()
	for _, m := range emu.Messages(ch) {
		if m.TS != ts {
			continue
		}
		out := landedMessage{Text: m.Text, ThreadTS: m.ThreadTS}
		if err := json.Unmarshal(m.Blocks, &out.Blocks); err != nil {
			t.Fatalf("blocks of %s: %v", ts, err)
		}
		if err := json.Unmarshal(m.Metadata, &out.Metadata); err != nil {
			t.Fatalf("metadata of %s: %v", ts, err)
		}
		return out
	}
	t.Fatalf("no message %s in %s", ts, ch)
	return landedMessage{}
}

// Every way Slack refuses a post comes back from a JSON post as the error
// slack-go's form of it returns, so classify (retry, wait, give up) and the
// timeline's note of a failure treat both alike.
func TestJSONPostFailsAsSlackGosPost(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault slackemu.Fault
	}{
		{"429 with Retry-After", slackemu.Fault{Status: 429, RetryAfter: 3 * time.Second}},
		{"429 without Retry-After", slackemu.Fault{Status: 429}},
		{"server error", slackemu.Fault{Status: 503}},
		{"refused", slackemu.Fault{Error: "channel_not_found"}},
		{"missing scope", slackemu.Fault{Error: "missing_scope", Fields: map[string]any{"needed": "chat:write", "provided": "channels:read"}}},
		{"rate_limited in a 200", slackemu.Fault{Error: "rate_limited"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			emu := slackemu.Start(t)
			ch := emu.CreateChannel("inc-8-fail", false, emu.BotUserID())
			emu.Fail("chat.postMessage", tc.fault)
			post := func(viaJSON bool) error {
				// A transport of its own for each, on a clock that stands
				// still: a hold one left would answer the other.
				hc := &http.Client{Transport: Transport(httpDefault(), callCounter{}, clock.NewFake(time.Now()))}
				ctx := withPostChannel(context.Background(), ch)
				if viaJSON {
					_, err := NewWebAPI(hc, emu.APIURL(), emu.BotToken()).postMessage(ctx, postBody(nil, 1, ch, "", "x", sectionOnly("b", "x")))
					return err
				}
				api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(hc))
				_, _, err := api.PostMessageContext(ctx, ch, slack.MsgOptionText("x", false), slack.MsgOptionBlocks(section("b", "x")))
				return err
			}
			got, want := post(true), post(false)
			if want == nil {
				t.Fatal("the fault did not fail slack-go's post")
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("JSON post: %#v\nslack-go: %#v", got, want)
			}
			if g, w := classify(got), classify(want); reflect.TypeOf(g) != reflect.TypeOf(w) || g.Error() != w.Error() {
				t.Errorf("classified %#v, slack-go's %#v", g, w)
			}
		})
	}
}

// A JSON post keeps to the HTTP client's Timeout when its context has no
// sooner deadline: Slack not answering does not hold the job for ever.
func TestJSONPostKeepsTheClientTimeout(t *testing.T) {
	emu := slackemu.Start(t)
	ch := emu.CreateChannel("inc-9-slow", false, emu.BotUserID())
	emu.Fail("chat.postMessage", slackemu.Fault{Delay: 2 * time.Second, Times: 1})
	hc := &http.Client{Timeout: 50 * time.Millisecond, Transport: Transport(httpDefault(), callCounter{}, nil)}
	_, err := NewWebAPI(hc, emu.APIURL(), emu.BotToken()).postMessage(withPostChannel(context.Background(), ch), postBody(nil, 1, ch, "", "x", sectionOnly("b", "x")))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a post Slack does not answer within the client's Timeout: %v, want the deadline exceeded", err)
	}
}

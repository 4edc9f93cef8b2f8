package slackemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// The benchmarks below measure what the emulator itself spends per call, the
// part of an end-to-end benchmark's CPU that real Slack would spend
// elsewhere. The requests are what slack-go sends (captured from its client
// once), handed to the emulator's HTTP handler without a socket.

// capturing records the body of every request slack-go sends, then lets it
// through.
type capturing struct {
	bodies [][]byte
	header []http.Header
}

func (c *capturing) Do(r *http.Request) (*http.Response, error) {
	body, _ := io.ReadAll(r.Body)
	c.bodies = append(c.bodies, body)
	c.header = append(c.header, r.Header.Clone())
	r.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultClient.Do(r)
}

// reminderPost is the chat.postMessage a status-update reminder makes: a
// section and four rows of buttons, metadata naming the job, unfurls off.
func reminderPost(t testing.TB, emu *Server, channel string) ([]byte, http.Header) {
	t.Helper()
	var c capturing
	api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()), slack.OptionHTTPClient(&c))
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	text := ":alarm_clock: *INC-20261205-0042* (SEV1, investigating) has had no status update for 15 min.\n" +
		"<@U0ALICE> please post one: what is known, what is being tried, when the next update comes."
	update := slack.NewButtonBlockElement("update", "INC-20261205-0042", pt("Post status update"))
	update.Style = slack.StylePrimary
	blocks := []slack.Block{
		slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil, nil, slack.SectionBlockOptionBlockID("reminder")),
		slack.NewActionBlock("reminder-actions", update, slack.NewButtonBlockElement("snooze", "15m", pt("Snooze 15m"))),
		slack.NewActionBlock("reminder-snooze-30m", slack.NewButtonBlockElement("snooze", "30m", pt("Snooze 30m"))),
		slack.NewActionBlock("reminder-snooze-1h", slack.NewButtonBlockElement("snooze", "1h", pt("Snooze 1h"))),
		slack.NewActionBlock("reminder-snooze-4h", slack.NewButtonBlockElement("snooze", "4h", pt("Snooze 4h"))),
	}
	_, _, err := api.PostMessage(channel,
		slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: "incidentbot_job", EventPayload: map[string]any{"job": "J-000000000042"}}),
		slack.MsgOptionDisableLinkUnfurl(),
		slack.MsgOptionBlocks(blocks...))
	if err != nil {
		t.Fatal(err)
	}
	return c.bodies[0], c.header[0]
}

// BenchmarkChatPostMessageReminder is one reminder's chat.postMessage, in
// one of 10,000 channels (as in the reminder burst), answered by the
// emulator's handler.
func BenchmarkChatPostMessageReminder(b *testing.B) {
	emu := Start(b, func(o *Options) { o.Logf = func(string, ...any) {} })
	channels := make([]string, 10_000)
	for i := range channels {
		channels[i] = emu.CreateChannel(fmt.Sprintf("inc-%d-burst", i+1), false, emu.BotUserID())
	}
	body, header := reminderPost(b, emu, channels[0])
	// Each iteration posts in the next channel: the body names the first.
	first := "channel=" + channels[0]
	if !bytes.Contains(body, []byte(first)) {
		b.Fatalf("no %s in %s", first, body)
	}
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i] = bytes.Replace(body, []byte(first), []byte("channel="+channels[i*len(channels)/len(bodies)]), 1)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/api/chat.postMessage", bytes.NewReader(bodies[i%len(bodies)]))
		req.Header = header
		w := httptest.NewRecorder()
		emu.srv.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), `{"channel":`) {
			b.Fatalf("answer %d %s", w.Code, w.Body)
		}
		i++
	}
}

// BenchmarkChatPostMessageReminderJSON is BenchmarkChatPostMessageReminder
// with the post sent as the bot sends its reminders: a JSON body, the token
// in the Authorization header.
func BenchmarkChatPostMessageReminderJSON(b *testing.B) {
	emu := Start(b, func(o *Options) { o.Logf = func(string, ...any) {} })
	channels := make([]string, 10_000)
	for i := range channels {
		channels[i] = emu.CreateChannel(fmt.Sprintf("inc-%d-burst", i+1), false, emu.BotUserID())
	}
	form, _ := reminderPost(b, emu, channels[0])
	v, err := url.ParseQuery(string(form))
	if err != nil {
		b.Fatal(err)
	}
	post := func(channel string) []byte {
		ch, _ := json.Marshal(channel)
		text, _ := json.Marshal(v.Get("text"))
		return fmt.Appendf(nil, `{"channel":%s,"text":%s,"metadata":%s,"unfurl_links":false,"blocks":%s}`,
			ch, text, v.Get("metadata"), v.Get("blocks"))
	}
	bodies := make([][]byte, 1000)
	for i := range bodies {
		bodies[i] = post(channels[i*len(channels)/len(bodies)])
	}
	header := http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Authorization": {"Bearer " + emu.BotToken()}}
	b.ReportAllocs()
	defer reportCPU(b)()
	i := 0
	for b.Loop() {
		body := bodies[i%len(bodies)]
		req := httptest.NewRequest(http.MethodPost, "/api/chat.postMessage", bytes.NewReader(body))
		req.Header, req.ContentLength = header, int64(len(body))
		w := httptest.NewRecorder()
		emu.srv.Handler.ServeHTTP(w, req)
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Body.String(), `{"channel":`) {
			b.Fatalf("answer %d %s", w.Code, w.Body)
		}
		i++
	}
}

// BenchmarkSlashCommandRoundTrip is one slash_commands envelope sent over
// Socket Mode to slack-go's client and acked with an ephemeral reply: the
// emulator's encoding, framing, ack reading and the reply's checks, plus
// the client's side.
func BenchmarkSlashCommandRoundTrip(b *testing.B) {
	emu := Start(b, func(o *Options) { o.Logf = func(string, ...any) {} })
	user := emu.AddUser(User{RealName: "Alice"})
	ch := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	reply := map[string]any{"blocks": []slack.Block{slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, ":white_check_mark: Declared *INC-1* (SEV3). Its channel is being set up.", false, false), nil, nil)}}
	runBench(b, emu, reply)
	ctx := context.Background()
	if err := emu.WaitConnected(ctx); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := emu.SlashCommand(ctx, SlashCommand{UserID: user, ChannelID: ch, Text: "declare SEV3 load 1"}); err != nil {
			b.Fatal(err)
		}
	}
}

// runBench runs slack-go's Socket Mode client, acking every envelope with
// payload.
func runBench(b *testing.B, emu *Server, payload any) {
	runBot(b, emu, func(client *socketmode.Client, evt socketmode.Event) {
		if evt.Request != nil && evt.Request.EnvelopeID != "" {
			_ = client.Ack(*evt.Request, payload)
		}
	})
}

// reportCPU reports the process's CPU per iteration (user and system, all
// goroutines) from now until the returned function runs: on a shared
// machine wall time per iteration says little.
func reportCPU(b *testing.B) func() {
	cpu := func() time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
			b.Fatal(err)
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	start := cpu()
	return func() {
		b.ReportMetric(float64((cpu()-start).Microseconds())/float64(b.N), "cpu-us/op")
	}
}

// BenchmarkReminderBlocksJSON compares the emulator's JSON reader and
// writer with encoding/json on a reminder's blocks (what a post's handling
// does with them: decode for Call.Args and the checks, encode to store).
func BenchmarkReminderBlocksJSON(b *testing.B) {
	emu := Start(b, func(o *Options) { o.Logf = func(string, ...any) {} })
	body, _ := reminderPost(b, emu, emu.CreateChannel("inc-1", false, emu.BotUserID()))
	form, err := url.ParseQuery(string(body))
	if err != nil {
		b.Fatal(err)
	}
	blocks := form.Get("blocks")
	tree, _ := decodeJSON(json.RawMessage(blocks))
	b.Run("decode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			dec := json.NewDecoder(strings.NewReader(blocks))
			dec.UseNumber()
			var v any
			if err := dec.Decode(&v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decode/emulator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, ok := decodeValue(blocks); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("decode+encode/emulator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v, ok := decodeValue(blocks)
			if !ok {
				b.Fatal("refused")
			}
			if _, err := marshalJSON(v); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decodeCanonical/emulator", func(b *testing.B) {
		b.ReportAllocs()
		var out []byte
		for b.Loop() {
			_, canon, ok := decodeCanonical(blocks, out[:0])
			if !ok {
				b.Fatal("refused")
			}
			out = canon
		}
	})
	b.Run("encode/encoding-json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := json.Marshal(tree); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encode/emulator", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalJSON(tree); err != nil {
				b.Fatal(err)
			}
		}
	})
}

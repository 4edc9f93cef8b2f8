package slackemu

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// testCtx bounds a test; every wait in these tests is on an event, this is only
// the failure deadline.
func testCtx(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func apiClient(emu *Server) *slack.Client {
	return slack.New(emu.BotToken(), slack.OptionAppLevelToken(emu.AppToken()), slack.OptionAPIURL(emu.APIURL()))
}

// runBot runs slack-go's Socket Mode client against emu and hands every event to
// handle, on one goroutine, until the test ends.
func runBot(t testing.TB, emu *Server, handle func(*socketmode.Client, socketmode.Event)) *socketmode.Client {
	t.Helper()
	client := socketmode.New(apiClient(emu))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_ = client.RunContext(ctx)
	}()
	go func() {
		defer wg.Done()
		for {
			select {
			case <-ctx.Done():
				return
			case evt := <-client.Events:
				handle(client, evt)
			}
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return client
}

// ackAll is a bot that acks every envelope without a payload.
func ackAll(client *socketmode.Client, evt socketmode.Event) {
	if evt.Request != nil && evt.Request.EnvelopeID != "" {
		_ = client.Ack(*evt.Request)
	}
}

// slackErr extracts the Slack error code from a slack-go error.
func slackErr(t *testing.T, err error) slack.SlackErrorResponse {
	t.Helper()
	var e slack.SlackErrorResponse
	if !errors.As(err, &e) {
		t.Fatalf("want a slack.SlackErrorResponse, got %T: %v", err, err)
	}
	return e
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := slackErr(t, err).Err; got != code {
		t.Fatalf("error = %q, want %q", got, code)
	}
}

func mustNoErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

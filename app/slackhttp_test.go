package app

import (
	"context"
	"io"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/outbox"
)

// A burst of posts must reuse its connections: the transport keeps as many
// idle connections to Slack as the outbox runs calls at once.
func TestSlackTransportKeepsAConnectionPerCallInFlight(t *testing.T) {
	t.Parallel()
	tr, ok := slackHTTPTransport().(*http.Transport)
	if !ok {
		t.Fatalf("slackHTTPTransport is %T, want *http.Transport", slackHTTPTransport())
	}
	if tr.MaxIdleConnsPerHost < outbox.DefaultSlackConcurrency {
		t.Errorf("MaxIdleConnsPerHost = %d, want at least %d (the outbox's Slack calls in flight)", tr.MaxIdleConnsPerHost, outbox.DefaultSlackConcurrency)
	}
	if tr.Proxy == nil || tr.TLSHandshakeTimeout == 0 {
		t.Error("the transport lost the default transport's settings (proxy from the environment, TLS handshake timeout)")
	}
}

// As many calls at once as the outbox runs, twice: the second round finds
// the first round's connections waiting, instead of dialing anew the ones
// a cap across hosts had closed.
func TestSlackTransportReusesEveryConnectionOfABurst(t *testing.T) {
	t.Parallel()
	emu := slackemu.Start(t, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	client := &http.Client{Transport: slackHTTPTransport()}
	const n = outbox.DefaultSlackConcurrency
	round := func() (reused int) {
		// Slack answers none of the round before all of it has arrived,
		// so each call holds a connection of its own.
		var arrived sync.WaitGroup
		arrived.Add(n)
		emu.Fail("auth.test", slackemu.Fault{Times: n, OnCall: func() { arrived.Done(); arrived.Wait() }})
		var got atomic.Int64
		var calls sync.WaitGroup
		for range n {
			calls.Go(func() {
				trace := &httptrace.ClientTrace{GotConn: func(c httptrace.GotConnInfo) {
					if c.Reused {
						got.Add(1)
					}
				}}
				ctx := httptrace.WithClientTrace(context.Background(), trace)
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, emu.APIURL()+"auth.test", strings.NewReader("{}"))
				if err != nil {
					t.Error(err)
					return
				}
				req.Header.Set("Content-Type", "application/json; charset=utf-8")
				req.Header.Set("Authorization", "Bearer "+emu.BotToken())
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		calls.Wait()
		return int(got.Load())
	}
	round()
	// The default transport keeps at most 100 idle connections in all.
	if reused := round(); reused <= 100 {
		t.Errorf("the second round of %d calls at once reused %d connections, want (nearly) all", n, reused)
	}
}

package app

import (
	"context"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
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

// Slack's Web API answers over HTTP/2 where the client offers it (ALPN);
// the Slack client's transport must offer it, so that a burst of posts
// shares the connection the bot already holds instead of opening a TLS
// connection for each call in flight. A transport given a dialer or TLS
// settings of its own stops offering HTTP/2 unless told to
// (ForceAttemptHTTP2).
func TestSlackTransportSpeaksHTTP2WhereSlackDoes(t *testing.T) {
	t.Parallel()
	const n = outbox.DefaultSlackConcurrency
	var arrived sync.WaitGroup
	arrived.Add(n)
	var h1, dialed atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			h1.Add(1)
		}
		if r.URL.Path == "/api/chat.postMessage" {
			// None is answered before all have arrived: over HTTP/1.1
			// each would need a connection of its own.
			arrived.Done()
			arrived.Wait()
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	srv.EnableHTTP2 = true
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			dialed.Add(1)
		}
	}
	// The server's log would report the handshakes the client gives up.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	tr := slackHTTPTransport().(*http.Transport)
	// Trust the test server's certificate, as Slack's is trusted.
	tr.TLSClientConfig = srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	client := &http.Client{Transport: tr}
	call := func(method string) {
		resp, err := client.Post(srv.URL+"/api/"+method, "application/json; charset=utf-8", strings.NewReader("{}"))
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	call("auth.test") // the connection a running bot already holds
	before := dialed.Load()
	var calls sync.WaitGroup
	for range n {
		calls.Go(func() { call("chat.postMessage") })
	}
	calls.Wait()
	if h1.Load() > 0 {
		t.Errorf("%d calls went over HTTP/1.1 to a server offering HTTP/2", h1.Load())
	}
	if d := dialed.Load() - before; d > 0 {
		t.Errorf("%d calls at once opened %d connections besides the one held, want them to share it", n, d)
	}
}

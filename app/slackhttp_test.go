package app

import (
	"net/http"
	"testing"

	"github.com/incidentbot/incidentbot/outbox"
)

// A burst of posts must reuse its connections: the transport keeps as many
// idle connections to Slack as the outbox runs calls at once.
func TestSlackTransportKeepsAConnectionPerCallInFlight(t *testing.T) {
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

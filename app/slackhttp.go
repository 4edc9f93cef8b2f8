package app

import (
	"net/http"

	"github.com/incidentbot/incidentbot/outbox"
)

// slackHTTPTransport is the HTTP transport of the Slack client: Go's
// default, but keeping as many idle connections to Slack as the outbox runs
// calls at once. The default keeps two per host, so with a hundred calls in
// flight nearly every call closed its connection afterwards and the next
// one opened a new one: a TCP and TLS handshake per message, which made a
// burst of posts (reminders falling due together) spend more time
// connecting than posting. Slack also speaks HTTP/2, which this transport
// offers (ALPN, as Go's default does): then the calls in flight share one
// connection and the pool matters where a proxy or Slack answers HTTP/1.1.
func slackHTTPTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = outbox.DefaultSlackConcurrency
	// The default's cap across all hosts (100) sat below that one, so the
	// pool kept 100 of the 128 and closed the rest: a burst of 10,000
	// reminders still dialed ~800 connections. Each host's cap bounds it.
	t.MaxIdleConns = 0
	return t
}

package app

import (
	"net/http"

	"github.com/incidentbot/incidentbot/bot"
	"github.com/incidentbot/incidentbot/internal/clock"
)

// slackTransport is the Slack client's transport: over a store that
// replicas share and that keeps Slack's rate-limit holds (PostgreSQL), a
// Retry-After one replica learns holds all of them; over bbolt, the one
// process keeps its holds in memory.
func slackTransport(st Store, m bot.CallMetrics, clk clock.Clock) http.RoundTripper {
	base := slackHTTPTransport()
	if holds, ok := st.(bot.SharedHolds); ok {
		return bot.SharedTransport(base, m, clk, holds)
	}
	return bot.Transport(base, m, clk)
}

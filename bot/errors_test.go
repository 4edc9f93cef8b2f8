package bot

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/outbox"
)

// classify decides whether a failed Slack call is a wait (refused, so
// nothing happened), an attempt worth repeating, or permanent.
func TestClassify(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		wait      time.Duration // > 0: a RetryAfter of at least this
		permanent bool
	}{
		{"429 with Retry-After", &slack.RateLimitedError{RetryAfter: 7 * time.Second}, 7 * time.Second, false},
		{"429 with Retry-After 0", &slack.RateLimitedError{}, time.Second, false},
		{"429 without the header", slack.StatusCodeError{Code: 429, Status: "429 Too Many Requests"}, time.Second, false},
		{"200 rate_limited", slack.SlackErrorResponse{Err: "rate_limited"}, time.Second, false},
		{"200 ratelimited", slack.SlackErrorResponse{Err: "ratelimited"}, time.Second, false},
		{"503", slack.StatusCodeError{Code: 503, Status: "503"}, 0, false},
		{"internal_error", slack.SlackErrorResponse{Err: "internal_error"}, 0, false},
		{"network", errors.New("connection reset by peer"), 0, false},
		{"deadline", context.DeadlineExceeded, 0, false},
		{"400", slack.StatusCodeError{Code: 400, Status: "400"}, 0, true},
		{"channel_not_found", slack.SlackErrorResponse{Err: "channel_not_found"}, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := classify(tt.err)
			if !strings.Contains(got.Error(), tt.err.Error()) {
				t.Fatalf("classify lost the cause: %v", got)
			}
			wait, limited := outbox.RetryDelay(got)
			if limited != (tt.wait > 0) || wait < tt.wait {
				t.Fatalf("classify(%v): wait %v (rate limit %v), want at least %v", tt.err, wait, limited, tt.wait)
			}
			if outbox.IsPermanent(got) != tt.permanent {
				t.Fatalf("classify(%v) permanent = %v, want %v", tt.err, !tt.permanent, tt.permanent)
			}
		})
	}
}

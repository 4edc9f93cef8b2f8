package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/outbox"
)

// WebAPI sends the chat.postMessage calls whose JSON body the bot writes
// itself (postBody) through the same HTTP client as the Slack client's, so
// its transport (Transport: rate-limit holds, the pacer, metrics) sees
// them like any other call. Its errors are the Slack client's
// (RateLimitedError, StatusCodeError, SlackErrorResponse), so that
// classify and slackCode treat them alike.
type WebAPI struct {
	// rt is the client's transport, called directly: http.Client.Do
	// clones each request's header for the redirects it might follow
	// (chat.postMessage answers, never redirects), 4.6 MB in a burst of
	// 10,000 reminders. Its Timeout is kept by postMessage (timeout).
	rt      http.RoundTripper
	timeout time.Duration
	url     string // chat.postMessage's
	auth    string
	// answers holds buffers to read answers into: io.ReadAll grew a new
	// one for each (an answer echoes the message, ~1.5 KB), 5 MB in a
	// burst of 10,000 reminders.
	answers sync.Pool
}

// maxPooledAnswer is the largest answer buffer kept for the next post.
const maxPooledAnswer = 64 << 10

// NewWebAPI posts through client to the Web API at apiURL (ending in "/",
// as config's slack.api_url does) with the bot token.
func NewWebAPI(client *http.Client, apiURL, token string) *WebAPI {
	// An http.Client's Timeout, over a transport of its own (Transport),
	// costs a goroutine and a timer per request; the outbox's jobs already
	// run under a deadline of their own (outbox.Options.JobTimeout), which
	// postMessage keeps to instead when it is the sooner one.
	rt := client.Transport
	if rt == nil {
		rt = http.DefaultTransport
	}
	return &WebAPI{rt: rt, timeout: client.Timeout, url: apiURL + "chat.postMessage", auth: "Bearer " + token}
}

// postMessage sends a chat.postMessage whose arguments are the JSON object
// body, and returns the message's ts.
func (w *WebAPI) postMessage(ctx context.Context, body []byte) (string, error) {
	if w == nil {
		// A wiring mistake, not Slack's: no retry will mend it.
		return "", outbox.Permanent(errors.New("chat.postMessage: the bot has no Web API client (bot.Options.Web)"))
	}
	if deadline, ok := ctx.Deadline(); w.timeout > 0 && (!ok || time.Until(deadline) > w.timeout) {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, w.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	// Slack wants the charset named on a JSON body (else a missing_charset
	// warning), and a JSON body's token in the Authorization header.
	req.Header = http.Header{"Content-Type": {"application/json; charset=utf-8"}, "Authorization": {w.auth}}
	resp, err := w.rt.RoundTrip(req)
	if err != nil {
		// As http.Client.Do (and so slack-go) reports it.
		return "", &url.Error{Op: "Post", URL: w.url, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "" {
		secs, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64)
		if err != nil {
			return "", fmt.Errorf("chat.postMessage: Retry-After %q: %w", resp.Header.Get("Retry-After"), err)
		}
		return "", &slack.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
	}
	if resp.StatusCode != http.StatusOK {
		return "", slack.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	buf, _ := w.answers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer func() {
		if buf.Cap() <= maxPooledAnswer {
			buf.Reset()
			w.answers.Put(buf)
		}
	}()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return "", fmt.Errorf("chat.postMessage: read the answer: %w", err)
	}
	raw := buf.Bytes()
	var answer struct {
		slack.SlackResponse
		TS string `json:"ts"`
	}
	if err := json.Unmarshal(raw, &answer); err != nil {
		return "", fmt.Errorf("chat.postMessage: decode the answer: %w", err)
	}
	if err := answer.Err(); err != nil {
		return "", err
	}
	if !answer.Ok {
		return "", fmt.Errorf("chat.postMessage: an answer neither ok nor an error: %.200s", raw)
	}
	return answer.TS, nil
}

package outbox

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// HTTPStatus classifies the answer of an HTTP destination (a webhook
// endpoint, PagerDuty) for the worker: nil for 2xx; RetryAfter for a 429
// that says how long to wait; a transient error for 408, other 429s and
// 5xx, which the worker retries with backoff; Permanent for anything else
// (the request itself is wrong: retrying cannot help). what names the
// destination in the error, which lands in logs and on the timeline, so it
// must not carry a secret.
func HTTPStatus(what string, resp *http.Response, now time.Time) error {
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return nil
	}
	err := fmt.Errorf("%s: HTTP %d %s", what, code, http.StatusText(code))
	switch {
	case code == http.StatusTooManyRequests:
		if d, ok := parseRetryAfter(resp.Header.Get("Retry-After"), now); ok {
			return RetryAfter(d, err)
		}
		return err
	case code == http.StatusRequestTimeout || code >= 500:
		return err
	}
	return Permanent(err)
}

// parseRetryAfter reads Retry-After as seconds or as an HTTP date (RFC 9110
// allows both). A wait of less than a second is rounded up to one, so a
// server saying "0" is not hammered.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil && s >= 0 {
		return max(time.Duration(s)*time.Second, time.Second), true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), time.Second), true
	}
	return 0, false
}

package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// CallMetrics receives one count per Slack Web API call.
type CallMetrics interface {
	SlackCall(method, err string)
}

// Transport wraps the HTTP transport of the Slack client. It counts every
// Web API call by method, and its failures by Slack's error code (or HTTP
// status), in one place for all callers. And because Slack's rate limits
// apply per method and workspace, a 429's Retry-After holds back every
// caller of that method, not just the one that was refused: until it
// passes, calls to the method are answered here with a 429 for the time
// left, without reaching Slack.
func Transport(next http.RoundTripper, m CallMetrics) http.RoundTripper {
	return &transport{next: next, m: m, now: time.Now, until: map[string]time.Time{}}
}

type transport struct {
	next http.RoundTripper
	m    CallMetrics
	now  func() time.Time

	mu    sync.Mutex
	until map[string]time.Time // method → no calls before
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := methodOf(req.URL.Path)
	if wait := t.cooldown(method); wait > 0 {
		t.m.SlackCall(method, "ratelimited_held")
		if req.Body != nil {
			req.Body.Close()
		}
		return tooManyRequests(req, wait), nil
	}
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.m.SlackCall(method, "network")
		return resp, err
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs > 0 {
			t.hold(method, time.Duration(secs)*time.Second)
		}
	}
	if resp.StatusCode != http.StatusOK {
		t.m.SlackCall(method, "http_"+strconv.Itoa(resp.StatusCode))
		return resp, nil
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.ContentLength > 1<<20 {
		t.m.SlackCall(method, "")
		return resp, nil
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		t.m.SlackCall(method, "network")
		return resp, nil
	}
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &r) == nil && !r.OK && r.Error != "" {
		t.m.SlackCall(method, r.Error)
	} else {
		t.m.SlackCall(method, "")
	}
	return resp, nil
}

// methodOf names a request for metrics: the Web API method, or "upload" /
// "response_url" for the other URLs Slack hands out (whose paths carry
// secrets that must not become metric labels).
func methodOf(path string) string {
	switch {
	case strings.Contains(path, "/api/"):
		return path[strings.LastIndex(path, "/")+1:]
	case strings.Contains(path, "/upload"):
		return "upload"
	default:
		return "response_url"
	}
}

func (t *transport) cooldown(method string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.until[method]
	if !ok {
		return 0
	}
	wait := until.Sub(t.now())
	if wait <= 0 {
		delete(t.until, method)
		return 0
	}
	return wait
}

func (t *transport) hold(method string, d time.Duration) {
	t.mu.Lock()
	defer t.mu.Unlock()
	until := t.now().Add(d)
	if until.After(t.until[method]) {
		t.until[method] = until
	}
}

// tooManyRequests is the answer Slack would give during a rate limit; the
// Slack client turns it into a RateLimitedError with the time left.
func tooManyRequests(req *http.Request, wait time.Duration) *http.Response {
	secs := int(math.Ceil(wait.Seconds()))
	body := `{"ok":false,"error":"ratelimited"}`
	return &http.Response{
		Status:        "429 Too Many Requests",
		StatusCode:    http.StatusTooManyRequests,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        http.Header{"Retry-After": {strconv.Itoa(secs)}, "Content-Type": {"application/json"}},
		Body:          io.NopCloser(strings.NewReader(body)),
		ContentLength: int64(len(body)),
		Request:       req,
	}
}

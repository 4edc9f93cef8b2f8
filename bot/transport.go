package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/internal/clock"
)

// CallMetrics receives one count per Slack Web API call.
type CallMetrics interface {
	SlackCall(method, err string)
}

// Transport wraps the HTTP transport of the Slack client. It counts every
// Web API call by method, and its failures by Slack's error code (or HTTP
// status), in one place for all callers. And it keeps to Slack's rate
// limits: a 429's Retry-After holds back every call that the same limit
// covers, not just the one that was refused. Until it passes, those calls
// are answered here with a 429 for the time left, without reaching Slack.
// Slack limits chat.postMessage per channel (about one message a second)
// and every other method per workspace, so a busy channel holds posts to
// that channel only. The hold runs on clk (nil: the wall clock).
func Transport(next http.RoundTripper, m CallMetrics, clk clock.Clock) http.RoundTripper {
	if clk == nil {
		clk = clock.Real{}
	}
	return &transport{next: next, m: m, now: clk.Now, until: map[string]time.Time{}}
}

type transport struct {
	next http.RoundTripper
	m    CallMetrics
	now  func() time.Time

	mu    sync.Mutex
	until map[string]time.Time // limit key (see limitKey) → no calls before

	shared SharedHolds // nil: this replica's holds are its own (SharedTransport)

	posts   postPacer // chat.postMessage under the workspace's limit (pace.go)
	answers sync.Pool // *bytes.Buffer for posts' answers (readAnswer)
}

func (t *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	method := methodOf(req.URL.Path)
	key := limitKey(method, req)
	wait := t.wait(req.Context(), key)
	if wait == 0 && method == "chat.postMessage" {
		wait = t.posts.admit(req.Context(), t.now(), urgentPost(req))
	}
	if wait > 0 {
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
			t.holdFor(req.Context(), key, time.Duration(secs)*time.Second)
			if method == "chat.postMessage" {
				t.posts.refused(req.Context(), key, t.now(), time.Duration(secs)*time.Second)
			}
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
	body, rerr := t.readAnswer(method, resp.Body)
	resp.Body.Close()
	if rerr != nil {
		resp.Body = io.NopCloser(bytes.NewReader(body))
		t.m.SlackCall(method, "network")
		return resp, nil
	}
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	if json.Unmarshal(body, &r) == nil && !r.OK && r.Error != "" {
		t.m.SlackCall(method, r.Error)
	} else {
		t.m.SlackCall(method, "")
	}
	return resp, nil
}

// readAnswer reads an answer's body. A post's answer is mostly the echo,
// which is cut out (withoutEcho), so it is read into a buffer used again
// for the next post's rather than a new one grown to its size each time.
func (t *transport) readAnswer(method string, r io.Reader) ([]byte, error) {
	if method != "chat.postMessage" {
		return io.ReadAll(r)
	}
	buf, _ := t.answers.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	defer t.answers.Put(buf)
	buf.Reset()
	_, err := buf.ReadFrom(r)
	if err != nil {
		return bytes.Clone(buf.Bytes()), err
	}
	body := withoutEcho(buf.Bytes())
	if len(body) == buf.Len() { // nothing cut: body is still the buffer
		body = bytes.Clone(body)
	}
	return body, nil
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

// limitKey names the rate limit a call counts against: the method, or for
// chat.postMessage the method and the channel. The channel is the one the
// poster named in the request's context (withPostChannel), else it is read
// from a copy of the body (GetBody), leaving the request as it was.
func limitKey(method string, req *http.Request) string {
	if method != "chat.postMessage" {
		return method
	}
	if channel, _ := req.Context().Value(postChannelKey{}).(string); channel != "" {
		return method + "/" + channel
	}
	if req.GetBody == nil {
		return method
	}
	body, err := req.GetBody()
	if err != nil {
		return method
	}
	defer body.Close()
	raw, err := io.ReadAll(io.LimitReader(body, 1<<20))
	if err != nil {
		return method
	}
	var channel string
	if strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		var args struct {
			Channel string `json:"channel"`
		}
		if json.Unmarshal(raw, &args) == nil {
			channel = args.Channel
		}
	} else if form, err := url.ParseQuery(string(raw)); err == nil {
		channel = form.Get("channel")
	}
	if channel == "" {
		return method
	}
	return method + "/" + channel
}

// postChannelKey is the context key of withPostChannel.
type postChannelKey struct{}

// withPostChannel names the channel of the chat.postMessage that ctx will
// carry, so that the transport need not parse the request's body again
// (every block, URL-encoded) to find it.
func withPostChannel(ctx context.Context, channel string) context.Context {
	return context.WithValue(ctx, postChannelKey{}, channel)
}

func (t *transport) cooldown(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	until, ok := t.until[key]
	if !ok {
		return 0
	}
	wait := until.Sub(t.now())
	if wait <= 0 {
		delete(t.until, key)
		return 0
	}
	return wait
}

func (t *transport) holdUntil(key string, until time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if until.After(t.until[key]) {
		t.until[key] = until
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

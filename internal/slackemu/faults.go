package slackemu

import (
	"context"
	"math"
	"net/http"
	"sync"
	"time"
)

// Fault scripts a failure of a method.
//
//   - Status 429 with RetryAfter > 0: HTTP 429, "Retry-After: <whole seconds, rounded
//     up>", body {"ok":false,"error":"ratelimited"}; slack-go returns
//     *slack.RateLimitedError. Status 429 without RetryAfter omits the header, which
//     slack-go reports as slack.StatusCodeError.
//   - Any other non-200 Status (500, 503…): that status with a plain-text body.
//   - Error (Status 0 or 200): HTTP 200 {"ok":false,"error":Error}.
//   - Delay: the answer (faulty or, with no Status/Error, the real one) comes after Delay.
//   - Times: how many calls the fault hits; 0 = every call until ClearFaults.
//   - AfterEffect: the call takes effect as usual and only its answer is
//     replaced by the fault: the answer is lost on the way back, as when the
//     caller crashes or the connection drops after Slack acted.
//   - Fields: more fields of the error body, such as needed and provided for
//     missing_scope.
//   - OnCall: called (on the server's goroutine, before Delay) for each call
//     the fault hits, so a test can act while that call is in flight, such
//     as DropConnections while the bot handles an envelope.
//   - Channel: when set, the fault hits only calls whose channel argument
//     is Channel; the others pass it by without using up its Times (calls
//     that run at once reach Slack in no set order).
type Fault struct {
	Channel     string
	Status      int
	RetryAfter  time.Duration
	Error       string
	Times       int
	Delay       time.Duration
	AfterEffect bool
	Fields      map[string]any
	OnCall      func()
}

// Fail adds a fault for method (a Web API method name, "upload" for upload_url
// POSTs, "response_url", or "*" for every one of them). Faults of a method apply in
// the order they were added, each until its Times are used up.
func (s *Server) Fail(method string, f Fault) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	if s.faults.byMethod == nil {
		s.faults.byMethod = map[string][]*activeFault{}
	}
	s.faults.byMethod[method] = append(s.faults.byMethod[method], &activeFault{Fault: f, left: f.Times})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.byMethod = nil
}

type activeFault struct {
	Fault
	left int // calls left when Times > 0
}

type faultTable struct {
	mu       sync.Mutex
	byMethod map[string][]*activeFault
	buckets  map[string]*bucket
}

// take consumes one use of the first fault for method (or "*") that
// applies to a call in channel.
func (t *faultTable) take(method, channel string) (Fault, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, key := range []string{method, "*"} {
		list := t.byMethod[key]
		if len(list) == 0 || (list[0].Channel != "" && list[0].Channel != channel) {
			continue
		}
		f := list[0]
		if f.Times > 0 {
			f.left--
			if f.left <= 0 {
				t.byMethod[key] = list[1:]
			}
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// fault takes and applies the next fault of a pseudo-method (upload,
// response_url); AfterEffect is not supported there.
func (s *Server) fault(ctx context.Context, method string) (apiResult, bool) {
	f, ok := s.faults.take(method, "")
	if !ok {
		return apiResult{}, false
	}
	return s.applyFault(ctx, f)
}

// applyFault delays and/or answers for a scripted fault; handled is false when the
// call should proceed normally.
func (s *Server) applyFault(ctx context.Context, f Fault) (res apiResult, handled bool) {
	if f.OnCall != nil {
		f.OnCall()
	}
	if f.Delay > 0 {
		t := time.NewTimer(f.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-s.closed:
		}
		t.Stop()
	}
	switch {
	case f.Status == http.StatusTooManyRequests:
		res := rateLimited(f.RetryAfter)
		if f.RetryAfter <= 0 {
			res.retryAfter = 0
		}
		if f.Error != "" {
			res.body["error"] = f.Error
		}
		return res, true
	case f.Status != 0 && f.Status != http.StatusOK:
		if f.Error != "" {
			res := failWith(f.Error, f.Fields)
			res.status = f.Status
			return res, true
		}
		return apiResult{status: f.Status, text: http.StatusText(f.Status) + " (slackemu fault)\n"}, true
	case f.Error != "":
		return failWith(f.Error, f.Fields), true
	}
	return apiResult{}, false
}

func rateLimited(wait time.Duration) apiResult {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	return apiResult{status: http.StatusTooManyRequests, retryAfter: secs, body: map[string]any{"ok": false, "error": "ratelimited"}}
}

// tier is a Slack rate tier (RL-doc); limits gives its sustained rate and burst.
type tier int

const (
	tier1 tier = iota + 1
	tier2
	tier3
	tier4
	tierAuthTest    // "hundreds of requests per minute"
	tierPostMessage // per channel: 1 message/s, short bursts
	// chat.postMessage across the workspace: "several hundred messages per
	// minute" (RL-doc, M/chat.postMessage).
	tierPostMessageWorkspace
)

// limits returns the tier's rate per minute and its burst. Slack publishes the
// rates but not the bursts; these bursts are sized so a normal incident flow never
// hits them.
func (t tier) limits() (perMinute, burst float64) {
	switch t {
	case tier1:
		return 1, 3
	case tier2:
		return 20, 25
	case tier3:
		return 50, 60
	case tierAuthTest:
		return 600, 100
	case tierPostMessage:
		return 60, 5
	case tierPostMessageWorkspace:
		return 300, 100
	default:
		return 100, 120
	}
}

// RateFloor is the least time n successful calls to method can take under
// its rate limit (Options.RateLimits), starting from a full bucket: the
// calls beyond the burst come at the tier's sustained rate. For
// chat.postMessage it is the floor for n posts to one channel.
func (s *Server) RateFloor(method string, n int) time.Duration {
	spec, ok := s.methods[method]
	if !ok {
		return 0
	}
	perMinute, burst := spec.tier.limits()
	beyond := float64(n) - math.Floor(burst)
	if beyond <= 0 {
		return 0
	}
	return time.Duration(beyond / perMinute * float64(time.Minute))
}

type bucket struct {
	tokens float64
	at     time.Time
}

// rateKey is one bucket a call draws from.
type rateKey struct {
	key  string
	tier tier
}

// limit takes a token from each of the call's buckets; when any is empty it
// takes none and returns how long until every one has a token.
func (t *faultTable) limit(keys []rateKey, now time.Time) (time.Duration, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.buckets == nil {
		t.buckets = map[string]*bucket{}
	}
	var wait time.Duration
	for _, k := range keys {
		perMinute, burst := k.tier.limits()
		b, ok := t.buckets[k.key]
		if !ok {
			b = &bucket{tokens: burst, at: now}
			t.buckets[k.key] = b
		}
		perSec := perMinute / 60
		if elapsed := now.Sub(b.at).Seconds(); elapsed > 0 {
			b.tokens = math.Min(burst, b.tokens+elapsed*perSec)
			b.at = now
		}
		if b.tokens < 1 {
			wait = max(wait, time.Duration((1-b.tokens)/perSec*float64(time.Second)))
		}
	}
	if wait > 0 {
		return wait, true
	}
	for _, k := range keys {
		t.buckets[k.key].tokens--
	}
	return 0, false
}

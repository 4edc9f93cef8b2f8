package hookemu

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Attempt is one request as the receiver saw it, and its answer.
type Attempt struct {
	ID        string // webhook-id
	Timestamp time.Time
	Body      []byte
	// Type, Incident and Seq are read from the body.
	Type     string
	Incident string
	Seq      uint64
	Status   int   // what the receiver answered
	Refused  error // why it did not verify, nil when it did
}

// Reply scripts the answer to one request. Hang, when set, holds the
// request until it is closed (or the sender gives up).
type Reply struct {
	Status     int
	RetryAfter string
	Hang       <-chan struct{}
}

// Receiver is a loopback endpoint. Requests that do not verify are
// answered 401, as a real receiver would; the others get the next
// scripted Reply, or 204 once the script runs out (or Default, if set).
type Receiver struct {
	URL    string
	secret string
	now    func() time.Time

	mu       sync.Mutex
	script   []Reply
	fallback int
	attempts []Attempt
	changed  chan struct{} // closed and replaced on each attempt
}

// Start serves a receiver for secret on a loopback port until the test
// ends; now is the receiver's clock (the test's fake clock).
func Start(t testing.TB, secret string, now func() time.Time) *Receiver {
	r := &Receiver{secret: secret, now: now, fallback: http.StatusNoContent, changed: make(chan struct{})}
	srv := httptest.NewServer(r)
	t.Cleanup(srv.Close)
	r.URL = srv.URL + "/hooks/incidentbot"
	return r
}

// Script queues answers for the next requests that verify.
func (r *Receiver) Script(replies ...Reply) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.script = append(r.script, replies...)
}

// Default sets the answer once the script has run out.
func (r *Receiver) Default(status int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fallback = status
}

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	a := Attempt{ID: req.Header.Get("webhook-id"), Body: body}
	if sec, err := strconv.ParseInt(req.Header.Get("webhook-timestamp"), 10, 64); err == nil {
		a.Timestamp = time.Unix(sec, 0)
	}
	var doc struct {
		Type string `json:"type"`
		Data struct {
			Incident struct {
				ID string `json:"id"`
			} `json:"incident"`
			Seq uint64 `json:"seq"`
		} `json:"data"`
	}
	_ = json.Unmarshal(body, &doc)
	a.Type, a.Incident, a.Seq = doc.Type, doc.Data.Incident.ID, doc.Data.Seq
	a.Refused = Verify(r.secret, req.Header, body, r.now())
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" {
		a.Status = http.StatusMethodNotAllowed
	}

	r.mu.Lock()
	reply := Reply{Status: r.fallback}
	switch {
	case a.Status != 0:
		reply = Reply{Status: a.Status}
	case a.Refused != nil:
		reply = Reply{Status: http.StatusUnauthorized}
	case len(r.script) > 0:
		reply, r.script = r.script[0], r.script[1:]
	}
	a.Status = reply.Status
	if reply.Hang == nil {
		r.record(a)
	}
	r.mu.Unlock()
	if reply.Hang != nil {
		r.mu.Lock()
		r.record(Attempt{ID: a.ID, Type: a.Type, Incident: a.Incident, Seq: a.Seq, Timestamp: a.Timestamp, Status: 0})
		r.mu.Unlock()
		select {
		case <-reply.Hang:
		case <-req.Context().Done():
			return
		}
	}
	if reply.RetryAfter != "" {
		w.Header().Set("Retry-After", reply.RetryAfter)
	}
	w.WriteHeader(reply.Status)
}

// record appends a with r.mu held.
func (r *Receiver) record(a Attempt) {
	r.attempts = append(r.attempts, a)
	close(r.changed)
	r.changed = make(chan struct{})
}

// Attempts returns every request so far; a hanging one has Status 0.
func (r *Receiver) Attempts() []Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Attempt(nil), r.attempts...)
}

// Accepted returns the requests that verified and were answered 2xx.
func (r *Receiver) Accepted() []Attempt {
	var out []Attempt
	for _, a := range r.Attempts() {
		if a.Refused == nil && a.Status >= 200 && a.Status < 300 {
			out = append(out, a)
		}
	}
	return out
}

// WaitAttempts blocks until n requests have arrived or timeout passes
// (a guard against a hung test, not a delay), and reports whether they did.
func (r *Receiver) WaitAttempts(n int, timeout time.Duration) bool {
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		got, ch := len(r.attempts), r.changed
		r.mu.Unlock()
		if got >= n {
			return true
		}
		select {
		case <-ch:
		case <-deadline:
			return false
		}
	}
}

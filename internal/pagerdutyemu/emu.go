// Package pagerdutyemu is PagerDuty's Events API v2 for tests, written from
// its documentation: POST /v2/enqueue takes a JSON event; routing_key (the
// 32-character integration key, letters and digits) and event_action
// (trigger, acknowledge, resolve) are required; a trigger needs payload.summary (at most 1024
// characters), payload.source and payload.severity (critical, error,
// warning or info); acknowledge and resolve need a dedup_key (at most 255
// characters); links need an href. A valid event is answered 202 with the
// dedup_key, an invalid one 400 with the errors; a well-formed routing key
// that names no integration is a 400 "Invalid routing key" too (see Known). Events for a dedup_key
// apply to its open alert; a resolve without one is dropped, a trigger
// after a resolve opens a new alert.
package pagerdutyemu

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Event is an accepted event as PagerDuty read it.
type Event struct {
	RoutingKey  string `json:"routing_key"`
	EventAction string `json:"event_action"`
	DedupKey    string `json:"dedup_key"`
	Payload     *struct {
		Summary       string         `json:"summary"`
		Source        string         `json:"source"`
		Severity      string         `json:"severity"`
		Timestamp     string         `json:"timestamp"`
		Component     string         `json:"component"`
		Class         string         `json:"class"`
		CustomDetails map[string]any `json:"custom_details"`
	} `json:"payload"`
	Client    string `json:"client"`
	ClientURL string `json:"client_url"`
	Links     []struct {
		Href string `json:"href"`
		Text string `json:"text"`
	} `json:"links"`
}

// Fault is a scripted answer that replaces the next request's own.
type Fault struct {
	Status     int
	RetryAfter string
}

// Server is the emulated endpoint.
type Server struct {
	URL string // …/v2/enqueue

	mu       sync.Mutex
	faults   []Fault
	accepted []Event
	refused  [][]string // the errors of each 400
	open     map[string]bool
	faulted  int
	known    map[string]bool // nil: every well-formed key is an integration's
}

// Known makes keys the only integration keys; events for any other are
// refused, as PagerDuty refuses a key that names no integration.
func (s *Server) Known(keys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.known = map[string]bool{}
	for _, k := range keys {
		s.known[k] = true
	}
}

// Start serves the API on a loopback port until the test ends.
func Start(t testing.TB) *Server {
	s := &Server{open: map[string]bool{}}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/v2/enqueue"
	return s
}

// Fail makes the next requests fail as given, before they are read.
func (s *Server) Fail(faults ...Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, faults...)
}

// Accepted returns the events answered 202, in order.
func (s *Server) Accepted() []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Event(nil), s.accepted...)
}

// Refused returns the errors of each event answered 400.
func (s *Server) Refused() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]string(nil), s.refused...)
}

// Faulted counts the requests answered with a scripted fault.
func (s *Server) Faulted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faulted
}

// Open reports whether dedupKey has an open (triggered, unresolved) alert.
func (s *Server) Open(dedupKey string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.open[dedupKey]
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/v2/enqueue" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	if len(s.faults) > 0 {
		f := s.faults[0]
		s.faults = s.faults[1:]
		s.faulted++
		s.mu.Unlock()
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.WriteHeader(f.Status)
		return
	}
	s.mu.Unlock()

	body, err := io.ReadAll(io.LimitReader(r.Body, 512<<10+1))
	var ev Event
	var errs []string
	switch {
	case err != nil || len(body) > 512<<10:
		errs = []string{"Event object is larger than 512 KB"}
	case json.Unmarshal(body, &ev) != nil:
		errs = []string{"Invalid JSON"}
	default:
		errs = validate(ev)
	}
	w.Header().Set("Content-Type", "application/json")
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(errs) == 0 && s.known != nil && !s.known[ev.RoutingKey] {
		errs = []string{"Invalid routing key"}
	}
	if len(errs) > 0 {
		s.refused = append(s.refused, errs)
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "invalid event", "message": "Event object is invalid", "errors": errs})
		return
	}
	if ev.DedupKey == "" {
		ev.DedupKey = "generated-" + strconv.Itoa(len(s.accepted)+1)
	}
	switch ev.EventAction {
	case "trigger":
		s.open[ev.DedupKey] = true
	case "resolve":
		delete(s.open, ev.DedupKey)
	}
	s.accepted = append(s.accepted, ev)
	w.WriteHeader(http.StatusAccepted)
	_ = json.NewEncoder(w).Encode(map[string]string{"status": "success", "message": "Event processed", "dedup_key": ev.DedupKey})
}

func validate(ev Event) []string {
	var errs []string
	if len(ev.RoutingKey) != 32 {
		errs = append(errs, "Length of 'routing_key' is incorrect (should be 32 characters)")
	}
	for _, r := range ev.RoutingKey {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			errs = append(errs, "'routing_key' cannot contain non-alphanumeric characters.")
			break
		}
	}
	switch ev.EventAction {
	case "trigger":
		p := ev.Payload
		if p == nil {
			errs = append(errs, "'payload' is missing or blank")
			break
		}
		if p.Summary == "" || len([]rune(p.Summary)) > 1024 {
			errs = append(errs, "'payload.summary' is missing, blank or longer than 1024 characters")
		}
		if p.Source == "" {
			errs = append(errs, "'payload.source' is missing or blank")
		}
		switch p.Severity {
		case "critical", "error", "warning", "info":
		default:
			errs = append(errs, fmt.Sprintf("'payload.severity' %q is not one of critical, error, warning, info", p.Severity))
		}
		if p.Timestamp != "" {
			if _, err := time.Parse(time.RFC3339, p.Timestamp); err != nil {
				errs = append(errs, "'payload.timestamp' is not an ISO 8601 timestamp")
			}
		}
	case "acknowledge", "resolve":
		if ev.DedupKey == "" {
			errs = append(errs, "'dedup_key' is required for "+ev.EventAction)
		}
	default:
		errs = append(errs, fmt.Sprintf("'event_action' %q is not one of trigger, acknowledge, resolve", ev.EventAction))
	}
	if len(ev.DedupKey) > 255 {
		errs = append(errs, "'dedup_key' is longer than 255 characters")
	}
	for _, l := range ev.Links {
		if l.Href == "" {
			errs = append(errs, "'links[].href' is missing")
		}
	}
	return errs
}

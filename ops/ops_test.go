package ops

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// startServer runs a Server on a loopback port until the test ends, and
// checks that it then shuts down cleanly.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	})
	return "http://" + s.Addr()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(body)
}

func TestMetricsExposition(t *testing.T) {
	reg := NewRegistry()
	m := NewMetrics(reg)
	base := startServer(t, NewServer("127.0.0.1:0", reg, nil, zerolog.Nop()))

	m.Envelope("slash_commands")
	m.AckLatency(300 * time.Microsecond)
	m.SlackCall("chat.postMessage", "")
	m.SlackCall("conversations.create", "name_taken")
	m.SlackCall("conversations.create", "Post \"http://127.0.0.1:4567/api/\": dial tcp: connection refused")
	m.OutboxDepth(7)
	m.OutboxFailure("create_channel", true)
	m.OutboxDone("post_message")
	m.SocketConnected(true)
	m.Reconnect("refresh_requested")

	code, body := get(t, base+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("/metrics: %d", code)
	}
	for _, want := range []string{
		`incidentbot_envelopes_total{type="slash_commands"} 1`,
		`incidentbot_ack_latency_seconds_bucket{le="0.0005"} 1`,
		`incidentbot_ack_latency_seconds_bucket{le="0.00025"} 0`,
		`incidentbot_ack_latency_seconds_bucket{le="3"} 1`,
		`incidentbot_ack_latency_seconds_count 1`,
		`incidentbot_slack_api_calls_total{method="chat.postMessage"} 1`,
		`incidentbot_slack_api_calls_total{method="conversations.create"} 2`,
		`incidentbot_slack_api_errors_total{error="name_taken",method="conversations.create"} 1`,
		`incidentbot_slack_api_errors_total{error="other",method="conversations.create"} 1`,
		`incidentbot_outbox_depth 7`,
		`incidentbot_outbox_failures_total{kind="create_channel",permanent="true"} 1`,
		`incidentbot_outbox_jobs_total{kind="post_message"} 1`,
		`incidentbot_socket_connected 1`,
		`incidentbot_socket_reconnects_total{reason="refresh_requested"} 1`,
		"go_goroutines",
		"process_start_time_seconds",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if strings.Contains(body, `error="",`) {
		t.Error("a successful call was counted as an error")
	}

	m.SocketConnected(false)
	if _, body := get(t, base+"/metrics"); !strings.Contains(body, "incidentbot_socket_connected 0") {
		t.Error("socket_connected did not drop to 0")
	}
}

func TestNilMetricsRecordNothing(t *testing.T) {
	var m *Metrics
	m.Envelope("x")
	m.AckLatency(time.Second)
	m.SlackCall("x", "y")
	m.OutboxDepth(1)
	m.OutboxFailure("x", false)
	m.OutboxDone("x")
	m.SocketConnected(true)
	m.Reconnect("x")
	NewMetrics(nil).Envelope("unregistered collectors work too")
}

func TestHealthAndReadiness(t *testing.T) {
	var notReady atomic.Pointer[error]
	ready := func() error {
		if p := notReady.Load(); p != nil {
			return *p
		}
		return nil
	}
	base := startServer(t, NewServer("127.0.0.1:0", NewRegistry(), ready, zerolog.Nop()))

	steps := []struct {
		name     string
		notReady error
		path     string
		wantCode int
		wantBody string
	}{
		{"healthz", nil, "/healthz", 200, "ok"},
		{"ready", nil, "/readyz", 200, "ok"},
		{"not ready says why", errors.New("socket not connected"), "/readyz", 503, "socket not connected"},
		{"healthy while not ready", errors.New("socket not connected"), "/healthz", 200, "ok"},
		{"ready again", nil, "/readyz", 200, "ok"},
		{"unknown path", nil, "/nope", 404, ""},
	}
	for _, st := range steps {
		if st.notReady != nil {
			notReady.Store(&st.notReady)
		} else {
			notReady.Store(nil)
		}
		code, body := get(t, base+st.path)
		if code != st.wantCode || !strings.Contains(body, st.wantBody) {
			t.Errorf("%s: GET %s = %d %q, want %d %q", st.name, st.path, code, body, st.wantCode, st.wantBody)
		}
	}
}

func TestHandleAddsRoutes(t *testing.T) {
	s := NewServer("127.0.0.1:0", nil, nil, zerolog.Nop())
	s.Handle("GET /incidents/{id}/postmortem.md", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "# "+r.PathValue("id"))
	}))
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("GET", "/incidents/INC-7/postmortem.md", nil))
	if rec.Code != 200 || rec.Body.String() != "# INC-7" {
		t.Errorf("got %d %q", rec.Code, rec.Body.String())
	}
	rec = httptest.NewRecorder()
	s.ServeHTTP(rec, httptest.NewRequest("POST", "/healthz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST /healthz = %d, want 405", rec.Code)
	}
}

func TestRunDisabledWaitsForContext(t *testing.T) {
	s := NewServer("", nil, nil, zerolog.Nop())
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != "" {
		t.Errorf("Addr = %q, want \"\" when disabled", s.Addr())
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

func TestRunAddressInUse(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	s := NewServer(taken.Addr().String(), nil, nil, zerolog.Nop())
	err = s.Run(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ops listener "+taken.Addr().String()) {
		t.Errorf("Run = %v, want an error naming the address", err)
	}
}

// TestShutdownWaitsForInFlightRequest holds a request open across the
// cancellation and checks that it completes and Run returns nil.
func TestShutdownWaitsForInFlightRequest(t *testing.T) {
	s := NewServer("127.0.0.1:0", nil, nil, zerolog.Nop())
	entered, release := make(chan struct{}), make(chan struct{})
	s.Handle("GET /slow", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "done")
	}))
	if err := s.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + s.Addr() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-entered
	cancel()
	select {
	case err := <-done:
		t.Fatalf("Run returned (%v) while a request was in flight", err)
	default:
	}
	close(release)
	if r := <-got; r.err != nil || r.body != "done" {
		t.Errorf("in-flight request: %q, %v", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Errorf("Run = %v", err)
	}
}

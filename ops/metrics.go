// Package ops is incidentbot's operator surface: Prometheus metrics and the
// HTTP listener that serves /healthz, /readyz and /metrics.
package ops

import (
	"regexp"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Metrics holds incidentbot's collectors. A nil *Metrics is valid and records
// nothing, so packages under test need not build one.
type Metrics struct {
	envelopes       *prometheus.CounterVec
	ackLatency      prometheus.Histogram
	slackCalls      *prometheus.CounterVec
	slackErrors     *prometheus.CounterVec
	outboxDepth     prometheus.Gauge
	outboxFailures  *prometheus.CounterVec
	outboxJobs      *prometheus.CounterVec
	socketConnected prometheus.Gauge
	reconnects      *prometheus.CounterVec
}

// NewRegistry returns a registry with the Go runtime and process collectors
// already in it: what main serves on /metrics.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	return reg
}

// NewMetrics creates the collectors and registers them with reg; a nil reg
// leaves them unregistered. Registering twice with one registry panics, as
// any duplicate registration does.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	f := promauto.With(reg)
	const ns = "incidentbot"
	return &Metrics{
		envelopes: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "envelopes_total",
			Help: "Socket Mode envelopes received, by envelope type.",
		}, []string{"type"}),
		ackLatency: f.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Name: "ack_latency_seconds",
			Help: "Time from receiving an envelope to acking it; Slack gives up after 3 s.",
			// Acks should take well under a millisecond; the top buckets
			// show how close a slow one came to Slack's 3 s deadline.
			Buckets: []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3},
		}),
		slackCalls: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "slack_api_calls_total",
			Help: "Slack Web API calls made, by method.",
		}, []string{"method"}),
		slackErrors: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "slack_api_errors_total",
			Help: "Slack Web API calls that failed, by method and error code.",
		}, []string{"method", "error"}),
		outboxDepth: f.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "outbox_depth",
			Help: "Outbox jobs waiting to be performed.",
		}),
		outboxFailures: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "outbox_failures_total",
			Help: "Outbox job attempts that failed, by job kind and whether the failure is permanent.",
		}, []string{"kind", "permanent"}),
		outboxJobs: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "outbox_jobs_total",
			Help: "Outbox jobs completed, by job kind.",
		}, []string{"kind"}),
		socketConnected: f.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Name: "socket_connected",
			Help: "1 while the Socket Mode connection is up, else 0.",
		}),
		reconnects: f.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "socket_reconnects_total",
			Help: "Socket Mode reconnections, by reason.",
		}, []string{"reason"}),
	}
}

// Envelope counts one received Socket Mode envelope of the given type.
func (m *Metrics) Envelope(kind string) {
	if m == nil {
		return
	}
	m.envelopes.WithLabelValues(kind).Inc()
}

// AckLatency records how long an envelope took to ack.
func (m *Metrics) AckLatency(d time.Duration) {
	if m == nil {
		return
	}
	m.ackLatency.Observe(d.Seconds())
}

// SlackCall counts one Web API call, and an error when err is not "". err
// should be Slack's error code (name_taken, ratelimited…) or a short class
// such as "network"; anything else is counted as "other", since free text
// (addresses, ports) would create a new series per distinct message.
func (m *Metrics) SlackCall(method string, err string) {
	if m == nil {
		return
	}
	m.slackCalls.WithLabelValues(method).Inc()
	if err != "" {
		m.slackErrors.WithLabelValues(method, errorLabel(err)).Inc()
	}
}

// OutboxDepth sets the number of jobs waiting.
func (m *Metrics) OutboxDepth(n int) {
	if m == nil {
		return
	}
	m.outboxDepth.Set(float64(n))
}

// OutboxFailure counts one failed attempt of a job of this kind.
func (m *Metrics) OutboxFailure(kind string, permanent bool) {
	if m == nil {
		return
	}
	m.outboxFailures.WithLabelValues(kind, strconv.FormatBool(permanent)).Inc()
}

// OutboxDone counts one completed job of this kind.
func (m *Metrics) OutboxDone(kind string) {
	if m == nil {
		return
	}
	m.outboxJobs.WithLabelValues(kind).Inc()
}

// SocketConnected records whether the Socket Mode connection is up.
func (m *Metrics) SocketConnected(up bool) {
	if m == nil {
		return
	}
	if up {
		m.socketConnected.Set(1)
	} else {
		m.socketConnected.Set(0)
	}
}

// Reconnect counts one reconnection and why it happened (a disconnect
// reason such as refresh_requested, or "silence", "error").
func (m *Metrics) Reconnect(reason string) {
	if m == nil {
		return
	}
	m.reconnects.WithLabelValues(reason).Inc()
}

// errorCodePattern is the shape of Slack error codes.
var errorCodePattern = regexp.MustCompile(`^[a-z0-9_.]{1,64}$`)

func errorLabel(err string) string {
	if errorCodePattern.MatchString(err) {
		return err
	}
	return "other"
}

// Package pagerduty pages through PagerDuty's Events API v2: the outbox
// runs one commands.JobPagerDuty job per trigger or resolve, and this
// package sends it.
package pagerduty

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// DefaultURL is the Events API v2 endpoint.
const DefaultURL = "https://events.pagerduty.com/v2/enqueue"

// maxSummary is the Events API's limit for payload.summary.
const maxSummary = 1024

// Event is an Events API v2 request body.
type Event struct {
	RoutingKey  string   `json:"routing_key"`
	EventAction string   `json:"event_action"`
	DedupKey    string   `json:"dedup_key"`
	Payload     *Payload `json:"payload,omitempty"`
	Client      string   `json:"client,omitempty"`
	ClientURL   string   `json:"client_url,omitempty"`
	Links       []Link   `json:"links,omitempty"`
}

// Payload describes the alert of a trigger.
type Payload struct {
	Summary       string            `json:"summary"`
	Source        string            `json:"source"`
	Severity      string            `json:"severity"`
	Timestamp     string            `json:"timestamp,omitempty"`
	Component     string            `json:"component,omitempty"`
	Class         string            `json:"class,omitempty"`
	CustomDetails map[string]string `json:"custom_details,omitempty"`
}

// Link is a link shown on the alert.
type Link struct {
	Href string `json:"href"`
	Text string `json:"text"`
}

// Store is what a delivery reads: the incident's channel as of now.
type Store interface {
	View(fn func(tx store.Tx) error) error
}

// Options configures a Client. RoutingKey and Store are required.
type Options struct {
	RoutingKey string // the integration key; never log it
	URL        string // default DefaultURL
	Store      Store
	HTTP       *http.Client
	Clock      clock.Clock
	// ChannelWait is how long a trigger waits for the incident's channel,
	// so that the page links to it (default 1m).
	ChannelWait time.Duration
}

// Client performs commands.JobPagerDuty jobs; route them to it with
// outbox.ByKind.
type Client struct{ opt Options }

// New returns a Client with defaults filled in.
func New(opt Options) *Client {
	if opt.URL == "" {
		opt.URL = DefaultURL
	}
	if opt.HTTP == nil {
		opt.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.ChannelWait <= 0 {
		opt.ChannelWait = time.Minute
	}
	return &Client{opt: opt}
}

// Severity maps a severity's rank (0 = most severe) onto PagerDuty's four.
func Severity(rank int) string {
	switch {
	case rank <= 0:
		return "critical"
	case rank == 1:
		return "error"
	case rank == 2:
		return "warning"
	}
	return "info"
}

// DedupKey is the alert's key: the incident's ID, so the resolve finds the
// trigger and a repeated trigger is merged by PagerDuty.
func DedupKey(s commands.Snapshot) string { return incident.FormatID(s.Number) }

// Perform sends one trigger or resolve. PagerDuty merges a repeated event
// with the same dedup_key, so a retry after a lost answer pages no one twice.
func (c *Client) Perform(ctx context.Context, job store.Job) (outbox.Apply, error) {
	var pl commands.PagerDutyPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode pagerduty payload: %w", err))
	}
	ev := Event{RoutingKey: c.opt.RoutingKey, EventAction: pl.Action, DedupKey: DedupKey(pl.Incident)}
	now := c.opt.Clock.Now()
	if pl.Action == commands.PagerDutyTrigger {
		channelID, err := c.channel(job.Incident)
		if err != nil {
			return nil, err
		}
		if channelID == "" && now.Before(job.CreatedAt.Add(c.opt.ChannelWait)) {
			return nil, outbox.RetryAfter(time.Second, errors.New("pagerduty: waiting for the incident's channel"))
		}
		ev.Payload, ev.Links, ev.ClientURL = trigger(pl.Incident, channelID, job.CreatedAt)
		ev.Client = "incidentbot"
	}
	body, err := json.Marshal(ev)
	if err != nil {
		return nil, outbox.Permanent(fmt.Errorf("pagerduty: encode %s: %w", pl.Action, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.opt.URL, bytes.NewReader(body))
	if err != nil {
		return nil, outbox.Permanent(fmt.Errorf("pagerduty: %w", dropURL(err)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "incidentbot")
	resp, err := c.opt.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pagerduty %s: %w", pl.Action, dropURL(err))
	}
	defer resp.Body.Close()
	var answer struct {
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	err = outbox.HTTPStatus("pagerduty "+pl.Action, resp, now)
	if err != nil && json.Unmarshal(raw, &answer) == nil && len(answer.Errors) > 0 {
		// A 400 says which field PagerDuty refused: worth the timeline.
		err = fmt.Errorf("%w (%s: %v)", err, answer.Message, answer.Errors)
	}
	return nil, err
}

// trigger builds what a trigger says about s. A private incident pages
// without its title: the responder learns the details in Slack.
func trigger(s commands.Snapshot, channelID string, at time.Time) (*Payload, []Link, string) {
	summary := fmt.Sprintf("%s %s: %s", incident.FormatID(s.Number), s.Severity, s.Title)
	if s.Private {
		summary = fmt.Sprintf("%s %s: private incident (details in Slack)", incident.FormatID(s.Number), s.Severity)
	}
	source := s.Service
	if source == "" {
		source = "incidentbot"
	}
	p := &Payload{
		Summary: clip(summary, maxSummary), Source: source, Severity: Severity(s.SeverityRank),
		Timestamp: at.UTC().Format(time.RFC3339), Component: s.Service, Class: "incident",
		CustomDetails: map[string]string{"incident": incident.FormatID(s.Number), "severity": s.Severity, "status": string(s.Status)},
	}
	if s.Commander != "" {
		p.CustomDetails["commander"] = s.Commander
	}
	if channelID == "" {
		return p, nil, ""
	}
	u := "https://slack.com/app_redirect?channel=" + channelID
	return p, []Link{{Href: u, Text: "Slack channel of " + incident.FormatID(s.Number)}}, u
}

func (c *Client) channel(number uint64) (string, error) {
	var inc *incident.Incident
	err := c.opt.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(number)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", outbox.Permanent(fmt.Errorf("pagerduty: %w", err))
	}
	if err != nil {
		return "", fmt.Errorf("pagerduty: %w", err)
	}
	return inc.ChannelID, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n-len("…")]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}

// dropURL keeps the error but not the URL net/http puts in it: an
// overridden api_url may carry a credential.
func dropURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

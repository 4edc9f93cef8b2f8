package webhooks

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// Endpoint is one configured destination: where to POST, and the secret
// that signs what is posted there.
type Endpoint struct {
	URL    string
	Secret string // whsec_<base64>; never log it
}

// Store is what a delivery reads: the incident's channel as of now.
type Store interface {
	View(fn func(tx store.Tx) error) error
}

// Options configures a Deliverer. Store is required.
type Options struct {
	Endpoints []Endpoint
	Store     Store
	// Client sends the requests (default: one that follows no redirect, so
	// a moved endpoint is a recorded failure, not a silent GET elsewhere).
	Client *http.Client
	Clock  clock.Clock
	// ChannelWait is how long a delivery waits for the incident's channel
	// to exist, so that the declaration carries its link (default 1m).
	ChannelWait time.Duration
}

// Deliverer performs commands.JobWebhook jobs; route them to it with
// outbox.ByKind.
type Deliverer struct {
	opt  Options
	keys map[string][]byte // by URL

	mu   sync.Mutex
	gone map[string]bool // endpoints that answered 410 Gone, by URL
}

// New parses the endpoints' secrets; the error names the endpoint by host,
// never the secret.
func New(opt Options) (*Deliverer, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.ChannelWait <= 0 {
		opt.ChannelWait = time.Minute
	}
	d := &Deliverer{opt: opt, keys: map[string][]byte{}, gone: map[string]bool{}}
	for _, e := range opt.Endpoints {
		key, err := ParseSecret(e.Secret)
		if err != nil {
			return nil, fmt.Errorf("webhook to %s: %w", host(e.URL), err)
		}
		d.keys[e.URL] = key
	}
	return d, nil
}

// errNoChannel keeps a delivery waiting for the incident's channel.
var errNoChannel = errors.New("waiting for the incident's channel")

// Perform renders, signs and POSTs one delivery. Its webhook-id is the same
// on every attempt, so a receiver that got an earlier attempt whose answer
// was lost can drop the repeat; webhook-timestamp is the attempt's.
func (d *Deliverer) Perform(ctx context.Context, job store.Job) (outbox.Apply, error) {
	var pl commands.WebhookPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode webhook payload: %w", err))
	}
	what := "webhook to " + host(pl.URL)
	key, ok := d.keys[pl.URL]
	if !ok {
		return nil, outbox.Permanent(fmt.Errorf("%s: no longer configured; %s not delivered", what, pl.Type))
	}
	if d.isGone(pl.URL) {
		// The endpoint asked for nothing more: its deliveries complete
		// unsent. The 410 itself was recorded on the timeline once.
		return nil, nil
	}
	channelID, err := d.channel(job.Incident)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	now := d.opt.Clock.Now()
	if channelID == "" && now.Before(job.CreatedAt.Add(d.opt.ChannelWait)) {
		return nil, outbox.RetryAfter(time.Second, errNoChannel)
	}
	body, err := Render(pl, channelID)
	if err != nil {
		return nil, outbox.Permanent(fmt.Errorf("%s: render %s: %w", what, pl.Type, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, pl.URL, bytes.NewReader(body))
	if err != nil {
		return nil, outbox.Permanent(fmt.Errorf("%s: %w", what, unwrapURL(err)))
	}
	id := MessageID(job, pl)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "incidentbot")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	req.Header.Set("webhook-signature", Sign(key, id, now, body))
	resp, err := d.opt.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, unwrapURL(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	if resp.StatusCode == http.StatusGone {
		// Standard Webhooks: 410 means the receiver wants no more
		// webhooks from us, so the endpoint is disabled. The flag lives
		// in memory: the operator removes the endpoint from the config,
		// and until then a restart tries it again, once.
		d.setGone(pl.URL)
		return nil, outbox.Permanent(fmt.Errorf("%s: HTTP 410 Gone: the endpoint asked for no more webhooks; nothing more is sent to it until the bot restarts (remove it from webhooks: or fix it)", what))
	}
	return nil, outbox.HTTPStatus(what, resp, now)
}

func (d *Deliverer) isGone(endpoint string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.gone[endpoint]
}

func (d *Deliverer) setGone(endpoint string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.gone[endpoint] = true
}

// MessageID is a delivery's webhook-id: stable across its attempts and
// restarts (the job's ID), unique across stores (the incident's UUID).
func MessageID(job store.Job, pl commands.WebhookPayload) string {
	return "msg_" + pl.Incident.UUID + "_" + strconv.FormatUint(job.ID, 10)
}

// channel is the incident's channel as of now.
func (d *Deliverer) channel(number uint64) (string, error) {
	var inc *incident.Incident
	err := d.opt.Store.View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(number)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return "", outbox.Permanent(err)
	}
	if err != nil {
		return "", err
	}
	return inc.ChannelID, nil
}

// host names an endpoint in logs and on the timeline: its path and query
// may hold a credential (many tools put one there), its host does not.
func host(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Host
}

// unwrapURL drops the URL that net/http puts in its errors, for the same
// reason as host.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

package webhooks_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/hookemu"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/webhooks"
)

const (
	secret = "whsec_c2VjcmV0LWtleS1vZi10aGUtcmVjZWl2ZXItMDEyMzQ1Njc4OQ=="
	other  = "whsec_YW5vdGhlci1yZWNlaXZlcnMta2V5LTAxMjM0NTY3ODk="
)

// received is one request as the receiver saw it.
type received struct {
	header http.Header
	body   []byte
}

// receiver is a loopback endpoint answering with the next status of
// replies (200 once they run out), recording every request.
type receiver struct {
	mu      sync.Mutex
	got     []received
	replies []func(http.ResponseWriter)
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.got = append(rc.got, received{r.Header.Clone(), body})
	var reply func(http.ResponseWriter)
	if len(rc.replies) > 0 {
		reply, rc.replies = rc.replies[0], rc.replies[1:]
	}
	rc.mu.Unlock()
	if reply != nil {
		reply(w)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (rc *receiver) last(t *testing.T) received {
	t.Helper()
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) == 0 {
		t.Fatal("nothing was delivered")
	}
	return rc.got[len(rc.got)-1]
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

func status(code int, header ...string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

// fixture is a store holding INC-1 (with its channel), a receiver and a
// deliverer configured for it, on a fake clock.
type fixture struct {
	clk  *clock.Fake
	st   *boltstore.Store
	inc  *incident.Incident
	rc   *receiver
	url  string
	del  *webhooks.Deliverer
	jobs uint64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	clk := clock.NewFake(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	st := bolttest.OpenWith(t, boltstore.Options{Now: clk.Now})
	inc := &incident.Incident{Title: "Checkout <!channel> down", Severity: "SEV1", Status: incident.Investigating, Service: "checkout",
		Roles: map[string]string{incident.RoleCommander: "UALICE"}, ChannelID: "C0INC1", DeclaredAt: clk.Now(), StartedAt: clk.Now()}
	if err := st.Update(context.Background(), func(tx store.Tx) error { return tx.CreateIncident(inc) }); err != nil {
		t.Fatal(err)
	}
	rc := &receiver{}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	url := srv.URL + "/hooks/incidentbot?token=path-credential"
	del, err := webhooks.New(webhooks.Options{Endpoints: []webhooks.Endpoint{{URL: url, Secret: secret}}, Store: st, Clock: clk})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{clk: clk, st: st, inc: inc, rc: rc, url: url, del: del}
}

// job is the outbox job a use-case would enqueue for ev.
func (f *fixture) job(t *testing.T, typ string, ev incident.Event) store.Job {
	t.Helper()
	f.jobs++
	raw, err := json.Marshal(commands.WebhookPayload{URL: f.url, Type: typ, Event: ev, Incident: commands.Snapshot{
		Number: f.inc.Number, UUID: f.inc.UUID, Title: f.inc.Title, Severity: f.inc.Severity, Status: f.inc.Status,
		Service: f.inc.Service, Commander: "UALICE",
	}})
	if err != nil {
		t.Fatal(err)
	}
	return store.Job{ID: f.jobs, Incident: f.inc.Number, Kind: commands.JobWebhook, Lane: "webhook " + f.url, Payload: raw, CreatedAt: f.clk.Now()}
}

// A delivery verifies with the receiver's secret at the time it was sent;
// it does not with another secret, nor five minutes and a second later
// (a replay), nor once its body is changed.
func TestDeliveryVerifies(t *testing.T) {
	f := newFixture(t)
	ev := incident.Event{Seq: 1, At: f.clk.Now(), Kind: incident.EventDeclared, Actor: "UALICE"}
	if _, err := f.del.Perform(context.Background(), f.job(t, incident.TypeDeclared, ev)); err != nil {
		t.Fatal(err)
	}
	got := f.rc.last(t)
	if err := hookemu.Verify(secret, got.header, got.body, f.clk.Now()); err != nil {
		t.Fatalf("the receiver cannot verify our delivery: %v", err)
	}
	if got.header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type = %q", got.header.Get("Content-Type"))
	}
	for _, tt := range []struct {
		name   string
		secret string
		body   []byte
		now    time.Time
	}{
		{"wrong secret", other, got.body, f.clk.Now()},
		{"stale timestamp", secret, got.body, f.clk.Now().Add(5*time.Minute + time.Second)},
		{"timestamp from the future", secret, got.body, f.clk.Now().Add(-5*time.Minute - time.Second)},
		{"altered body", secret, []byte(strings.Replace(string(got.body), "SEV1", "SEV4", 1)), f.clk.Now()},
	} {
		if err := hookemu.Verify(tt.secret, got.header, tt.body, tt.now); err == nil {
			t.Errorf("%s: the receiver accepted it", tt.name)
		}
	}
}

// Every attempt of a job carries the same webhook-id, so a receiver can
// drop a repeat whose first answer was lost; each attempt is signed anew
// with its own timestamp.
func TestRetriesKeepTheWebhookID(t *testing.T) {
	f := newFixture(t)
	f.rc.replies = []func(http.ResponseWriter){status(http.StatusBadGateway)}
	job := f.job(t, incident.TypeUpdated, incident.Event{Seq: 3, At: f.clk.Now(), Kind: incident.EventUpdate, Text: "rolled back"})
	if _, err := f.del.Perform(context.Background(), job); err == nil || outbox.IsPermanent(err) {
		t.Fatalf("502: err = %v, want a transient error", err)
	}
	first := f.rc.last(t)
	f.clk.Advance(90 * time.Second)
	if _, err := f.del.Perform(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	second := f.rc.last(t)
	if first.header.Get("webhook-id") != second.header.Get("webhook-id") || second.header.Get("webhook-id") == "" {
		t.Errorf("webhook-id %q then %q, want the same", first.header.Get("webhook-id"), second.header.Get("webhook-id"))
	}
	if first.header.Get("webhook-timestamp") == second.header.Get("webhook-timestamp") {
		t.Error("the retry reused the first attempt's timestamp")
	}
	if err := hookemu.Verify(secret, second.header, second.body, f.clk.Now()); err != nil {
		t.Errorf("retry does not verify: %v", err)
	}
}

// How each answer is handled: 2xx done; 429 waits as long as asked; 408
// and 5xx retried with backoff; any other 4xx and a redirect given up.
// The error never shows the URL's path or query, where credentials live.
func TestDeliveryOutcomes(t *testing.T) {
	for _, tt := range []struct {
		name      string
		reply     func(http.ResponseWriter)
		permanent bool
		ok        bool
		wait      time.Duration
	}{
		{"200", status(http.StatusOK), false, true, 0},
		{"204", status(http.StatusNoContent), false, true, 0},
		{"429 with Retry-After", status(http.StatusTooManyRequests, "Retry-After", "7"), false, false, 7 * time.Second},
		{"429 without Retry-After", status(http.StatusTooManyRequests), false, false, 0},
		{"408", status(http.StatusRequestTimeout), false, false, 0},
		{"500", status(http.StatusInternalServerError), false, false, 0},
		{"503", status(http.StatusServiceUnavailable), false, false, 0},
		{"400", status(http.StatusBadRequest), true, false, 0},
		{"401", status(http.StatusUnauthorized), true, false, 0},
		{"404", status(http.StatusNotFound), true, false, 0},
		{"410", status(http.StatusGone), true, false, 0},
		{"302", status(http.StatusFound, "Location", "/elsewhere"), true, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.rc.replies = []func(http.ResponseWriter){tt.reply}
			_, err := f.del.Perform(context.Background(), f.job(t, incident.TypeResolved, incident.Event{Seq: 9, At: f.clk.Now(), Kind: incident.EventResolved}))
			if tt.ok != (err == nil) || outbox.IsPermanent(err) != tt.permanent {
				t.Fatalf("err = %v, want ok=%v permanent=%v", err, tt.ok, tt.permanent)
			}
			if d, limited := outbox.RetryDelay(err); limited != (tt.wait > 0) || d != tt.wait {
				t.Errorf("retry delay = %v %v, want %v", d, limited, tt.wait)
			}
			if err != nil && (strings.Contains(err.Error(), "path-credential") || strings.Contains(err.Error(), "/hooks")) {
				t.Errorf("error shows the URL: %v", err)
			}
			if n := f.rc.count(); n != 1 {
				t.Errorf("%d requests, want 1 (redirects are not followed)", n)
			}
		})
	}
}

// A declaration is usually delivered before Slack has created the channel:
// it waits for it (a second at a time, not counted as failures), so that
// receivers get the link; after a minute it goes without.
func TestDeliveryWaitsForTheChannel(t *testing.T) {
	f := newFixture(t)
	if err := f.st.Update(context.Background(), func(tx store.Tx) error {
		f.inc.ChannelID = ""
		return tx.PutIncident(f.inc)
	}); err != nil {
		t.Fatal(err)
	}
	job := f.job(t, incident.TypeDeclared, incident.Event{Seq: 1, At: f.clk.Now(), Kind: incident.EventDeclared})
	_, err := f.del.Perform(context.Background(), job)
	if d, limited := outbox.RetryDelay(err); !limited || d != time.Second {
		t.Fatalf("no channel yet: err = %v, want a one-second wait", err)
	}
	if f.rc.count() != 0 {
		t.Fatal("delivered before the channel existed")
	}
	f.clk.Advance(time.Minute)
	if _, err := f.del.Perform(context.Background(), job); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Data struct {
			Incident map[string]any `json:"incident"`
		} `json:"data"`
	}
	if err := json.Unmarshal(f.rc.last(t).body, &doc); err != nil {
		t.Fatal(err)
	}
	if v, ok := doc.Data.Incident["channel_id"]; !ok || v != nil {
		t.Errorf("channel_id = %v (present %v), want null", v, ok)
	}
}

// A job left for an endpoint since removed from the config is given up
// with a reason, not retried forever.
func TestDeliveryToARemovedEndpoint(t *testing.T) {
	f := newFixture(t)
	job := f.job(t, incident.TypeDeclared, incident.Event{Seq: 1, At: f.clk.Now(), Kind: incident.EventDeclared})
	del, err := webhooks.New(webhooks.Options{Store: f.st, Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	_, err = del.Perform(context.Background(), job)
	if !outbox.IsPermanent(err) || !strings.Contains(err.Error(), "no longer configured") {
		t.Errorf("err = %v, want a permanent 'no longer configured'", err)
	}
}

// A 410 Gone is the endpoint saying it wants no more webhooks (Standard
// Webhooks): that delivery is given up, saying so, and later ones to the
// same endpoint complete without a request; other endpoints are not
// affected.
func TestGoneEndpointIsDisabled(t *testing.T) {
	f := newFixture(t)
	f.rc.replies = []func(http.ResponseWriter){status(http.StatusGone)}
	_, err := f.del.Perform(context.Background(), f.job(t, incident.TypeDeclared, incident.Event{Seq: 1, At: f.clk.Now(), Kind: incident.EventDeclared}))
	if !outbox.IsPermanent(err) || !strings.Contains(err.Error(), "HTTP 410") || !strings.Contains(err.Error(), "nothing more is sent") {
		t.Fatalf("err = %v, want a permanent 410 that says the endpoint is disabled", err)
	}
	if strings.Contains(err.Error(), "path-credential") {
		t.Errorf("error shows the URL: %v", err)
	}
	for seq := uint64(2); seq <= 3; seq++ {
		if _, err := f.del.Perform(context.Background(), f.job(t, incident.TypeResolved, incident.Event{Seq: seq, At: f.clk.Now(), Kind: incident.EventResolved})); err != nil {
			t.Fatalf("delivery %d after the 410: %v", seq, err)
		}
	}
	if n := f.rc.count(); n != 1 {
		t.Errorf("%d requests, want only the one answered 410", n)
	}

	// Another deliverer (another endpoint, or the bot restarted) sends.
	del, err := webhooks.New(webhooks.Options{Endpoints: []webhooks.Endpoint{{URL: f.url, Secret: secret}}, Store: f.st, Clock: f.clk})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := del.Perform(context.Background(), f.job(t, incident.TypeResolved, incident.Event{Seq: 4, At: f.clk.Now(), Kind: incident.EventResolved})); err != nil || f.rc.count() != 2 {
		t.Errorf("after a restart: err %v, %d requests", err, f.rc.count())
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }

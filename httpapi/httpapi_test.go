package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/httpapi"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/ops"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

const token = "test-token-0123456789abcdef"

// newAPI serves the routes as the ops listener does, on a real store.
func newAPI(t *testing.T) (*httptest.Server, *commands.Service) {
	t.Helper()
	settings := incident.DefaultSettings()
	settings.Services = []incident.Service{{Name: "checkout"}}
	svc := &commands.Service{
		Store: bolttest.Open(t), Settings: settings, ChannelPrefix: "inc",
		Clock: clock.NewFake(time.Date(2026, 12, 5, 4, 0, 0, 0, time.UTC)),
		Alerts: commands.AlertPolicy{
			DefaultMode: commands.AlertSuggest, TriageChannel: "CTRIAGE", SeverityLabel: "severity", ServiceLabel: "service",
			Severities: map[string]string{"critical": "SEV1"}, MaxDeclaredPerMinute: 5,
			Rules: []commands.AlertRule{{Match: map[string]string{"severity": "critical"}, Mode: commands.AlertDeclare}},
		},
	}
	srv := ops.NewServer("", nil, nil, zerolog.Nop())
	httpapi.Register(srv, svc, func(h http.Handler) http.Handler { return ops.RequireBearerJSON(token, h, zerolog.Nop()) }, zerolog.Nop())
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	return ts, svc
}

type call struct {
	method, path, body string
	header             map[string]string // Authorization defaults to the token; "" removes it
}

type answer struct {
	status int
	header http.Header
	body   string
	json   map[string]any
}

func do(t *testing.T, ts *httptest.Server, c call) answer {
	t.Helper()
	req, err := http.NewRequest(c.method, ts.URL+c.path, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.header {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, body: string(raw)}
	_ = json.Unmarshal(raw, &a.json)
	return a
}

const firing = `{"version":"4","groupKey":"{}:{alertname=\"HighLatency\"}","status":"firing","receiver":"incidentbot",
 "groupLabels":{"alertname":"HighLatency"},"commonLabels":{"alertname":"HighLatency","severity":"critical","service":"checkout"},
 "commonAnnotations":{"summary":"Checkout p99 above 2s"},"externalURL":"http://am:9093",
 "alerts":[{"status":"firing","labels":{"alertname":"HighLatency","severity":"critical"},"annotations":{},
  "startsAt":"2026-12-05T03:59:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"a1b2c3"}]}`

func TestRoutes(t *testing.T) {
	ts, _ := newAPI(t)
	declare := `{"title":"login broken","severity":"SEV2","summary":"500s","service":"checkout","commander":"UALICE001"}`
	tests := []struct {
		name       string
		call       call
		wantStatus int
		wantError  string // substring of {"error"}; "" = no error expected
		want       map[string]any
	}{
		{"no token", call{"GET", "/api/v1/incidents", "", map[string]string{"Authorization": ""}}, 401, "needs Authorization: Bearer", nil},
		{"wrong token", call{"POST", "/hooks/alertmanager", firing, map[string]string{"Authorization": "Bearer nope"}}, 401, "not the one configured", nil},
		{"empty body", call{"POST", "/hooks/alertmanager", "", nil}, 400, "body is empty", nil},
		{"body over 4 MiB", call{"POST", "/hooks/alertmanager", `{"groupKey":"` + strings.Repeat("x", 4<<20) + `"}`, nil}, 413, "larger than 4194304 bytes", nil},
		{"declare over 4 MiB", call{"POST", "/api/v1/incidents", `{"title":"` + strings.Repeat("x", 4<<20) + `"}`, nil}, 413, "larger than", nil},
		{"lower-case scheme", call{"GET", "/api/v1/incidents", "", map[string]string{"Authorization": "bearer " + token}}, 200, "", nil},
		{"basic auth", call{"GET", "/api/v1/incidents", "", map[string]string{"Authorization": "Basic " + token}}, 401, "needs Authorization: Bearer", nil},
		{"GET the receiver", call{"GET", "/hooks/alertmanager", "", nil}, 405, "GET is not served here; use POST", nil},
		{"DELETE an incident", call{"DELETE", "/api/v1/incidents/INC-1", "", nil}, 405, "use GET, HEAD", nil},
		{"PUT the list", call{"PUT", "/api/v1/incidents", "{}", nil}, 405, "use GET, HEAD, POST", nil},
		{"other method without a token", call{"DELETE", "/api/v1/incidents/INC-1", "", map[string]string{"Authorization": ""}}, 401, "needs Authorization: Bearer", nil},
		{"not JSON", call{"POST", "/hooks/alertmanager", "{", nil}, 400, "not valid JSON", nil},
		{"wrong type", call{"POST", "/hooks/alertmanager", `{"groupKey":"g","status":"firing","alerts":[{"labels":{"a":1}}]}`, nil}, 400, "must be a string", nil},
		{"not JSON content type", call{"POST", "/hooks/alertmanager", firing, map[string]string{"Content-Type": "text/plain"}}, 415, "must be JSON", nil},
		{"old version", call{"POST", "/hooks/alertmanager", `{"version":"3","groupKey":"g","status":"firing","alerts":[]}`, nil}, 400, "version \"3\"", nil},
		{"no group key", call{"POST", "/hooks/alertmanager", `{"version":"4","status":"firing","alerts":[{"status":"firing","fingerprint":"f"}]}`, nil}, 400, "groupKey is empty", nil},
		{"no alerts", call{"POST", "/hooks/alertmanager", `{"version":"4","groupKey":"g","status":"firing","alerts":[]}`, nil}, 400, "alerts is empty", nil},
		{"no fingerprint", call{"POST", "/hooks/alertmanager", `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"firing"}]}`, nil}, 400, "alerts[0].fingerprint", nil},
		{"bad alert status", call{"POST", "/hooks/alertmanager", `{"version":"4","groupKey":"g","status":"firing","alerts":[{"status":"burning","fingerprint":"f"}]}`, nil}, 400, "burning", nil},
		{"firing declares", call{"POST", "/hooks/alertmanager", firing, nil}, 200, "", map[string]any{"action": "declared", "incident": "INC-1"}},
		{"resend changes nothing", call{"POST", "/hooks/alertmanager", firing, nil}, 200, "", map[string]any{"action": "unchanged", "incident": "INC-1"}},
		{"title missing", call{"POST", "/api/v1/incidents", `{"severity":"SEV2"}`, nil}, 400, "needs a title", map[string]any{"field": "title"}},
		{"bad severity", call{"POST", "/api/v1/incidents", `{"title":"x","severity":"SEV9"}`, nil}, 400, "SEV9", map[string]any{"field": "severity"}},
		{"unknown service", call{"POST", "/api/v1/incidents", `{"title":"x","service":"nope"}`, nil}, 400, "not a known service", map[string]any{"field": "service"}},
		{"bad commander", call{"POST", "/api/v1/incidents", `{"title":"x","commander":"@alice"}`, nil}, 400, "member ID", map[string]any{"field": "commander"}},
		{"private not a bool", call{"POST", "/api/v1/incidents", `{"title":"x","private":"yes"}`, nil}, 400, "private must be true or false", nil},
		{"declare", call{"POST", "/api/v1/incidents", declare, map[string]string{"Idempotency-Key": "k-1"}}, 201, "", map[string]any{"id": "INC-2", "severity": "SEV2", "commander": "UALICE001", "declared_by": "api", "status": "investigating"}},
		{"declare replayed", call{"POST", "/api/v1/incidents", declare, map[string]string{"Idempotency-Key": "k-1"}}, 200, "", map[string]any{"id": "INC-2"}},
		{"key reused", call{"POST", "/api/v1/incidents", `{"title":"other"}`, map[string]string{"Idempotency-Key": "k-1"}}, 422, "different request", nil},
		{"private without commander", call{"POST", "/api/v1/incidents", `{"title":"secret thing","private":true}`, nil}, 400, "needs a commander", map[string]any{"field": "commander"}},
		{"private declare", call{"POST", "/api/v1/incidents", `{"title":"secret thing","private":true,"commander":"UBOB00002"}`, nil}, 201, "", map[string]any{"id": "INC-3", "private": true, "severity": "SEV4"}},
		{"get one", call{"GET", "/api/v1/incidents/INC-2", "", nil}, 200, "", map[string]any{"id": "INC-2", "title": "login broken"}},
		{"get by number", call{"GET", "/api/v1/incidents/3", "", nil}, 200, "", map[string]any{"title": "secret thing"}},
		{"get missing", call{"GET", "/api/v1/incidents/INC-99", "", nil}, 404, "INC-99 does not exist", nil},
		{"get bad id", call{"GET", "/api/v1/incidents/abc", "", nil}, 400, "not an incident ID", nil},
		{"bad status filter", call{"GET", "/api/v1/incidents?status=closed", "", nil}, 400, "status=open", nil},
	}
	for _, tt := range tests {
		// In order: later rows see what earlier ones declared.
		a := do(t, ts, tt.call)
		if a.status != tt.wantStatus {
			t.Errorf("%s: status %d, want %d; body %s", tt.name, a.status, tt.wantStatus, a.body)
			continue
		}
		if a.status == 401 && !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: no Bearer challenge", tt.name)
		}
		if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
		msg, _ := a.json["error"].(string)
		if (tt.wantError == "") != (msg == "") || !strings.Contains(msg, tt.wantError) {
			t.Errorf("%s: error %q, want one containing %q", tt.name, msg, tt.wantError)
		}
		for k, v := range tt.want {
			if a.json[k] != v {
				t.Errorf("%s: %s = %v, want %v (body %s)", tt.name, k, a.json[k], v, a.body)
			}
		}
	}
}

// A declaration retried with its Idempotency-Key and body answers 200 with
// the same incident and Idempotent-Replayed: true; the first answer has no
// such header.
func TestIdempotentReplayIsMarked(t *testing.T) {
	ts, _ := newAPI(t)
	key := map[string]string{"Idempotency-Key": "deploy-42"}
	first := do(t, ts, call{"POST", "/api/v1/incidents", `{"title":"deploy failed"}`, key})
	again := do(t, ts, call{"POST", "/api/v1/incidents", `{"title":"deploy failed"}`, key})
	if first.status != 201 || first.header.Get("Idempotent-Replayed") != "" {
		t.Errorf("first: %d, Idempotent-Replayed %q", first.status, first.header.Get("Idempotent-Replayed"))
	}
	if again.status != 200 || again.header.Get("Idempotent-Replayed") != "true" || again.json["id"] != first.json["id"] {
		t.Errorf("replay: %d, Idempotent-Replayed %q, id %v (first %v)", again.status, again.header.Get("Idempotent-Replayed"), again.json["id"], first.json["id"])
	}
}

// The list shows open incidents, private ones too (a token is an
// operator's), newest first; status=all adds resolved ones.
func TestListShowsEveryOpenIncident(t *testing.T) {
	ts, _ := newAPI(t)
	for _, body := range []string{`{"title":"one"}`, `{"title":"two","private":true,"commander":"UBOB00002"}`} {
		if a := do(t, ts, call{"POST", "/api/v1/incidents", body, nil}); a.status != 201 {
			t.Fatalf("declare: %d %s", a.status, a.body)
		}
	}
	a := do(t, ts, call{"GET", "/api/v1/incidents", "", nil})
	var got struct {
		Incidents []struct {
			ID      string `json:"id"`
			Private bool   `json:"private"`
		} `json:"incidents"`
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 {
		t.Fatalf("%d %s: %v", a.status, a.body, err)
	}
	if len(got.Incidents) != 2 || got.Incidents[0].ID != "INC-2" || !got.Incidents[0].Private || got.Incidents[1].ID != "INC-1" {
		t.Fatalf("list %+v", got.Incidents)
	}
}

// FuzzAlertmanager: no body makes the parser panic, and what it accepts
// is a notification the use-case accepts too.
func FuzzAlertmanager(f *testing.F) {
	f.Add([]byte(firing))
	f.Add([]byte(`{"version":"4","groupKey":"g","status":"resolved","alerts":[{"status":"resolved","fingerprint":"f","labels":null}]}`))
	f.Add([]byte(`{"alerts":[{}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, body []byte) {
		n, err := httpapi.ParseAlertmanager(body)
		if err != nil {
			if incident.ErrorCode(err) != incident.EINVALID || strings.Contains(incident.ErrorMessage(err), "\n") {
				t.Fatalf("error %v is not one EINVALID line", err)
			}
			return
		}
		if err := commands.ValidateAlerts(n); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
	})
}

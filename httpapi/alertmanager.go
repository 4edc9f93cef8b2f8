package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// AlertmanagerRoute receives Alertmanager's webhook notifications.
const AlertmanagerRoute = "POST /hooks/alertmanager"

// webhookPayload is Alertmanager's webhook body, version 4
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
// Fields Alertmanager may add later are ignored.
type webhookPayload struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []webhookAlert    `json:"alerts"`
}

type webhookAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

// ParseAlertmanager decodes and checks one webhook body. The error is
// EINVALID with a message naming what is wrong.
func ParseAlertmanager(body []byte) (commands.AlertNotification, error) {
	var p webhookPayload
	if err := decodeJSON(body, &p); err != nil {
		return commands.AlertNotification{}, incident.Errorf(incident.EINVALID, "the body is not an Alertmanager webhook: %s", jsonProblem(err))
	}
	return p.notification()
}

func (p webhookPayload) notification() (commands.AlertNotification, error) {
	if p.Version != "" && p.Version != "4" {
		return commands.AlertNotification{}, incident.Errorf(incident.EINVALID, "webhook version %q is not supported; this receiver reads version 4 (Alertmanager 0.16 and later)", clipHeader(p.Version))
	}
	n := commands.AlertNotification{
		GroupKey: p.GroupKey, Status: p.Status, Receiver: p.Receiver,
		GroupLabels: p.GroupLabels, CommonLabels: p.CommonLabels, CommonAnnotations: p.CommonAnnotations,
		ExternalURL: p.ExternalURL,
	}
	for _, a := range p.Alerts {
		n.Alerts = append(n.Alerts, commands.Alert{
			Status: a.Status, Labels: a.Labels, Annotations: a.Annotations,
			StartsAt: a.StartsAt, EndsAt: a.EndsAt, GeneratorURL: a.GeneratorURL, Fingerprint: a.Fingerprint,
		})
	}
	if err := commands.ValidateAlerts(n); err != nil {
		return commands.AlertNotification{}, err
	}
	return n, nil
}

// AlertReceiver is what the receiver needs of the use-cases.
type AlertReceiver interface {
	ReceiveAlerts(context.Context, commands.AlertNotification) (commands.AlertOutcome, error)
}

// alertAnswer is the receiver's 200 body: what the bot did, for
// Alertmanager's debug log and for people testing with curl.
type alertAnswer struct {
	Action   string `json:"action"`
	Incident string `json:"incident,omitempty"`
	Events   int    `json:"events,omitempty"`
	Reason   string `json:"reason,omitempty"`
}

// alertmanagerHandler applies each notification. It answers 200 once the
// outcome and its Slack effects are committed (the outbox performs them):
// Alertmanager retries on 5xx, and a retry is harmless, since a group
// resent adds nothing. Bad input is 400, which Alertmanager does not retry.
func alertmanagerHandler(svc AlertReceiver, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p webhookPayload
		if _, ok := decodeBody(w, r, &p); !ok {
			return
		}
		n, err := p.notification()
		if err != nil {
			writeFailure(w, log, "alertmanager notification", err)
			return
		}
		out, err := svc.ReceiveAlerts(r.Context(), n)
		if err != nil {
			writeFailure(w, log, "alertmanager notification", err)
			return
		}
		ans := alertAnswer{Action: out.Action, Events: out.Events, Reason: out.Reason}
		if out.Incident != nil {
			ans.Incident = out.Incident.ID()
		}
		log.Info().Str("receiver", n.Receiver).Str("action", out.Action).Str("incident", ans.Incident).Int("alerts", len(n.Alerts)).Str("reason", out.Reason).Msg("alertmanager notification")
		writeJSON(w, http.StatusOK, ans)
	})
}

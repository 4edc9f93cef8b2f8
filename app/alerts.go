package app

import (
	"net/http"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/httpapi"
	"github.com/incidentbot/incidentbot/ops"
)

// alertPolicy hands alertmanager: to the use-cases, which know no config.
func alertPolicy(a config.Alertmanager) commands.AlertPolicy {
	p := commands.AlertPolicy{
		DefaultMode: a.DefaultMode, TriageChannel: a.TriageChannel,
		SeverityLabel: a.SeverityLabel, Severities: a.Severities,
		ServiceLabel: a.ServiceLabel, MaxDeclaredPerMinute: a.MaxDeclaredPerMinute,
	}
	for _, r := range a.Rules {
		p.Rules = append(p.Rules, commands.AlertRule{Match: r.Match, Mode: r.Mode})
	}
	return p
}

// registerIntegrations serves the Alertmanager receiver and the incident
// API behind http.token. A token is an operator's: the API shows private
// incidents too, as the postmortem route does.
func registerIntegrations(srv *ops.Server, svc *commands.Service, token string, log zerolog.Logger) {
	guard := func(h http.Handler) http.Handler { return ops.RequireBearerJSON(token, h, log) }
	httpapi.Register(srv, svc, guard, log)
	if p := svc.Alerts; p.TriageChannel == "" && maySuggest(p) {
		// Each dropped group is answered "ignored" and logged at info,
		// which nobody reads until an alert storm has gone unnoticed.
		log.Warn().Msg("alertmanager.triage_channel is empty: alert groups to be suggested (by default_mode or rules, or beyond max_declared_per_minute) are dropped; set it to a channel ID")
	}
}

// maySuggest reports whether some alert group could be suggested: a mode
// says so, or a declaration could exceed the rate limit.
func maySuggest(p commands.AlertPolicy) bool {
	if p.DefaultMode != commands.AlertIgnore {
		return true // suggest, or declare and thus the rate limit
	}
	for _, r := range p.Rules {
		if r.Mode != commands.AlertIgnore {
			return true
		}
	}
	return false
}

package app

import (
	"io"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/templates"
)

// PostmortemRoute is where the ops listener serves an incident's
// postmortem draft, to callers with http.token only (see Open);
// `incidentbot export` points here while the bot holds the store.
const PostmortemRoute = "GET /incidents/{id}/postmortem.md"

// postmortemHandler serves the draft of the incident named in the path
// (INC-N or N): the same bytes as `incidentbot export` prints, people
// shown by user ID, because the ops listener answers from the store alone
// and never waits on Slack.
//
// Private incidents are served too: the caller holds the operators' token,
// and an operator sees every incident, as `incidentbot export` on the store
// does. Privacy on this route is the token itself (see docs/privacy.md).
func postmortemHandler(svc *commands.Service, tmpl *templates.Set, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := incident.ParseID(r.PathValue("id"))
		if err != nil {
			http.Error(w, incident.ErrorMessage(err), http.StatusBadRequest)
			return
		}
		id := incident.FormatID(n)
		draft, err := svc.DraftPostmortem(n, tmpl, nil)
		switch incident.ErrorCode(err) {
		case "":
		case incident.ENOTFOUND:
			http.Error(w, id+" does not exist", http.StatusNotFound)
			return
		default:
			log.Error().Err(err).Str("incident", id).Msg("postmortem draft for the ops listener failed")
			http.Error(w, "could not draft the postmortem of "+id+"; the bot's log has the details", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
		w.Header().Set("Content-Disposition", `inline; filename="`+id+`-postmortem.md"`)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = io.Copy(w, strings.NewReader(draft))
	})
}

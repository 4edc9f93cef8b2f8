package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// The incident API's routes.
const (
	DeclareRoute      = "POST /api/v1/incidents"
	ListRoute         = "GET /api/v1/incidents"
	IncidentRoute     = "GET /api/v1/incidents/{id}"
	IdempotencyHeader = "Idempotency-Key"
)

// maxListed bounds one list answer.
const maxListed = 500

// maxKey bounds an Idempotency-Key (a UUID is 36 characters).
const maxKey = 255

// userIDPattern is a Slack member ID: what the commander must be, since it
// is invited to the channel and mentioned on the card.
var userIDPattern = regexp.MustCompile(`^[UW][A-Z0-9]{2,}$`)

// Incidents is what the API needs of the use-cases.
type Incidents interface {
	DeclareOverAPI(ctx context.Context, in commands.DeclareInput, key, digest string) (commands.APIDeclareResult, error)
	AllIncidents(openOnly bool, limit int) ([]*incident.Incident, error)
	IncidentByNumber(number uint64) (*incident.Incident, error)
}

// declareRequest is POST /api/v1/incidents' body.
type declareRequest struct {
	Title     string `json:"title"`
	Severity  string `json:"severity"`
	Summary   string `json:"summary"`
	Service   string `json:"service"`
	Private   bool   `json:"private"`
	Commander string `json:"commander"`
}

// incidentJSON is an incident as the API shows it.
type incidentJSON struct {
	ID          string            `json:"id"`
	Number      uint64            `json:"number"`
	Title       string            `json:"title"`
	Summary     string            `json:"summary,omitempty"`
	Severity    string            `json:"severity"`
	Status      string            `json:"status"`
	Service     string            `json:"service,omitempty"`
	Private     bool              `json:"private"`
	Drill       bool              `json:"drill,omitempty"`
	DeclaredBy  string            `json:"declared_by"`
	Commander   string            `json:"commander,omitempty"`
	Roles       map[string]string `json:"roles,omitempty"`
	ChannelID   string            `json:"channel_id,omitempty"`
	ChannelName string            `json:"channel_name,omitempty"`
	DeclaredAt  time.Time         `json:"declared_at"`
	ResolvedAt  *time.Time        `json:"resolved_at,omitempty"`
	Resolution  string            `json:"resolution,omitempty"`
}

func toJSON(inc *incident.Incident) incidentJSON {
	j := incidentJSON{
		ID: inc.ID(), Number: inc.Number, Title: inc.Title, Summary: inc.Summary,
		Severity: inc.Severity, Status: string(inc.Status), Service: inc.Service,
		Private: inc.Private, Drill: inc.Drill, DeclaredBy: inc.DeclaredBy,
		Commander: inc.Holder(incident.RoleCommander), ChannelID: inc.ChannelID, ChannelName: inc.ChannelName,
		DeclaredAt: inc.DeclaredAt.UTC(), Resolution: inc.Resolution,
	}
	roles := map[string]string{}
	for r, u := range inc.Roles {
		if u != "" {
			roles[r] = u
		}
	}
	if len(roles) > 0 {
		j.Roles = roles
	}
	if !inc.ResolvedAt.IsZero() {
		t := inc.ResolvedAt.UTC()
		j.ResolvedAt = &t
	}
	return j
}

// declareHandler declares as the form does. With an Idempotency-Key, the
// first request answers 201 and a retry with the same key and body 200
// with the same incident.
func declareHandler(svc Incidents, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimSpace(r.Header.Get(IdempotencyHeader))
		if len(key) > maxKey {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("the %s header is longer than %d characters", IdempotencyHeader, maxKey))
			return
		}
		var req declareRequest
		raw, ok := decodeBody(w, r, &req)
		if !ok {
			return
		}
		if req.Commander = strings.TrimSpace(req.Commander); req.Commander != "" && !userIDPattern.MatchString(req.Commander) {
			writeJSON(w, http.StatusBadRequest, errorBody{Field: "commander", Error: fmt.Sprintf("commander %q is not a Slack member ID; copy it from the person's profile (⋮ → Copy member ID), e.g. U0123ABCD", clipHeader(req.Commander))})
			return
		}
		sum := sha256.Sum256(raw)
		res, err := svc.DeclareOverAPI(r.Context(), commands.DeclareInput{
			Title: req.Title, Severity: req.Severity, Summary: req.Summary, Service: req.Service,
			Private: req.Private, Commander: req.Commander,
		}, key, hex.EncodeToString(sum[:]))
		if incident.ErrorCode(err) == incident.ECONFLICT {
			// RFC draft "The Idempotency-Key HTTP Header Field": a key reused
			// for another request is 422.
			writeError(w, http.StatusUnprocessableEntity, incident.ErrorMessage(err))
			return
		}
		if err != nil {
			writeFailure(w, log, "declare", err)
			return
		}
		w.Header().Set("Location", "/api/v1/incidents/"+res.Incident.ID())
		if res.Replayed {
			// Stripe's header: a script can tell a retry's answer from a
			// declaration without comparing IDs.
			w.Header().Set("Idempotent-Replayed", "true")
			writeJSON(w, http.StatusOK, toJSON(res.Incident))
			return
		}
		log.Info().Str("incident", res.Incident.ID()).Str("severity", res.Incident.Severity).Msg("incident declared over the API")
		writeJSON(w, http.StatusCreated, toJSON(res.Incident))
	})
}

// listHandler lists incidents, newest first: the open ones, or with
// ?status=all every one (at most maxListed).
func listHandler(svc Incidents, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status := r.URL.Query().Get("status")
		if status != "" && status != "open" && status != "all" {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("status=%q: use status=open (the default) or status=all", clipHeader(status)))
			return
		}
		incs, err := svc.AllIncidents(status != "all", maxListed)
		if err != nil {
			writeFailure(w, log, "list incidents", err)
			return
		}
		out := struct {
			Incidents []incidentJSON `json:"incidents"`
		}{Incidents: []incidentJSON{}}
		for _, inc := range incs {
			out.Incidents = append(out.Incidents, toJSON(inc))
		}
		writeJSON(w, http.StatusOK, out)
	})
}

// incidentHandler returns one incident, by INC-N or N.
func incidentHandler(svc Incidents, log zerolog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, err := incident.ParseID(r.PathValue("id"))
		if err != nil {
			writeFailure(w, log, "read incident", err)
			return
		}
		inc, err := svc.IncidentByNumber(n)
		if err != nil {
			writeFailure(w, log, "read incident", err)
			return
		}
		writeJSON(w, http.StatusOK, toJSON(inc))
	})
}

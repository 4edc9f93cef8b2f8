// Package httpapi translates the HTTP integrations into use-cases: the
// Alertmanager receiver (POST /hooks/alertmanager) and the incident API
// (/api/v1/incidents). Every answer is JSON; an error is {"error": "..."}
// with a status code that says whose fault it was. The routes are served by
// the ops listener behind its bearer token (see Register).
package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// maxBody bounds a request body. Alertmanager sends every alert of a group
// (up to its receiver's max_alerts, unlimited by default); a few megabytes
// hold thousands of alerts.
const maxBody = 4 << 20

// writeJSON answers status with v.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// errorBody is every error's JSON.
type errorBody struct {
	Error string `json:"error"`
	// Field names the request field at fault, when one is.
	Field string `json:"field,omitempty"`
}

// writeError answers status with a one-line message.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// writeFailure answers a use-case's error: the user's fault is 4xx with
// its message, anything else 500 with the details in the log only.
func writeFailure(w http.ResponseWriter, log zerolog.Logger, what string, err error) {
	body := errorBody{Error: incident.ErrorMessage(err)}
	var fe *commands.FieldError
	if errors.As(err, &fe) {
		body.Field = fe.Field
	}
	switch incident.ErrorCode(err) {
	case incident.EINVALID:
		writeJSON(w, http.StatusBadRequest, body)
	case incident.ENOTFOUND:
		writeJSON(w, http.StatusNotFound, body)
	case incident.ECONFLICT:
		writeJSON(w, http.StatusConflict, body)
	case incident.EUNAVAILABLE:
		// Nothing was saved and the bot is restarting: Alertmanager and
		// careful scripts retry a 503.
		w.Header().Set("Retry-After", "30")
		writeJSON(w, http.StatusServiceUnavailable, body)
	default:
		log.Error().Err(err).Msg(what + " failed")
		writeError(w, http.StatusInternalServerError, what+" failed inside the bot; its log has the details. Retrying is safe.")
	}
}

// decodeBody reads a JSON body into v, answering the error itself (and
// returning false) when it cannot.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) ([]byte, bool) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(strings.ToLower(ct), "application/json") {
		writeError(w, http.StatusUnsupportedMediaType, fmt.Sprintf("the body must be JSON (Content-Type: application/json), not %q", clipHeader(ct)))
		return nil, false
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		writeError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", maxBody))
		return nil, false
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the body: "+err.Error())
		return nil, false
	}
	if len(strings.TrimSpace(string(raw))) == 0 {
		writeError(w, http.StatusBadRequest, "the body is empty; send a JSON object")
		return nil, false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		writeError(w, http.StatusBadRequest, "the body is not valid JSON for this route: "+jsonProblem(err))
		return nil, false
	}
	return raw, true
}

// jsonProblem says what is wrong with a body in one line, naming the field
// when encoding/json knows it.
func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s must be %s, not %s", te.Field, kind(te.Type.String()), te.Value)
		}
		return fmt.Sprintf("expected %s, got %s", kind(te.Type.String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s (at byte %d)", se.Error(), se.Offset)
	}
	return err.Error()
}

func kind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "map["):
		return "an object of strings"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	case goType == "time.Time":
		return "an RFC 3339 time"
	default:
		return "an object"
	}
}

func clipHeader(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// decodeJSON decodes body into v (unknown fields are allowed: Alertmanager
// and scripts may send more than we read).
func decodeJSON(body []byte, v any) error { return json.Unmarshal(body, v) }

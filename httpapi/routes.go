package httpapi

import (
	"fmt"
	"net/http"

	"github.com/rs/zerolog"
)

// Service is what the routes need of the use-cases (*commands.Service).
type Service interface {
	AlertReceiver
	Incidents
}

// Mux is where routes go (*ops.Server).
type Mux interface {
	Handle(pattern string, h http.Handler)
}

// Register adds the integration routes to mux, each wrapped by guard (the
// ops listener's bearer-token check). The caller registers nothing without
// a token: the routes then do not exist (404).
func Register(mux Mux, svc Service, guard func(http.Handler) http.Handler, log zerolog.Logger) {
	mux.Handle(AlertmanagerRoute, guard(alertmanagerHandler(svc, log)))
	mux.Handle(DeclareRoute, guard(declareHandler(svc, log)))
	mux.Handle(ListRoute, guard(listHandler(svc, log)))
	mux.Handle(IncidentRoute, guard(incidentHandler(svc, log)))
	// Other methods on these paths: a JSON 405 like every other answer
	// (the mux's own is plain text), and only past the token check.
	mux.Handle("/hooks/alertmanager", guard(methodNotAllowed("POST")))
	mux.Handle("/api/v1/incidents", guard(methodNotAllowed("GET, HEAD, POST")))
	mux.Handle("/api/v1/incidents/{id}", guard(methodNotAllowed("GET, HEAD")))
}

func methodNotAllowed(allow string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not served here; use %s", clipHeader(r.Method), allow))
	})
}

package httpapi

import (
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
}

package outbox

import (
	"context"

	"github.com/incidentbot/incidentbot/store"
)

// ByKind routes each job to the performer registered for its kind, and any
// other job to fallback (the Slack performer): one worker, one durable
// queue, several destinations.
func ByKind(fallback Performer, routes map[string]Performer) Performer {
	if len(routes) == 0 {
		return fallback
	}
	return router{fallback: fallback, routes: routes}
}

type router struct {
	fallback Performer
	routes   map[string]Performer
}

func (r router) Perform(ctx context.Context, job store.Job) (Apply, error) {
	if p, ok := r.routes[job.Kind]; ok {
		return p.Perform(ctx, job)
	}
	return r.fallback.Perform(ctx, job)
}

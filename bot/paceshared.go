package bot

import (
	"context"
	"encoding/json"
	"time"
)

// SharedPace is a store that replicas share and that keeps the pacer's
// schedule for all of them (the PostgreSQL store). The state is the
// pacer's own record (encodePace), which the store keeps as given.
type SharedPace interface {
	// SlackPace returns the state stored for the limit key, read without
	// waiting for a change under way; nil when none was stored.
	SlackPace(ctx context.Context, key string) ([]byte, error)
	// PaceSlack replaces the state for key with what change makes of it
	// (nil: none stored), atomically across replicas.
	PaceSlack(ctx context.Context, key string, change func(state []byte) ([]byte, error)) error
}

// paceKey names the limit the pacer keeps to in a SharedPace.
const paceKey = "chat.postMessage"

// paceRecord is paceState as a SharedPace keeps it: instants in Unix
// nanoseconds (0: none), so that it reads the same on every replica.
type paceRecord struct {
	LastChannel string  `json:"last_channel,omitempty"`
	LastUntil   int64   `json:"last_until,omitempty"`
	Engaged     bool    `json:"engaged,omitempty"`
	Until       int64   `json:"until,omitempty"`
	Cursor      int64   `json:"cursor,omitempty"`
	Urgent      int64   `json:"urgent,omitempty"`
	Tokens      float64 `json:"tokens,omitempty"`
	At          int64   `json:"at,omitempty"`
}

func encodePace(s paceState) ([]byte, error) {
	return json.Marshal(paceRecord{
		LastChannel: s.lastChannel, LastUntil: unixNano(s.lastUntil),
		Engaged: s.engaged, Until: unixNano(s.until), Cursor: unixNano(s.cursor), Urgent: unixNano(s.urgent),
		Tokens: s.tokens, At: unixNano(s.at),
	})
}

// decodePace reads what encodePace wrote. A record it cannot read (none
// yet, or written by another version) is an idle pacer, which the next
// refusal writes afresh.
func decodePace(raw []byte) paceState {
	var r paceRecord
	if len(raw) == 0 || json.Unmarshal(raw, &r) != nil {
		return paceState{}
	}
	return paceState{
		lastChannel: r.LastChannel, lastUntil: fromUnixNano(r.LastUntil),
		engaged: r.Engaged, until: fromUnixNano(r.Until), cursor: fromUnixNano(r.Cursor), urgent: fromUnixNano(r.Urgent),
		tokens: r.Tokens, at: fromUnixNano(r.At),
	}
}

func unixNano(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time {
	if ns == 0 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

package storecopy

import (
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// The resolution indexes (postmortem nudge, auto-archive) are copied as they
// stand: an entry already acted on stays gone, one still waiting keeps its
// time, which is the record's resolution time when it has one (see at).

// entries are one resolved incident's places in the resolution indexes.
type entries struct {
	nudge, archive *store.Nudge
}

// resolutionEntries reads both resolution indexes of in by incident.
func resolutionEntries(in store.Tx) (map[uint64]entries, error) {
	out := map[uint64]entries{}
	nudges, err := in.PostmortemNudges(end)
	if err != nil {
		return nil, err
	}
	for _, n := range nudges {
		e := out[n.Incident]
		e.nudge = &n
		out[n.Incident] = e
	}
	archives, err := in.ArchivesDue(end, 0)
	if err != nil {
		return nil, err
	}
	for _, n := range archives {
		e := out[n.Incident]
		e.archive = &n
		out[n.Incident] = e
	}
	return out, nil
}

// at puts the entries at inc's resolution time when its record has one:
// the store enters a resolution at ResolvedAt, so an entry at another
// time is damage (`incidentbot check` reports it), which the copy mends.
func (e entries) at(inc *incident.Incident) entries {
	if inc.ResolvedAt.IsZero() {
		return e
	}
	for _, n := range []**store.Nudge{&e.nudge, &e.archive} {
		if *n != nil {
			*n = &store.Nudge{Incident: inc.Number, Resolved: inc.ResolvedAt}
		}
	}
	return e
}

// resolveAt enters the open copy of inc into the resolution indexes as
// the source has it, then stores inc as it is. Resolving enters both
// indexes at once, at ResolvedAt; an entry the source no longer has is
// dropped again. The two entries normally share inc's ResolvedAt, but a
// resolution stored without one was entered at the time of each index's
// write, which may differ: then the copy is resolved once per time, put
// back to open in between (a step only the store allows, never the bot,
// and undone within this transaction).
func resolveAt(out store.Tx, inc *incident.Incident, idx entries) error {
	var times []time.Time
	for _, e := range []*store.Nudge{idx.nudge, idx.archive} {
		if e != nil && (len(times) == 0 || !times[0].Equal(e.Resolved)) {
			times = append(times, e.Resolved)
		}
	}
	holds := func(e *store.Nudge, at time.Time) bool { return e != nil && e.Resolved.Equal(at) }
	for i, at := range times {
		rec := *inc
		if i > 0 {
			rec.Status, rec.ResolvedAt = incident.Investigating, time.Time{}
			if err := out.PutIncident(&rec); err != nil {
				return err
			}
			rec = *inc
		}
		rec.ResolvedAt = at
		if err := out.PutIncident(&rec); err != nil {
			return err
		}
		entry := store.Nudge{Incident: inc.Number, Resolved: at}
		if !holds(idx.nudge, at) {
			if err := out.DropPostmortemNudge(entry); err != nil {
				return err
			}
		}
		if !holds(idx.archive, at) {
			if err := out.DropArchive(entry); err != nil {
				return err
			}
		}
	}
	rec := *inc
	return out.PutIncident(&rec)
}

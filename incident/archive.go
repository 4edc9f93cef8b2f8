package incident

import "time"

// ArchiveDecision is what the auto-archive rule says about an incident.
type ArchiveDecision int

const (
	// ArchiveNever: auto-archive is off, the incident is open, or its
	// channel has already been archived. An open incident is never
	// archived: people are still working in its channel.
	ArchiveNever ArchiveDecision = iota
	// ArchiveNotYet: resolved, but archive_after has not passed.
	ArchiveNotYet
	// ArchiveWait: the time has passed but there is no postmortem draft
	// and the commander has not confirmed; the channel stays, because it
	// is where the postmortem gets written.
	ArchiveWait
	// ArchiveNow: archive the channel.
	ArchiveNow
)

// ArchiveDecision applies the auto-archive rule at now: a resolved incident
// is archived once after has passed since its resolution and either its
// postmortem was drafted or the commander confirmed. after ≤ 0 means
// never.
func (i *Incident) ArchiveDecision(after time.Duration, now time.Time, confirmed bool) ArchiveDecision {
	switch {
	case after <= 0 || i.Open() || !i.ArchivedAt.IsZero():
		return ArchiveNever
	case i.ResolvedAt.Add(after).After(now):
		return ArchiveNotYet
	case i.PostmortemAt.IsZero() && !confirmed:
		return ArchiveWait
	}
	return ArchiveNow
}

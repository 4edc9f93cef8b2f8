package commands

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// Auto-archive (incidents.archive_after): archive_after after its
// resolution, a resolved incident's channel is archived, with a notice in
// the channel first, provided its postmortem was drafted. Without a draft
// the bot says it will archive once one is drafted, and offers the
// commander an "Archive now" button (the commander's confirmation). The
// schedule is the store's archive_due index, fired by the reminder
// scheduler in the same transaction that enqueues the side effects, so an
// archive happens once across restarts.
const (
	// JobArchiveWaiting posts "archived once the postmortem is drafted",
	// with the commander's Archive now button.
	JobArchiveWaiting = "archive_waiting"
	// JobArchiveChannel archives the incident channel
	// (conversations.archive); it runs after the notice, the outbox being
	// in order within an incident.
	JobArchiveChannel = "archive_channel"
	// TemplateArchiveNotice is the notice posted right before archiving.
	TemplateArchiveNotice = "archive_notice.tmpl"
)

// nextArchive is when the earliest entry of the archive index is due:
// archive_after after its resolution, or at once when auto-archive is off
// (to drop it; the store indexes nothing then, see
// store.Options.IndexArchives, but a file may hold entries from a run
// with it on).
func (s *Service) nextArchive() (time.Time, bool, error) {
	n, ok, err := s.Store.NextArchive()
	if err != nil || !ok {
		return time.Time{}, false, err
	}
	return n.Resolved.Add(max(s.ArchiveAfter, 0)), true, nil
}

// fireArchives considers up to room entries of the archive index due at
// now, in tx; it adds to res the incidents archived, those now waiting for
// a postmortem and the entries dropped because their record could not be
// read, and reports whether more entries are due.
func (s *Service) fireArchives(tx store.Tx, now time.Time, room int, res *DueResult) (more bool, err error) {
	cutoff := now
	if s.ArchiveAfter > 0 {
		cutoff = now.Add(-s.ArchiveAfter)
	}
	ns, err := tx.ArchivesDue(cutoff, room+1)
	if err != nil {
		return false, err
	}
	if len(ns) > room {
		ns, more = ns[:room], true
	}
	for _, n := range ns {
		if err := tx.DropArchive(n); err != nil {
			return false, err
		}
		inc, err := tx.Incident(n.Incident)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			// A record that cannot be read must not hold up the others:
			// its entry goes, the operator hears of it.
			res.Skipped = append(res.Skipped, fmt.Errorf("auto-archive of %s dropped: %w", incident.FormatID(n.Incident), err))
			continue
		}
		switch inc.ArchiveDecision(s.ArchiveAfter, now, false) {
		case incident.ArchiveNow:
			if err := s.archive(tx, inc, now, ""); err != nil {
				return false, err
			}
			res.Archived = append(res.Archived, inc.Number)
		case incident.ArchiveWait:
			inc.WaitForArchive()
			if err := tx.PutIncident(inc); err != nil {
				return false, err
			}
			if err := enqueue(tx, inc.Number, JobArchiveWaiting, nil); err != nil {
				return false, err
			}
			res.ArchiveWaiting = append(res.ArchiveWaiting, inc.Number)
		}
	}
	return more, nil
}

// archive records the decision to archive inc's channel and enqueues the
// notice and then the archiving. by is the commander who confirmed, "" when
// the postmortem draft sufficed.
func (s *Service) archive(tx store.Tx, inc *incident.Incident, now time.Time, by string) error {
	ev, err := inc.Archive(by, now)
	if err != nil {
		return err
	}
	if err := tx.PutIncident(inc); err != nil {
		return err
	}
	if ev, err = s.appendEvent(tx, inc, ev); err != nil {
		return err
	}
	if err := enqueuePost(tx, inc.Number, TargetChannel, TemplateArchiveNotice, ev); err != nil {
		return err
	}
	return enqueue(tx, inc.Number, JobArchiveChannel, nil)
}

// archiveIfWaiting archives inc now if its archive was only waiting for the
// postmortem draft just recorded; the caller has enqueued the draft's
// upload already, so the upload comes before the archiving.
func (s *Service) archiveIfWaiting(tx store.Tx, inc *incident.Incident, now time.Time) error {
	if !inc.ArchiveWaiting || inc.ArchiveDecision(s.ArchiveAfter, now, false) != incident.ArchiveNow {
		return nil
	}
	return s.archive(tx, inc, now, "")
}

// ArchiveNowInput is the commander's click on "Archive now".
type ArchiveNowInput struct {
	// Channel is where the button was clicked: the incident's channel.
	Channel string
	By      string
	// IdempotencyKey identifies the click, so a click delivered twice
	// archives once.
	IdempotencyKey string
}

// ArchiveNowResult is the outcome of ArchiveNow.
type ArchiveNowResult struct {
	Incident  *incident.Incident
	Duplicate bool
}

// ArchiveNow archives the channel of a resolved incident whose archive is
// waiting for a postmortem, on its commander's confirmation. Anyone else's
// click, an open incident, or one already archived is refused with a reason.
func (s *Service) ArchiveNow(ctx context.Context, in ArchiveNowInput) (ArchiveNowResult, error) {
	if in.By == "" {
		return ArchiveNowResult{}, incident.Errorf(incident.EINVALID, "archiving needs the user who asks")
	}
	var res ArchiveNowResult
	dup, err := s.runIn(ctx, "archive now in "+in.Channel, deliveryKey("archive", in.IdempotencyKey), in.Channel, func(tx store.Tx, inc *incident.Incident, now time.Time) error {
		res = ArchiveNowResult{}
		if cmdr := inc.Holder(incident.RoleCommander); cmdr != in.By {
			return incident.Errorf(incident.ECONFLICT, "Only %s's commander can archive its channel before the postmortem is drafted.", inc.ID())
		}
		switch inc.ArchiveDecision(s.ArchiveAfter, now, true) {
		case incident.ArchiveNow:
		case incident.ArchiveNotYet:
			return incident.Errorf(incident.ECONFLICT, "%s's channel is not due for archiving yet.", inc.ID())
		default:
			switch {
			case inc.Open():
				return incident.Errorf(incident.ECONFLICT, "%s is open; an open incident's channel is never archived.", inc.ID())
			case !inc.ArchivedAt.IsZero():
				return incident.Errorf(incident.ECONFLICT, "%s's channel is already being archived.", inc.ID())
			}
			return incident.Errorf(incident.ECONFLICT, "Auto-archive is off, so %s's channel stays.", inc.ID())
		}
		if err := s.archive(tx, inc, now, in.By); err != nil {
			return err
		}
		res.Incident = inc
		return nil
	})
	if err != nil {
		return ArchiveNowResult{}, err
	}
	if dup {
		inc, err := s.IncidentInChannel(in.Channel)
		return ArchiveNowResult{Incident: inc, Duplicate: true}, err
	}
	return res, nil
}

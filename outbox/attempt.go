package outbox

import (
	"context"

	"github.com/incidentbot/incidentbot/store"
)

// attempt runs one try of j, records its outcome in the store and reports
// it for the in-memory queue.
func (w *Worker) attempt(shutdown context.Context, j store.Job, lane string) finished {
	log := jobLog{base: &w.opt.Log, id: j.ID, kind: j.Kind, attempt: j.Attempts + 1, incident: j.Incident}
	ctx, cancel := context.WithTimeout(shutdown, w.opt.JobTimeout)
	defer cancel()

	apply, err := w.opt.Performer.Perform(ctx, j)
	if shutdown.Err() != nil {
		// Cut short by shutdown: whatever happened, the job stays pending and
		// its performer must cope with a possible earlier partial run.
		log.Warn().Err(err).Msg("outbox: job interrupted by shutdown; it will run again on start")
		return finished{lane: lane, interrupted: true}
	}
	st := w.opt.Store
	switch {
	case err == nil:
		if err = w.done.complete(j.ID, apply); err != nil {
			log.Error().Err(err).Msg("outbox: store job result; the job will run again")
			return finished{lane: lane, job: w.reschedule(j, err, nil, log)}
		}
		w.opt.Metrics.OutboxDone(j.Kind)
		log.Debug().Msg("outbox: job done")
		return finished{lane: lane, done: true}
	case IsPermanent(err) || (!rateLimited(err) && j.Attempts+1 >= w.opt.MaxAttempts):
		w.opt.Metrics.OutboxFailure(j.Kind, true)
		log.Error().Err(err).Msg("outbox: job failed permanently; recorded on the timeline")
		uerr := st.Update(context.Background(), func(tx store.Tx) error {
			if w.opt.OnPermanent != nil {
				if err := w.opt.OnPermanent(tx, j, err); err != nil {
					return err
				}
			}
			return tx.CompleteJob(j.ID)
		})
		if uerr != nil {
			log.Error().Err(uerr).Msg("outbox: record permanent failure; will try again")
			return finished{lane: lane, job: w.reschedule(j, uerr, nil, log)}
		}
		return finished{lane: lane, done: true}
	case rateLimited(err):
		return finished{lane: lane, job: w.reschedule(j, err, apply, log)}
	default:
		w.opt.Metrics.OutboxFailure(j.Kind, false)
		return finished{lane: lane, job: w.reschedule(j, err, apply, log)}
	}
}

// reschedule records the next attempt of j, with progress (the results of
// calls the attempt made before it failed; may be nil), and returns j as
// rescheduled. A rate limit is a wait, not a failure: Slack refused the call,
// so it neither counts as an attempt (toward MaxAttempts or the backoff) nor
// leaves the job uncertain. Any other failure may have taken effect (a
// timeout, a 5xx, an answer lost on the way back), so it sets MaybeDone.
func (w *Worker) reschedule(j store.Job, cause error, progress Apply, log jobLog) store.Job {
	next := j
	delay, limited := retryDelay(cause)
	if limited {
		delay = RateLimitDelay(delay, w.opt.Rand())
		log.Debug().Err(cause).Dur("retry_in", delay).Msg("outbox: rate limited; waiting")
	} else {
		next.Attempts++
		next.MaybeDone = true
		delay = Backoff(next.Attempts, w.opt.BaseDelay, w.opt.MaxDelay, w.opt.Rand())
		log.Warn().Err(cause).Dur("retry_in", delay).Msg("outbox: job failed; will retry")
	}
	next.NotBefore, next.LastError = w.opt.Clock.Now().Add(delay), cause.Error()
	err := w.done.commit(func(tx store.Tx) error {
		if progress != nil {
			if err := progress(tx); err != nil {
				return err
			}
		}
		if err := tx.RescheduleJob(j.ID, next.Attempts, next.NotBefore, next.LastError); err != nil {
			return err
		}
		if next.MaybeDone && !j.MaybeDone {
			return tx.MarkJobMaybeDone(j.ID)
		}
		return nil
	})
	if err != nil {
		// The progress is lost with the transaction: what the attempt did
		// is now unknown to the next one.
		log.Error().Err(err).Msg("outbox: reschedule job")
		next.MaybeDone = true
	}
	return next
}

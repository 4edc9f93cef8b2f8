// Package scheduler fires incidentbot's reminders on time. One goroutine
// sleeps on a single timer set for the earliest due time in the store's
// reminder index (never polling the incidents), wakes early when a commit
// changes the schedule, and on start fires at once, and once, whatever fell
// due while the bot was down.
package scheduler

import (
	"context"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/trigger"
	"github.com/incidentbot/incidentbot/internal/wake"
)

// Reminders is what the scheduler drives; *commands.Service satisfies it.
type Reminders interface {
	// DueReminders fires everything due at now, durably.
	DueReminders(ctx context.Context, now time.Time) (commands.DueResult, error)
	// NextDue is the earliest time anything is due, false if nothing is.
	NextDue() (time.Time, bool, error)
}

// Options configures a Scheduler. Reminders is required.
type Options struct {
	Reminders Reminders
	// Wake is the store's OnSchedule signal: made first and given to
	// both, so the scheduler hears of every change to the schedule. Nil:
	// it reads the schedule only on start, on its timer and on Trigger.
	Wake  *wake.Signal
	Clock clock.Clock
	Log   zerolog.Logger
	// RetryDelay is the first wait after a failed cycle (default 1s); it
	// doubles on each failure in a row up to MaxRetryDelay (default 1m).
	RetryDelay, MaxRetryDelay time.Duration
	// Poll, when set, is the longest the scheduler sleeps. Over a store
	// that replicas share, a commit notifies only the replica that made
	// it: another replica may schedule a reminder earlier than anything
	// this one knows of, and die before firing it. 0 (one process, one
	// store): sleep until woken or something is due.
	Poll time.Duration
}

// Scheduler fires reminders when they fall due. Create it with New, wire
// Options.Wake to the store's OnSchedule and start it with Run.
type Scheduler struct {
	opt     Options
	wake    *wake.Signal
	trigger trigger.Requests

	mu     sync.Mutex
	cycles uint64
}

// New returns a Scheduler with defaults filled in.
func New(opt Options) *Scheduler {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.RetryDelay <= 0 {
		opt.RetryDelay = time.Second
	}
	if opt.MaxRetryDelay <= 0 {
		opt.MaxRetryDelay = time.Minute
	}
	if opt.Wake == nil {
		opt.Wake = wake.New()
	}
	return &Scheduler{opt: opt, wake: opt.Wake, trigger: trigger.New()}
}

// Trigger runs one cycle now (firing whatever is due on the scheduler's
// clock) and returns once that cycle has finished and the scheduler is
// waiting again, or when ctx ends. Tests
// use it to step the scheduler without waiting on real time. It must not be
// called from OnSchedule: it blocks.
func (s *Scheduler) Trigger(ctx context.Context) error {
	return s.trigger.Run(ctx)
}

// Cycles is how many cycles have run; a test that proves the scheduler
// idles reads it before and after.
func (s *Scheduler) Cycles() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cycles
}

// Run fires reminders until ctx ends, and returns nil then. Between cycles
// it blocks on one timer (set for the earliest due time, or none when
// nothing is scheduled), Options.Wake and Trigger, so an idle scheduler costs no
// CPU. A failing cycle is logged and retried with backoff; it never stops
// the loop.
func (s *Scheduler) Run(ctx context.Context) error {
	var (
		waiters []chan struct{}
		failed  int
	)
	defer func() {
		for _, w := range waiters {
			close(w)
		}
	}()
	for {
		wait, ok := s.cycle(ctx, &failed)
		if s.opt.Poll > 0 && (!ok || wait > s.opt.Poll) {
			wait, ok = s.opt.Poll, true
		}
		var timer <-chan time.Time
		stop := func() {}
		if ok {
			timer, stop = s.opt.Clock.After(wait)
		}
		// Release Trigger callers only now, asleep again, so that a test
		// moving a fake clock next cannot slip in before the timer is set.
		for _, w := range waiters {
			close(w)
		}
		waiters = waiters[:0]
		select {
		case <-ctx.Done():
			stop()
			return nil
		case <-s.wake.C():
		case w := <-s.trigger:
			waiters = append(waiters, w)
		case <-timer:
		}
		stop()
	}
}

// cycle fires what is due and returns how long to sleep before the next
// cycle (false: until woken).
func (s *Scheduler) cycle(ctx context.Context, failed *int) (time.Duration, bool) {
	defer func() {
		s.mu.Lock()
		s.cycles++
		s.mu.Unlock()
	}()
	res, err := s.opt.Reminders.DueReminders(ctx, s.opt.Clock.Now())
	s.logFired(res)
	// Firing changed the schedule, and its commit has already notified:
	// drop that wake-up, so one firing costs one cycle. A commit after the
	// drain notifies again, and one before it is seen by NextDue below.
	select {
	case <-s.wake.C():
	default:
	}
	if err == nil {
		var next time.Time
		var ok bool
		if next, ok, err = s.opt.Reminders.NextDue(); err == nil {
			*failed = 0
			if !ok {
				return 0, false
			}
			return max(next.Sub(s.opt.Clock.Now()), 0), true
		}
	}
	if ctx.Err() != nil {
		return 0, false // shutting down: the next start fires what is left
	}
	*failed++
	delay := s.opt.RetryDelay << min(*failed-1, 16)
	if delay > s.opt.MaxRetryDelay || delay <= 0 {
		delay = s.opt.MaxRetryDelay
	}
	s.opt.Log.Error().Err(err).Int("failures", *failed).Dur("retry_in", delay).Msg("scheduler: reminders not fired; will retry")
	return delay, true
}

func (s *Scheduler) logFired(res commands.DueResult) {
	for _, n := range res.Reminded {
		s.opt.Log.Info().Str("incident", incident.FormatID(n)).Msg("status-update reminder fired")
	}
	for _, n := range res.Nudged {
		s.opt.Log.Info().Str("incident", incident.FormatID(n)).Msg("postmortem reminder fired")
	}
	for _, n := range res.Archived {
		s.opt.Log.Info().Str("incident", incident.FormatID(n)).Msg("auto-archive: channel archiving")
	}
	for _, n := range res.ArchiveWaiting {
		s.opt.Log.Info().Str("incident", incident.FormatID(n)).Msg("auto-archive: waiting for the postmortem or the commander")
	}
	for _, err := range res.Skipped {
		s.opt.Log.Error().Err(err).Msg("scheduler: reminder dropped")
	}
}

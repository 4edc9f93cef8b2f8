package outbox

import (
	"context"
	"errors"
	"sync"

	"github.com/incidentbot/incidentbot/store"
)

// completer stores the results of jobs that finish together, and marks
// them done (or records their next attempt), in one transaction: while one
// group commits, the jobs that finish meanwhile queue up, and the next
// commit takes them all. A lone
// job commits at once, as before. The store's own grouping (bbolt's
// Batch) starts a new group every couple of milliseconds whether or not
// the previous commit is through, so in a burst (10,000 reminders) the
// commits, each with its fsync, queued behind one another a few jobs
// each; here a group is everything that finished during the previous
// commit.
type completer struct {
	st Store

	mu    sync.Mutex
	queue []*completion
	busy  bool // a flush is running; it takes what is queued
}

type completion struct {
	run func(tx store.Tx) error // what one job records; no side effects outside tx
	err chan error
}

// complete stores apply's result (apply may be nil) and completes job id
// in a transaction it may share with other jobs; it returns once that
// transaction committed, or failed.
func (c *completer) complete(id uint64, apply Apply) error {
	return c.commit(func(tx store.Tx) error {
		if apply != nil {
			if err := apply(tx); err != nil {
				return err
			}
		}
		return tx.CompleteJob(id)
	})
}

// commit runs fn in a transaction it may share with other jobs' (fn must
// have no effect outside tx; it may run more than once), and returns once
// that transaction committed, or failed.
func (c *completer) commit(fn func(tx store.Tx) error) error {
	cp := &completion{run: fn, err: make(chan error, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, cp)
	if !c.busy {
		c.busy = true
		go c.flush()
	}
	c.mu.Unlock()
	return <-cp.err
}

// flush commits what is queued, group after group, until nothing is.
func (c *completer) flush() {
	for {
		c.mu.Lock()
		group := c.queue
		c.queue = nil
		if len(group) == 0 {
			c.busy = false
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
		c.commitGroup(group)
	}
}

// errCompletion marks a failure of one completion's function in a group.
var errCompletion = errors.New("a completion in the group failed")

// commitGroup commits group in one transaction. When one job's record
// cannot be stored, each job commits on its own, so that only that job
// fails.
func (c *completer) commitGroup(group []*completion) {
	if len(group) == 1 {
		group[0].err <- c.st.Update(context.Background(), group[0].run)
		return
	}
	err := c.st.Update(context.Background(), func(tx store.Tx) error {
		for _, cp := range group {
			if err := cp.run(tx); err != nil {
				return errors.Join(errCompletion, err)
			}
		}
		return nil
	})
	if err != nil && errors.Is(err, errCompletion) {
		for _, cp := range group {
			cp.err <- c.st.Update(context.Background(), cp.run)
		}
		return
	}
	for _, cp := range group {
		cp.err <- err
	}
}

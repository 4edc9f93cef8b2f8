package commands

import (
	"errors"
	"sync"

	"github.com/incidentbot/incidentbot/incident"
)

// openReads shares one read of the open incidents among the duplicate checks
// that ask for it together. Every declaration checks for duplicates before
// its ack, and the check decodes every open incident: 200 declarations at
// once, with hundreds open, decoded each of them 200 times and pushed the
// acks' p99 to hundreds of milliseconds. Now one read runs at a time, and
// the checks that arrive while it runs wait together for the next one,
// which starts after all of them arrived, so each still sees every incident
// committed before it asked (as a read of its own would).
//
// The incidents handed out are shared between the callers of one read:
// they are for reading only.
type openReads struct {
	mu      sync.Mutex
	next    *openRound // the read that callers arriving now wait for
	running sync.Mutex // held by the read in progress
	// last is the latest read's result, whose split titles the next
	// read reuses (incident.Candidates.Renew); guarded by running.
	last *incident.Candidates
}

type openRound struct {
	done chan struct{}
	open *incident.Candidates
	err  error
	// joined counts the callers waiting for this read besides the one
	// that runs it.
	joined int
}

// get returns the headlines of the open incidents as read (by read) after
// the call began, prepared for duplicate checks.
func (g *openReads) get(read func() ([]incident.Headline, error)) (*incident.Candidates, error) {
	g.mu.Lock()
	if r := g.next; r != nil {
		r.joined++
		g.mu.Unlock()
		<-r.done
		return r.open, r.err
	}
	r := &openRound{done: make(chan struct{})}
	g.next = r
	g.mu.Unlock()

	g.running.Lock()
	// From here on, a caller starts the next round: this read may begin
	// before it asked.
	g.mu.Lock()
	g.next = nil
	g.mu.Unlock()
	// Whatever happens to this read (even a panic), the callers waiting
	// for it are released, and the next read can run.
	r.err = errors.New("read of the open incidents did not finish")
	defer func() {
		g.running.Unlock()
		close(r.done)
	}()
	open, err := read()
	r.open, r.err = nil, err
	if err == nil {
		// Prepared once for all the callers of this read.
		r.open = g.last.Renew(open)
		g.last = r.open
	}
	return r.open, r.err
}

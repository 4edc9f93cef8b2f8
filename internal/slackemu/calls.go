package slackemu

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Call is one HTTP request the emulator answered: a Web API method, or one of the
// pseudo-methods "upload" (a POST to an upload_url) and "response_url".
type Call struct {
	Method   string
	Args     map[string]any // form fields as strings (blocks/metadata/files/view/attachments JSON-decoded); JSON bodies as decoded
	Token    string         // as presented ("" when none)
	At       time.Time      // on the Options.Now clock
	OK       bool
	Error    string // the "error" code when !OK
	Status   int    // HTTP status
	Response json.RawMessage
}

type callLog struct {
	mu     sync.Mutex
	calls  []Call
	signal chan struct{} // closed and replaced on every append
}

func (l *callLog) setup() { l.signal = make(chan struct{}) }

func (l *callLog) add(c Call) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, c)
	close(l.signal)
	l.signal = make(chan struct{})
}

// snapshot returns the calls from index from on, and a channel closed by the next add.
func (l *callLog) snapshot(from int) ([]Call, chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if from > len(l.calls) {
		from = len(l.calls)
	}
	return append([]Call(nil), l.calls[from:]...), l.signal
}

func (s *Server) recordCall(c Call) {
	s.calls.add(c)
	s.emit(Change{Kind: ChangeCall, Method: c.Method})
	if c.OK {
		s.logf("%s ok", c.Method)
	} else {
		s.logf("%s -> %d %s", c.Method, c.Status, c.Error)
	}
}

// Calls returns the recorded calls of method ("" = all) in order.
func (s *Server) Calls(method string) []Call {
	all, _ := s.calls.snapshot(0)
	if method == "" {
		return all
	}
	var out []Call
	for _, c := range all {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// WaitCall returns the first call of method ("" = any) for which match (nil = any)
// is true, whether it happened already or happens before ctx ends. The call's
// effects on the workspace are visible when it returns.
func (s *Server) WaitCall(ctx context.Context, method string, match func(Call) bool) (Call, error) {
	next := 0
	for {
		batch, signal := s.calls.snapshot(next)
		for _, c := range batch {
			if (method == "" || c.Method == method) && (match == nil || match(c)) {
				return c, nil
			}
		}
		next += len(batch)
		select {
		case <-signal:
		case <-ctx.Done():
			return Call{}, ctx.Err()
		case <-s.closed:
			return Call{}, ErrClosed
		}
	}
}

// Change kinds on the Subscribe feed.
const (
	ChangeCall           = "call"            // a Web API call was answered (Method)
	ChangeUser           = "user"            // a user was added or replaced (UserID)
	ChangeChannel        = "channel"         // a channel was created or changed (Channel)
	ChangeMembers        = "members"         // channel membership changed (Channel)
	ChangeMessage        = "message"         // a message was posted (Channel, TS)
	ChangeMessageUpdated = "message_updated" // edited, pinned, reacted (Channel, TS)
	ChangeMessageDeleted = "message_deleted" // (Channel, TS)
	ChangeEphemeral      = "ephemeral"       // shown to UserID (Channel, TS)
	ChangeView           = "view"            // opened, updated, pushed, published, closed (ViewID)
	ChangeFile           = "file"            // upload completed (FileID)
	ChangeDelivery       = "delivery"        // an envelope was written to a socket (EnvelopeID)
	ChangeAck            = "ack"             // an envelope was acked (EnvelopeID)
	ChangeProblem        = "problem"         // see Problems (EnvelopeID)
	ChangeConnection     = "connection"      // a socket connected or went away
)

// Change is one entry of the live feed; it names what changed, and the accessors
// (Messages, Views…) give the current state.
type Change struct {
	Seq        int64
	Kind       string
	Method     string
	Channel    string
	TS         string
	UserID     string
	ViewID     string
	FileID     string
	EnvelopeID string
}

// feed fans changes out to subscribers. Each subscriber has an unbounded queue, so
// a slow reader never blocks the emulator and never loses a change.
type feed struct {
	mu   sync.Mutex
	seq  int64
	subs map[*subscriber]struct{}
}

type subscriber struct {
	mu     sync.Mutex
	queue  []Change
	signal chan struct{} // capacity 1: "queue is non-empty"
	out    chan Change
	done   chan struct{}
	once   sync.Once
}

// emit publishes a change. Callers that change the workspace hold s.mu, so the
// feed is ordered like the state.
func (s *Server) emit(c Change) {
	f := &s.feed
	f.mu.Lock()
	defer f.mu.Unlock()
	f.seq++
	c.Seq = f.seq
	for sub := range f.subs {
		sub.mu.Lock()
		sub.queue = append(sub.queue, c)
		sub.mu.Unlock()
		select {
		case sub.signal <- struct{}{}:
		default:
		}
	}
}

// Subscribe returns a live feed of changes from now on, in order, and a function
// that ends the subscription and closes the channel. Close ends every subscription.
func (s *Server) Subscribe() (<-chan Change, func()) {
	sub := &subscriber{signal: make(chan struct{}, 1), out: make(chan Change), done: make(chan struct{})}
	cancel := func() {
		sub.once.Do(func() { close(sub.done) })
		s.feed.mu.Lock()
		delete(s.feed.subs, sub)
		s.feed.mu.Unlock()
	}
	s.feed.mu.Lock()
	if s.feed.subs == nil {
		s.feed.subs = map[*subscriber]struct{}{}
	}
	s.feed.subs[sub] = struct{}{}
	s.feed.mu.Unlock()
	if !s.enter() {
		cancel()
		close(sub.out)
		return sub.out, cancel
	}
	go func() {
		defer s.wg.Done()
		defer close(sub.out)
		sub.pump()
	}()
	return sub.out, cancel
}

func (sub *subscriber) pump() {
	for {
		sub.mu.Lock()
		batch := sub.queue
		sub.queue = nil
		sub.mu.Unlock()
		for _, c := range batch {
			select {
			case sub.out <- c:
			case <-sub.done:
				return
			}
		}
		if len(batch) > 0 {
			continue
		}
		select {
		case <-sub.signal:
		case <-sub.done:
			return
		}
	}
}

func (f *feed) closeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for sub := range f.subs {
		sub.once.Do(func() { close(sub.done) })
		delete(f.subs, sub)
	}
}

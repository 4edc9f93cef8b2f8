package incident

// State is what the timeline says an incident was at one point: its
// severity and status. Declared is false until the declaration has been
// replayed: before it, the timeline cannot say.
type State struct {
	Severity string
	Status   Status
	Declared bool
}

// Next is the state after ev: a declaration starts the incident at the
// severity it names, investigating; a severity or status change moves to
// its To; a resolution resolves. Every other event changes nothing.
func (s State) Next(ev Event) State {
	switch ev.Kind {
	case EventDeclared:
		return State{Severity: ev.To, Status: Investigating, Declared: true}
	case EventSeverityChanged:
		s.Severity = ev.To
	case EventStatusChanged:
		s.Status = Status(ev.To)
	case EventResolved:
		s.Status = Resolved
	}
	return s
}

// Replay walks events in the order given, calling fn with each event and
// the states just before and just after it, until fn returns false. Events
// before the declaration (a timeline without its start) change a zero
// State.
func Replay(events []Event, fn func(ev Event, before, after State) bool) {
	var st State
	for _, ev := range events {
		next := st.Next(ev)
		if !fn(ev, st, next) {
			return
		}
		st = next
	}
}

// StateAt replays the timeline (in Seq order) up to and including event
// seq, and returns the state the incident was in just after it, and the
// event itself: an update's message shows the severity and status of its
// moment, although later changes may be stored by the time it is posted.
// When the timeline up to seq lacks its declaration, the incident's current
// state is the best guess. false means the timeline has no event seq.
func (i *Incident) StateAt(events []Event, seq uint64) (State, Event, bool) {
	var st State
	var found Event
	ok := false
	Replay(events, func(ev Event, _, after State) bool {
		if ev.Seq > seq {
			return false
		}
		st = after
		if ev.Seq == seq {
			found, ok = ev, true
		}
		return true
	})
	if !ok {
		return State{}, Event{}, false
	}
	if !st.Declared {
		st = State{Severity: i.Severity, Status: i.Status}
	}
	return st, found, true
}

package pgstore

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// pageSize is how many incidents the walks read per query: enough to keep
// round trips few, few enough that a walk over 100,000 incidents never
// holds them all.
const pageSize = 256

// CreateIncident stores a new incident, numbered from the sequence
// incident_numbers, and assigns inc.UUID if empty. If the transaction does
// not commit, the values it assigned into inc mean nothing; the number is
// skipped if the Update fails for good (see nextNumber).
func (tx *pgTx) CreateIncident(inc *incident.Incident) error {
	if inc == nil {
		return fmt.Errorf("create incident: nil incident")
	}
	n, err := tx.nextNumber()
	if err != nil {
		return fmt.Errorf("create incident: next number: %w", err)
	}
	inc.Number = n
	if inc.UUID == "" {
		inc.UUID = uuid.NewString()
	}
	if err := tx.checkChannel(inc); err != nil {
		return fmt.Errorf("create %s: %w", inc.ID(), err)
	}
	body, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("create %s: %w", inc.ID(), err)
	}
	if err := tx.later(`INSERT INTO incidents (number, channel_id, open, declared_ns, body)
		VALUES ($1, $2, $3, $4, $5)`, n, channel(inc), inc.Open(), ns(inc.DeclaredAt), body); err != nil {
		return fmt.Errorf("create %s: %w", inc.ID(), err)
	}
	if tx.created == nil {
		tx.created = map[uint64]*created{}
	}
	tx.created[n] = &created{}
	tx.incidentChanged(nil, inc)
	return nil
}

// nextNumber is the number of the next incident this transaction creates.
// nextval holds no lock to commit, so declarations on every replica commit
// side by side instead of queueing on one counter, and it never hands a
// number out twice. A serializable transaction that fails and runs again
// takes the numbers its failed attempt took (reserved), in the same order,
// so that contention leaves no gap; only an Update that fails for good (or
// dies with its replica) skips its numbers. A number is taken a moment
// before its transaction commits, so numbers follow declaration order to
// within a transaction's length, not strictly commit order.
func (tx *pgTx) nextNumber() (uint64, error) {
	if tx.readOnly {
		return 0, errReadOnly
	}
	if i := len(tx.numbers); i < len(tx.reserved) {
		tx.numbers = append(tx.numbers, tx.reserved[i])
		return tx.reserved[i], nil
	}
	var n uint64
	if _, err := tx.scanRow("SELECT nextval('incident_numbers')", nil, &n); err != nil {
		return 0, err
	}
	tx.numbers = append(tx.numbers, n)
	return n, nil
}

// leftNumbers are the numbers a failed attempt leaves to the next: every
// one it took or was left, unless it moved the sequence (RaiseCounters),
// whose rollback makes them the sequence's to hand out again.
func (tx *pgTx) leftNumbers() []uint64 {
	if tx.restarted {
		return nil
	}
	if len(tx.reserved) > len(tx.numbers) {
		return tx.reserved
	}
	return tx.numbers
}

// PutIncident saves changes to an existing incident and keeps the indexes
// in step, as the bbolt store does: a resolved incident leaves the open
// index and loses its reminder, and enters the postmortem-nudge and archive
// indexes when it becomes resolved; a ChannelID that already belongs to
// another incident is refused.
func (tx *pgTx) PutIncident(inc *incident.Incident) error {
	if inc == nil {
		return fmt.Errorf("put incident: nil incident")
	}
	if inc.Number == 0 {
		return fmt.Errorf("put incident: number 0; store new incidents with CreateIncident")
	}
	// FOR UPDATE: the read-modify-write of the indexes below must not
	// interleave with another replica's.
	old, err := tx.incident(inc.Number, " FOR UPDATE")
	if err != nil {
		return fmt.Errorf("put %w", err)
	}
	if err := tx.checkChannel(inc); err != nil {
		return fmt.Errorf("put %s: %w", inc.ID(), err)
	}
	body, err := json.Marshal(inc)
	if err != nil {
		return fmt.Errorf("put %s: %w", inc.ID(), err)
	}
	if _, err := tx.exec(`UPDATE incidents SET channel_id = $2, open = $3, declared_ns = $4, body = $5
		WHERE number = $1`, inc.Number, channel(inc), inc.Open(), ns(inc.DeclaredAt), body); err != nil {
		return fmt.Errorf("put %s: %w", inc.ID(), err)
	}
	if !inc.Open() {
		if err := tx.ClearReminder(inc.Number); err != nil {
			return fmt.Errorf("put %s: %w", inc.ID(), err)
		}
	}
	if old.Open() && !inc.Open() {
		if err := tx.indexResolved("postmortem_nudges", inc); err != nil {
			return fmt.Errorf("put %s: %w", inc.ID(), err)
		}
		if tx.s.archives {
			if err := tx.indexResolved("archives_due", inc); err != nil {
				return fmt.Errorf("put %s: %w", inc.ID(), err)
			}
		}
	}
	tx.incidentChanged(old, inc)
	return nil
}

// checkChannel refuses a channel that belongs to another incident with the
// bbolt store's message, before the unique index would abort the whole
// transaction.
func (tx *pgTx) checkChannel(inc *incident.Incident) error {
	if inc.ChannelID == "" {
		return nil
	}
	var owner uint64
	found, err := tx.scanRow("SELECT number FROM incidents WHERE channel_id = $1 AND number <> $2",
		[]any{inc.ChannelID, inc.Number}, &owner)
	if err != nil {
		return fmt.Errorf("channel index: %w", err)
	}
	if found {
		return fmt.Errorf("channel %s already belongs to %s", inc.ChannelID, incident.FormatID(owner))
	}
	return nil
}

// channel is the channel index's value: NULL until there is a channel.
func channel(inc *incident.Incident) any {
	if inc.ChannelID == "" {
		return nil
	}
	return inc.ChannelID
}

// Incident returns incident number; the error wraps store.ErrNotFound if
// there is none.
func (tx *pgTx) Incident(number uint64) (*incident.Incident, error) {
	inc, err := tx.incident(number, "")
	if err != nil {
		return nil, fmt.Errorf("get %w", err)
	}
	return inc, nil
}

// incident reads one record; lock is "" or a locking clause.
func (tx *pgTx) incident(number uint64, lock string) (*incident.Incident, error) {
	id := incident.FormatID(number)
	var body []byte
	found, err := tx.scanRow("SELECT body FROM incidents WHERE number = $1"+lock, []any{number}, &body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	if !found {
		return nil, fmt.Errorf("%s: %w", id, store.ErrNotFound)
	}
	inc := new(incident.Incident)
	if err := decode(body, inc); err != nil {
		return nil, fmt.Errorf("%s: %w", id, err)
	}
	return inc, nil
}

// IncidentByChannel returns the incident whose channel is channelID, open
// or resolved; the error wraps store.ErrNotFound if there is none.
func (tx *pgTx) IncidentByChannel(channelID string) (*incident.Incident, error) {
	var body []byte
	found, err := tx.scanRow("SELECT body FROM incidents WHERE channel_id = $1", []any{channelID}, &body)
	if err != nil {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, err)
	}
	if !found || channelID == "" {
		return nil, fmt.Errorf("incident of channel %q: %w", channelID, store.ErrNotFound)
	}
	inc := new(incident.Incident)
	if err := decode(body, inc); err != nil {
		return nil, fmt.Errorf("incident of channel %s: %w", channelID, err)
	}
	return inc, nil
}

// OpenIncidents returns the unresolved incidents in number order, reading
// only the open index's rows.
func (tx *pgTx) OpenIncidents() ([]*incident.Incident, error) {
	out, err := collect(tx, "SELECT body FROM incidents WHERE open ORDER BY number", nil, scanIncident)
	if err != nil {
		return nil, fmt.Errorf("open incidents: %w", err)
	}
	return out, nil
}

func scanIncident(row pgx.CollectableRow) (*incident.Incident, error) {
	var body []byte
	if err := row.Scan(&body); err != nil {
		return nil, err
	}
	inc := new(incident.Incident)
	return inc, decode(body, inc)
}

// ForEachIncident calls fn for every stored incident in number order,
// stopping at and returning fn's first error. It reads a page at a time,
// so fn may use tx to read; it must not change incidents.
func (tx *pgTx) ForEachIncident(fn func(*incident.Incident) error) error {
	var after uint64
	for {
		page, err := collect(tx, "SELECT body FROM incidents WHERE number > $1 ORDER BY number LIMIT $2",
			[]any{after, pageSize}, scanIncident)
		if err != nil {
			return fmt.Errorf("each incident: %w", err)
		}
		for _, inc := range page {
			if err := fn(inc); err != nil {
				return err
			}
			after = inc.Number
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

// declaredSkew is how far out of declaration order two incidents' numbers
// may be: numbers are issued just after the declaration time is taken, by
// replicas whose clocks differ slightly.
const declaredSkew = time.Minute

// IncidentsDeclaredSince calls fn, newest first, for every incident
// declared at or after since. Like the bbolt store it walks numbers
// backwards and stops soon after the first incident declared earlier, so
// the cost follows the window, not the history.
func (tx *pgTx) IncidentsDeclaredSince(since time.Time, fn func(*incident.Incident) error) error {
	before := uint64(1<<63 - 1)
	for {
		page, err := collect(tx, "SELECT body FROM incidents WHERE number < $1 ORDER BY number DESC LIMIT $2",
			[]any{before, pageSize}, scanIncident)
		if err != nil {
			return fmt.Errorf("incidents since %s: %w", since.Format(time.RFC3339), err)
		}
		for _, inc := range page {
			if inc.DeclaredAt.Before(since.Add(-declaredSkew)) {
				return nil
			}
			before = inc.Number
			if inc.DeclaredAt.Before(since) {
				continue
			}
			if err := fn(inc); err != nil {
				return err
			}
		}
		if len(page) < pageSize {
			return nil
		}
	}
}

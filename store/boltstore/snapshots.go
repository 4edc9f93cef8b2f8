package boltstore

import (
	"maps"
	"slices"

	"github.com/incidentbot/incidentbot/incident"
)

// PutIncident needs the record it replaces (its channel for the index, its
// status for the resolved indexes, all of it for OnIncident). Decoding it
// again is most of what firing a reminder costs the store, and the caller
// almost always read it moments before in the same transaction: so a
// writable transaction keeps a private copy of each incident it decoded,
// and PutIncident takes "before" from there. Only putIncident writes
// incident records, and it drops the copy, so a copy is always what the
// transaction would read back. (It kept a copy of what it wrote before:
// another clone of every incident a reminder burst fires, for the rare
// transaction that stores an incident twice without reading it between.)

// remember keeps a copy of inc as the stored record of its number, for a
// PutIncident later in this transaction; read-only transactions keep none.
func (tx *boltTx) remember(inc *incident.Incident) {
	if !tx.btx.Writable() {
		return
	}
	if tx.stored == nil {
		tx.stored = map[uint64]*incident.Incident{}
	}
	tx.stored[inc.Number] = cloneIncident(inc)
}

// forget drops the copy of incident number, which is no longer what is
// stored, and notes that the incident exists (see known).
func (tx *boltTx) forget(number uint64) {
	if tx.stored == nil {
		tx.stored = map[uint64]*incident.Incident{}
	}
	tx.stored[number] = nil
}

// recalled returns the copy remember kept of incident number, if any. The
// caller must not change it.
func (tx *boltTx) recalled(number uint64) (*incident.Incident, bool) {
	inc := tx.stored[number]
	return inc, inc != nil
}

// known reports whether this writable transaction read or stored incident
// number, which therefore exists: incidents are never deleted. A reminder
// that fires checks its incident's existence three times over otherwise
// (event, reminder), each a B-tree search.
func (tx *boltTx) known(number uint64) bool {
	_, ok := tx.stored[number]
	return ok
}

// cloneIncident is a copy of inc sharing nothing the caller may change:
// Roles and Actions are its only fields that refer to memory of their own
// (TestCloneIncidentCoversEveryReference keeps it so).
func cloneIncident(inc *incident.Incident) *incident.Incident {
	cp := *inc
	cp.Roles = maps.Clone(inc.Roles)
	cp.Actions = slices.Clone(inc.Actions)
	return &cp
}

package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
)

// The open index (incidents_open) holds, beside each open incident's
// number, what a duplicate check compares (incident.Headline), so that
// OpenHeadlines reads only the index: every declaration checks for
// duplicates before its ack, and decoding every open incident's whole
// record for it was most of the ack's CPU with hundreds open. The entry is
// written with the record, in the same transaction, so it can never
// disagree with it, and it costs no migration: an empty entry (written by
// an earlier version, which kept nothing there) means "read the record".
//
// Layout: headlineFormat, a flags byte (headlineDrill), then three uvarint
// length-prefixed parts: the declaration time (time.MarshalBinary, which
// keeps nanoseconds and the offset), the title, the service.
const (
	headlineFormat = 1
	headlineDrill  = 1 << 0
)

func encodeHeadline(inc *incident.Incident) ([]byte, error) {
	at, err := inc.DeclaredAt.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("open index entry: %w", err)
	}
	b := make([]byte, 0, 2+3*binary.MaxVarintLen32+len(at)+len(inc.Title)+len(inc.Service))
	var flags byte
	if inc.Drill {
		flags |= headlineDrill
	}
	b = append(b, headlineFormat, flags)
	for _, part := range [][]byte{at, []byte(inc.Title), []byte(inc.Service)} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b, nil
}

var errHeadlineEntry = errors.New("open index entry is damaged")

// decodeHeadline reads an entry written by encodeHeadline, all but the
// title and service, which it returns as they are in b: bbolt's memory,
// valid only inside the transaction.
func decodeHeadline(number uint64, b []byte) (h incident.Headline, title, service []byte, err error) {
	h.Number = number
	if len(b) < 2 || b[0] != headlineFormat {
		return h, nil, nil, errHeadlineEntry
	}
	h.Drill = b[1]&headlineDrill != 0
	b = b[2:]
	var parts [3][]byte
	for i := range parts {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return h, nil, nil, errHeadlineEntry
		}
		parts[i], b = b[k:k+int(n)], b[k+int(n):]
	}
	if err := h.DeclaredAt.UnmarshalBinary(parts[0]); err != nil {
		return h, nil, nil, errHeadlineEntry
	}
	return h, parts[1], parts[2], nil
}

// OpenHeadlines returns what a duplicate check compares of every open
// incident, in number order, reading the open index alone. An entry left
// empty by an earlier version is read from the incident's record instead.
//
// It runs for every declaration, over hundreds or thousands of entries:
// read transactions that see the same commit share one answer (which is
// why callers must not change it), and a read allocates by the read, not
// by the entry: the result at its final size (the keys are counted
// first), and every title and service copied into one string.
func (tx *boltTx) OpenHeadlines() ([]incident.Headline, error) {
	if tx.btx.Writable() {
		return tx.readHeadlines()
	}
	// A read transaction sees the state of the last commit, which its ID
	// names: while no write commits, every read finds what the last one
	// found. A burst of declarations checks for duplicates many times
	// between two commits (each batch commits up to hundreds at once).
	id := tx.btx.ID()
	if last := tx.s.headlines.Load(); last != nil && last.txid == id {
		return last.open, nil
	}
	open, err := tx.readHeadlines()
	if err == nil {
		tx.s.headlines.Store(&headlineRead{txid: id, open: open})
	}
	return open, err
}

// headlineRead is the answer of OpenHeadlines in the read transactions
// that see commit txid.
type headlineRead struct {
	txid int
	open []incident.Headline
}

// readHeadlines reads the open index.
func (tx *boltTx) readHeadlines() ([]incident.Headline, error) {
	open, err := tx.bucket(bucketIncidentsOpen)
	if err != nil {
		return nil, fmt.Errorf("open headlines: %w", err)
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return nil, fmt.Errorf("open headlines: %w", err)
	}
	c := open.Cursor()
	count := 0
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		count++
	}
	out := make([]incident.Headline, 0, count)
	// Where each title and service is in text; start -1: read from the
	// record, which set them already.
	type span struct{ start, title, service int }
	spans := make([]span, 0, count)
	var text []byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n, err := parseU64(k)
		if err != nil {
			return nil, fmt.Errorf("open headlines: %w", err)
		}
		if len(v) == 0 {
			inc, err := getIncident(incs, n)
			if err != nil {
				return nil, fmt.Errorf("open headlines: %w", err)
			}
			out = append(out, inc.Headline())
			spans = append(spans, span{start: -1})
			continue
		}
		h, title, service, err := decodeHeadline(n, v)
		if err != nil {
			return nil, fmt.Errorf("open headlines: %s: %w", incident.FormatID(n), err)
		}
		out = append(out, h)
		spans = append(spans, span{start: len(text), title: len(title), service: len(service)})
		text = append(append(text, title...), service...)
	}
	all := string(text)
	for i, sp := range spans {
		if sp.start >= 0 {
			out[i].Title = all[sp.start : sp.start+sp.title]
			out[i].Service = all[sp.start+sp.title : sp.start+sp.title+sp.service]
		}
	}
	return out, nil
}

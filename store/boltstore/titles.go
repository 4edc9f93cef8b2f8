package boltstore

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// The open index (incidents_open) holds, beside each open incident's
// number, what a duplicate check compares (store.OpenTitle), so that
// OpenTitles reads only the index: every declaration checks for
// duplicates before its ack, and decoding every open incident's whole
// record for it was most of the ack's CPU with hundreds open. The entry is
// written with the record, in the same transaction, so it can never
// disagree with it, and it costs no migration: an empty entry (written by
// an earlier version, which kept nothing there) means "read the record".
//
// Layout: titleFormat, a flags byte (titleDrill), then three uvarint
// length-prefixed parts: the declaration time (time.MarshalBinary, which
// keeps nanoseconds and the offset), the title, the service.
const (
	titleFormat = 1
	titleDrill  = 1 << 0
)

func encodeTitle(inc *incident.Incident) ([]byte, error) {
	at, err := inc.DeclaredAt.MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("open index entry: %w", err)
	}
	b := make([]byte, 0, 2+3*binary.MaxVarintLen32+len(at)+len(inc.Title)+len(inc.Service))
	var flags byte
	if inc.Drill {
		flags |= titleDrill
	}
	b = append(b, titleFormat, flags)
	for _, part := range [][]byte{at, []byte(inc.Title), []byte(inc.Service)} {
		b = binary.AppendUvarint(b, uint64(len(part)))
		b = append(b, part...)
	}
	return b, nil
}

var errTitleEntry = errors.New("open index entry is damaged")

// decodeTitle reads an entry written by encodeTitle. The strings are
// copied: b is bbolt's memory, valid only inside the transaction.
func decodeTitle(number uint64, b []byte) (store.OpenTitle, error) {
	t := store.OpenTitle{Number: number}
	if len(b) < 2 || b[0] != titleFormat {
		return t, errTitleEntry
	}
	t.Drill = b[1]&titleDrill != 0
	b = b[2:]
	var parts [3][]byte
	for i := range parts {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return t, errTitleEntry
		}
		parts[i], b = b[k:k+int(n)], b[k+int(n):]
	}
	if err := t.DeclaredAt.UnmarshalBinary(parts[0]); err != nil {
		return t, errTitleEntry
	}
	t.Title, t.Service = string(parts[1]), string(parts[2])
	return t, nil
}

// OpenTitles returns what a duplicate check compares of every open
// incident, in number order, reading the open index alone. An entry left
// empty by an earlier version is read from the incident's record instead.
func (tx *boltTx) OpenTitles() ([]store.OpenTitle, error) {
	open, err := tx.bucket(bucketIncidentsOpen)
	if err != nil {
		return nil, fmt.Errorf("open titles: %w", err)
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return nil, fmt.Errorf("open titles: %w", err)
	}
	var out []store.OpenTitle
	c := open.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		n, err := parseU64(k)
		if err != nil {
			return nil, fmt.Errorf("open titles: %w", err)
		}
		if len(v) == 0 {
			inc, err := getIncident(incs, n)
			if err != nil {
				return nil, fmt.Errorf("open titles: %w", err)
			}
			out = append(out, store.OpenTitle{Number: n, Title: inc.Title, Service: inc.Service, DeclaredAt: inc.DeclaredAt, Drill: inc.Drill})
			continue
		}
		t, err := decodeTitle(n, v)
		if err != nil {
			return nil, fmt.Errorf("open titles: %s: %w", incident.FormatID(n), err)
		}
		out = append(out, t)
	}
	return out, nil
}

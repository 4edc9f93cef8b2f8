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

// decodeHeadline reads an entry written by encodeHeadline. The strings are
// copied: b is bbolt's memory, valid only inside the transaction.
func decodeHeadline(number uint64, b []byte) (incident.Headline, error) {
	t := incident.Headline{Number: number}
	if len(b) < 2 || b[0] != headlineFormat {
		return t, errHeadlineEntry
	}
	t.Drill = b[1]&headlineDrill != 0
	b = b[2:]
	var parts [3][]byte
	for i := range parts {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return t, errHeadlineEntry
		}
		parts[i], b = b[k:k+int(n)], b[k+int(n):]
	}
	if err := t.DeclaredAt.UnmarshalBinary(parts[0]); err != nil {
		return t, errHeadlineEntry
	}
	t.Title, t.Service = string(parts[1]), string(parts[2])
	return t, nil
}

// OpenHeadlines returns what a duplicate check compares of every open
// incident, in number order, reading the open index alone. An entry left
// empty by an earlier version is read from the incident's record instead.
func (tx *boltTx) OpenHeadlines() ([]incident.Headline, error) {
	open, err := tx.bucket(bucketIncidentsOpen)
	if err != nil {
		return nil, fmt.Errorf("open headlines: %w", err)
	}
	incs, err := tx.bucket(bucketIncidents)
	if err != nil {
		return nil, fmt.Errorf("open headlines: %w", err)
	}
	var out []incident.Headline
	c := open.Cursor()
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
			continue
		}
		t, err := decodeHeadline(n, v)
		if err != nil {
			return nil, fmt.Errorf("open headlines: %s: %w", incident.FormatID(n), err)
		}
		out = append(out, t)
	}
	return out, nil
}

package boltstore

import (
	"encoding/json"
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
	bolt "go.etcd.io/bbolt"
)

// boltTx is the bbolt store.Tx, handed to the functions given to Update
// and View. It is valid only inside that function. Everything its methods
// return is a copy, safe to keep after the transaction ends; write methods
// fail inside View.
type boltTx struct {
	btx *bolt.Tx
	s   *Store
	// stored holds copies of the incidents this writable transaction
	// decoded and has not stored since (see remember).
	stored map[uint64]*incident.Incident
}

// bucket returns a top-level bucket, which migrations guarantee exists.
func (tx *boltTx) bucket(name []byte) (*bolt.Bucket, error) {
	b := tx.btx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("bucket %s missing: store schema damaged", name)
	}
	return b, nil
}

func putJSON(b *bolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return b.Put(key, data)
}

// getJSON decodes the value at key into v and reports whether it existed.
// json.Unmarshal copies, so v never aliases bbolt's memory.
func getJSON(b *bolt.Bucket, key []byte, v any) (bool, error) {
	data := b.Get(key)
	if data == nil {
		return false, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return true, fmt.Errorf("decode stored value: %w", err)
	}
	return true, nil
}

// Size is how many bytes of the file the store uses: the pages up to the
// highest one in use. The file itself may be larger (bbolt grows it ahead).
func (tx *boltTx) Size() int64 { return tx.btx.Size() }

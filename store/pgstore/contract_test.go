package pgstore_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// The PostgreSQL store keeps every promise the bbolt store keeps, against a
// real server, except that its incident numbers come from a sequence.
func TestContract(t *testing.T) {
	storetest.Contract(t, func(t *testing.T) storetest.Backend {
		return open(t, pgtest.DSN(t), pgstore.Options{IndexArchives: true})
	}, storetest.SequenceNumbers())
}

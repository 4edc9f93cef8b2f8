package boltstore_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
	"github.com/incidentbot/incidentbot/store/storetest"
)

// The bbolt backend keeps the storage contract.
func TestContract(t *testing.T) {
	storetest.Contract(t, func(t *testing.T) storetest.Backend {
		return bolttest.OpenWith(t, boltstore.Options{IndexArchives: true})
	})
}

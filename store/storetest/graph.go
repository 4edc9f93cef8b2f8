package storetest

import "github.com/incidentbot/incidentbot/store"

// GraphJob is one job of a graph a test enqueues: its kind (also its name
// for After), the kinds it waits for, whether it is Background, and Old:
// enqueued as a version before job graphs did (no Batch, no After).
type GraphJob struct {
	Kind       string
	After      []string
	Old        bool
	Background bool
}

// EnqueueBatch enqueues batch in tx for incident n as the use-cases do:
// the batch's first job roots it, the others name the jobs they wait for.
// ids maps every kind enqueued so far to its job's ID (After looks names
// up there, and the new jobs are added).
func EnqueueBatch(tx store.Tx, n uint64, ids map[string]uint64, batch []GraphJob) error {
	var first uint64
	for _, g := range batch {
		j := store.Job{Incident: n, Kind: g.Kind, Background: g.Background}
		if !g.Old {
			j.Batch = first
			for _, a := range g.After {
				j.After = append(j.After, ids[a])
			}
		}
		j, err := tx.Enqueue(j)
		if err != nil {
			return err
		}
		ids[g.Kind] = j.ID
		if first == 0 && !g.Old {
			first = j.ID
		}
	}
	return nil
}

package store

import (
	"errors"
	"fmt"

	"github.com/incidentbot/incidentbot/incident"
)

// ErrNotFound is wrapped by every lookup that finds nothing; test with errors.Is.
var ErrNotFound = errors.New("not found")

// WriteError is the error of a commit that failed to reach durable storage
// (disk full, I/O error, failed fsync, a lost database connection mid-commit),
// and of every Update after it. It wraps incident.ErrNotSaved, so users are
// told their request was not saved. Path names the storage for the operator
// (a file path; never a secret).
type WriteError struct {
	Path string
	Err  error
}

func (e *WriteError) Error() string {
	return fmt.Sprintf("store %s cannot write (disk full or failing), so nothing more is saved until incidentbot restarts: %v", e.Path, e.Err)
}

func (e *WriteError) Unwrap() []error { return []error{e.Err, incident.ErrNotSaved} }

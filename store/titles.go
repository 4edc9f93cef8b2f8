package store

import "time"

// OpenTitle is what a duplicate check compares of an open incident: its
// number, title, service, declaration time and drill flag
// (Tx.OpenTitles). The incident itself is read by number once it matches.
type OpenTitle struct {
	Number     uint64
	Title      string
	Service    string
	DeclaredAt time.Time
	Drill      bool
}

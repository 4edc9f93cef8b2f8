//go:build !unix

package boltstore

import (
	"os"
	"time"
)

// lockShared does nothing where flock is missing: the check then reads the
// file without excluding a running bot.
func lockShared(*os.File, time.Duration) error { return nil }

func unlock(*os.File) {}

//go:build linux

package boltstore

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// guard turns a fault in mapped memory — what bbolt hits on a file cut
// short under its map — into a DamageError instead of a crash.
func TestGuardTurnsAFaultIntoDamage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, make([]byte, 2*os.Getpagesize()), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, 2*os.Getpagesize(), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	if err := os.Truncate(path, 0); err != nil {
		t.Fatal(err)
	}
	var sink byte
	err = guard(path, func() error {
		sink = mem[os.Getpagesize()] // SIGBUS: the page is past the end of the file
		return nil
	})
	var derr *DamageError
	if !errors.As(err, &derr) || derr.Path != path {
		t.Fatalf("guard: %v (read %d), want a DamageError", err, sink)
	}
}

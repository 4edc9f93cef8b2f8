//go:build linux

// Package diskfault makes a file's disk fail on demand, for tests of what
// the bot does when the store cannot write. It fails the real system calls
// (no fake file): after Fail, every write to the files it opened returns
// ENOSPC, as on a full disk.
package diskfault

import (
	"fmt"
	"os"
	"sync"
	"syscall"
)

// Disk opens files (its OpenFile fits boltstore.Options.OpenFile) and can make
// their writes fail.
type Disk struct {
	mu    sync.Mutex
	files []*os.File
	keep  []*os.File
	full  *os.File
}

// OpenFile opens name like os.OpenFile and remembers the file for Fail.
func (d *Disk) OpenFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	f, err := os.OpenFile(name, flag, perm)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.files = append(d.files, f)
	return f, nil
}

// Fail makes every later write, truncate and sync of the opened files fail:
// each descriptor is pointed at /dev/full, which answers writes with ENOSPC.
// Reads through the memory map the store already has keep working, as they
// do on a full disk. The original open file stays open (so a lock on it is
// kept) until Close.
func (d *Disk) Fail() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.full == nil {
		full, err := os.OpenFile("/dev/full", os.O_RDWR, 0)
		if err != nil {
			return fmt.Errorf("diskfault: %w", err)
		}
		d.full = full
	}
	for _, f := range d.files {
		fd := int(f.Fd())
		dup, err := syscall.Dup(fd)
		if err != nil {
			return fmt.Errorf("diskfault: dup %s: %w", f.Name(), err)
		}
		d.keep = append(d.keep, os.NewFile(uintptr(dup), f.Name()))
		if err := syscall.Dup3(int(d.full.Fd()), fd, syscall.O_CLOEXEC); err != nil {
			return fmt.Errorf("diskfault: dup3 %s: %w", f.Name(), err)
		}
	}
	d.files = nil
	return nil
}

// Close releases what Fail kept open; call it after the store is closed.
func (d *Disk) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, f := range d.keep {
		_ = f.Close()
	}
	d.keep = nil
	if d.full != nil {
		_ = d.full.Close()
		d.full = nil
	}
}

package boltstore_test

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/store/boltstore"
)

// lockHelperEnv names the store file TestLockHelperProcess should hold.
const lockHelperEnv = "INCIDENTBOT_STORE_LOCK_HELPER"

// TestLockHelperProcess is not a test: run as a child process by
// TestOpenLockedByAnotherProcess, it holds the store open, says "ready" on
// stdout, and closes it when its stdin closes.
func TestLockHelperProcess(t *testing.T) {
	path := os.Getenv(lockHelperEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		fmt.Println("open failed:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n') // EOF when the parent closes stdin
	s.Close()
}

func TestOpenLockedByAnotherProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHelperProcess$")
	cmd.Env = append(os.Environ(), lockHelperEnv+"="+path)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := false
	t.Cleanup(func() {
		if !done {
			stdin.Close()
			_ = cmd.Wait()
		}
	})
	lines := bufio.NewScanner(stdout)
	for lines.Scan() && lines.Text() != "ready" {
		if strings.HasPrefix(lines.Text(), "open failed") {
			t.Fatalf("helper: %s", lines.Text())
		}
	}
	if lines.Text() != "ready" {
		t.Fatalf("helper exited before holding the store: %v", lines.Err())
	}

	start := time.Now()
	s, err := boltstore.Open(path, boltstore.Options{}) // default timeout
	elapsed := time.Since(start)
	if err == nil {
		s.Close()
		t.Fatal("Open succeeded while another process holds the file")
	}
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Errorf("error = %v, want ErrLocked", err)
	}
	want := "store " + path + " is in use by another process (is incidentbot already running?)"
	if err.Error() != want {
		t.Errorf("error = %q, want %q", err, want)
	}
	if elapsed > 3*time.Second {
		t.Errorf("Open took %v to give up, want about %v", elapsed, boltstore.DefaultTimeout)
	}

	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
	done = true
	s, err = boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatalf("Open after the other process exited: %v", err)
	}
	s.Close()
}

// bbolt's flock is per open file, so a second Open in one process is locked
// out too: a cheap stand-in for another process.
func TestOpenLockedInProcess(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bot.db")
	first, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	_, err = boltstore.Open(path, boltstore.Options{Timeout: 100 * time.Millisecond})
	if !errors.Is(err, boltstore.ErrLocked) {
		t.Fatalf("second Open error = %v, want ErrLocked", err)
	}
}

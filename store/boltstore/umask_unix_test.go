//go:build unix

package boltstore_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/incidentbot/incidentbot/store/boltstore"
)

// Not parallel: the umask belongs to the whole process.
func TestFileModeIgnoresPermissiveUmask(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	path := filepath.Join(t.TempDir(), "bot.db")
	s, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Errorf("file mode with umask 0 = %v, want 0600", mode)
	}
}

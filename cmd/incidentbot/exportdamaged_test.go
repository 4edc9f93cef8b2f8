package main

import (
	binenc "encoding/binary"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// An incident record that cannot be read (its bytes damaged behind the
// store's back): exporting it says so in one line, and exporting another
// incident of the same file still works.
func TestExportOfAnUnreadableRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	seedStore(t, path) // INC-1
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("incidents")).Put(binenc.BigEndian.AppendUint64(nil, 2), []byte(`{"number":2,"title":"cach`))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"INCIDENTBOT_STORE_PATH=" + path}
	tests := []struct {
		args   []string
		code   int
		stdout string // a line of it
		stderr string
	}{
		{[]string{"export", "INC-2"}, 1, "", "INC-2's record cannot be read (restore the store from a backup)"},
		{[]string{"export", "--format", "json", "INC-2"}, 1, "", "INC-2's record cannot be read"},
		{[]string{"export", "INC-1"}, 0, "db down", ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runBinary(t, env, tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 {
				t.Fatalf("exit %d (want %d)\nstdout %q (want %q in it)\nstderr %q (want one line with %q)", code, tt.code, stdout, tt.stdout, stderr, tt.stderr)
			}
		})
	}
}

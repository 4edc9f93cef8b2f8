package main

import (
	"bytes"
	"context"
	binenc "encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// A damaged store stops `run` and fails `check` with one line naming the
// file and what to do — never a SIGBUS or SIGSEGV with a goroutine dump.
func TestDamagedStoreFailsInOneLine(t *testing.T) {
	for _, kind := range []string{bolttest.Truncated, bolttest.DataPage, bolttest.BothMeta} {
		t.Run(kind, func(t *testing.T) {
			path := bolttest.Damaged(t, t.TempDir(), kind)
			// At log level warn the start-up's info lines are gone, so all
			// that stderr holds is what the failure printed.
			env := []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken, "INCIDENTBOT_STORE_PATH=" + path, "INCIDENTBOT_HTTP_LISTEN=", "INCIDENTBOT_LOG_LEVEL=warn"}

			stdout, stderr, code := runBriefly(t, env, "run")
			line := strings.TrimSpace(stderr)
			if code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, "store "+path+" is ") || !strings.Contains(line, "damaged") ||
				!strings.Contains(line, "restore it from a backup") || !strings.Contains(line, `"incidentbot check"`) {
				t.Fatalf("run: exit %d, stdout %q, stderr:\n%s", code, stdout, tail(stderr))
			}
			assertNoCrash(t, stdout+stderr)

			stdout, stderr, code = runBriefly(t, env, "check")
			if code != 1 || stderr != "" || !strings.Contains(stdout, "DAMAGED") || !strings.Contains(stdout, path) || !strings.Contains(stdout, "backup") {
				t.Fatalf("check: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, tail(stderr))
			}
			assertNoCrash(t, stdout+stderr)
		})
	}
}

// One torn meta page is damage bbolt survives: check says so and exits 1,
// naming the page, and does not tell the operator to restore a backup.
func TestCheckReportsOneDamagedMetaPage(t *testing.T) {
	path := bolttest.Damaged(t, t.TempDir(), bolttest.MetaPage0)
	env := []string{"INCIDENTBOT_STORE_PATH=" + path, "INCIDENTBOT_HTTP_LISTEN="}
	stdout, stderr, code := runBriefly(t, env, "check")
	if code != 1 || stderr != "" || !strings.Contains(stdout, "warning: meta page 0") || !strings.Contains(stdout, "The bot starts on it") || strings.Contains(stdout, "backup") {
		t.Fatalf("check: exit %d, stdout:\n%s\nstderr:\n%s", code, stdout, tail(stderr))
	}
	assertNoCrash(t, stdout+stderr)
}

// runBriefly is runBinary for a command that must exit by itself: one
// that still runs after 20s is killed and fails the test (a bot that
// started on a damaged store would serve on).
func runBriefly(t *testing.T, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir = t.TempDir()
	cmd.Env = append([]string{"HOME=" + t.TempDir(), "INCIDENTBOT_SLACK_API_URL=http://127.0.0.1:1/api/"}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("incidentbot %s still running after 20s:\n%s", strings.Join(args, " "), tail(out.String()+errb.String()))
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func assertNoCrash(t *testing.T, out string) {
	t.Helper()
	for _, crash := range []string{"goroutine ", "SIGBUS", "SIGSEGV", "panic", "fatal error"} {
		if strings.Contains(out, crash) {
			t.Fatalf("the output shows a crash (%q):\n%s", crash, tail(out))
		}
	}
}

func TestCheckCleanStore(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	storePath := filepath.Join(dir, "bot.db")
	if err := os.WriteFile(cfg, []byte("store:\n  path: "+storePath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := bolttest.OpenPath(t, storePath, boltstore.Options{})
	// While a bot holds the store, check refuses in one line.
	_, stderr, code := runBinary(t, nil, "check", "--config", cfg)
	if code != 3 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 || !strings.Contains(stderr, "in use by another process") {
		t.Fatalf("check of a store in use: exit %d, %q", code, stderr)
	}
	s.Close()
	stdout, stderr, code := runBinary(t, nil, "check", "--config", cfg)
	if code != 0 || !strings.Contains(stdout, "no problems found") || stderr != "" {
		t.Fatalf("check: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}
	if _, stderr, code := runBinary(t, nil, "check", "--config", cfg, "extra"); code != 2 || !strings.Contains(stderr, "usage: incidentbot check") {
		t.Fatalf("check with an extra argument: exit %d, %q", code, stderr)
	}
	if _, stderr, code := runBinary(t, nil, "check", "--config", filepath.Join(dir, "missing.yaml")); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("check with a missing config: exit %d, %q", code, stderr)
	}
}

// An open index at odds with the records is a store whose pages are
// sound: check lists each incident concerned on a line of its own and
// exits 1, and says that the bot starts on it but shows the index's
// story, and how to mend it; not that the bot refuses it.
func TestCheckReportsAnOpenIndexAtOddsWithTheRecords(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	storePath := filepath.Join(dir, "bot.db")
	if err := os.WriteFile(cfg, []byte("store:\n  path: "+storePath+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := bolttest.OpenPath(t, storePath, boltstore.Options{})
	for _, title := range []string{"checkout down", "search slow"} {
		err := s.Update(context.Background(), func(tx store.Tx) error {
			return tx.CreateIncident(&incident.Incident{Title: title, Severity: "SEV2", Status: incident.Investigating, DeclaredAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	db, err := bolt.Open(storePath, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("incidents_open")).Delete(binenc.BigEndian.AppendUint64(nil, 2))
	})
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		t.Fatal(err)
	}

	var stdout, stderr bytes.Buffer
	code := checkCmd([]string{"--config", cfg}, nil, &stdout, &stderr)
	out := stdout.String()
	if code != checkDamaged || stderr.Len() != 0 || !strings.Contains(out, "DAMAGED: 1 problem(s):\n  - open index: INC-2 is open but missing from the open index\n") ||
		!strings.Contains(out, "The bot starts on it") || !strings.Contains(out, "incidentbot store copy") || strings.Contains(out, "will not start") {
		t.Fatalf("check: exit %d, stdout:\n%s\nstderr:\n%s", code, out, stderr.String())
	}

	// A store that is not there cannot be checked (3), in one line.
	if err := os.Remove(storePath); err != nil {
		t.Fatal(err)
	}
	stdout.Reset()
	stderr.Reset()
	code = checkCmd([]string{"--config", cfg}, nil, &stdout, &stderr)
	if line := strings.TrimSpace(stderr.String()); code != checkCannot || stdout.Len() != 0 || strings.Contains(line, "\n") || !strings.Contains(line, "does not exist") {
		t.Fatalf("check of a missing store: exit %d, stdout %q, stderr %q", code, stdout.String(), stderr.String())
	}
}

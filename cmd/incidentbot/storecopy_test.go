package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
	"github.com/incidentbot/incidentbot/store/storecopy"
)

// storeCopy runs `incidentbot store copy ARGS` in-process.
func storeCopy(t *testing.T, environ []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Main(t.Context(), append([]string{"store", "copy"}, args...), environ, &out, &errb)
	return out.String(), errb.String(), code
}

// stoppedBotStore writes a small store as a bot would leave it and closes
// it: two incidents, one resolved, a timeline, a pending job and a
// remembered capture.
func stoppedBotStore(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "incidents.db")
	st, err := boltstore.Open(path, boltstore.Options{IndexArchives: true})
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	err = st.Update(t.Context(), func(tx store.Tx) error {
		for _, title := range []string{"db down", "api slow"} {
			inc := &incident.Incident{Title: title, Severity: "SEV2", Status: incident.Investigating, DeclaredAt: at}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if _, err := tx.AppendEvent(inc.Number, incident.Event{Kind: incident.EventDeclared, At: at}); err != nil {
				return err
			}
		}
		if _, err := tx.Enqueue(store.Job{Incident: 2, Kind: "post_card"}); err != nil {
			return err
		}
		_, err := tx.Remember("capture:C1:1700000000.000100")
		return err
	})
	if err == nil {
		err = st.Update(t.Context(), func(tx store.Tx) error {
			inc, err := tx.Incident(1)
			if err != nil {
				return err
			}
			inc.Status, inc.ResolvedAt = incident.Resolved, at.Add(time.Hour)
			return tx.PutIncident(inc)
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// count opens a bbolt store the way the bot would and counts it.
func count(t *testing.T, path string) storecopy.Tally {
	t.Helper()
	st, err := boltstore.Open(path, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tally, err := storecopy.Count(st)
	if err != nil {
		t.Fatal(err)
	}
	return tally
}

func TestStoreCopyUsage(t *testing.T) {
	src := stoppedBotStore(t)
	const secret = "hunter2pw"
	for _, tc := range []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"no sub-command", []string{}, nil, "incidentbot store: no sub-command"},
		{"no --from", []string{"copy", "--to", "bbolt:/tmp/x.db"}, nil, "--from is required"},
		{"no --to", []string{"copy", "--from", "bbolt:" + src}, nil, "--to is required"},
		{"no driver", []string{"copy", "--from", "host=db password=" + secret, "--to", "bbolt:/tmp/x.db"}, nil, `--from "host=db password=*****" names no store`},
		{"unknown driver", []string{"copy", "--from", "mysql://root:" + secret + "@db/x", "--to", "bbolt:/tmp/x.db"}, nil, `--from: "mysql" is not a store driver`},
		{"bbolt without a path", []string{"copy", "--from", "bbolt:", "--to", "bbolt:/tmp/x.db"}, nil, "--from bbolt: needs the store file's path"},
		{"postgres without a DSN", []string{"copy", "--from", "bbolt:" + src, "--to", "postgres:"}, nil, "--to postgres: without a DSN takes it from INCIDENTBOT_STORE_DSN, which is not set"},
		{"the same store", []string{"copy", "--from", "bbolt:" + src, "--to", "bbolt:" + filepath.Dir(src) + "/./incidents.db"}, nil, "--from and --to name the same store"},
		{"the same database", []string{"copy", "--from", "postgres:", "--to", "postgres://u:" + secret + "@db/x"}, []string{"INCIDENTBOT_STORE_DSN=postgres://u:" + secret + "@db/x"}, "--from and --to name the same store, postgres:postgres://u:*****@db/x"},
		{"an argument", []string{"copy", "--from", "bbolt:" + src, "--to", "bbolt:/tmp/x.db", "postgres://u:" + secret + "@db/x"}, nil, `unexpected argument "postgres://u:*****@db/x"`},
		{"unknown flag", []string{"copy", "--dsn=postgres://u:" + secret + "@db/x"}, nil, "flag provided but not defined: -dsn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := Main(t.Context(), append([]string{"store"}, tc.args...), tc.env, &out, &errb)
			if code != copyBadUsage {
				t.Errorf("exit %d, want %d", code, copyBadUsage)
			}
			first, _, _ := strings.Cut(errb.String(), "\n")
			if !strings.Contains(first, tc.want) {
				t.Errorf("first line %q, want it to contain %q", first, tc.want)
			}
			if strings.Contains(errb.String()+out.String(), secret) {
				t.Errorf("the password is echoed: %s", errb.String())
			}
		})
	}
}

func TestStoreCopyBboltToBbolt(t *testing.T) {
	src := stoppedBotStore(t)
	dst := filepath.Join(t.TempDir(), "copy.db")
	out, errOut, code := storeCopy(t, nil, "--from", "bbolt:"+src, "--to", "bbolt:"+dst)
	if code != copyDone || errOut != "" {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	want := "Copied bbolt:" + src + " to bbolt:" + dst + " and verified: 2 incidents (1 open), 2 events, 0 reminders, 1 pending jobs, 1 postmortem nudges, 1 archive entries, 1 delivery keys (1 remembered); next incident INC-3, next job ID 2.\n"
	if out != want {
		t.Errorf("stdout:\n%s\nwant\n%s", out, want)
	}
	if diff := count(t, src).Diff(count(t, dst)); diff != "" {
		t.Errorf("the copy differs: %s", diff)
	}

	// Again into the same, now full, target: refused in one line.
	_, errOut, code = storeCopy(t, nil, "--from", "bbolt:"+src, "--to", "bbolt:"+dst)
	wantErr := "incidentbot store copy: bbolt:" + dst + ": target store is not empty: it holds incidents, outbox jobs and delivery keys; copy only into a new store file or an empty database\n"
	if code != copyRefused || errOut != wantErr {
		t.Errorf("copy into a full target: exit %d, stderr %q; want %d, %q", code, errOut, copyRefused, wantErr)
	}
}

func TestStoreCopyRefusesSourceInUseOrMissing(t *testing.T) {
	src := stoppedBotStore(t)
	running, err := boltstore.Open(src, boltstore.Options{}) // the bot, still running
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	dst := filepath.Join(t.TempDir(), "copy.db")
	_, errOut, code := storeCopy(t, nil, "--from", "bbolt:"+src, "--to", "bbolt:"+dst)
	want := "incidentbot store copy: source store " + src + " is in use by another process (is incidentbot already running?); stop it first, then copy\n"
	if code != copyRefused || errOut != want {
		t.Errorf("locked source: exit %d, stderr %q; want %d, %q", code, errOut, copyRefused, want)
	}
	if _, err := os.Stat(dst); !os.IsNotExist(err) {
		t.Errorf("the refused copy left a target file: %v", err)
	}

	missing := filepath.Join(t.TempDir(), "typo.db")
	_, errOut, code = storeCopy(t, nil, "--from", "bbolt:"+missing, "--to", "bbolt:"+dst)
	want = "incidentbot store copy: source bbolt:" + missing + " does not exist\n"
	if code != copyRefused || errOut != want {
		t.Errorf("missing source: exit %d, stderr %q; want %d, %q", code, errOut, copyRefused, want)
	}
}

// Against a real PostgreSQL: there and back, never showing the password,
// and a database a session is connected to is refused as a source.
func TestStoreCopyPostgres(t *testing.T) {
	const secret = "s3cretPW"
	dsn := strings.Replace(pgtest.DSN(t), "postgres@", "postgres:"+secret+"@", 1) // trust auth ignores it
	src := stoppedBotStore(t)

	out, errOut, code := storeCopy(t, nil, "--from", "bbolt:"+src, "--to", "postgres:"+dsn)
	if code != copyDone || !strings.Contains(out, "and verified: 2 incidents") {
		t.Fatalf("bbolt to postgres: exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if !strings.Contains(out, "postgres:postgres://postgres:*****@127.0.0.1") {
		t.Errorf("stdout does not name the database with its password masked: %q", out)
	}

	// The DSN from the environment; the target is full now.
	_, errOut, code = storeCopy(t, []string{"INCIDENTBOT_STORE_DSN=" + dsn}, "--from", "bbolt:"+src, "--to", "postgres:")
	if code != copyRefused || !strings.Contains(errOut, "target store is not empty: it holds incidents, outbox jobs and delivery keys") {
		t.Errorf("copy into a full database: exit %d, stderr %q", code, errOut)
	}

	// A bot connected to the source database.
	conn, err := pgx.Connect(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	back := filepath.Join(t.TempDir(), "back.db")
	_, errOut2, code := storeCopy(t, nil, "--from", dsn, "--to", "bbolt:"+back)
	if code != copyRefused || !strings.Contains(errOut2, "source postgres:postgres://postgres:*****@127.0.0.1") ||
		!strings.Contains(errOut2, "is in use: 1 other session(s) connected to the database (is incidentbot running?); stop every replica first") {
		t.Errorf("source in use: exit %d, stderr %q", code, errOut2)
	}
	conn.Close(context.Background())

	out, errOut3, code := storeCopy(t, nil, "--from", dsn, "--to", "bbolt:"+back)
	if code != copyDone {
		t.Fatalf("postgres to bbolt: exit %d, stderr %q", code, errOut3)
	}
	if diff := count(t, src).Diff(count(t, back)); diff != "" {
		t.Errorf("there and back differs: %s", diff)
	}
	for _, s := range []string{out, errOut, errOut2, errOut3} {
		if strings.Contains(s, secret) {
			t.Errorf("the password is shown: %q", s)
		}
	}
}

// A database that cannot be reached fails the copy in one line that names
// it without its password, and leaves the source alone.
func TestStoreCopyUnreachableDatabase(t *testing.T) {
	const secret = "hunter2pw"
	src := stoppedBotStore(t)
	for _, target := range []string{
		"postgres://incidentbot:" + secret + "@127.0.0.1:1/incidents?connect_timeout=5",
		"postgres:host=127.0.0.1 port=1 user=incidentbot password=" + secret + " dbname=incidents connect_timeout=5",
	} {
		_, errOut, code := storeCopy(t, nil, "--from", "bbolt:"+src, "--to", target)
		if code != copyFailed || strings.Count(errOut, "\n") != 1 || !strings.Contains(errOut, "target ") || !strings.Contains(errOut, "127.0.0.1") {
			t.Errorf("unreachable target: exit %d, stderr %q; want %d and one line naming it", code, errOut, copyFailed)
		}
		if strings.Contains(errOut, secret) {
			t.Errorf("the password is shown: %q", errOut)
		}
	}
	if diff := count(t, src).Diff(count(t, src)); diff != "" {
		t.Error(diff)
	}
}

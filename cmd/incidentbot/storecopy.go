package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/internal/dsn"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/storecopy"
)

const storeCopyUsage = `usage: incidentbot store copy --from bbolt:PATH|postgres:DSN --to bbolt:PATH|postgres:DSN
  Copies a stopped bot's store into an empty one. "postgres:" alone takes the DSN from
  $INCIDENTBOT_STORE_DSN, which keeps its password off the command line.`

// Exit codes of `incidentbot store copy`, as for `incidentbot check`.
const (
	copyDone     = 0
	copyFailed   = 1 // the copy failed (the target is as it was) or does not match (the message says so)
	copyBadUsage = 2 // bad flags or a --from/--to that names no store
	copyRefused  = 3 // a store in use, a source that does not exist, a target that is not empty
)

// storeCmd is `incidentbot store SUBCOMMAND`.
func storeCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && (args[0] == "help" || args[0] == "--help" || args[0] == "-help" || args[0] == "-h") {
		fmt.Fprintln(stdout, storeCopyUsage)
		return copyDone
	}
	if len(args) == 0 || args[0] != "copy" {
		what := "no sub-command"
		if len(args) > 0 {
			what = fmt.Sprintf("unknown sub-command %q", args[0])
		}
		fmt.Fprintf(stderr, "incidentbot store: %s\n%s\n", what, storeCopyUsage)
		return copyBadUsage
	}
	return storeCopyCmd(ctx, args[1:], environ, stdout, stderr)
}

// storeCopyCmd is `incidentbot store copy`: see package storecopy for what
// is copied. Both ends are checked before anything is written: the source
// must exist and no bot may be using either store, and the target must be
// empty.
func storeCopyCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	flags := flag.NewFlagSet("store copy", flag.ContinueOnError)
	flags.SetOutput(io.Discard) // a DSN in a flag error must not be echoed
	from := flags.String("from", "", "")
	to := flags.String("to", "", "")
	if err := flags.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, storeCopyUsage)
			return copyDone
		}
		// flag's errors name the flag, never its value (which may be a DSN).
		fmt.Fprintf(stderr, "incidentbot store copy: %v\n%s\n", err, storeCopyUsage)
		return copyBadUsage
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "incidentbot store copy: "+format+"\n%s\n", append(a, storeCopyUsage)...)
		return copyBadUsage
	}
	if flags.NArg() > 0 {
		return usageErr("unexpected argument %q", dsn.Redact(flags.Arg(0)))
	}
	src, err := parseEnd("--from", *from, environ)
	if err != nil {
		return usageErr("%v", err)
	}
	dst, err := parseEnd("--to", *to, environ)
	if err != nil {
		return usageErr("%v", err)
	}
	if src == dst || sameFile(src, dst) {
		return usageErr("--from and --to name the same store, %s", src)
	}
	c := copier{stderr: stderr, src: src, dst: dst}
	return c.run(ctx, stdout)
}

// end is one side of a copy: a bbolt file or a PostgreSQL database.
type end struct {
	driver string // "bbolt" or "postgres"
	target string // the path, or the DSN (a secret)
}

// String names the store for messages, the DSN's password masked.
func (e end) String() string {
	if e.driver == "postgres" {
		return "postgres:" + dsn.Redact(e.target)
	}
	return "bbolt:" + e.target
}

// parseEnd reads DRIVER:WHERE. A bare postgres:// URL is taken as the DSN
// it obviously is, rather than as driver "postgres" and DSN "//…".
func parseEnd(flagName, v string, environ []string) (end, error) {
	if v == "" {
		return end{}, fmt.Errorf("%s is required", flagName)
	}
	if strings.HasPrefix(v, "postgres://") || strings.HasPrefix(v, "postgresql://") {
		return end{driver: "postgres", target: v}, nil
	}
	driver, where, ok := strings.Cut(v, ":")
	switch {
	case !ok:
		return end{}, fmt.Errorf("%s %q names no store: write bbolt:PATH or postgres:DSN", flagName, dsn.Redact(v))
	case driver == "bbolt" && where == "":
		return end{}, fmt.Errorf("%s bbolt: needs the store file's path", flagName)
	case driver == "bbolt":
		return end{driver: driver, target: where}, nil
	case driver == "postgres" && where == "":
		where = lookupEnv(environ, "INCIDENTBOT_STORE_DSN")
		if where == "" {
			return end{}, fmt.Errorf("%s postgres: without a DSN takes it from INCIDENTBOT_STORE_DSN, which is not set", flagName)
		}
		return end{driver: driver, target: where}, nil
	case driver == "postgres":
		return end{driver: driver, target: where}, nil
	}
	// Only the part before the colon: the rest may hold a password.
	return end{}, fmt.Errorf("%s: %q is not a store driver; use bbolt:PATH or postgres:DSN", flagName, driver)
}

// sameFile reports two bbolt ends naming one existing file by different
// paths.
func sameFile(a, b end) bool {
	if a.driver != "bbolt" || b.driver != "bbolt" {
		return false
	}
	sa, err := os.Stat(a.target)
	if err != nil {
		return false
	}
	sb, err := os.Stat(b.target)
	return err == nil && os.SameFile(sa, sb)
}

func lookupEnv(environ []string, name string) string {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v
		}
	}
	return ""
}

// copier runs one copy and turns its failures into one line and an exit
// code.
type copier struct {
	stderr   io.Writer
	src, dst end
}

// fail prints one line, the DSNs' passwords scrubbed from it whatever
// produced it.
func (c copier) fail(code int, format string, a ...any) int {
	// One line: pgx lists each address it tried on a line of its own.
	msg := strings.Join(strings.Fields(strings.NewReplacer(":\n\t", ": ", "\n\t", "; ").Replace(fmt.Sprintf(format, a...))), " ")
	for _, e := range []end{c.src, c.dst} {
		if e.driver == "postgres" {
			msg = dsn.Scrub(msg, e.target)
		}
	}
	fmt.Fprintf(c.stderr, "incidentbot store copy: %s\n", msg)
	return code
}

// A server process outlives its client's disconnect by a moment, so a
// replica stopped just before the copy may still be listed: the check is
// made sessionChecks times, sessionRecheck apart, before it refuses.
const (
	sessionChecks  = 5
	sessionRecheck = 200 * time.Millisecond
)

// connectTimeout bounds how long the copy waits for a database.
const connectTimeout = 30 * time.Second

func (c copier) run(ctx context.Context, stdout io.Writer) int {
	if c.src.driver == "bbolt" {
		if _, err := os.Stat(c.src.target); errors.Is(err, fs.ErrNotExist) {
			return c.fail(copyRefused, "source %s does not exist", c.src)
		}
	}
	for _, e := range []struct {
		end
		role string
	}{{c.src, "source"}, {c.dst, "target"}} {
		if code := c.checkUnused(ctx, e.end, e.role); code != copyDone {
			return code
		}
	}
	src, closeSrc, code := c.open(ctx, c.src, "source")
	if code != copyDone {
		return code
	}
	defer closeSrc()
	created := false
	if c.dst.driver == "bbolt" {
		_, err := os.Stat(c.dst.target)
		created = errors.Is(err, fs.ErrNotExist)
	}
	dst, closeDst, code := c.open(ctx, c.dst, "target")
	if code != copyDone {
		return code
	}
	tally, err := storecopy.Copy(ctx, src, dst)
	closeDst()
	if err != nil && created && !errors.Is(err, storecopy.ErrMismatch) {
		// Nothing of the copy was kept; leave no empty file behind that a
		// later run would have to be pointed past.
		_ = os.Remove(c.dst.target)
	}
	switch {
	case errors.Is(err, storecopy.ErrNotEmpty):
		return c.fail(copyRefused, "%s: %v; copy only into a new store file or an empty database", c.dst, err)
	case err != nil:
		return c.fail(copyFailed, "%s to %s: %v", c.src, c.dst, err)
	}
	fmt.Fprintf(stdout, "Copied %s to %s and verified: %s.\n", c.src, c.dst, tally)
	return copyDone
}

// checkUnused refuses a PostgreSQL database other sessions are connected
// to: a running replica would go on writing to a source after the copy's
// snapshot, or alongside the copy into a target. (A bbolt file in use is
// refused by its lock when opened.)
func (c copier) checkUnused(ctx context.Context, e end, role string) int {
	if e.driver != "postgres" {
		return copyDone
	}
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	var n int
	for try := range sessionChecks {
		if try > 0 {
			select {
			case <-cctx.Done():
			case <-time.After(sessionRecheck):
			}
		}
		var err error
		if n, err = pgstore.OtherSessions(cctx, e.target); err != nil {
			return c.fail(copyFailed, "%s %v", role, err)
		}
		if n == 0 {
			break
		}
	}
	if n > 0 {
		return c.fail(copyRefused, "%s %s is in use: %d other session(s) connected to the database (is incidentbot running?); stop every replica first", role, e, n)
	}
	return copyDone
}

// open opens one end of the copy. A target indexes archives, so the
// source's archive entries can be recreated (see storecopy.Store).
func (c copier) open(ctx context.Context, e end, role string) (storecopy.Store, func(), int) {
	switch e.driver {
	case "bbolt":
		st, err := boltstore.Open(e.target, boltstore.Options{IndexArchives: role == "target"})
		switch {
		case errors.Is(err, boltstore.ErrLocked):
			return nil, nil, c.fail(copyRefused, "%s %v; stop it first, then copy", role, err)
		case errors.Is(err, boltstore.ErrDamaged):
			return nil, nil, c.fail(copyFailed, "%s %v; restore it from a backup, or run \"incidentbot check\" on it for details", role, err)
		case err != nil:
			return nil, nil, c.fail(copyFailed, "%s %v", role, err)
		}
		return st, func() { _ = st.Close() }, copyDone
	default:
		cctx, cancel := context.WithTimeout(ctx, connectTimeout)
		defer cancel()
		st, err := pgstore.Open(cctx, e.target, pgstore.Options{IndexArchives: role == "target"})
		if err != nil {
			return nil, nil, c.fail(copyFailed, "%s %v", role, err)
		}
		return st, func() { _ = st.Close() }, copyDone
	}
}

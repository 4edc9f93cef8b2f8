package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/pgstore"
)

// openExistingStore opens the store of a stopped bot for the sub-commands
// that read it (export, stats). It returns the exit code to stop with when
// it cannot: a missing file (Open would create one, and a typo in
// store.path must not look like an empty store), a file the running bot
// holds (then lockedHint says what to do instead), or a damaged one.
func openExistingStore(ctx context.Context, cfg *config.Config, cfgPath string, stderr io.Writer, lockedHint string) (*boltstore.Store, int) {
	if _, err := os.Stat(cfg.Store.Path); errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintf(stderr, "incidentbot: store %s does not exist; point store.path (or INCIDENTBOT_STORE_PATH, or --config) at the bot's store file\n", cfg.Store.Path)
		return nil, 1
	}
	if ctx.Err() != nil {
		return nil, 1
	}
	st, err := boltstore.Open(cfg.Store.Path, boltstore.Options{})
	switch {
	case err == nil:
		return st, 0
	case errors.Is(err, boltstore.ErrLocked):
		fmt.Fprintf(stderr, "incidentbot: %v\n%s\n", err, lockedHint)
	case errors.Is(err, boltstore.ErrDamaged):
		fmt.Fprintf(stderr, "incidentbot: %s\n", damagedHint(err, cfgPath))
	default:
		fmt.Fprintf(stderr, "incidentbot: %v\n", err)
	}
	return nil, 1
}

// loadLocalConfig loads the config a sub-command that works on a stopped
// bot's store needs (no Slack tokens), and says what is wrong with it in
// one line on stderr when it cannot.
func loadLocalConfig(path string, environ []string, stderr io.Writer) (*config.Config, bool) {
	cfg, err := config.Load(path, environ)
	if err == nil {
		err = cfg.ValidateLocal()
	}
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot: %v\n", err)
		return nil, false
	}
	return cfg, true
}

// storeOpenError says on one line why a store could not be opened. A
// database that cannot be reached carries the message a user gets when
// their request was lost ("so the request was not saved"); at start-up
// there is no request, only a database and store.dsn to look at.
func storeOpenError(err error) string {
	var unreached *pgstore.UnavailableError
	if errors.As(err, &unreached) {
		return fmt.Sprintf("cannot reach the database of store.dsn: %s; check that it runs and that store.dsn (or %s) names it", oneLine(unreached.Err), config.EnvName("store.dsn"))
	}
	return oneLine(err)
}

// oneLine puts an error that spans lines (pgx lists every address it
// tried, one per line) on one line, so that stderr holds one line per
// error, as a supervisor's log expects.
func oneLine(err error) string {
	var b strings.Builder
	for l := range strings.SplitSeq(err.Error(), "\n") {
		l = strings.TrimSpace(l)
		switch s := b.String(); {
		case l == "":
			continue
		case s != "" && strings.HasSuffix(s, ":"):
			b.WriteString(" ")
		case s != "":
			b.WriteString("; ")
		}
		b.WriteString(l)
	}
	return b.String()
}

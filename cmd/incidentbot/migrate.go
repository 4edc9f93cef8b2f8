package main

import (
	"context"
	"fmt"
	"io"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/store/pgstore"
)

const migrateUsage = "usage: incidentbot migrate [--config FILE] [--dry-run]"

// migrateCmd is `incidentbot migrate`: it brings a PostgreSQL store's
// schema up to this binary's, or with --dry-run lists what that would
// run. The bot migrates at start-up anyway (under an advisory lock, so
// replicas starting together are safe); this lets an operator see and run
// a migration before rolling out. A bbolt file migrates itself when
// opened, so there is nothing to do for one.
func migrateCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	flags := newFlags("migrate")
	cfgPath := flags.String("config", "", "config file (default $INCIDENTBOT_CONFIG, else ./config.yaml if present)")
	dryRun := flags.Bool("dry-run", false, "list the migrations that would run, and change nothing")
	if err := flags.Parse(args); err != nil {
		return flagsFailed(flags, migrateUsage, err, stdout, stderr)
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "incidentbot migrate: unexpected argument %q\n%s\n", flags.Arg(0), migrateUsage)
		return 2
	}
	cfg, ok := loadLocalConfig(*cfgPath, environ, stderr)
	if !ok {
		return 2
	}
	if cfg.Store.Driver != config.DriverPostgres {
		fmt.Fprintf(stdout, "store.driver is %s: its file is migrated when the bot opens it; nothing to do\n", cfg.Store.Driver)
		return 0
	}
	ms, err := pgstore.MigrateDSN(ctx, cfg.Store.DSN.Reveal(), *dryRun)
	if err != nil {
		// pgstore's errors never carry the DSN's password.
		fmt.Fprintf(stderr, "incidentbot migrate: %s\n", storeOpenError(err))
		return 1
	}
	verb := "applied"
	if *dryRun {
		verb = "would apply"
	}
	for _, m := range ms {
		fmt.Fprintf(stdout, "%s %04d %s\n", verb, m.Version, m.Name)
	}
	if len(ms) == 0 {
		fmt.Fprintln(stdout, "the database schema is up to date; nothing to do")
	}
	return 0
}

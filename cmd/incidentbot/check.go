package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

const checkUsage = "usage: incidentbot check [--config FILE]"

// Exit codes of `incidentbot check`.
const (
	checkClean    = 0
	checkDamaged  = 1
	checkBadUsage = 2 // bad flags or configuration
	checkCannot   = 3 // the file could not be checked: missing, unreadable, or in use
)

// checkCmd is `incidentbot check`: it examines the store file named by the
// configuration without changing it and prints what it found. The bot must
// be stopped: a file being written cannot be checked, so a store in use is
// refused in one line rather than read.
func checkCmd(args []string, environ []string, stdout, stderr io.Writer) int {
	flags := newFlags("check")
	cfgPath := flags.String("config", "", "config file (default $INCIDENTBOT_CONFIG, else ./config.yaml if present)")
	if err := flags.Parse(args); err != nil {
		return flagsFailed(flags, checkUsage, err, stdout, stderr)
	}
	if flags.NArg() > 0 {
		fmt.Fprintf(stderr, "incidentbot check: unexpected argument %q\n%s\n", flags.Arg(0), checkUsage)
		return checkBadUsage
	}
	cfg, ok := loadLocalConfig(*cfgPath, environ, stderr)
	if !ok {
		return checkBadUsage
	}
	if _, err := os.Stat(cfg.Store.Path); errors.Is(err, fs.ErrNotExist) {
		// As export and stats say it: a typo in store.path is the usual cause.
		fmt.Fprintf(stderr, "incidentbot check: store %s does not exist; point store.path (or %s, or --config) at the bot's store file\n", cfg.Store.Path, config.EnvName("store.path"))
		return checkCannot
	}
	rep, err := boltstore.Check(cfg.Store.Path, boltstore.DefaultTimeout)
	if errors.Is(err, boltstore.ErrLocked) {
		fmt.Fprintf(stderr, "incidentbot check: %v; stop it first, then check\n", err)
		return checkCannot
	}
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot check: %v\n", err)
		return checkCannot
	}
	fmt.Fprint(stdout, rep)
	if len(rep.Problems) > 0 && rep.Indexes == len(rep.Problems) {
		// The pages are sound, so the bot starts; but it would go on
		// doing what the indexes say, not what the records hold.
		fmt.Fprintln(stdout, indexesHint(rep))
		return checkDamaged
	}
	if len(rep.Problems) > 0 {
		fmt.Fprintln(stdout, "Restore the file from a backup while incidentbot is stopped; the bot will not start on it as it is.")
		return checkDamaged
	}
	if len(rep.Warnings) > 0 {
		// Damage bbolt survives (one meta page): the bot starts, but the
		// disk or a power cut damaged the file, which an operator should know.
		fmt.Fprintln(stdout, "The bot starts on it: bbolt reads the sound meta page and rewrites the other on its next commits. At worst the last transaction before the damage is lost; look at the disk.")
		return checkDamaged
	}
	return checkClean
}

// indexesHint is the closing line of a report whose problems are all
// indexes at odds with the records: the bot starts, what reads them, and
// how to mend them.
func indexesHint(rep *boltstore.Report) string {
	hint := "The bot starts on it, but " + strings.Join(rep.IndexReaders, "; ") + ", not the records: restore the file from a backup while incidentbot is stopped"
	if rep.Uncopyable > 0 {
		return hint + "; `incidentbot store copy`, which rebuilds the indexes from the records, fails on what is marked so above."
	}
	return hint + ", or copy it with `incidentbot store copy`, which rebuilds the indexes from the records."
}

// damagedHint completes a damaged store's error with what to do.
func damagedHint(err error, cfgPath string) string {
	cmd := "incidentbot check"
	if cfgPath != "" {
		cmd += " --config " + cfgPath
	}
	return fmt.Sprintf("%v; restore it from a backup, or run %q for details", err, cmd)
}

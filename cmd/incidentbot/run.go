package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

const runUsage = "usage: incidentbot run [--config FILE]"

// runCmd is `incidentbot run`: load and check everything first, so a
// misconfiguration fails at once with one clear line, then serve.
func runCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	fs := newFlags("run")
	cfgPath := fs.String("config", "", "config file (default $INCIDENTBOT_CONFIG, else ./config.yaml if present)")
	if err := fs.Parse(args); err != nil {
		return flagsFailed(fs, runUsage, err, stdout, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "incidentbot run: unexpected argument %q\n%s\n", fs.Arg(0), runUsage)
		return 2
	}
	cfg, log, tmpl, ok := setup(*cfgPath, environ, stderr, (*config.Config).Validate)
	if !ok {
		return 2
	}

	a, err := app.Open(cfg, tmpl, log)
	if errors.Is(err, boltstore.ErrDamaged) {
		fmt.Fprintf(stderr, "incidentbot: %s\n", damagedHint(err, *cfgPath))
		return 1
	}
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot: %s\n", storeOpenError(err))
		return 1
	}
	if err := a.Run(ctx); err != nil {
		var werr *store.WriteError
		if errors.As(err, &werr) {
			// Logged as it happened; exit non-zero so the supervisor
			// restarts us and the restart reads the file afresh.
			log.Info().Msg("stopped because the store cannot write; exiting for a restart")
			return 1
		}
		log.Error().Err(err).Msg("stopped with an error")
		return 1
	}
	log.Info().Msg("stopped")
	return 0
}

// setup loads the configuration, checks it with validate, and builds the
// logger and the templates. Whatever is wrong is said in one line on
// stderr (never with a token: config errors carry none) and ok is false.
func setup(cfgPath string, environ []string, stderr io.Writer, validate func(*config.Config) error) (cfg *config.Config, log zerolog.Logger, tmpl *templates.Set, ok bool) {
	fail := func(err error) (*config.Config, zerolog.Logger, *templates.Set, bool) {
		fmt.Fprintf(stderr, "incidentbot: %v\n", err)
		return nil, zerolog.Nop(), nil, false
	}
	cfg, err := config.Load(cfgPath, environ)
	if err == nil {
		if err = validate(cfg); err != nil && len(cfg.Warnings) > 0 {
			// The warnings are logged only once the config is valid, but a
			// typo (app_tokn) is often why it is not: say so on the same line.
			err = fmt.Errorf("%w (%s)", err, strings.Join(cfg.Warnings, "; "))
		}
	}
	if err != nil {
		return fail(err)
	}
	log, err = newLogger(cfg.Log.Level, cfg.Log.Format, stderr)
	if err != nil {
		return fail(err)
	}
	for _, w := range cfg.Warnings {
		log.Warn().Msg("config: " + w)
	}
	log.Info().Str("config", cfg.Redacted()).Msg("configuration loaded")
	if tmpl, err = templates.Load(cfg.Templates.Dir); err != nil {
		return fail(err)
	}
	return cfg, log, tmpl, true
}

// newLogger builds the zerolog logger from log.level and log.format.
func newLogger(level, format string, w io.Writer) (zerolog.Logger, error) {
	lvl, err := zerolog.ParseLevel(level)
	if err != nil {
		return zerolog.Nop(), fmt.Errorf("log.level: %q is not a level; use debug, info, warn or error", level)
	}
	if format == "console" {
		w = zerolog.ConsoleWriter{Out: w, TimeFormat: time.RFC3339}
	}
	return zerolog.New(w).Level(lvl).With().Timestamp().Logger(), nil
}

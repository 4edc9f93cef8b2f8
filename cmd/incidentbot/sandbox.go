package main

import (
	"context"
	"fmt"
	"io"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/sandbox"
)

const sandboxUsage = "usage: incidentbot sandbox [--listen 127.0.0.1:8090] [--config FILE] [--data DIR] [--scenario FILE] [--slack-latency 150ms]"

// sandboxCmd is `incidentbot sandbox`: the real bot against an emulated
// Slack workspace, with a chat-like web UI, so anyone can try it (or drill)
// without a Slack app or tokens.
func sandboxCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	fs := newFlags("sandbox")
	listen := fs.String("listen", sandbox.DefaultListen, "address of the web UI")
	cfgPath := fs.String("config", "", "config file (default $INCIDENTBOT_CONFIG, else ./config.yaml if present); its Slack settings and store.path are replaced by the sandbox's")
	data := fs.String("data", "", "folder that keeps the sandbox's store and emulated workspace between runs (default: a temporary folder removed on exit)")
	scenario := fs.String("scenario", "", "a game day file (YAML or JSON) to play into a drill once the sandbox is up, such as internal/sandbox/scenarios/db-failover.yaml")
	latency := fs.Duration("slack-latency", 0, "hold every Slack Web API call this long before the emulator answers, like real Slack's round trips (100ms-300ms)")
	if err := fs.Parse(args); err != nil {
		return flagsFailed(fs, sandboxUsage, err, stdout, stderr)
	}
	if *latency < 0 {
		fmt.Fprintf(stderr, "incidentbot sandbox: --slack-latency %v: must not be negative\n", *latency)
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "incidentbot sandbox: unexpected argument %q\n%s\n", fs.Arg(0), sandboxUsage)
		return 2
	}
	var sc *sandbox.Scenario
	if *scenario != "" {
		var err error
		if sc, err = sandbox.LoadScenario(*scenario); err != nil {
			fmt.Fprintf(stderr, "incidentbot sandbox: %v\n", err)
			return 2
		}
	}
	// The Slack settings come from the emulator; everything else must hold.
	cfg, log, tmpl, ok := setup(*cfgPath, environ, stderr, (*config.Config).ValidateLocal)
	if !ok {
		return 2
	}
	// store.path is a real bot's store (the Docker image sets it): its
	// pending Slack calls and channel IDs must never meet the emulator.
	if cfg.Store.Path != config.Default().Store.Path {
		fmt.Fprintf(stderr, "sandbox: ignoring store.path=%s; the sandbox keeps its own store (use --data DIR to keep it)\n", cfg.Store.Path)
	}
	sb, err := sandbox.Open(sandbox.Options{Listen: *listen, Config: cfg, DataDir: *data, Templates: tmpl, Log: log, SlackLatency: *latency})
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot: %v\n", err)
		return 1
	}
	if l, _ := sb.Emulator().Latency(); l > 0 {
		fmt.Fprintf(stderr, "sandbox: the emulated Slack answers every Web API call after %v, like a round trip to real Slack\n", l)
	}
	kept := "deleted on exit; --data DIR keeps it"
	if *data != "" {
		kept = "kept, with the workspace, in " + *data
	}
	fmt.Fprintf(stdout, "incidentbot sandbox: open %s in a browser (Ctrl-C stops it; the store %s is %s)\n", sb.URL(), sb.StorePath(), kept)
	fmt.Fprintf(stdout, "incidentbot sandbox: there, pick who you are next to the message box and type `%s declare` to open an incident; `%s help` lists every command\n", cfg.Slack.Command, cfg.Slack.Command)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	waitGameDay := func() {}
	if sc != nil {
		fmt.Fprintf(stdout, "incidentbot sandbox: playing the game day %q (%d events) into a drill\n", sc.Title, len(sc.Events))
		waitGameDay = startGameDay(ctx, sb, sc, log)
	}
	err = sb.Run(ctx)
	cancel()
	waitGameDay()
	if err != nil {
		log.Error().Err(err).Msg("sandbox stopped with an error")
		return 1
	}
	log.Info().Msg("sandbox stopped")
	return 0
}

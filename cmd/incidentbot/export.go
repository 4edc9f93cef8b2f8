package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/templates"
)

const exportUsage = "usage: incidentbot export [--config FILE] [--format md|json] INC-N"

// exportCmd is `incidentbot export`: the postmortem draft (md) or the full
// record (json) of one incident, read from the store file. It needs no
// Slack token. While a bot holds the store, the file is locked: export
// fails within the store's 2 s lock timeout and names the bot's ops
// endpoint, which serves the same draft to callers with http.token.
func exportCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	flags := newFlags("export")
	cfgPath := flags.String("config", "", "config file (default $INCIDENTBOT_CONFIG, else ./config.yaml if present)")
	format := flags.String("format", "md", "md: the postmortem draft; json: the incident and its whole timeline")
	ids, err := parseInterspersed(flags, args)
	if err != nil {
		return flagsFailed(flags, exportUsage, err, stdout, stderr)
	}
	if len(ids) != 1 {
		fmt.Fprintf(stderr, "incidentbot export: name one incident, such as INC-3\n%s\n", exportUsage)
		return 2
	}
	n, err := incident.ParseID(ids[0])
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot export: %s\n", incident.ErrorMessage(err))
		return 2
	}
	id := incident.FormatID(n)
	if *format != "md" && *format != "json" {
		fmt.Fprintf(stderr, "incidentbot export: --format %q is not a format; use md (the postmortem draft) or json (the full record)\n", *format)
		return 2
	}

	cfg, ok := loadLocalConfig(*cfgPath, environ, stderr)
	if !ok {
		return 2
	}
	var tmpl *templates.Set
	if *format == "md" {
		if tmpl, err = templates.Load(cfg.Templates.Dir); err != nil {
			fmt.Fprintf(stderr, "incidentbot: %v\n", err)
			return 2
		}
	}
	st, code := openExistingStore(ctx, cfg, *cfgPath, stderr, runningBotHint(cfg.HTTP.Listen, cfg.HTTP.Token != "", id))
	if st == nil {
		return code
	}
	defer st.Close()

	svc := &commands.Service{Store: st, Settings: cfg.Settings(), Command: cfg.Slack.Command}
	if *format == "json" {
		rec, err := svc.IncidentRecord(n)
		if err != nil {
			return exportFailed(stderr, err, id, cfg.Store.Path)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rec); err != nil {
			fmt.Fprintf(stderr, "incidentbot: write %s: %v\n", id, err)
			return 1
		}
		return 0
	}
	draft, err := svc.DraftPostmortem(n, tmpl, nil)
	if err != nil {
		return exportFailed(stderr, err, id, cfg.Store.Path)
	}
	if _, err := io.WriteString(stdout, draft); err != nil {
		fmt.Fprintf(stderr, "incidentbot: write %s: %v\n", id, err)
		return 1
	}
	return 0
}

func exportFailed(stderr io.Writer, err error, id, path string) int {
	if incident.ErrorCode(err) == incident.ENOTFOUND {
		fmt.Fprintf(stderr, "incidentbot: %s does not exist in store %s\n", id, path)
	} else {
		fmt.Fprintf(stderr, "incidentbot: export %s: %v\n", id, err)
	}
	return 1
}

// runningBotHint says where a running bot serves the draft, and that it
// takes http.token. The token itself is never printed: the hint names the
// environment variable that holds it.
func runningBotHint(listen string, token bool, id string) string {
	if listen == "" || !token {
		return fmt.Sprintf("While the bot runs, its ops listener can serve the same draft at GET /incidents/%s/postmortem.md to callers with http.token, but http.listen or http.token is empty here, so it is off; set both (http.listen: 127.0.0.1:8089, http.token or %s: a secret of 32+ random characters) and restart the bot, or stop the bot and export again.", id, config.EnvName("http.token"))
	}
	host, port, err := net.SplitHostPort(listen)
	if err == nil && (host == "" || net.ParseIP(host) != nil && net.ParseIP(host).IsUnspecified()) {
		listen = net.JoinHostPort("127.0.0.1", port)
	}
	return fmt.Sprintf("While the bot runs, get the same draft from its ops listener (http.listen), with http.token as a bearer token: curl -H \"Authorization: Bearer $%s\" http://%s/incidents/%s/postmortem.md", config.EnvName("http.token"), listen, id)
}

// parseInterspersed parses flags that may come before or after the
// positional arguments (`export INC-3 --format json`), which the flag
// package alone stops at.
func parseInterspersed(flags *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := flags.Parse(args); err != nil {
			return nil, err
		}
		args = flags.Args()
		if len(args) == 0 {
			return positional, nil
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

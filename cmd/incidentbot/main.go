// Command incidentbot runs the incident-response bot (run), prints an
// incident's postmortem draft (export), prints incident statistics (stats),
// checks its store file (check), brings a PostgreSQL store's schema up to
// date (migrate), copies its store into another (store copy), runs it
// against an emulated workspace with a web UI (sandbox), or prints its own
// version (version).
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := Main(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usage = `usage:
  incidentbot run     [--config FILE]                               connect to Slack and serve until SIGINT/SIGTERM
  incidentbot export  [--config FILE] [--format md|json] INC-N      print an incident's postmortem draft (md) or full record (json)
  incidentbot check   [--config FILE]                               check the store file for damage (stop the bot first); exit 0 clean, 1 damaged, 3 cannot check
  incidentbot stats   [--config FILE] [--since 30d] [--format table|json|csv] [--chart FILE.png] [--service NAME]
                                                                    incident statistics: counts, time to first update and to resolve, trends
  incidentbot store copy --from bbolt:PATH|postgres:DSN --to bbolt:PATH|postgres:DSN
                                                                    copy a stopped bot's store into an empty one (stop the bot first)
  incidentbot sandbox [--listen 127.0.0.1:8090] [--config FILE] [--data DIR] [--scenario FILE] [--slack-latency 150ms]
                                                                    try the real bot in a browser against an emulated Slack workspace
  incidentbot migrate [--config FILE] [--dry-run]                   bring a postgres store's schema up to date (the bot also does at start-up); --dry-run lists what would run
  incidentbot version                                               print the version
  incidentbot COMMAND --help                                        a command's flags
`

// Main runs one sub-command and returns the process exit code. Everything
// it needs is passed in, so tests can run it in-process.
func Main(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], environ, stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], environ, stdout, stderr)
	case "check":
		return checkCmd(args[1:], environ, stdout, stderr)
	case "stats":
		return statsCmd(ctx, args[1:], environ, stdout, stderr, time.Now())
	case "sandbox":
		return sandboxCmd(ctx, args[1:], environ, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, args[1:], environ, stdout, stderr)
	case "store":
		return storeCmd(ctx, args[1:], environ, stdout, stderr)
	case "version", "--version", "-v":
		fmt.Fprintf(stdout, "incidentbot %s\n", version)
		return 0
	case "help", "--help", "-h":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "incidentbot: unknown command %q\n%s", args[0], usage)
		return 2
	}
}

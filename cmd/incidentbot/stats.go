package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/insights"
	"github.com/incidentbot/incidentbot/insights/chart"
)

const statsUsage = "usage: incidentbot stats [--config FILE] [--since 30d] [--service NAME] [--format table|json|csv] [--chart FILE.png]"

// statsCmd is `incidentbot stats`: the statistics `/incident stats` posts,
// read from the store file. Like export it needs no token and fails fast,
// with one line, while a bot holds the store.
func statsCmd(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer, now time.Time) int {
	flags := newFlags("stats")
	cfgPath := flags.String("config", "", "config file (default $INCIDENTBOT_CONFIG, else ./config.yaml if present)")
	since := flags.String("since", commands.DefaultStatsPeriod, "the period: 7d, 30d, 90d, any number of days (14d) or weeks (2w), or a Go duration (72h)")
	service := flags.String("service", "", "one service of the catalogue (default: every service)")
	format := flags.String("format", "table", "table: aligned text; json: the whole report; csv: one row per figure")
	chartPath := flags.String("chart", "", "also write the chart (incidents per week by severity, time to resolve per week) to this PNG file")
	if err := flags.Parse(args); err != nil {
		return flagsFailed(flags, statsUsage, err, stdout, stderr)
	}
	if flags.NArg() != 0 {
		fmt.Fprintf(stderr, "incidentbot stats: unexpected %q\n%s\n", flags.Arg(0), statsUsage)
		return 2
	}
	length, err := commands.ParsePeriod(*since)
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot stats: --since: %s\n", incident.ErrorMessage(err))
		return 2
	}
	if *format != "table" && *format != "json" && *format != "csv" {
		fmt.Fprintf(stderr, "incidentbot stats: --format %q is not a format; use table, json or csv\n", *format)
		return 2
	}
	cfg, ok := loadLocalConfig(*cfgPath, environ, stderr)
	if !ok {
		return 2
	}
	st, code := openExistingStore(ctx, cfg, *cfgPath, stderr, fmt.Sprintf("While the bot runs, type `%s stats %s` in Slack instead, or stop the bot and run this again.", cfg.Slack.Command, *since))
	if st == nil {
		return code
	}
	defer st.Close()

	svc := &commands.Service{Store: st, Settings: cfg.Settings(), Command: cfg.Slack.Command}
	name, err := svc.StatsService(*service)
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot stats: --service: %s\n", incident.ErrorMessage(err))
		return 2
	}
	rep, err := svc.Stats(svc.StatsQuery(now.UTC(), length, name))
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot: %v\n", err)
		return 1
	}
	if *chartPath != "" {
		img, err := chart.PNG(rep)
		if err == nil {
			err = os.WriteFile(*chartPath, img, 0o644)
		}
		if err != nil {
			fmt.Fprintf(stderr, "incidentbot stats: --chart: %v\n", err)
			return 1
		}
	}
	switch *format {
	case "json":
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	case "csv":
		err = writeStatsCSV(stdout, rep)
	default:
		err = writeStatsTable(stdout, *since, rep)
	}
	if err != nil {
		fmt.Fprintf(stderr, "incidentbot stats: write: %v\n", err)
		return 1
	}
	return 0
}

// statsFigure is one row of the table and the CSV: a figure of this
// period and of the one before.
type statsFigure struct {
	name          string
	current, prev string
}

func statsFigures(rep insights.Report, dur func(time.Duration) string) []statsFigure {
	c, p := rep.Current, rep.Previous
	n := strconv.Itoa
	sum := func(s insights.Summary, v time.Duration) string {
		if s.N == 0 {
			return ""
		}
		return dur(v)
	}
	return []statsFigure{
		{"incidents", n(c.Incidents), n(p.Incidents)},
		{"private", n(c.Private), n(p.Private)},
		{"open", n(c.Open), n(p.Open)},
		{"resolved", n(c.Resolved), n(p.Resolved)},
		{"mtta_count", n(c.MTTA.N), n(p.MTTA.N)},
		{"mtta_median", sum(c.MTTA, c.MTTA.Median), sum(p.MTTA, p.MTTA.Median)},
		{"mtta_p90", sum(c.MTTA, c.MTTA.P90), sum(p.MTTA, p.MTTA.P90)},
		{"mttr_count", n(c.MTTR.N), n(p.MTTR.N)},
		{"mttr_median", sum(c.MTTR, c.MTTR.Median), sum(p.MTTR, p.MTTR.Median)},
		{"mttr_p90", sum(c.MTTR, c.MTTR.P90), sum(p.MTTR, p.MTTR.P90)},
		{"action_items", n(c.ActionItems), n(p.ActionItems)},
		{"postmortems", n(c.Postmortems), n(p.Postmortems)},
	}
}

// writeStatsCSV writes one row per figure (durations in seconds), then
// one per severity, service and week.
func writeStatsCSV(w io.Writer, rep insights.Report) error {
	cw := csv.NewWriter(w)
	secs := func(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) }
	rows := [][]string{{"section", "name", "current", "previous"}}
	for _, f := range statsFigures(rep, secs) {
		rows = append(rows, []string{"figure", f.name, f.current, f.prev})
	}
	for _, c := range rep.BySeverity {
		rows = append(rows, []string{"severity", c.Name, strconv.Itoa(c.Count), ""})
	}
	for _, c := range rep.ByService {
		rows = append(rows, []string{"service", c.Name, strconv.Itoa(c.Count), ""})
	}
	for _, g := range rep.Services {
		rows = append(rows, []string{"since_last_seconds", g.Service, secs(g.Since), ""})
		if g.MTBF > 0 {
			rows = append(rows, []string{"mtbf_seconds", g.Service, secs(g.MTBF), ""})
		}
	}
	for _, wk := range rep.Weeks {
		total := 0
		for _, v := range wk.BySeverity {
			total += v
		}
		rows = append(rows, []string{"week", wk.Start.UTC().Format("2006-01-02"), strconv.Itoa(total), ""})
	}
	if err := cw.WriteAll(rows); err != nil {
		return err
	}
	return cw.Error()
}

func writeStatsTable(w io.Writer, period string, rep insights.Report) error {
	scope := "every service"
	if rep.Service != "" {
		scope = "service " + rep.Service
	}
	fmt.Fprintf(w, "Incidents declared %s to %s UTC (%s), %s; drills are not counted.\n\n",
		rep.Current.From.UTC().Format("2006-01-02 15:04"), rep.Current.To.UTC().Format("2006-01-02 15:04"), period, scope)
	tw := tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "\tthis period\tprevious")
	for _, f := range statsFigures(rep, func(d time.Duration) string { return incident.FormatDuration(d, incident.DurationPrecise) }) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", f.name, dash(f.current), dash(f.prev))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(rep.BySeverity) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "severity\tincidents")
		for _, c := range rep.BySeverity {
			fmt.Fprintf(tw, "%s\t%d\n", c.Name, c.Count)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(rep.Services) > 0 {
		fmt.Fprintln(w)
		tw = tabwriter.NewWriter(w, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "service\tincidents\tlast\tsince\tmean time between")
		counts := map[string]int{}
		for _, c := range rep.ByService {
			counts[c.Name] = c.Count
		}
		for _, g := range rep.Services {
			mtbf := ""
			if g.MTBF > 0 {
				mtbf = incident.FormatDuration(g.MTBF, incident.DurationPrecise)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", g.Service, counts[g.Service], g.Last.UTC().Format("2006-01-02 15:04"), incident.FormatDuration(g.Since, incident.DurationPrecise), dash(mtbf))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/insights"
	"github.com/incidentbot/incidentbot/insights/chart"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// TemplateStats is the message that comes with the stats chart.
const TemplateStats = "stats.tmpl"

// cantPostHere are the answers to sharing a file that mean the bot may
// not post in that channel: the asker is answered privately instead.
var cantPostHere = map[string]bool{
	"not_in_channel": true, "channel_not_found": true, "is_archived": true,
	"restricted_action": true, "access_denied": true,
}

// statsCommand handles `/incident stats [period] [service]`: the outbox
// computes the statistics and posts them with their chart in this channel.
func (s *slashHandler) statsCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	res, err := s.cmds.RequestStats(ctx, commands.StatsInput{
		ChannelID: sc.ChannelID, By: sc.UserID, Period: cmd.Period, Service: cmd.Text,
		ResponseURL: sc.ResponseURL, IdempotencyKey: "slash:" + sc.TriggerID,
	})
	if err != nil {
		return s.failure(err, "stats"), nil
	}
	if res.Duplicate {
		return ephemeral("That request was already received; the stats are on their way."), nil
	}
	what := "every service"
	if res.Service != "" {
		what = safe(res.Service, 80)
	}
	return ephemeral(fmt.Sprintf(":bar_chart: Working on the stats for the last %s (%s)…", res.Period, what)), nil
}

// postStats computes the statistics of the job's window and shares them
// with their chart in the channel they were asked in (the 3-step upload
// of uploadPostmortem). A file's title carries the window's end, which
// every attempt of the job uses, so an uncertain attempt finds an upload
// an earlier one completed and stops. When the bot may not post there,
// the asker gets the text privately through the slash command's
// response_url.
func (p *Performer) postStats(ctx context.Context, job store.Job) (outbox.Apply, error) {
	var pl commands.StatsPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode stats payload: %w", err))
	}
	rep, err := p.cmds.Stats(p.cmds.StatsQuery(pl.To, pl.Length, pl.Service))
	if err != nil {
		return nil, err
	}
	text, err := p.render(TemplateStats, p.statsView(pl, rep))
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	name := "incident-stats-" + pl.Period + ".png"
	title := fmt.Sprintf("Incident statistics, %s to %s", pl.Period, pl.To.UTC().Format("2006-01-02 15:04:05 UTC"))
	if p.uncertain(job) {
		shared, err := p.findShared(ctx, pl.Channel, name, title)
		if cantPostHere[slackCode(err)] {
			return statsPrivately(pl, text)
		}
		if err != nil {
			return nil, classify(err)
		}
		if shared {
			return nil, nil
		}
	}
	img, err := chart.PNG(rep)
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	_, err = p.api.UploadFileContext(ctx, slack.UploadFileParameters{
		Filename: name, Title: title, Reader: bytes.NewReader(img), FileSize: len(img),
		Channel: pl.Channel, InitialComment: text,
		AltTxt: "Incidents per week by severity, and the median time to resolve per week",
	})
	if cantPostHere[slackCode(err)] {
		return statsPrivately(pl, text)
	}
	if err != nil {
		return nil, classify(err)
	}
	p.log.Info().Str("period", pl.Period).Int("incidents", rep.Current.Incidents).Int("bytes", len(img)).Msg("stats posted")
	return nil, nil
}

// statsPrivately answers the asker alone, without the chart (a
// response_url carries no file). The answer is an answer job (see
// Performer.answer), queued as this job completes: posted from here, a
// run cut short after the post would be run again and post it again.
func statsPrivately(pl commands.StatsPayload, text string) (outbox.Apply, error) {
	if pl.ResponseURL == "" {
		return nil, outbox.Permanent(fmt.Errorf("stats: the bot cannot post in %s and has no way to answer privately", pl.Channel))
	}
	text += "\n_I can't post in this channel, so only you see this, without the chart: invite me, or ask in an incident channel._"
	return func(tx store.Tx) error {
		return commands.EnqueueAnswer(tx, 0, commands.AnswerPayload{ResponseURL: pl.ResponseURL, Text: text})
	}, nil
}

// maxStatsServices bounds the services the message lists, most affected
// (or most recent) first, so a large catalogue cannot push it past what
// people read or Slack accepts.
const maxStatsServices = 15

// statsLine is one duration statistic, ready to show.
type statsLine struct {
	N              int
	Median, P90    string
	PreviousMedian string // "" when the period before had none
	Trend          string
}

// statsView is what stats.tmpl shows. Every field is safe mrkdwn; no
// incident is named, so private ones are only counted.
type statsView struct {
	Command, Period, Service, From, To string
	Incidents, PreviousIncidents       int
	Trend                              string
	Private, Open, Resolved            int
	BySeverity, ByService              []string
	MTTA, MTTR                         statsLine
	Services                           []string
	ActionItems, Postmortems           int
}

func (rd *renderer) statsView(pl commands.StatsPayload, rep insights.Report) statsView {
	cur, prev := rep.Current, rep.Previous
	v := statsView{
		Command: rd.cfg.Command, Period: pl.Period, Service: safe(pl.Service, 80),
		From: cur.From.UTC().Format("Jan 2 15:04"), To: cur.To.UTC().Format("Jan 2 15:04"),
		Incidents: cur.Incidents, PreviousIncidents: prev.Incidents, Trend: countTrend(cur.Incidents, prev.Incidents),
		Private: cur.Private, Open: cur.Open, Resolved: cur.Resolved,
		MTTA: durationLine(cur.MTTA, prev.MTTA), MTTR: durationLine(cur.MTTR, prev.MTTR),
		ActionItems: cur.ActionItems, Postmortems: cur.Postmortems,
	}
	for _, row := range rep.BySeverity {
		v.BySeverity = append(v.BySeverity, safe(row.Name, 40)+" "+strconv.Itoa(row.Count))
	}
	for i, row := range rep.ByService {
		if i == maxStatsServices {
			v.ByService = append(v.ByService, fmt.Sprintf("%d more", len(rep.ByService)-i))
			break
		}
		v.ByService = append(v.ByService, safe(row.Name, 80)+" "+strconv.Itoa(row.Count))
	}
	for i, g := range rep.Services {
		if i == maxStatsServices {
			v.Services = append(v.Services, fmt.Sprintf("…and %d more services", len(rep.Services)-i))
			break
		}
		line := safe(g.Service, 80) + ": last " + incident.FormatDuration(g.Since, incident.DurationPrecise) + " ago"
		if g.MTBF > 0 {
			line += ", one every " + incident.FormatDuration(g.MTBF, incident.DurationPrecise) + " on average"
		}
		v.Services = append(v.Services, line)
	}
	return v
}

func countTrend(cur, prev int) string {
	switch {
	case cur > prev:
		return fmt.Sprintf("▲ %d from %d", cur-prev, prev)
	case cur < prev:
		return fmt.Sprintf("▼ %d from %d", prev-cur, prev)
	default:
		return "same as the period before"
	}
}

func durationLine(cur, prev insights.Summary) statsLine {
	l := statsLine{N: cur.N, Median: "–", P90: "–"}
	if cur.N > 0 {
		l.Median, l.P90 = incident.FormatDuration(cur.Median, incident.DurationPrecise), incident.FormatDuration(cur.P90, incident.DurationPrecise)
	}
	if prev.N > 0 {
		l.PreviousMedian = incident.FormatDuration(prev.Median, incident.DurationPrecise)
	}
	if cur.N > 0 && prev.N > 0 {
		switch d := cur.Median - prev.Median; {
		case d > time.Second:
			l.Trend = "▲ slower"
		case d < -time.Second:
			l.Trend = "▼ faster"
		default:
			l.Trend = "unchanged"
		}
	}
	return l
}

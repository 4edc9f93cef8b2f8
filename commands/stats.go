package commands

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/insights"
	"github.com/incidentbot/incidentbot/store"
)

// JobPostStats computes the statistics when it runs and posts them with
// their chart where they were asked for (StatsPayload). It belongs to no
// incident.
const JobPostStats = "post_stats"

// DefaultStatsPeriod is the period of `stats` without one.
const DefaultStatsPeriod = "30d"

// maxStatsPeriod bounds a period: the reader walks every incident in it
// and the one before.
const maxStatsPeriod = 3 * 366 * 24 * time.Hour

// StatsPayload says what a JobPostStats computes and where it goes. To is
// fixed at the request, so every attempt covers the same window.
type StatsPayload struct {
	Channel string        `json:"channel"`
	User    string        `json:"user"`
	To      time.Time     `json:"to"`
	Length  time.Duration `json:"length"`
	Period  string        `json:"period"`
	Service string        `json:"service,omitempty"`
	// ResponseURL answers the asker privately when the bot cannot post in
	// Channel (Slack keeps it valid for 30 minutes).
	ResponseURL string `json:"response_url,omitempty"`
}

var periodDays = regexp.MustCompile(`^(\d{1,4})([dw])$`)

// ParsePeriod reads a stats period: Nd (days), Nw (weeks), or a Go
// duration such as 72h.
func ParsePeriod(s string) (time.Duration, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	var d time.Duration
	if m := periodDays.FindStringSubmatch(s); m != nil {
		n, _ := strconv.Atoi(m[1])
		d = time.Duration(n) * 24 * time.Hour
		if m[2] == "w" {
			d *= 7
		}
	} else if pd, err := time.ParseDuration(s); err == nil {
		d = pd
	} else {
		return 0, incident.Errorf(incident.EINVALID, "%q is not a period; use 7d, 30d or 90d (or a number of days like 14d)", clip(s, 20))
	}
	if d < time.Hour || d > maxStatsPeriod {
		return 0, incident.Errorf(incident.EINVALID, "a period is from 1h to 1096d; %q is not", clip(s, 20))
	}
	return d, nil
}

// parseStats reads `stats [PERIOD] [SERVICE…]`: a first word starting with
// a digit is the period, the rest names a service.
func parseStats(rest string) (Command, error) {
	c := Command{Name: CmdStats}
	first, after := cut(rest)
	if first != "" && first[0] >= '0' && first[0] <= '9' {
		if _, err := ParsePeriod(first); err != nil {
			return Command{}, err
		}
		c.Period, rest = strings.ToLower(first), after
	}
	c.Text = oneLine(rest)
	return c, nil
}

// StatsInput asks for the statistics of a period, posted in ChannelID.
type StatsInput struct {
	ChannelID   string
	By          string
	Period      string // "" = DefaultStatsPeriod
	Service     string // "" = every service
	ResponseURL string
	// IdempotencyKey identifies the delivery: a redelivered request posts
	// nothing more.
	IdempotencyKey string
}

// StatsResult is the outcome of RequestStats.
type StatsResult struct {
	Period    string
	Service   string // as configured, when one was asked for
	Duplicate bool
}

// RequestStats checks the request and enqueues the job that computes the
// statistics and posts them with their chart.
func (s *Service) RequestStats(ctx context.Context, in StatsInput) (StatsResult, error) {
	if in.Period == "" {
		in.Period = DefaultStatsPeriod
	}
	length, err := ParsePeriod(in.Period)
	if err != nil {
		return StatsResult{}, err
	}
	svc, err := s.StatsService(in.Service)
	if err != nil {
		return StatsResult{}, err
	}
	res := StatsResult{Period: in.Period, Service: svc}
	now := s.now()
	err = s.Store.Update(ctx, func(tx store.Tx) error {
		res.Duplicate = false // Update may run this function more than once
		if dup, err := markSeenOnce(tx, "stats", in.IdempotencyKey, now); err != nil || dup {
			res.Duplicate = dup
			return err
		}
		return enqueue(tx, 0, JobPostStats, StatsPayload{
			Channel: in.ChannelID, User: in.By, To: now, Length: length, Period: in.Period,
			Service: svc, ResponseURL: in.ResponseURL,
		})
	})
	if err != nil {
		return StatsResult{}, fmt.Errorf("stats: %w", err)
	}
	return res, nil
}

// StatsService resolves a typed service name against the catalogue (any
// name goes when there is no catalogue).
func (s *Service) StatsService(name string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(s.Settings.Services) == 0 {
		return name, nil
	}
	if svc, ok := s.Settings.Service(name); ok {
		return svc.Name, nil
	}
	known := make([]string, len(s.Settings.Services))
	for i, svc := range s.Settings.Services {
		known[i] = svc.Name
	}
	return "", incident.Errorf(incident.EINVALID, "%q is not a service; use one of %s, or none for every service", clip(name, 40), clip(strings.Join(known, ", "), 300))
}

// StatsQuery is the query for the period of length ending at to.
func (s *Service) StatsQuery(to time.Time, length time.Duration, service string) insights.Query {
	return insights.Query{To: to, Length: length, Service: service, Severities: s.Settings.SeverityNames()}
}

// Stats reads the incidents of q's period and the one before, with their
// timelines, in one transaction, and computes the report. It reads only
// the incidents declared since the earlier period began.
func (s *Service) Stats(q insights.Query) (insights.Report, error) {
	var recs []insights.Record
	err := s.Store.View(func(tx store.Tx) error {
		recs = recs[:0]
		return tx.IncidentsDeclaredSince(q.PreviousFrom(), func(inc *incident.Incident) error {
			if inc.Drill || inc.DeclaredAt.After(q.To) {
				return nil
			}
			evs, err := tx.Events(inc.Number)
			if err != nil {
				return err
			}
			recs = append(recs, insights.Record{Incident: inc, Events: evs})
			return nil
		})
	})
	if err != nil {
		return insights.Report{}, fmt.Errorf("stats: %w", err)
	}
	return insights.Compute(q, recs), nil
}

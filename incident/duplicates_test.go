package incident

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSimilarTitles(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"checkout 500s", "Checkout returning 500 errors", true},
		{"Checkout returning 500 errors", "checkout 500s", true},
		{"payments API down", "Payments api is down!", true},
		{"Login failures for SSO users", "SSO login failing… login failures", true},
		{"db disk full", "db disk full", true},
		{"outage", "Outage", true},
		{"Elevated latency on search queries", "search query latency elevated", true},
		{"db disk full", "checkout latency", false},
		{"checkout latency", "checkout errors", false},
		{"checkout 500s", "login 500s", false},
		{"crash test 1", "crash test 2", false},
		{"disk full on db-7", "disk full on db-8", false},
		{"disk full on db-7", "db-7 disk is full", true},
		{"login page slow", "search page slow", false},
		{"API gateway timeouts in eu-west-1", "Billing emails delayed", false},
		{"DNS resolution failing", "Database replication lag", false},
		{"the issue", "an issue", false},
		{"", "checkout 500s", false},
		{"!!!", "???", false},
	}
	for _, tt := range tests {
		if got := SimilarTitles(tt.a, tt.b); got != tt.want {
			t.Errorf("SimilarTitles(%q, %q) = %v, want %v (words %v vs %v)", tt.a, tt.b, got, tt.want, TitleWords(tt.a), TitleWords(tt.b))
		}
	}
}

func TestPossibleDuplicates(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	mk := func(n uint64, title, service string, ago time.Duration, st Status) *Incident {
		return &Incident{Number: n, Title: title, Service: service, Status: st, DeclaredAt: now.Add(-ago)}
	}
	open := []*Incident{
		mk(1, "Checkout returning 500 errors", "", 20*time.Minute, Investigating),
		mk(2, "checkout latency", "checkout", time.Hour, Identified),
		mk(3, "checkout 500s again", "", 7*time.Hour, Investigating), // outside the window
		mk(4, "checkout 500s", "", 10*time.Minute, Resolved),         // not open
		mk(5, "db disk full", "db", 5*time.Minute, Investigating),
		mk(6, "checkout 500s", "checkout", time.Minute, Investigating), // a drill, below
	}
	open[5].Drill = true
	ids := func(incs []*Incident) []uint64 {
		var out []uint64
		for _, i := range incs {
			out = append(out, i.Number)
		}
		return out
	}
	tests := []struct {
		name, title, service string
		want                 []uint64
	}{
		{"similar title", "checkout 500s", "", []uint64{1}},
		{"same service, newest first", "payment form broken", "Checkout", []uint64{2}},
		{"title and service", "checkout 500s", "checkout", []uint64{1, 2}},
		{"unrelated", "search is slow", "", nil},
		{"unrelated with another service", "billing emails delayed", "billing", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ids(PossibleDuplicates(open, tt.title, tt.service, now))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}
}

// TestCandidatesAnswerAsComparingWithEveryTitle: the word index only
// leaves out titles that cannot be similar. Over titles drawn from a small
// vocabulary (so that many share words, numbers and services), Duplicates
// answers exactly what comparing the new title with every open one does,
// also when the candidates were renewed from an earlier read.
func TestCandidatesAnswerAsComparingWithEveryTitle(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	vocab := []string{"checkout", "500s", "500", "errors", "login", "slow", "db-7", "db-8", "disk", "full", "the", "is", "API", "eu-west-1", "latency", "queries", "query", "Search"}
	services := []string{"", "", "checkout", "Checkout", "db"}
	rng := rand.New(rand.NewPCG(1, 2))
	title := func() string {
		var ws []string
		for range rng.IntN(5) {
			ws = append(ws, vocab[rng.IntN(len(vocab))])
		}
		return strings.Join(ws, " ")
	}
	everyTitle := func(open []*Incident, title, service string) []*Incident {
		var out []*Incident
		for _, inc := range open {
			if !inc.Open() || inc.Drill || inc.DeclaredAt.Before(now.Add(-DuplicateWindow)) || inc.DeclaredAt.After(now) {
				continue
			}
			if service != "" && strings.EqualFold(inc.Service, service) || SimilarTitles(inc.Title, title) {
				out = append(out, inc)
			}
		}
		slices.SortStableFunc(out, func(a, b *Incident) int { return b.DeclaredAt.Compare(a.DeclaredAt) })
		return out[:min(len(out), maxDuplicates)]
	}
	var prev *Candidates
	var before []*Incident
	for round := range 20 {
		var open []*Incident
		for n := range 60 {
			inc := &Incident{Number: uint64(n + 1), Title: title(), Service: services[rng.IntN(len(services))], Status: Investigating,
				DeclaredAt: now.Add(-time.Duration(rng.IntN(8*60)) * time.Minute), Drill: rng.IntN(10) == 0}
			if n < len(before) && rng.IntN(2) == 0 {
				inc.Title = before[n].Title // the same title read again: its words are reused
			}
			if rng.IntN(10) == 0 {
				inc.Status = Resolved
			}
			open = append(open, inc)
		}
		var heads []Headline
		for _, inc := range open {
			if inc.Open() {
				heads = append(heads, inc.Headline())
			}
		}
		c := prev.Renew(heads)
		for range 200 {
			ti, svc := title(), services[rng.IntN(len(services))]
			want := numbersOf(everyTitle(open, ti, svc))
			if got := numbersOf(PossibleDuplicates(open, ti, svc, now)); !slices.Equal(got, want) {
				t.Fatalf("round %d: PossibleDuplicates(%q, %q) = %v, want %v", round, ti, svc, got, want)
			}
			var got []uint64
			for _, h := range c.Duplicates(ti, svc, now) {
				got = append(got, h.Number)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("round %d: Duplicates(%q, %q) = %v, want %v", round, ti, svc, got, want)
			}
		}
		prev, before = c, open
	}
}

func numbersOf(incs []*Incident) []uint64 {
	var out []uint64
	for _, i := range incs {
		out = append(out, i.Number)
	}
	return out
}

// TestRenewGivenTheSameRead: a store hands the reads of one state the same
// headlines; Renew then prepares nothing again, and a fresh read of the
// same titles (another slice) is prepared anew with the same answers.
func TestRenewGivenTheSameRead(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	heads := []Headline{
		{Number: 1, Title: "checkout returns 500s", DeclaredAt: now.Add(-time.Minute)},
		{Number: 2, Title: "search is slow", DeclaredAt: now.Add(-time.Minute)},
	}
	c := NewCandidates(heads)
	if again := c.Renew(heads); again != c {
		t.Errorf("Renew of the very headlines c holds prepared them again")
	}
	fresh := c.Renew(slices.Clone(heads))
	if fresh == c {
		t.Fatalf("Renew of another read returned the old candidates")
	}
	for _, cand := range []*Candidates{c, fresh} {
		if got := cand.Duplicates("checkout 500s", "", now); len(got) != 1 || got[0].Number != 1 {
			t.Errorf("Duplicates(checkout 500s) = %+v, want INC-1", got)
		}
	}
}

package incident

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// DuplicateWindow is how far back a declaration looks for an incident it
// may duplicate. Two people declaring the same outage do so within minutes
// of each other; an incident declared hours ago that is still open is
// usually a different problem, and warning about it would teach people to
// click the warning away.
const DuplicateWindow = 6 * time.Hour

// maxDuplicates bounds the warning: beyond a few, a list is noise.
const maxDuplicates = 3

// PossibleDuplicates returns the incidents of open that a new declaration
// titled title for service (may be "") possibly duplicates: open, declared
// within DuplicateWindow before now, not a drill, and either on the same
// service or with a similar title (SimilarTitles). Most recently declared
// first, at most three. Callers filter the result by visibility: a private incident must
// not be revealed to someone who may not see it.
func PossibleDuplicates(open []*Incident, title, service string, now time.Time) []*Incident {
	var still []*Incident
	var heads []Headline
	for _, inc := range open {
		if inc.Open() {
			still = append(still, inc)
			heads = append(heads, inc.Headline())
		}
	}
	var out []*Incident
	for _, i := range NewCandidates(heads).matches(title, service, now) {
		out = append(out, still[i])
	}
	return out
}

// Headline is what a duplicate check compares of an open incident.
type Headline struct {
	Number     uint64
	Title      string
	Service    string
	DeclaredAt time.Time
	Drill      bool
}

// Headline returns what a duplicate check compares of i.
func (i *Incident) Headline() Headline {
	return Headline{Number: i.Number, Title: i.Title, Service: i.Service, DeclaredAt: i.DeclaredAt, Drill: i.Drill}
}

// Candidates are open incidents prepared for several duplicate checks
// (PossibleDuplicates): each title split into its words once, and a
// signature of those words. With hundreds open and as many declarations
// at once, splitting every open title again for each declaration, then
// comparing the new title with every open one, was most of the check.
// Similar titles share a word (SimilarTitles), and a number when both
// carry numbers, so a title whose signature shares no bit with the new
// one's is passed over without comparing: the answer is the same as
// comparing with every one.
type Candidates struct {
	open  []Headline
	words []map[string]bool
	sigs  []signature
}

// signature has one bit per word of a title (a hash of the word picks
// it) in all, and per number in nums; two titles that share a word share
// its bit.
type signature struct{ all, nums uint64 }

func signatureOf(words map[string]bool) signature {
	var s signature
	for w := range words {
		// FNV-1a: the same word gets the same bit in every process.
		h := uint64(14695981039346656037)
		for i := 0; i < len(w); i++ {
			h = (h ^ uint64(w[i])) * 1099511628211
		}
		bit := uint64(1) << (h % 64)
		s.all |= bit
		if isNumber(w) {
			s.nums |= bit
		}
	}
	return s
}

// mayBeSimilar is false when titles with signatures a and b cannot be
// similar (similarWords): they share no word, or both carry numbers and
// share none of them.
func (a signature) mayBeSimilar(b signature) bool {
	if a.nums != 0 && b.nums != 0 {
		return a.nums&b.nums != 0
	}
	return a.all&b.all != 0
}

// NewCandidates prepares the headlines of open incidents for Duplicates.
func NewCandidates(open []Headline) *Candidates {
	return (*Candidates)(nil).Renew(open)
}

// Renew prepares open as NewCandidates does, taking the words of each
// incident that c (may be nil) held with the same number and title: from
// one read of the open incidents to the next, most are the same. Both
// are in number order when read from a store; otherwise less is reused.
// Given the very headlines c holds (a store shares one answer between the
// reads of one state, and nobody changes it), it returns c.
func (c *Candidates) Renew(open []Headline) *Candidates {
	if c != nil && len(open) == len(c.open) && (len(open) == 0 || &open[0] == &c.open[0]) {
		return c
	}
	n := &Candidates{open: open, words: make([]map[string]bool, len(open)), sigs: make([]signature, len(open))}
	j := 0
	for i, inc := range open {
		if c != nil {
			for j < len(c.open) && c.open[j].Number < inc.Number {
				j++
			}
			if j < len(c.open) && c.open[j].Number == inc.Number && c.open[j].Title == inc.Title {
				n.words[i], n.sigs[i] = c.words[j], c.sigs[j]
				continue
			}
		}
		n.words[i] = TitleWords(inc.Title)
		n.sigs[i] = signatureOf(n.words[i])
	}
	return n
}

// Open returns the prepared headlines.
func (c *Candidates) Open() []Headline { return c.open }

// Duplicates is PossibleDuplicates over the prepared headlines. It only
// reads c, so several goroutines may call it at once.
func (c *Candidates) Duplicates(title, service string, now time.Time) []Headline {
	var out []Headline
	for _, i := range c.matches(title, service, now) {
		out = append(out, c.open[i])
	}
	return out
}

// matches returns the positions in c.open of Duplicates' answer.
func (c *Candidates) matches(title, service string, now time.Time) []int {
	var out []int
	words := TitleWords(title)
	sig := signatureOf(words)
	from := now.Add(-DuplicateWindow)
	for i, h := range c.open {
		// Most titles are passed over here, on their signature alone.
		if service == "" && !c.sigs[i].mayBeSimilar(sig) {
			continue
		}
		// A drill is practice: a real outage is never the same as one.
		if h.Drill || h.DeclaredAt.Before(from) || h.DeclaredAt.After(now) {
			continue
		}
		sameService := service != "" && strings.EqualFold(h.Service, service)
		if sameService || c.sigs[i].mayBeSimilar(sig) && similarWords(c.words[i], words) {
			out = append(out, i)
		}
	}
	slices.SortStableFunc(out, func(a, b int) int { return c.open[b].DeclaredAt.Compare(c.open[a].DeclaredAt) })
	if len(out) > maxDuplicates {
		out = out[:maxDuplicates]
	}
	return out
}

// SimilarTitles reports whether two incident titles probably describe the
// same problem. Both are reduced to their meaningful words (TitleWords).
// Titles that both carry numbers must share one. Then they are similar when
// at least 60% of all their words are shared (Jaccard index ≥ 0.6) and they
// share at least two words, or all the words of the shorter one when it has
// only one. "checkout 500s" and "Checkout returning 500 errors" share
// checkout and 500 of {checkout, 500, error}; "login page slow" and "search
// page slow" share only half; "checkout latency" and "checkout errors"
// share only the service's name, which the same-service rule covers when
// the service is given.
func SimilarTitles(a, b string) bool {
	return similarWords(TitleWords(a), TitleWords(b))
}

// similarWords is SimilarTitles on the titles' words.
func similarWords(wa, wb map[string]bool) bool {
	if len(wa) == 0 || len(wb) == 0 {
		return false
	}
	shared, numsA, numsB, numsShared := 0, 0, 0, 0
	for w := range wa {
		if wb[w] {
			shared++
		}
		if isNumber(w) {
			numsA++
			if wb[w] {
				numsShared++
			}
		}
	}
	for w := range wb {
		if isNumber(w) {
			numsB++
		}
	}
	// Numbers name things (db-7, eu-west-1, a status code): two titles that
	// both carry numbers but not the same one are about different things.
	if numsA > 0 && numsB > 0 && numsShared == 0 {
		return false
	}
	union := len(wa) + len(wb) - shared
	need := min(2, len(wa), len(wb))
	return shared >= need && 5*shared >= 3*union
}

// TitleWords are the meaningful words of a title: lower-cased, split at
// anything but letters and digits, without stop-words, plurals reduced to
// the singular ("500s" → "500", "errors" → "error", "queries" → "query").
func TitleWords(title string) map[string]bool {
	words := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToLower(title), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		if stopWords[f] {
			continue
		}
		words[singular(f)] = true
	}
	return words
}

// singular strips an English plural ending; it only has to map a word and
// its plural to the same token, not to a dictionary form.
func singular(w string) string {
	switch {
	case len(w) > 4 && strings.HasSuffix(w, "ies"):
		return w[:len(w)-3] + "y"
	case len(w) > 3 && strings.HasSuffix(w, "ses"), len(w) > 3 && strings.HasSuffix(w, "xes"):
		return w[:len(w)-2]
	case len(w) > 2 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") && !strings.HasSuffix(w, "us"):
		return w[:len(w)-1]
	}
	return w
}

// stopWords carry no meaning of their own in a title, including the verbs
// and fillers people put around the symptom ("is", "returning", "seeing").
var stopWords = map[string]bool{
	"a": true, "an": true, "the": true, "and": true, "or": true, "of": true, "on": true, "in": true,
	"at": true, "to": true, "for": true, "from": true, "with": true, "by": true, "via": true,
	"is": true, "are": true, "was": true, "were": true, "be": true, "been": true, "being": true,
	"it": true, "its": true, "this": true, "that": true, "we": true, "our": true, "some": true,
	"all": true, "not": true, "no": true, "any": true, "very": true, "still": true, "again": true,
	"returning": true, "returns": true, "return": true, "seeing": true, "getting": true,
	"has": true, "have": true, "had": true, "after": true, "during": true, "since": true,
	"issue": true, "issues": true, "problem": true, "problems": true, "incident": true,
}

// isNumber reports whether w is all digits.
func isNumber(w string) bool {
	for _, r := range w {
		if !unicode.IsDigit(r) {
			return false
		}
	}
	return w != ""
}

package postmortem_test

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/postmortem"
	"github.com/incidentbot/incidentbot/templates"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func builtin(t testing.TB) *templates.Set {
	t.Helper()
	set, err := templates.Load("")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./postmortem -update to create it)", err)
	}
	if got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) || i < len(wl); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("%s differs at line %d:\ngot:  %q\nwant: %q\n(run go test ./postmortem -update if the change is intended)", path, i+1, g, w)
			}
		}
	}
}

func TestGoldenRealisticIncident(t *testing.T) {
	s, rec := story(t)
	got, err := postmortem.Render(builtin(t), rec, s.PostmortemOptions(nil))
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "realistic.md", got)

	// DraftPostmortem, which export and the ops endpoint use, is the same.
	again, err := s.DraftPostmortem(rec.Incident.Number, builtin(t), nil)
	if err != nil || again != got {
		t.Fatalf("DraftPostmortem differs from Render (err %v)", err)
	}
}

// What the issue requires of every draft, checked on the realistic one
// independently of the golden file's exact wording.
func TestDraftHasEveryRequiredPart(t *testing.T) {
	s, rec := story(t)
	names := map[string]string{alice: "Alice Aalto", bob: "Bob Berg", dave: "Dave_Diaz *the* [IC]"}
	got, err := postmortem.Render(builtin(t), rec, s.PostmortemOptions(func(id string) string { return names[id] }))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# INC-1: Checkout returns 500s for card payments",
		"blameless",
		"## Summary", "Card payments fail with HTTP 500 since the 09:20 deploy.", `\*PayPal\*`, `\# not a heading`,
		"## Impact", "about 1,200 orders",
		"## Resolution", "## Severity", "declared as **SEV3**", "changed from SEV3 to **SEV2**",
		"checkout", "https://wiki.example.com/runbooks/checkout",
		"## Key times (UTC)", "| 2025-03-14 09:20:00 | -10m | Impact started |", "| 2025-03-14 09:30:00 | — | Declared |",
		"| Status: Identified |", "| Status: Monitoring |", "| Resolved |", "First status update",
		"**Impact to declaration:** 10m", "**Time to resolve (from impact start):**",
		"## Roles", "**Incident Commander:** Dave_Diaz \\*the\\* \\[IC\\]", "handed over from Alice Aalto to Dave_Diaz",
		"**Communications Lead:** Bob Berg", "**Operations Lead:** @UCAROL003",
		"## Timeline (UTC)",
		"## Contributing factors", "not people",
		"## What went well", "## What went wrong", "## Where we got lucky",
		"## Action items", "next few days", "goes to planning",
		"Make the connection-pool size a reviewed config value — owner: Dave_Diaz",
		"Add an alert on \\`pool_exhausted\\` \\> 0 \\[now\\](https://evil.example) @channel — owner: @UCAROL003",
		"Write down the rollback steps in the runbook — owner: *to be decided*",
		"## Response review", "Was the response fast enough?", "the right people involved at the right time?",
		"Were the alerts accurate?", "Was communication timely and clear?", "2 status updates posted",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("draft lacks %q", want)
		}
	}
	for _, bad := range []string{"<@", "<!", "&lt;", "&amp;", "@UALICE001", "@UBOB00002", "<no value>", " [now]("} {
		if strings.Contains(got, bad) {
			t.Errorf("draft contains %q", bad)
		}
	}

	// Every timeline event has its line, in time order.
	d := postmortem.Build(rec, s.PostmortemOptions(nil))
	if len(d.Timeline) != len(rec.Events) {
		t.Fatalf("%d timeline entries for %d events", len(d.Timeline), len(rec.Events))
	}
	section := got[strings.Index(got, "## Timeline"):strings.Index(got, "## Contributing")]
	if n := strings.Count(section, "\n- **"); n != len(rec.Events) {
		t.Errorf("timeline section has %d entries, want %d:\n%s", n, len(rec.Events), section)
	}
	for i := 1; i < len(d.Timeline); i++ {
		if d.Timeline[i].At < d.Timeline[i-1].At {
			t.Errorf("timeline out of order at %d: %s after %s", i, d.Timeline[i].At, d.Timeline[i-1].At)
		}
	}
	kinds := map[string]bool{}
	for _, e := range d.Timeline {
		kinds[e.Kind] = true
	}
	for _, k := range []incident.EventKind{incident.EventDeclared, incident.EventRoleAssigned, incident.EventRoleHandoff, incident.EventUpdate,
		incident.EventSeverityChanged, incident.EventStatusChanged, incident.EventNote, incident.EventMessagePinned, incident.EventAction,
		incident.EventReminder, incident.EventSnoozed, incident.EventResolved, incident.EventPostmortem} {
		if !kinds[string(k)] {
			t.Errorf("the story has no %s event", k)
		}
	}
}

func TestUserIDs(t *testing.T) {
	_, rec := story(t)
	got := postmortem.UserIDs(rec)
	want := []string{alice, dave, bob, carol}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("UserIDs = %v, want %v", got, want)
	}
}

func TestOpenIncidentAndMissingFields(t *testing.T) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	rec := postmortem.Record{Incident: &incident.Incident{
		Number: 7, Title: "db slow", Severity: "SEV9", Status: incident.Investigating, DeclaredBy: "UX1",
		StartedAt: at, DeclaredAt: at, Private: true,
	}}
	got, err := postmortem.Render(builtin(t), rec, postmortem.Options{Settings: incident.DefaultSettings()})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"# INC-7: db slow", "(still open when this draft was made)", "**Time to resolve:** not resolved yet",
		"*To be written:* in two or three sentences", "*To be written:* who was affected", "not recorded",
		"**Private incident:**", "- [ ] *None recorded yet.*", "0 status updates posted", "**Incident Commander:** nobody",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("draft lacks %q:\n%s", want, got)
		}
	}
	// A kind this version does not know is shown as recorded, escaped once.
	rec.Events = []incident.Event{{Seq: 1, At: at, Kind: "paged_*oncall*", Actor: "UX1", Text: "via <pager>"}}
	got, err = postmortem.Render(builtin(t), rec, postmortem.Options{})
	if err != nil || !strings.Contains(got, "— paged\\_\\*oncall\\* by @UX1: via \\<pager\\>\n") {
		t.Errorf("unknown kind (%v):\n%s", err, pmTimeline(got))
	}
	for _, bad := range []string{"## Resolution", "Impact started", "<no value>"} {
		if strings.Contains(got, bad) {
			t.Errorf("draft contains %q", bad)
		}
	}
}

// User text cannot change the document's structure: whatever a title,
// summary or note holds, the draft keeps its headings and one line per
// timeline event, and no raw HTML, link or emphasis gets through.
func TestUserTextCannotBreakStructure(t *testing.T) {
	hostile := []string{
		"# Heading\n## Another",
		"---\n===\n***",
		"| a | b |\n|---|---|",
		"```\ncode\n```",
		"~~~\nfence",
		"    indented code",
		"> quote\n>> nested",
		"1. one\n2) two\n- three\n+ four\n* five",
		"<script>alert(1)</script> <img src=x onerror=alert(1)>",
		"[click](https://evil.example) ![img](https://evil.example/x.png)",
		"[ref]: https://evil.example",
		"*bold* _em_ __strong__ `code` ~~strike~~",
		"&amp; &#x41; &copy; \\* trailing backslash \\",
		"line with two trailing spaces  \nnext",
		"<!channel> <@UVICTIM01|victim> <#C123|general> <https://x.example|label>",
		"\x00\x07bell\r\nwindows line\u2028separator",
		strings.Repeat("x", 5000),
		"title ending in hashes ##",
	}
	for i, h := range hostile {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
			inc := &incident.Incident{
				Number: 1, Title: h, Summary: h, Impact: h, Resolution: h, Service: h, Severity: "SEV1",
				Status: incident.Resolved, DeclaredBy: "UX1", DeclaredAt: at, StartedAt: at, ResolvedAt: at.Add(time.Hour),
				Actions: []incident.ActionItem{{Text: h, Owner: "UX2", CreatedBy: "UX1", CreatedAt: at}},
			}
			evs := []incident.Event{
				{Seq: 1, At: at, Kind: incident.EventNote, Actor: "UX1", Text: h},
				{Seq: 2, At: at, Kind: incident.EventUpdate, Actor: "UX1", Text: h, NextSteps: h},
				{Seq: 3, At: at, Kind: incident.EventKind(h), Actor: "UX1", Text: h, From: h, To: h, Role: h},
			}
			got, err := postmortem.Render(builtin(t), postmortem.Record{Incident: inc, Events: evs}, postmortem.Options{Names: func(string) string { return h }})
			if err != nil {
				t.Fatal(err)
			}
			headings := 0
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, "#") {
					headings++
				}
				trimmed := strings.TrimLeft(line, " ")
				for _, bad := range []string{"```", "~~~", "    indented"} {
					if strings.HasPrefix(trimmed, bad) {
						t.Errorf("line %q lets %q through", line, bad)
					}
				}
				if m := unescaped.FindString(line); m != "" {
					t.Errorf("line %q lets %q through", line, m)
				}
				if strings.HasSuffix(line, "  ") {
					t.Errorf("line %q ends in a hard break", line)
				}
			}
			if want := strings.Count(builtinOutline(t), "\n#"); headings != want {
				t.Errorf("%d headings, want %d:\n%s", headings, want, got)
			}
			section := got[strings.Index(got, "## Timeline"):strings.Index(got, "## Contributing")]
			if n := strings.Count(section, "\n- **"); n != len(evs) {
				t.Errorf("timeline has %d entries, want %d:\n%s", n, len(evs), section)
			}
			if strings.Contains(h, "| a | b |") && !strings.Contains(got, `\| a \| b \|`) {
				t.Error("table pipes in user text are not escaped")
			}
			if strings.ContainsAny(got, "\x00\x07\r") {
				t.Error("control characters got through")
			}
		})
	}
}

func pmTimeline(draft string) string {
	from, to := strings.Index(draft, "## Timeline"), strings.Index(draft, "## Contributing")
	if from < 0 || to < from {
		return draft
	}
	return draft[from:to]
}

// unescaped finds raw HTML, links and emphasis that user text must not
// produce: the characters that open them without a backslash before.
var unescaped = regexp.MustCompile(`(^|[^\\])(<(script|img)|\[(click|ref)\]|!\[img|\*bold|_em_|~~strike)`)

// builtinOutline is a draft of a plain resolved incident with every
// optional section, to count the headings a draft has.
func builtinOutline(t *testing.T) string {
	t.Helper()
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	out, err := postmortem.Render(builtin(t), postmortem.Record{Incident: &incident.Incident{
		Number: 1, Title: "t", Resolution: "r", Severity: "SEV1", Status: incident.Resolved, DeclaredAt: at, ResolvedAt: at,
	}}, postmortem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return "\n" + out
}

func TestFileName(t *testing.T) {
	if got := postmortem.FileName(&incident.Incident{Number: 42}); got != "INC-42-postmortem.md" {
		t.Fatalf("FileName = %q", got)
	}
}

// A template in templates.dir replaces the built-in draft.
func TestOverriddenTemplate(t *testing.T) {
	dir := t.TempDir()
	custom := "# {{.ID}} review\n{{range .Timeline}}* {{.At}} {{.Kind}}\n{{end}}"
	if err := os.WriteFile(filepath.Join(dir, postmortem.TemplateName), []byte(custom), 0o600); err != nil {
		t.Fatal(err)
	}
	set, err := templates.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	_, rec := story(t)
	got, err := postmortem.Render(set, rec, postmortem.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got, "# INC-1 review\n* 2025-03-14 09:25:00 message_pinned\n* 2025-03-14 09:30:00 declared\n") || strings.Contains(got, "blameless") {
		t.Fatalf("override not used:\n%s", got)
	}
}

// BenchmarkRenderPostmortem renders the draft of an incident with 10,000
// timeline events (target: at most 50 ms).
func BenchmarkRenderPostmortem(b *testing.B) {
	set := builtin(b)
	rec := bigRecord(10_000)
	opt := postmortem.Options{Settings: settings()}
	var size int
	b.ReportAllocs()
	for b.Loop() {
		out, err := postmortem.Render(set, rec, opt)
		if err != nil {
			b.Fatal(err)
		}
		size = len(out)
	}
	b.ReportMetric(float64(size), "bytes/draft")
}

// BenchmarkBuildPostmortem is the view-model part of the render above, to
// tell it from the template's execution.
func BenchmarkBuildPostmortem(b *testing.B) {
	rec := bigRecord(10_000)
	opt := postmortem.Options{Settings: settings()}
	b.ReportAllocs()
	for b.Loop() {
		postmortem.Build(rec, opt)
	}
}

// The draft is pure: nothing it depends on talks to Slack, a database or
// the network, so export and the ops listener can render it anywhere.
func TestPostmortemIsPure(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/incidentbot/incidentbot/postmortem").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, bad := range []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/incidentbot/incidentbot/store", "net/http", "github.com/spf13/viper"} {
			if dep == bad || strings.HasPrefix(dep, bad+"/") {
				t.Errorf("postmortem depends on %s", dep)
			}
		}
	}
}

// bigRecord is an incident with n timeline events of every common kind.
func bigRecord(n int) postmortem.Record {
	at := time.Date(2025, 3, 14, 9, 30, 0, 0, time.UTC)
	inc := &incident.Incident{
		Number: 99, Title: "Everything is slow", Summary: "Latency up across the board.", Severity: "SEV1", Service: "checkout",
		Status: incident.Resolved, DeclaredBy: alice, DeclaredAt: at, StartedAt: at, ResolvedAt: at.Add(time.Duration(n) * time.Second),
		Roles: map[string]string{incident.RoleCommander: alice, incident.RoleComms: bob},
	}
	users := []string{alice, bob, carol, dave}
	evs := make([]incident.Event, n)
	for i := range evs {
		ev := incident.Event{Seq: uint64(i + 1), At: at.Add(time.Duration(i) * time.Second), Actor: users[i%len(users)]}
		switch i % 5 {
		case 0:
			ev.Kind, ev.Text = incident.EventNote, fmt.Sprintf("checked shard %d: p99 %dms, `pool_size` ok & <@%s> agrees", i, i%900, users[(i+1)%4])
		case 1:
			ev.Kind, ev.Text, ev.NextSteps = incident.EventUpdate, "Mitigation in progress.\nTraffic shifted to region B.", "Keep watching"
		case 2:
			ev.Kind, ev.From, ev.To = incident.EventStatusChanged, "investigating", "identified"
		case 3:
			ev.Kind, ev.Role, ev.From, ev.To = incident.EventRoleHandoff, incident.RoleCommander, users[i%4], users[(i+1)%4]
		default:
			ev.Kind, ev.Text, ev.Link = incident.EventMessagePinned, "graph attached [see](x) *important*", "https://example.slack.com/archives/C1/p1"
		}
		evs[i] = ev
	}
	return postmortem.Record{Incident: inc, Events: evs}
}

func TestBigRecordRenders(t *testing.T) {
	got, err := postmortem.Render(builtin(t), bigRecord(2000), postmortem.Options{Settings: settings()})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count([]byte(got), []byte("\n- **2025-03-14")); n != 2000 {
		t.Fatalf("%d timeline entries, want 2000", n)
	}
}

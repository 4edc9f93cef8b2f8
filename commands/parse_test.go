package commands

import (
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/incident"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want Command
	}{
		// help
		{"", Command{Name: "help"}},
		{"   \n\t ", Command{Name: "help"}},
		{"help", Command{Name: "help"}},
		{"HELP", Command{Name: "help"}},
		{"help declare", Command{Name: "help"}},

		// declare
		{"declare", Command{Name: "declare"}},
		{"  Declare \n", Command{Name: "declare"}},
		{"declare SEV1 database is down", Command{Name: "declare", Severity: "SEV1", Title: "database is down"}},
		{"declare sev2 db", Command{Name: "declare", Severity: "sev2", Title: "db"}},
		{"DECLARE\tSEV1\t\tdatabase   is\ndown ", Command{Name: "declare", Severity: "SEV1", Title: "database is down"}},
		{"declare SEV9 unknown severity is kept", Command{Name: "declare", Severity: "SEV9", Title: "unknown severity is kept"}},
		{"declare sev title", Command{Name: "declare", Severity: "sev", Title: "title"}},
		{"declare database is down", Command{Name: "declare", Title: "database is down"}},
		{"declare several things broke", Command{Name: "declare", Title: "several things broke"}},
		{"declare severe outage", Command{Name: "declare", Title: "severe outage"}},
		{"declare Seven nodes down", Command{Name: "declare", Title: "Seven nodes down"}},
		{"declare SEV-1 db", Command{Name: "declare", Severity: "SEV-1", Title: "db"}},
		{"declare sev_crit db", Command{Name: "declare", Severity: "sev_crit", Title: "db"}},
		{"declare SEV12 db", Command{Name: "declare", Severity: "SEV12", Title: "db"}},
		{"declare db SEV1", Command{Name: "declare", Title: "db SEV1"}},
		{"declare <!channel> fire", Command{Name: "declare", Title: "<!channel> fire"}},

		// drill: declare's grammar
		{"drill", Command{Name: "drill"}},
		{"DRILL SEV2 db failover", Command{Name: "drill", Severity: "SEV2", Title: "db failover"}},
		{"drill db   failover\n", Command{Name: "drill", Title: "db failover"}},
		{"drill several replicas lag", Command{Name: "drill", Title: "several replicas lag"}},

		// update, postmortem, list
		{"update", Command{Name: "update"}},
		{"Update  ", Command{Name: "update"}},
		{"postmortem", Command{Name: "postmortem"}},
		{"list", Command{Name: "list"}},
		{"LIST", Command{Name: "list"}},

		// role
		{"role comms <@U123|ana>", Command{Name: "role", Role: "comms", User: "U123"}},
		{"role commander <@U0ABC9>", Command{Name: "role", Role: "commander", User: "U0ABC9"}},
		{"ROLE Ops   <@W123|bob>  ", Command{Name: "role", Role: "Ops", User: "W123"}},
		{"role scribe <@U1|Ana María López>", Command{Name: "role", Role: "scribe", User: "U1"}},
		{"role\ncomms\n<@U1>", Command{Name: "role", Role: "comms", User: "U1"}},

		// severity
		{"severity SEV2", Command{Name: "severity", Severity: "SEV2"}},
		{"severity  p1 ", Command{Name: "severity", Severity: "p1"}},

		// resolve
		{"resolve", Command{Name: "resolve"}},
		{"resolve rolled back the deploy", Command{Name: "resolve", Text: "rolled back the deploy"}},
		{"resolve  line one\nline two  ", Command{Name: "resolve", Text: "line one\nline two"}},

		// note
		{"note restarted the primary", Command{Name: "note", Text: "restarted the primary"}},
		{"note <@U1> is looking", Command{Name: "note", Text: "<@U1> is looking"}},

		// action
		{"action add an alert", Command{Name: "action", Text: "add an alert"}},
		{"action add an alert <@U7|ana>", Command{Name: "action", Text: "add an alert", User: "U7"}},
		{"action add an alert <@U7>  \n", Command{Name: "action", Text: "add an alert", User: "U7"}},
		{"action add an alert <@U7|Ana María>", Command{Name: "action", Text: "add an alert", User: "U7"}},
		{"action ask <@U1> to add an alert", Command{Name: "action", Text: "ask <@U1> to add an alert"}},
		{"action ask <@U1> then <@U2>", Command{Name: "action", Text: "ask <@U1> then", User: "U2"}},
		{"action add an alert @ana", Command{Name: "action", Text: "add an alert @ana"}},
		{"action page everyone <!here>", Command{Name: "action", Text: "page everyone <!here>"}},
		{"action fix it<@U7>", Command{Name: "action", Text: "fix it<@U7>"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse("/incident", tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		in string
		// the message must contain each of these
		want []string
	}{
		{"frobnicate", []string{`"frobnicate"`, "not an /incident command"}},
		{"declared SEV1 x", []string{`"declared"`, "not an /incident command"}},
		{"<!channel>", []string{`"<!channel>"`, "not an /incident command"}},
		{strings.Repeat("x", 10000), []string{"…", "not an /incident command"}},

		{"declare SEV1", []string{"title", "/incident declare SEV1 database is down"}},
		{"declare   sev2  ", []string{"title", "/incident declare sev2 database is down"}},

		{"drill SEV1", []string{"title", "/incident drill SEV1 database is down", "just `/incident drill`"}},

		{"role", []string{"/incident role comms @ana"}},
		{"role comms", []string{"who", "/incident role comms @ana"}},
		{"role comms @ana", []string{`"@ana"`, "/incident role comms @ana"}},
		{"role comms ana", []string{`"ana"`, "/incident role comms @ana"}},
		{"role comms <#C123|general>", []string{"/incident role comms @ana"}},
		{"role comms <!here>", []string{"/incident role comms @ana"}},
		{"role comms <!subteam^S1|oncall>", []string{"/incident role comms @ana"}},
		{"role comms <@u123>", []string{"/incident role comms @ana"}},
		{"role comms <@U123|ana> <@U456|bob>", []string{"too many", "/incident role comms @ana"}},
		{"role comms <@U123> please", []string{"too many", "/incident role comms @ana"}},
		{"role comms ops <@U123>", []string{"/incident role comms @ana"}},
		{"role <@U123> comms", []string{"role comes first", "/incident role comms @ana"}},
		{"role <@U123|Ana María> comms", []string{"role comes first"}},

		{"severity", []string{"/incident severity SEV2"}},
		{"severity SEV1 SEV2", []string{"/incident severity SEV2"}},

		{"note", []string{"/incident note"}},
		{"note  \n ", []string{"/incident note"}},

		{"action", []string{"/incident action"}},
		{"action <@U1>", []string{"/incident action"}},
		{"action   <@U1|ana>  ", []string{"/incident action"}},

		{"update now", []string{"/incident update"}},
		{"postmortem please", []string{"/incident postmortem"}},
		{"list all", []string{"/incident list"}},
	}
	for _, tt := range tests {
		t.Run(clip(tt.in, 40), func(t *testing.T) {
			got, err := Parse("/incident", tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", tt.in, got)
			}
			if code := incident.ErrorCode(err); code != incident.EINVALID {
				t.Errorf("code = %q, want %q (%v)", code, incident.EINVALID, err)
			}
			msg := incident.ErrorMessage(err)
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q does not contain %q", msg, w)
				}
			}
			// The bot appends "Type `/incident help` to see every command."
			// to every EINVALID answer; saying it here too doubles it.
			if strings.Contains(msg, "help") {
				t.Errorf("message %q points to help, which the bot's answer already does", msg)
			}
			if len(msg) > 400 {
				t.Errorf("message is %d bytes; keep replies short", len(msg))
			}
		})
	}
}

var userID = regexp.MustCompile(`^[UW][A-Z0-9]+$`)

// checkParse holds the properties every Parse result must have; the table
// tests and the fuzz target share it.
func checkParse(t *testing.T, in string) {
	t.Helper()
	c, err := Parse("/incident", in)
	if err != nil {
		if incident.ErrorCode(err) != incident.EINVALID {
			t.Fatalf("Parse(%q): error %v has code %q, want %q", in, err, incident.ErrorCode(err), incident.EINVALID)
		}
		if c != (Command{}) {
			t.Fatalf("Parse(%q) returned %+v with error %v", in, c, err)
		}
		return
	}
	if !slices.Contains(names(), c.Name) {
		t.Fatalf("Parse(%q): unknown name %q with nil error", in, c.Name)
	}
	if c.User != "" && !userID.MatchString(c.User) {
		t.Fatalf("Parse(%q): User %q is not a user ID", in, c.User)
	}
	switch c.Name {
	case CmdRole:
		if c.Role == "" || c.User == "" {
			t.Fatalf("Parse(%q): role without role or user: %+v", in, c)
		}
	case CmdNote, CmdAction:
		if c.Text == "" {
			t.Fatalf("Parse(%q): %s without text", in, c.Name)
		}
	case CmdSeverity:
		if c.Severity == "" {
			t.Fatalf("Parse(%q): severity without a severity", in)
		}
	case CmdDeclare:
		if c.Severity != "" && c.Title == "" {
			t.Fatalf("Parse(%q): declare with severity but no title", in)
		}
		if strings.ContainsAny(c.Title, "\n\r\t") {
			t.Fatalf("Parse(%q): title %q is not one line", in, c.Title)
		}
	}
}

func TestParseProperties(t *testing.T) {
	for _, in := range []string{
		"\xff\xfe", "declare \xffSEV1 x", "role \xff <@U1>", "action \x00 <@U1>",
		"note \u00a0", "declare\u00a0SEV1\u00a0db", "role comms <@U1|\xff>",
		strings.Repeat("declare ", 100000), "action " + strings.Repeat("<@U1>", 10000),
	} {
		checkParse(t, in)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "help", "declare", "declare SEV1 db down", "role comms <@U123|ana>",
		"severity SEV2", "resolve fixed", "note hi", "action fix <@U1>", "list",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkParse(t, in)
	})
}

func TestParseStats(t *testing.T) {
	tests := []struct {
		in   string
		want Command
		err  string
	}{
		{"stats", Command{Name: CmdStats}, ""},
		{"STATS 7d", Command{Name: CmdStats, Period: "7d"}, ""},
		{"stats 90D checkout", Command{Name: CmdStats, Period: "90d", Text: "checkout"}, ""},
		{"stats payments  api", Command{Name: CmdStats, Text: "payments api"}, ""},
		{"stats 2w", Command{Name: CmdStats, Period: "2w"}, ""},
		{"stats 30x checkout", Command{}, `"30x" is not a period`},
		{"stats 0d", Command{}, "from 1h to 1096d"},
		{"stats 5000d", Command{}, "from 1h to 1096d"},
	}
	for _, tt := range tests {
		got, err := Parse("/incident", tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

// Every example in a parse error names the command as configured
// (slack.command), so it can be typed as shown.
func TestParseErrorsNameTheConfiguredCommand(t *testing.T) {
	tests := []struct{ in, want string }{
		{"frobnicate", "not an /inc command"},
		{"note", "`/inc note restarted the primary database`"},
		{"list now", "`/inc list` takes nothing after it; type just `/inc list`"},
		{"postmortem please", "type just `/inc postmortem`"},
		{"declare SEV1", "`/inc declare SEV1 database is down`, or type just `/inc declare`"},
		{"drill sev2", "`/inc drill sev2 database is down`"},
		{"role", "`/inc role comms @ana`"},
		{"role <@U1> comms", "`/inc role comms @ana`"},
		{"role comms", "`/inc role comms @ana`"},
		{"role comms bob", "`/inc role comms @ana`"},
		{"severity", "`/inc severity SEV2`"},
		{"severity SEV1 now", "`/inc severity SEV2`"},
		{"action <@U1>", "`/inc action add an alert on replication lag @ana`"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Parse("/inc", tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) gave no error", tt.in)
			}
			msg := incident.ErrorMessage(err)
			if !strings.Contains(msg, tt.want) || strings.Contains(msg, "/incident") {
				t.Errorf("Parse(%q) = %q, want %q in it and no /incident", tt.in, msg, tt.want)
			}
		})
	}
}

package commands

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/incidentbot/incidentbot/incident"
)

// Command is one parsed invocation of the slash command (`/incident …`).
type Command struct {
	Name     string // "declare","drill","update","role","severity","resolve","note","action","postmortem","list","help"
	Severity string // declare and drill (optional, as typed: validation against configured severities happens later) and severity
	Title    string // declare and drill one-liner
	Role     string // role: the role word as typed (resolution to a configured role happens later)
	User     string // role: user ID from an escaped mention; action: owner ID
	Text     string // resolve summary, note text, action text, stats service
	Period   string // stats: the period as typed ("30d"); "" for the default
}

// Sub-command names, as they appear in Command.Name.
const (
	CmdDeclare    = "declare"
	CmdUpdate     = "update"
	CmdRole       = "role"
	CmdSeverity   = "severity"
	CmdResolve    = "resolve"
	CmdNote       = "note"
	CmdAction     = "action"
	CmdPostmortem = "postmortem"
	CmdList       = "list"
	CmdHelp       = "help"
	// CmdDrill declares a practice incident, with declare's grammar.
	CmdDrill = "drill"
	CmdStats = "stats"
)

// names lists every sub-command, in the order of the usage text.
func names() []string {
	return []string{CmdDeclare, CmdDrill, CmdUpdate, CmdRole, CmdSeverity, CmdResolve, CmdNote, CmdAction, CmdPostmortem, CmdList, CmdHelp, CmdStats}
}

var (
	// A severity is recognised in a one-line declare by its shape alone; the
	// configured list is checked later, so `SEV9` is reported with the valid
	// names instead of silently becoming part of the title. A letter right
	// after "sev" means an English word (several, severe, seven…) that starts
	// a title, not a severity.
	severityWord = regexp.MustCompile(`(?i)^sev(?:[^a-z\s]\S*)?$`)
	// With should_escape on, Slack sends a picked user as <@U123|name> or
	// <@U123> (W… for Enterprise Grid). The label may contain spaces, so the
	// mention is matched on the raw text rather than on a split word.
	mentionWhole  = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$`)
	mentionPrefix = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>`)
	mentionSuffix = regexp.MustCompile(`(?:^|\s)<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>$`)
)

// Parse reads the text that follows the slash command. It only checks the
// shape of the command; whether a severity or role exists, or whether the
// command may run in this channel, is for the use-case to decide. Errors are
// *incident.Error with code EINVALID and a message fit for the user, naming
// the slash command as command (the configured slack.command, such as
// "/incident"), so the examples it gives can be typed as they are. Parse
// never panics, whatever the input.
func Parse(command, text string) (Command, error) {
	word, rest := cut(text)
	if word == "" {
		return Command{Name: CmdHelp}, nil
	}
	name, ok := lookup(word)
	if !ok {
		// No pointer to help here: the bot ends every EINVALID answer with
		// one, and two in a row read as a stutter.
		return Command{}, incident.Errorf(incident.EINVALID,
			"%q is not an %s command.", clip(word, 40), command)
	}
	switch name {
	case CmdDeclare, CmdDrill:
		return parseDeclare(command, name, rest)
	case CmdRole:
		return parseRole(command, rest)
	case CmdSeverity:
		return parseSeverity(command, rest)
	case CmdResolve:
		return Command{Name: CmdResolve, Text: rest}, nil
	case CmdNote:
		if rest == "" {
			return Command{}, incident.Errorf(incident.EINVALID,
				"a note needs some text: `%s note restarted the primary database`", command)
		}
		return Command{Name: CmdNote, Text: rest}, nil
	case CmdAction:
		return parseAction(command, rest)
	case CmdStats:
		return parseStats(rest)
	case CmdHelp:
		// Extra words after help are harmless: whoever asks for help gets it.
		return Command{Name: CmdHelp}, nil
	default: // update, postmortem, list
		if rest != "" {
			return Command{}, incident.Errorf(incident.EINVALID,
				"`%s %s` takes nothing after it; type just `%s %s`", command, name, command, name)
		}
		return Command{Name: name}, nil
	}
}

// parseDeclare reads `declare [SEVn] TITLE…`, and `drill` with the same
// grammar (name says which).
func parseDeclare(command, name, rest string) (Command, error) {
	if rest == "" {
		return Command{Name: name}, nil // the modal asks for the rest
	}
	first, after := cut(rest)
	if severityWord.MatchString(first) {
		if after == "" {
			return Command{}, incident.Errorf(incident.EINVALID,
				"give the incident a title: `%s %s %s database is down`, or type just `%s %s` to open the form", command, name, clip(first, 20), command, name)
		}
		return Command{Name: name, Severity: first, Title: oneLine(after)}, nil
	}
	return Command{Name: name, Title: oneLine(rest)}, nil
}

// roleForm is the example every answer about a malformed role assignment
// ends with.
func roleForm(command string) string {
	return "`" + command + " role comms @ana` (pick the person from the list Slack offers as you type @)"
}

func parseRole(command, rest string) (Command, error) {
	form := roleForm(command)
	role, who := cut(rest)
	switch {
	case role == "":
		return Command{}, incident.Errorf(incident.EINVALID, "say which role and who takes it: %s", form)
	case mentionPrefix.MatchString(rest):
		return Command{}, incident.Errorf(incident.EINVALID, "the role comes first, then the person: %s", form)
	case who == "":
		return Command{}, incident.Errorf(incident.EINVALID, "say who takes the %s role: %s", clip(role, 30), form)
	}
	if m := mentionWhole.FindStringSubmatch(who); m != nil {
		return Command{Name: CmdRole, Role: role, User: m[1]}, nil
	}
	if mentionPrefix.MatchString(who) {
		return Command{}, incident.Errorf(incident.EINVALID, "one role goes to one person; too many words after the mention: %s", form)
	}
	return Command{}, incident.Errorf(incident.EINVALID,
		"%q is not a mention of a person; use %s", clip(firstWord(who), 30), form)
}

func parseSeverity(command, rest string) (Command, error) {
	sev, after := cut(rest)
	if sev == "" {
		return Command{}, incident.Errorf(incident.EINVALID, "say which severity: `%s severity SEV2`", command)
	}
	if after != "" {
		return Command{}, incident.Errorf(incident.EINVALID, "give one severity and nothing else: `%s severity SEV2`", command)
	}
	return Command{Name: CmdSeverity, Severity: sev}, nil
}

func parseAction(command, rest string) (Command, error) {
	form := "`" + command + " action add an alert on replication lag @ana` (the owner at the end is optional)"
	c := Command{Name: CmdAction, Text: rest}
	if loc := mentionSuffix.FindStringSubmatchIndex(rest); loc != nil {
		c.User = rest[loc[2]:loc[3]]
		c.Text = strings.TrimRightFunc(rest[:loc[0]], unicode.IsSpace)
	}
	if c.Text == "" {
		return Command{}, incident.Errorf(incident.EINVALID, "an action item needs a description: %s", form)
	}
	return c, nil
}

// lookup maps a typed sub-command to its canonical name, ignoring case.
func lookup(word string) (string, bool) {
	for _, n := range names() {
		if strings.EqualFold(word, n) {
			return n, true
		}
	}
	return "", false
}

// cut splits off the first whitespace-separated word of s; rest is what
// follows with surrounding whitespace trimmed, internal spacing kept.
func cut(s string) (word, rest string) {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}

func firstWord(s string) string {
	w, _ := cut(s)
	return w
}

// oneLine folds every run of whitespace, newlines included, into one space:
// a title is a single line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// clip keeps error messages short when they quote what the user typed.
func clip(s string, max int) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

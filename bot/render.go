package bot

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// Block Kit limits (Slack's Block Kit reference) that rendering must respect.
const (
	maxHeader      = 150
	maxSectionText = 3000
	maxMessageText = 4000
	maxTopic       = 250
	maxOptionText  = 75
	maxBlocks      = 50
)

var userIDPattern = regexp.MustCompile(`^[UWB][A-Z0-9]{2,}$`)

// mention renders a user ID as a Slack mention; anything that is not a
// well-formed user ID is shown as escaped text, never as markup.
func mention(id string) string {
	if userIDPattern.MatchString(id) {
		return "<@" + id + ">"
	}
	return mrkdwn.Neutralize(id)
}

// channelLink renders a channel ID as a link.
func channelLink(id string) string {
	if id == "" {
		return "_(channel not created yet)_"
	}
	return "<#" + id + ">"
}

// slackDate renders t so each reader sees it in their own time zone, with a
// UTC fallback.
func slackDate(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{date_short_pretty} {time}|%s>", t.Unix(), t.UTC().Format("2006-01-02 15:04 UTC"))
}

// safe makes user text fit for a mrkdwn field of at most max characters:
// escaped and defanged, with the people and channels it names still linked.
func safe(s string, max int) string {
	return mrkdwn.LiveMentions(mrkdwn.Truncate(mrkdwn.Neutralize(s), max))
}

// incidentView is what the message templates see: every string already
// safe to place in mrkdwn.
type incidentView struct {
	Command                                               string
	ID, Title, Summary, Severity, SeverityMeaning, Status string
	Service, Runbook                                      string
	Commander, Channel, Started, DeclaredBy               string
	// Involved is everyone in the response but the commander: the other
	// role holders, then Helping, who hold no role (the declarer and the
	// service's experts).
	Involved, Helping string
	Resolved          bool
	Duration          string
	Private           bool
	// Drill marks a practice incident; DrillLabel is the marker to show.
	Drill      bool
	DrillLabel string
	Roles      []roleView
	// LastUpdate is when the last status update came (a Slack date), ""
	// before the first; NextUpdate ("15:04 UTC", for the topic) and
	// NextUpdateDate (a Slack date) say when the next is due, "" when no
	// update is due. See updateTimes.
	LastUpdate, NextUpdate, NextUpdateDate string
	// AnnouncedIn is set for declared.tmpl only (the ack of a one-line
	// declaration): a channel link, "" when announced nowhere. It is a
	// field of the view, not of a struct embedding it, because
	// text/template finds a field of a struct with an embedded one through
	// reflect's FieldByNameFunc, which made that render ten times slower
	// (15 µs, 43 allocations instead of 18) on the path of every
	// declaration's ack.
	AnnouncedIn string

	// The fields below are set only for the templates that name them, for
	// the same reason as AnnouncedIn: a struct embedding the view renders
	// ten times slower than the view itself.

	// Mentions, Quiet, SinceDeclared and Missed are the reminders' (see
	// reminderView).
	Mentions, Quiet string
	SinceDeclared   bool
	Missed          int
	// Event is the timeline event a post is about (postEvent), Update the
	// status update (postUpdate); nil for other templates. Pointers, since
	// the view is copied into an interface for each render: a reminder's
	// view would otherwise carry ~350 bytes of them.
	Event  *eventView
	Update *updateView
	// RequestedBy and FileName are the postmortem upload's comment's.
	RequestedBy, FileName string
}

type roleView struct {
	ID, Name, Holder string // Holder is a mention, or "" when nobody holds it
}

func (rd *renderer) view(inc *incident.Incident) incidentView {
	settings := rd.cfg.Settings
	sev, _ := settings.Severity(inc.Severity)
	v := incidentView{
		Command:         rd.cfg.Command,
		ID:              inc.ID(),
		Title:           safe(inc.Title, 500),
		Summary:         safe(inc.Summary, 2500),
		Severity:        safe(inc.Severity, 40),
		SeverityMeaning: safe(sev.Description, 200),
		Status:          inc.Status.Label(),
		Commander:       holderOrNobody(inc.Holder(incident.RoleCommander)),
		Channel:         channelLink(inc.ChannelID),
		Started:         slackDate(inc.StartedAt),
		DeclaredBy:      mention(inc.DeclaredBy),
		Resolved:        !inc.Open(),
		Private:         inc.Private,
		Drill:           inc.Drill,
		DrillLabel:      incident.DrillLabel,
	}
	if svc, ok := settings.Service(inc.Service); ok {
		v.Service = safe(svc.Name, 100)
		v.Runbook = strings.NewReplacer("<", "", ">", "", "|", "").Replace(svc.Runbook)
	}
	if !inc.Open() {
		v.Duration = incident.FormatDuration(inc.ResolvedAt.Sub(inc.StartedAt), incident.DurationClock)
	}
	v.LastUpdate, v.NextUpdate, v.NextUpdateDate = updateTimes(inc)
	var involved, helping []string
	commander := inc.Holder(incident.RoleCommander)
	seen := map[string]bool{commander: true}
	for _, r := range settings.Roles {
		holder := inc.Holder(r.ID)
		rv := roleView{ID: r.ID, Name: safe(r.Name, 60)}
		if holder != "" {
			rv.Holder = mention(holder)
			if !seen[holder] {
				seen[holder] = true
				involved = append(involved, rv.Holder)
			}
		}
		v.Roles = append(v.Roles, rv)
	}
	// Who was brought in without a role: the declarer and the service's
	// experts, both invited to the channel.
	people := []string{inc.DeclaredBy}
	if svc, ok := settings.Service(inc.Service); ok {
		people = append(people, svc.Experts...)
	}
	for _, id := range people {
		if userIDPattern.MatchString(id) && !seen[id] {
			seen[id] = true
			helping = append(helping, mention(id))
		}
	}
	v.Involved = strings.Join(append(involved, helping...), ", ")
	v.Helping = strings.Join(helping, ", ")
	return v
}

func holderOrNobody(id string) string {
	if id == "" {
		return "_nobody yet_"
	}
	return mention(id)
}

// render executes a message template; a failing template is an internal
// error worth a retry after the operator fixes it, not a crash.
func (rd *renderer) render(name string, data any) (string, error) {
	s, err := rd.tmpl.Render(name, data)
	if err != nil {
		return "", fmt.Errorf("render %s: %w", name, err)
	}
	return strings.TrimSpace(s), nil
}

func section(blockID, text string) *slack.SectionBlock {
	return slack.NewSectionBlock(slack.NewTextBlockObject(slack.MarkdownType, mrkdwn.Truncate(text, maxSectionText), false, false), nil, nil, slack.SectionBlockOptionBlockID(blockID))
}

// header is a plain_text header: Slack does not parse plain_text, so user
// text needs no escaping there, only folding onto one line.
func header(text string) *slack.HeaderBlock {
	t := mrkdwn.Plain(text, maxHeader)
	if t == "" {
		t = "Incident"
	}
	return slack.NewHeaderBlock(slack.NewTextBlockObject(slack.PlainTextType, t, true, false))
}

// cardBlocks is the live summary card as first posted.
func (rd *renderer) cardBlocks(inc *incident.Incident) ([]slack.Block, string, error) {
	return rd.cardBlocksAt(inc, 0)
}

// cardBlockID is the block_id of one of the card's interactive blocks at
// revision rev (0: the first post). Slack clients keep what a user chose in
// a select for as long as its block_id stays the same, whatever chat.update
// sends as initial_user: a refused pick would stay on screen. So every
// redraw gives these blocks new block_ids. Routing goes by action_id only.
func cardBlockID(base string, rev uint64) string {
	if rev == 0 {
		return base
	}
	return base + "." + strconv.FormatUint(rev, 10)
}

// cardBlocksAt is the live summary card pinned in the incident channel, at
// revision rev (the ID of the job that draws it: unique and increasing).
func (rd *renderer) cardBlocksAt(inc *incident.Incident, rev uint64) ([]slack.Block, string, error) {
	v := rd.view(inc)
	facts, err := rd.render("card.tmpl", v)
	if err != nil {
		return nil, "", err
	}
	blocks := []slack.Block{
		header(drillPrefix(inc) + inc.ID() + " · " + inc.Title),
		section("facts", facts),
	}
	if v.Summary != "" {
		blocks = append(blocks, section("summary", v.Summary))
	}
	blocks = append(blocks, slack.NewDividerBlock())
	roleBudget := maxBlocks - len(blocks) - 3
	for i, r := range v.Roles {
		if i >= roleBudget {
			break
		}
		text := "*" + r.Name + "*\n" + r.Holder
		if r.Holder == "" {
			// Nobody holds it: the commander does, as the response guides
			// prescribe ("IC covers Communications Lead").
			text = "*" + r.Name + "*\n_IC covers " + r.Name + ": " + v.Commander + "_"
			if inc.Holder(incident.RoleCommander) == "" {
				text = "*" + r.Name + "*\n_nobody yet: the commander covers it once picked_"
			}
			if r.ID == incident.RoleCommander {
				text = "*" + r.Name + "*\n_nobody yet: pick someone_"
			}
		}
		sel := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, slack.NewTextBlockObject(slack.PlainTextType, "Assign "+mrkdwn.Plain(rd.cfg.Settings.RoleName(r.ID), 60), false, false), "role:"+r.ID)
		if h := inc.Holder(r.ID); h != "" && userIDPattern.MatchString(h) {
			sel.InitialUser = h
		}
		blocks = append(blocks, slack.NewSectionBlock(
			slack.NewTextBlockObject(slack.MarkdownType, text, false, false), nil,
			slack.NewAccessory(sel), slack.SectionBlockOptionBlockID(cardBlockID("role-"+r.ID, rev))))
	}
	if inc.Open() {
		// A resolved incident takes no more status updates.
		update := slack.NewButtonBlockElement("update", inc.ID(), slack.NewTextBlockObject(slack.PlainTextType, "Post status update", false, false))
		update.Style = slack.StylePrimary
		blocks = append(blocks, slack.NewActionBlock(cardBlockID("card-actions", rev), update))
	}
	blocks = append(blocks,
		slack.NewContextBlock("card-context", slack.NewTextBlockObject(slack.MarkdownType, "Declared by "+v.DeclaredBy+" · this card updates itself", false, false)),
	)
	fallback := mrkdwn.Truncate(fmt.Sprintf("%s%s: %s (%s, %s)", drillPrefix(inc), inc.ID(), v.Title, v.Severity, v.Status), maxMessageText)
	return blocks, fallback, nil
}

// drillPrefix starts a drill's headers and notification texts with the
// drill marker, "" for a real incident.
func drillPrefix(inc *incident.Incident) string {
	if inc.Drill {
		return incident.DrillLabel + " · "
	}
	return ""
}

// announcementBlocks is the declaration in the announce channel.
func (rd *renderer) announcementBlocks(inc *incident.Incident) ([]slack.Block, string, error) {
	v := rd.view(inc)
	if inc.Private {
		text, err := rd.render("announcement_private.tmpl", v)
		if err != nil {
			return nil, "", err
		}
		return []slack.Block{section("announcement", text)}, drillPrefix(inc) + "A private incident was declared: " + inc.ID(), nil
	}
	text, err := rd.render("announcement.tmpl", v)
	if err != nil {
		return nil, "", err
	}
	head := "🚨 " + inc.ID() + " · " + inc.Title
	if inc.Drill {
		head = drillPrefix(inc) + inc.ID() + " · " + inc.Title
	}
	blocks := []slack.Block{header(head), section("announcement", text)}
	if v.Summary != "" {
		blocks = append(blocks, section("summary", v.Summary))
	}
	fallback := mrkdwn.Truncate(fmt.Sprintf("%s%s declared (%s): %s", drillPrefix(inc), inc.ID(), v.Severity, v.Title), maxMessageText)
	return blocks, fallback, nil
}

// topic is the channel topic: severity · status · commander.
func (rd *renderer) topic(inc *incident.Incident) (string, error) {
	t, err := rd.render("topic.tmpl", rd.view(inc))
	if err != nil {
		return "", err
	}
	return mrkdwn.Truncate(strings.Join(strings.Fields(t), " "), maxTopic), nil
}

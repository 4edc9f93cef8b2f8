package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// Alertmanager's buttons (docs/contract.md): Declare on a triage message
// (value: the alert group's ID), Resolve on the "every alert resolved"
// message in an incident channel (value: INC-N).
const (
	actionAlertDeclare = "alert_declare"
	actionAlertResolve = "alert_resolve"
)

// maxListedAlerts bounds the alerts a triage message names.
const maxListedAlerts = 10

// suggestAlert performs a JobSuggestAlert: the triage message.
func (p *Performer) suggestAlert(ctx context.Context, job store.Job) (outbox.Apply, error) {
	var pl commands.SuggestPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode suggestion payload: %w", err))
	}
	g, ok, err := p.cmds.AlertGroup(pl.Group)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, outbox.Permanent(fmt.Errorf("suggestion: alert group %q is not stored", pl.Group))
	}
	text := p.suggestionText(g)
	btn := slack.NewButtonBlockElement(actionAlertDeclare, g.ID, slack.NewTextBlockObject(slack.PlainTextType, "Declare", false, false))
	btn.Style = slack.StylePrimary
	_, err = p.postOnce(ctx, job, pl.Channel, "", mrkdwn.Truncate(text, maxMessageText),
		section("alert-suggestion", text), slack.NewActionBlock("alert-suggestion-actions", btn))
	return nil, err
}

// suggestionText is a triage message: what is firing, and what Declare
// would declare. Every piece of alert text is escaped: labels and
// annotations come from whoever can write alerting rules.
func (p *Performer) suggestionText(g store.AlertGroup) string {
	sev := g.Severity
	if sev == "" {
		sev = p.cfg.Settings.LeastSevere().Name
	}
	var s strings.Builder
	fmt.Fprintf(&s, ":rotating_light: *Alertmanager: %s*\n", safe(g.Title, 200))
	fmt.Fprintf(&s, "Severity if declared: *%s*", safe(sev, 40))
	if g.Service != "" {
		fmt.Fprintf(&s, " · Service: *%s*", safe(g.Service, 80))
	}
	names := make([]string, 0, len(g.Firing))
	for _, f := range g.Firing {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	fmt.Fprintf(&s, "\n%d alert(s) firing:", len(names))
	for i, n := range names {
		if i == maxListedAlerts {
			fmt.Fprintf(&s, "\n• …and %d more", len(names)-i)
			break
		}
		fmt.Fprintf(&s, "\n• %s", safe(n, 200))
	}
	s.WriteString("\nClick *Declare* to open an incident for it; you become its commander.")
	return s.String()
}

// offerResolve performs a JobOfferResolve: unless the incident was resolved
// or the group fired again meanwhile, it tells the channel every alert
// resolved and offers Resolve.
func (p *Performer) offerResolve(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.OfferResolvePayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode resolve-offer payload: %w", err))
	}
	g, ok, err := p.cmds.AlertGroup(pl.Group)
	if err != nil {
		return nil, err
	}
	if !inc.Open() || !ok || g.Incident != inc.Number || !g.ResolveOffered {
		return nil, nil
	}
	text := fmt.Sprintf(":large_green_circle: Every alert of this incident's Alertmanager group has resolved. If *%s* is over, click *Resolve* (the same as `%s resolve`).", inc.ID(), p.cfg.Command)
	btn := slack.NewButtonBlockElement(actionAlertResolve, inc.ID(), slack.NewTextBlockObject(slack.PlainTextType, "Resolve", false, false))
	btn.Style = slack.StylePrimary
	_, err = p.postOnce(ctx, job, inc.ChannelID, "", text, section("alerts-resolved", text), slack.NewActionBlock("alerts-resolved-actions", btn))
	return nil, err
}

// markSuggestion performs a JobMarkSuggestion: the triage message loses its
// button and says which incident it became, so nobody else clicks.
func (p *Performer) markSuggestion(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.MarkSuggestionPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode suggestion payload: %w", err))
	}
	text := fmt.Sprintf(":rotating_light: Alertmanager: *%s* was declared as *%s* by %s: %s", safe(inc.Title, 200), inc.ID(), mention(pl.By), channelLink(inc.ChannelID))
	_, _, _, err := p.api.UpdateMessageContext(ctx, pl.Channel, pl.TS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(section("alert-suggestion", text)))
	if code := slackCode(err); code == "message_not_found" || code == "channel_not_found" || code == "cant_update_message" {
		return nil, nil // deleted meanwhile: nothing left to mark
	}
	return nil, classify(err)
}

// alertDeclareClicked declares the suggested group; a second click (or
// a click on a group declared since) only hears which incident it is.
func (ix *interactions) alertDeclareClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	channel, user := clickOrigin(cb)
	res, err := ix.cmds.DeclareSuggestion(ctx, commands.DeclareSuggestionInput{
		Group: action.Value, By: user, Channel: channel, TS: cb.Container.MessageTs,
	})
	if err != nil {
		return nil, ix.clickFailed(cb, "declare from an alert", err)
	}
	inc := res.Incident
	msg := fmt.Sprintf(":rotating_light: Declared *%s* (%s): %s\nI'm opening its channel and inviting you now.", inc.ID(), safe(inc.Severity, 40), safe(inc.Title, 300))
	if res.Duplicate {
		msg = fmt.Sprintf("That alert group is %s already (%s); nothing was declared twice.", inc.ID(), channelLink(inc.ChannelID))
	} else {
		ix.log.Info().Str("incident", inc.ID()).Str("user", user).Msg("incident declared from an alert suggestion")
	}
	return nil, func(ctx context.Context) { ix.answerClick(ctx, cb, channel, msg) }
}

// alertResolveClicked resolves the incident of the channel, as `/incident
// resolve` typed there would.
func (ix *interactions) alertResolveClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	channel, user := clickOrigin(cb)
	if err := ix.stillMemberIn(ctx, channel, user); err != nil {
		return nil, ix.clickFailed(cb, "resolve from an alert", err)
	}
	res, err := ix.cmds.Resolve(ctx, commands.ResolveInput{
		Channel: channel, By: user, Summary: "Every alert of its Alertmanager group resolved.", IdempotencyKey: "alert-resolve:" + clickKey(cb, action),
	})
	if err != nil {
		return nil, ix.clickFailed(cb, "resolve from an alert", err)
	}
	if res.Duplicate {
		return nil, nil
	}
	ix.log.Info().Str("incident", res.Incident.ID()).Str("user", user).Msg("incident resolved from the alerts-resolved button")
	msg := fmt.Sprintf(":white_check_mark: %s is resolved. Next, `%s postmortem` drafts the write-up.", res.Incident.ID(), ix.cfg.Command)
	return nil, func(ctx context.Context) { ix.answerClick(ctx, cb, channel, msg) }
}

// alertsFiring performs a JobAlertsFiring: the alerts that joined the
// incident's group, so responders see them without opening the timeline.
func (p *Performer) alertsFiring(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.AlertsFiringPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode alerts payload: %w", err))
	}
	if !inc.Open() {
		return nil, nil
	}
	var s strings.Builder
	fmt.Fprintf(&s, ":rotating_light: Alertmanager: %d more alert(s) firing in this incident's group:", len(pl.Alerts)+pl.More)
	for _, a := range pl.Alerts {
		fmt.Fprintf(&s, "\n• %s", safe(a, 200))
	}
	if pl.More > 0 {
		fmt.Fprintf(&s, "\n• …and %d more", pl.More)
	}
	text := s.String()
	_, err := p.postOnce(ctx, job, inc.ChannelID, "", mrkdwn.Truncate(text, maxMessageText), section("alerts-firing", text))
	return nil, err
}

package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// Fields of the update modal (docs/contract.md); severity and summary are shared
// with the declare modal.
const (
	fieldStatus     = "status"
	fieldNextSteps  = "next_steps"
	fieldNextUpdate = "next_update"
)

// updateTimes renders when the last update came and when the next is due
// (see incidentView).
func updateTimes(inc *incident.Incident) (last, next, nextDate string) {
	if !inc.LastUpdateAt.IsZero() {
		last = slackDate(inc.LastUpdateAt)
	}
	if inc.Open() && !inc.NextUpdateAt.IsZero() {
		next = inc.NextUpdateAt.UTC().Format("15:04 UTC")
		nextDate = slackTimeOfDay(inc.NextUpdateAt)
	}
	return last, next, nextDate
}

// slackTimeOfDay renders the time of day of t in each reader's time zone, with
// a UTC fallback.
func slackTimeOfDay(t time.Time) string {
	return fmt.Sprintf("<!date^%d^{time}|%s>", t.Unix(), t.UTC().Format("15:04 UTC"))
}

// updateCommand handles `/incident update`: it opens the update modal right
// after the ack, inside the trigger_id's 3 s window.
func (s *slashHandler) updateCommand(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	inc, err := s.updatable(sc.ChannelID, "")
	if err != nil {
		return s.failure(err, "update"), nil
	}
	return nil, func(ctx context.Context) {
		if !s.openUpdateModal(ctx, inc, sc.TriggerID, sc.UserID) {
			s.respond(ctx, sc.ResponseURL, "The update form could not open in time (Slack allows 3 seconds). Please try `"+s.cfg.Command+" update` again.")
		}
	}
}

// updateClicked handles the `update` button of the summary card and of a
// reminder; its value is the incident's ID.
func (ix *interactions) updateClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	return nil, func(ctx context.Context) {
		inc, err := ix.updatable("", action.Value)
		if err == nil {
			err = ix.stillMember(ctx, inc, cb.User.ID)
		}
		if err != nil {
			ix.answerInteraction(ctx, cb, mrkdwn.Neutralize(incident.ErrorMessage(err)))
			return
		}
		if !ix.openUpdateModal(ctx, inc, cb.TriggerID, cb.User.ID) {
			ix.answerInteraction(ctx, cb, "The update form could not open in time (Slack allows 3 seconds). Please click the button again.")
		}
	}
}

// updatable finds the incident to update, by channel or by ID, and refuses
// a resolved one.
func (c *core) updatable(channel, id string) (*incident.Incident, error) {
	var inc *incident.Incident
	var err error
	if id != "" {
		inc, err = c.cmds.IncidentByID(id)
	} else {
		inc, err = c.cmds.IncidentInChannel(channel)
	}
	if err != nil {
		return nil, err
	}
	if !inc.Open() {
		return nil, incident.Errorf(incident.ECONFLICT, "%s is resolved, so it takes no more status updates. `%s postmortem` drafts the write-up.", inc.ID(), c.cfg.Command)
	}
	return inc, nil
}

// answerInteraction tells the user who interacted, through the payload's
// response_url when it has one (it works in any channel), else with an
// ephemeral message. text is mrkdwn: user text in it must be made safe.
func (rp *replier) answerInteraction(ctx context.Context, cb slack.InteractionCallback, text string) {
	if cb.ResponseURL != "" {
		rp.respond(ctx, cb.ResponseURL, text)
		return
	}
	rp.tell(ctx, cb.Channel.ID, cb.User.ID, text)
}

// openUpdateModal opens the update form on trigger and reports whether it
// is open (an earlier delivery of the same interaction may have opened it).
func (c *core) openUpdateModal(ctx context.Context, inc *incident.Incident, trigger, user string) bool {
	if _, err := c.api.OpenViewContext(ctx, trigger, c.updateModal(inc)); err != nil {
		if triggerExchanged(err) {
			c.log.Debug().Str("incident", inc.ID()).Str("user", user).Msg("update modal already opened by an earlier delivery")
			return true
		}
		c.log.Warn().Err(err).Str("incident", inc.ID()).Str("user", user).Msg("update modal did not open")
		return false
	}
	return true
}

// updateModal builds the status-update form (docs/contract.md), pre-filled with
// the incident's current status and severity and the severity's cadence.
func (rd *renderer) updateModal(inc *incident.Incident) slack.ModalViewRequest {
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}

	var statusOpts []*slack.OptionBlockObject
	var statusInitial *slack.OptionBlockObject
	for _, st := range incident.Statuses {
		o := slack.NewOptionBlockObject(string(st), pt(st.Label()), nil)
		if st == inc.Status {
			statusInitial = o
		}
		statusOpts = append(statusOpts, o)
	}
	status := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("Where is the response?"), fieldStatus, statusOpts...)
	status.InitialOption = statusInitial

	var sevOpts []*slack.OptionBlockObject
	var sevInitial *slack.OptionBlockObject
	for _, s := range rd.cfg.Settings.Severities {
		o := slack.NewOptionBlockObject(s.Name, pt(mrkdwn.Truncate(s.Name, maxOptionText)), nil)
		if s.Description != "" {
			o.Description = pt(mrkdwn.Truncate(s.Description, maxOptionText))
		}
		if s.Name == inc.Severity {
			sevInitial = o
		}
		sevOpts = append(sevOpts, o)
	}
	sevOpts = limitOptions(sevOpts)
	severity := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("How bad is it now?"), fieldSeverity, sevOpts...)
	if sevInitial != nil && len(sevOpts) == len(rd.cfg.Settings.Severities) {
		severity.InitialOption = sevInitial
	}

	summary := slack.NewPlainTextInputBlockElement(pt("What did you learn or do since the last update?"), fieldSummary)
	summary.Multiline = true
	summary.MaxLength = 2500
	nextSteps := slack.NewPlainTextInputBlockElement(pt("What happens next, and who does it?"), fieldNextSteps)
	nextSteps.Multiline = true
	nextSteps.MaxLength = 1500

	choices, def := rd.rules.NextUpdateChoices(inc.Severity)
	var nextOpts []*slack.OptionBlockObject
	var nextInitial *slack.OptionBlockObject
	for _, d := range choices {
		o := slack.NewOptionBlockObject(incident.FormatDuration(d, incident.DurationValue), pt("in "+incident.FormatDuration(d, incident.DurationWords)), nil)
		if d == def {
			nextInitial = o
		}
		nextOpts = append(nextOpts, o)
	}
	next := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("When will you post the next update?"), fieldNextUpdate, limitOptions(nextOpts)...)
	next.InitialOption = nextInitial
	nextHint := "Defaults to the severity's reminder interval: " + inc.Severity + "'s, or the new severity's if you change it."
	if def == 0 {
		nextHint = inc.Severity + " has no reminders; pick a time if you promise one."
	}

	stepsBlock := slack.NewInputBlock(fieldNextSteps, pt("Next steps"), nil, nextSteps)
	stepsBlock.Optional = true
	nextBlock := slack.NewInputBlock(fieldNextUpdate, pt("Next update"), pt(mrkdwn.Plain(nextHint, 150)), next)
	nextBlock.Optional = true

	blocks := []slack.Block{
		slack.NewContextBlock("incident", slack.NewTextBlockObject(slack.MarkdownType,
			"*"+inc.ID()+"* · "+safe(inc.Title, 300)+" · now "+safe(inc.Severity, 40)+", "+inc.Status.Label(), false, false)),
		slack.NewInputBlock(fieldStatus, pt("Status"), pt("Choosing Resolved resolves the incident."), status),
		slack.NewInputBlock(fieldSeverity, pt("Severity"), nil, severity),
		slack.NewInputBlock(fieldSummary, pt("What changed"), nil, summary),
		stepsBlock,
		nextBlock,
	}
	return slack.ModalViewRequest{
		Type:            slack.VTModal,
		CallbackID:      updateCallback,
		PrivateMetadata: inc.ID(),
		Title:           pt("Status update"),
		Submit:          pt("Post update"),
		Close:           pt("Cancel"),
		Blocks:          slack.Blocks{BlockSet: blocks},
	}
}

// submitUpdate handles the update modal's submission. Mistakes go back in
// the ack next to their field, and the modal stays open; a valid update
// closes it and shows up in the channel.
func (ix *interactions) submitUpdate(ctx context.Context, cb slack.InteractionCallback) (any, func(context.Context)) {
	values := stateValues(cb)
	get := func(field string) slack.BlockAction { return values[field][field] }
	in := commands.UpdateInput{
		Incident:       cb.View.PrivateMetadata,
		Status:         get(fieldStatus).SelectedOption.Value,
		Severity:       get(fieldSeverity).SelectedOption.Value,
		Summary:        get(fieldSummary).Value,
		NextSteps:      get(fieldNextSteps).Value,
		NextUpdate:     get(fieldNextUpdate).SelectedOption.Value,
		By:             cb.User.ID,
		IdempotencyKey: "view:" + cb.View.ID,
	}
	res, err := commands.UpdateResult{}, ix.stillMemberOf(ctx, in.Incident, cb.User.ID)
	if err == nil {
		res, err = ix.cmds.PostUpdate(ctx, in)
	}
	var fe *commands.FieldError
	switch {
	case errors.As(err, &fe):
		return fieldError(fe.Field, fe.Err.Message), nil
	case err != nil && incident.ErrorCode(err) != incident.EINTERNAL:
		return fieldError(fieldSummary, incident.ErrorMessage(err)), nil
	case err != nil:
		ix.log.Error().Err(err).Str("incident", in.Incident).Str("user", cb.User.ID).Msg("update from modal failed")
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldSummary: "Something went wrong on our side; the update was not posted. Please submit again."}), nil
	}
	if !res.Duplicate {
		ix.log.Info().Str("incident", res.Incident.ID()).Str("status", string(res.Incident.Status)).Str("severity", res.Incident.Severity).Bool("resolved", res.Resolved).Msg("status update posted")
	}
	return nil, nil
}

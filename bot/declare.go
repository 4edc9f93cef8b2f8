package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// Interaction identifiers of the declare modal (docs/contract.md).
const (
	declareCallback = "incident_declare"
	fieldTitle      = "title"
	fieldSeverity   = "severity"
	fieldSummary    = "summary"
	fieldService    = "service"
	fieldCommander  = "commander"
	fieldPrivate    = "private"
	privateValue    = "private"
	fieldDrill      = "drill"
	drillValue      = "drill"
)

// declare handles `/incident declare …` and `/incident drill …`: with a
// title it declares at once; without one it opens the modal (with the drill
// box ticked for a drill) right after the ack, inside the trigger_id's 3 s
// window.
func (s *slashHandler) declare(ctx context.Context, sc slack.SlashCommand, cmd commands.Command) (any, func(context.Context)) {
	drill := cmd.Name == commands.CmdDrill
	if cmd.Title == "" && cmd.Severity == "" {
		return nil, func(ctx context.Context) { s.openDeclareModal(ctx, sc, drill) }
	}
	key := "slash:" + sc.TriggerID
	if _, err := s.cmds.ValidateDeclare(commands.DeclareInput{Title: cmd.Title, Severity: cmd.Severity, DeclaredBy: sc.UserID}); err != nil {
		return s.failure(err, "declare"), nil
	}
	if dups := s.duplicatesFor(ctx, cmd.Title, "", sc.UserID, key); len(dups) > 0 {
		reply, ok, err := s.warnOneLine(cmd, key, dups)
		if err != nil {
			s.log.Error().Err(err).Msg("render duplicate warning; declaring without it")
		}
		if ok {
			return reply, nil
		}
	}
	res, err := s.cmds.Declare(ctx, commands.DeclareInput{
		Title:          cmd.Title,
		Severity:       cmd.Severity,
		Drill:          drill,
		DeclaredBy:     sc.UserID,
		IdempotencyKey: key,
	})
	if err != nil {
		return s.failure(err, "declare"), nil
	}
	if res.Duplicate {
		return ephemeral("That declaration was already received; nothing was declared twice."), nil
	}
	inc := res.Incident
	s.log.Info().Str("incident", inc.ID()).Str("severity", inc.Severity).Bool("drill", inc.Drill).Msg("incident declared")
	text, err := s.declaredText(inc)
	if err != nil {
		return s.failure(err, "declare"), nil
	}
	return ephemeral(text), nil
}

// declaredText renders the ack of a one-line declaration.
func (rd *renderer) declaredText(inc *incident.Incident) (string, error) {
	return rd.render("declared.tmpl", rd.declaredView(inc))
}

// declaredView is the view declared.tmpl renders, on the heap. An
// incidentView is ~1 KiB: held in declaredText's frame while the template
// ran below it, it pushed a slash command's handler past an 8 KiB stack
// (growStack); the render copied it to the heap anyway.
//
//go:noinline
func (rd *renderer) declaredView(inc *incident.Incident) *incidentView {
	data := rd.view(inc)
	if ch := rd.cfg.announceChannelFor(inc); ch != "" {
		data.AnnouncedIn = channelLink(ch)
	}
	return &data
}

// failure turns a use-case error into an ephemeral reply, logging
// internal errors in full (the user only hears that something went wrong).
func (rp *replier) failure(err error, what string) map[string]any {
	if incident.ErrorCode(err) == incident.EINTERNAL {
		rp.log.Error().Err(err).Str("command", what).Msg("command failed")
	}
	return rp.errorReply(err)
}

func (c *core) openDeclareModal(ctx context.Context, sc slack.SlashCommand, drill bool) {
	view := c.declareModal(sc.UserID, drill)
	if _, err := c.api.OpenViewContext(ctx, sc.TriggerID, view); err != nil {
		if triggerExchanged(err) {
			c.log.Debug().Str("user", sc.UserID).Msg("declare modal already opened by an earlier delivery")
			return
		}
		c.log.Warn().Err(err).Str("user", sc.UserID).Msg("declare modal did not open")
		c.respond(ctx, sc.ResponseURL, "The declare form could not open in time (Slack allows 3 seconds). Try again, or declare in one line: `"+c.cfg.Command+" declare SEV2 checkout is failing`.")
	}
}

// respond sends an ephemeral reply through a slash command's response_url.
func (rp *replier) respond(ctx context.Context, responseURL, text string) {
	if responseURL == "" {
		return
	}
	err := rp.retry(ctx, func() error {
		_, _, err := rp.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral), slack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		rp.log.Warn().Err(err).Msg("reply through response_url failed")
	}
}

// declareModal builds the declare form (docs/contract.md), with the drill
// box ticked when drill is set.
func (rd *renderer) declareModal(userID string, drill bool) slack.ModalViewRequest {
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}

	title := slack.NewPlainTextInputBlockElement(pt("What is wrong, in a few words"), fieldTitle)
	title.MaxLength = 150

	var sevOpts []*slack.OptionBlockObject
	for _, s := range rd.cfg.Settings.Severities {
		o := slack.NewOptionBlockObject(s.Name, pt(mrkdwn.Truncate(s.Name, maxOptionText)), nil)
		if s.Description != "" {
			o.Description = pt(mrkdwn.Truncate(s.Description, maxOptionText))
		}
		sevOpts = append(sevOpts, o)
	}
	sevOpts = limitOptions(sevOpts)
	severity := slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("How bad is it?"), fieldSeverity, sevOpts...)

	summary := slack.NewPlainTextInputBlockElement(pt("What do we know so far? Who is affected?"), fieldSummary)
	summary.Multiline = true
	summary.MaxLength = 3000

	commander := slack.NewOptionsSelectBlockElement(slack.OptTypeUser, pt("Who leads the response?"), fieldCommander)
	commander.InitialUser = userID

	private := slack.NewCheckboxGroupsBlockElement(fieldPrivate,
		slack.NewOptionBlockObject(privateValue, pt("Private incident"), pt("Private channel; the announcement reveals no details")))

	drillOpt := slack.NewOptionBlockObject(drillValue, pt("Drill"), pt("Practice: marked 🧪 DRILL, never announced as real, left out of stats"))
	drillBox := slack.NewCheckboxGroupsBlockElement(fieldDrill, drillOpt)
	if drill {
		drillBox.InitialOptions = []*slack.OptionBlockObject{drillOpt}
	}

	blocks := []slack.Block{
		slack.NewInputBlock(fieldTitle, pt("Title"), nil, title),
		slack.NewInputBlock(fieldSeverity, pt("Severity"), pt("Each level's meaning is shown under its name."), severity),
		slack.NewInputBlock(fieldSummary, pt("Summary"), nil, summary),
	}
	if len(rd.cfg.Settings.Services) > 0 {
		var opts []*slack.OptionBlockObject
		for _, s := range rd.cfg.Settings.Services {
			opts = append(opts, slack.NewOptionBlockObject(mrkdwn.Truncate(s.Name, 150), pt(mrkdwn.Truncate(s.Name, maxOptionText)), nil))
		}
		svc := slack.NewInputBlock(fieldService, pt("Service"), pt("Its experts are invited and its runbook is bookmarked."),
			slack.NewOptionsSelectBlockElement(slack.OptTypeStatic, pt("Which service is affected?"), fieldService, limitOptions(opts)...))
		svc.Optional = true
		blocks = append(blocks, svc)
	}
	cmdr := slack.NewInputBlock(fieldCommander, pt("Incident commander"), pt("Defaults to you."), commander)
	cmdr.Optional = true
	priv := slack.NewInputBlock(fieldPrivate, pt("Visibility"), nil, private)
	priv.Optional = true
	drl := slack.NewInputBlock(fieldDrill, pt("Drill"), nil, drillBox)
	drl.Optional = true
	blocks = append(blocks, cmdr, priv, drl)

	return slack.ModalViewRequest{
		Type:       slack.VTModal,
		CallbackID: declareCallback,
		Title:      pt("Declare an incident"),
		Submit:     pt("Declare"),
		Close:      pt("Cancel"),
		Blocks:     slack.Blocks{BlockSet: blocks},
	}
}

// limitOptions keeps a select within Slack's 100 options.
func limitOptions(opts []*slack.OptionBlockObject) []*slack.OptionBlockObject {
	if len(opts) > 100 {
		return opts[:100]
	}
	return opts
}

// submitDeclare handles the declare modal's submission. Validation errors
// go back in the ack, next to their field, and the modal stays open.
func (ix *interactions) submitDeclare(ctx context.Context, cb slack.InteractionCallback) any {
	values := stateValues(cb)
	get := func(field string) slack.BlockAction { return values[field][field] }
	in := commands.DeclareInput{
		Title:          get(fieldTitle).Value,
		Severity:       get(fieldSeverity).SelectedOption.Value,
		Summary:        get(fieldSummary).Value,
		Service:        get(fieldService).SelectedOption.Value,
		Commander:      get(fieldCommander).SelectedUser,
		DeclaredBy:     cb.User.ID,
		IdempotencyKey: "view:" + cb.View.ID,
	}
	for _, o := range get(fieldPrivate).SelectedOptions {
		if o.Value == privateValue {
			in.Private = true
		}
	}
	for _, o := range get(fieldDrill).SelectedOptions {
		if o.Value == drillValue {
			in.Drill = true
		}
	}
	if len(ix.cfg.Settings.Services) == 0 {
		// Without a catalogue the form has no service block: a stray value
		// would earn an error on a block Slack cannot show, and the user a
		// form that can never be submitted.
		in.Service = ""
	}
	if in.Severity == "" {
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldSeverity: "Pick a severity."})
	}
	if strings.TrimSpace(in.Summary) == "" {
		// "Required" only means not empty to Slack: spaces alone get through.
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldSummary: "Say what you know so far, even if it is little."})
	}
	if msg := ix.commanderProblem(ctx, cb.User.ID, in.Commander); msg != "" {
		return fieldError(fieldCommander, msg)
	}
	if dups := unwarned(ix.duplicatesFor(ctx, in.Title, in.Service, cb.User.ID, in.IdempotencyKey), cb.View.PrivateMetadata); len(dups) > 0 {
		resp, err := ix.warnDeclareForm(cb, in, dups)
		if err == nil {
			return resp
		}
		ix.log.Error().Err(err).Msg("render duplicate warning; declaring without it")
	}
	res, err := ix.cmds.Declare(ctx, in)
	var fe *commands.FieldError
	if errors.As(err, &fe) {
		return fieldError(fe.Field, fe.Err.Message)
	}
	if err != nil {
		ix.log.Error().Err(err).Str("user", cb.User.ID).Msg("declare from modal failed")
		return slack.NewErrorsViewSubmissionResponse(map[string]string{fieldTitle: "Something went wrong on our side; nothing was declared. Please submit again."})
	}
	if !res.Duplicate {
		ix.log.Info().Str("incident", res.Incident.ID()).Str("severity", res.Incident.Severity).Msg("incident declared")
	}
	return nil
}

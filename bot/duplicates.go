package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
)

// Duplicate warnings: a declaration that looks like an open incident
// (incident.PossibleDuplicates, visible to the declarer) is not made at
// once. The form cannot react while the title is typed (a plain_text_input
// sends nothing without dispatch_action, and a request per keystroke would
// be noise), so the warning comes when it is submitted: the same form comes
// back (response_action "update", same block and action IDs, so Slack keeps
// what was entered) with the warning on top and the submit button saying
// "Declare anyway"; the incidents warned about ride in private_metadata, so
// the second submission declares unless it now looks like another one. The
// one-line declare answers with the warning and two buttons instead.
const (
	actionDeclareAnyway = "declare_anyway"
	actionJoinIncident  = "join_incident"
	// warnedPrefix starts the declare form's private_metadata once it has
	// warned: the incident numbers, comma-separated.
	warnedPrefix = "warned:"
	// maxAnywayValue is Slack's limit on a button's value.
	maxAnywayValue = 2000
)

type duplicateView struct {
	ID, Channel, Title, Severity, Declared, DeclaredBy string
}

// duplicateWarning renders the warning about dups.
func (rd *renderer) duplicateWarning(dups []*incident.Incident, modal bool) (string, error) {
	data := struct {
		Incidents []duplicateView
		Modal     bool
	}{Modal: modal}
	for _, inc := range dups {
		data.Incidents = append(data.Incidents, duplicateView{
			ID: inc.ID(), Channel: channelLink(inc.ChannelID), Title: safe(inc.Title, 200),
			Severity: safe(inc.Severity, 40), Declared: slackDate(inc.DeclaredAt), DeclaredBy: mention(inc.DeclaredBy),
		})
	}
	return rd.render("duplicate_warning.tmpl", data)
}

// duplicatesFor looks up what a declaration by user (with idempotency key
// key) possibly duplicates. A failure is logged and warns of nothing: a
// warning is a courtesy, and must never stand between someone and
// declaring an incident.
func (c *core) duplicatesFor(ctx context.Context, title, service, user, key string) []*incident.Incident {
	// Asked before the ack, like `list`: a private incident whose channel's
	// members are not known in time is not named (and not warned about).
	ctx, cancel := context.WithTimeout(ctx, listCheckTimeout)
	defer cancel()
	dups, err := c.cmds.PossibleDuplicates(ctx, title, service, user, key, c.members)
	if err != nil {
		c.log.Error().Err(err).Str("user", user).Msg("duplicate check failed; declaring without it")
		return nil
	}
	return dups
}

// warnedNumbers reads the incident numbers a declare form warned about.
func warnedNumbers(meta string) []uint64 {
	rest, ok := strings.CutPrefix(meta, warnedPrefix)
	if !ok {
		return nil
	}
	var out []uint64
	for _, f := range strings.Split(rest, ",") {
		if n, err := strconv.ParseUint(f, 10, 64); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// unwarned returns the dups the form has not warned about yet.
func unwarned(dups []*incident.Incident, meta string) []*incident.Incident {
	seen := warnedNumbers(meta)
	var out []*incident.Incident
	for _, d := range dups {
		if !slices.Contains(seen, d.Number) {
			out = append(out, d)
		}
	}
	return out
}

// warnDeclareForm is the declare form again, as submitted, with the
// warning about dups on top and "Declare anyway" to submit.
func (ix *interactions) warnDeclareForm(cb slack.InteractionCallback, in commands.DeclareInput, dups []*incident.Incident) (any, error) {
	text, err := ix.duplicateWarning(dups, true)
	if err != nil {
		return nil, err
	}
	view := ix.declareModal(cb.User.ID, in.Drill)
	prefillDeclareForm(&view, in)
	view.Blocks.BlockSet = append([]slack.Block{section("duplicate-warning", text)}, view.Blocks.BlockSet...)
	view.Submit = slack.NewTextBlockObject(slack.PlainTextType, "Declare anyway", false, false)
	nums := warnedNumbers(cb.View.PrivateMetadata)
	for _, d := range dups {
		nums = append(nums, d.Number)
	}
	var ids []string
	for _, n := range nums {
		ids = append(ids, strconv.FormatUint(n, 10))
	}
	view.PrivateMetadata = warnedPrefix + strings.Join(ids, ",")
	return slack.NewUpdateViewSubmissionResponse(&view), nil
}

// prefillDeclareForm sets the form's inputs to what was submitted, so the
// form that comes back shows it (Slack also keeps entered values across an
// update when block and action IDs stay the same).
func prefillDeclareForm(view *slack.ModalViewRequest, in commands.DeclareInput) {
	pick := func(opts []*slack.OptionBlockObject, value string) *slack.OptionBlockObject {
		for _, o := range opts {
			if o.Value == value {
				return o
			}
		}
		return nil
	}
	for _, blk := range view.Blocks.BlockSet {
		ib, ok := blk.(*slack.InputBlock)
		if !ok {
			continue
		}
		switch el := ib.Element.(type) {
		case *slack.PlainTextInputBlockElement:
			switch ib.BlockID {
			case fieldTitle:
				el.InitialValue = in.Title
			case fieldSummary:
				el.InitialValue = in.Summary
			}
		case *slack.SelectBlockElement:
			switch ib.BlockID {
			case fieldSeverity:
				el.InitialOption = pick(el.Options, in.Severity)
			case fieldService:
				el.InitialOption = pick(el.Options, in.Service)
			case fieldCommander:
				if in.Commander != "" {
					el.InitialUser = in.Commander
				}
			}
		case *slack.CheckboxGroupsBlockElement:
			if ib.BlockID == fieldPrivate && in.Private {
				el.InitialOptions = el.Options
			}
		}
	}
}

// anywayValue is what the one-line declare's "Declare anyway" button
// carries: the declaration, and the slash command's idempotency key, so
// that any number of clicks declares once.
type anywayValue struct {
	Severity string `json:"s,omitempty"`
	Title    string `json:"t"`
	Key      string `json:"k"`
}

// warnOneLine is the one-line declare's answer when it possibly duplicates
// dups: the warning, "Declare anyway", and "Join INC-N" for each public
// one (the declarer can see a private one only as a member of its channel,
// so there is nothing to join). ok is false when the declaration does not
// fit in a button (a title of thousands of characters): it is then made
// without the warning.
func (s *slashHandler) warnOneLine(cmd commands.Command, key string, dups []*incident.Incident) (map[string]any, bool, error) {
	raw, err := json.Marshal(anywayValue{Severity: cmd.Severity, Title: cmd.Title, Key: key})
	if err != nil || len(raw) > maxAnywayValue {
		return nil, false, err
	}
	text, err := s.duplicateWarning(dups, false)
	if err != nil {
		return nil, false, err
	}
	pt := func(s string) *slack.TextBlockObject {
		return slack.NewTextBlockObject(slack.PlainTextType, s, false, false)
	}
	var joins []slack.BlockElement
	for _, d := range dups {
		if !d.Private {
			joins = append(joins, slack.NewButtonBlockElement(actionJoinIncident, d.ID(), pt("Join "+d.ID())))
		}
	}
	// An action_id must be unique within its block: the first Join sits
	// next to Declare anyway, any other in a block of its own.
	first := []slack.BlockElement{slack.NewButtonBlockElement(actionDeclareAnyway, string(raw), pt("Declare anyway"))}
	if len(joins) > 0 {
		first = append(first, joins[0])
	}
	blocks := []slack.Block{section("duplicate-warning", text), slack.NewActionBlock("duplicate-actions", first...)}
	for i := 1; i < len(joins); i++ {
		blocks = append(blocks, slack.NewActionBlock(fmt.Sprintf("duplicate-join-%d", i), joins[i]))
	}
	return map[string]any{"response_type": "ephemeral", "text": mrkdwn.Truncate(text, maxMessageText), "blocks": blocks}, true, nil
}

// declareAnywayClicked declares what the one-line declare held back. The
// slash command's key makes it idempotent: a second click (or a click
// after another delivery declared it) declares nothing.
func (ix *interactions) declareAnywayClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	var v anywayValue
	if err := json.Unmarshal([]byte(action.Value), &v); err != nil || v.Key == "" {
		return nil, func(ctx context.Context) {
			ix.respond(ctx, cb.ResponseURL, "That button is not one of mine any more; declare again with `"+ix.cfg.Command+" declare`.")
		}
	}
	res, err := ix.cmds.Declare(ctx, commands.DeclareInput{
		Title: v.Title, Severity: v.Severity, DeclaredBy: cb.User.ID, IdempotencyKey: v.Key,
	})
	var reply string
	switch {
	case err != nil:
		reply = ix.failure(err, "declare")["text"].(string)
	case res.Duplicate:
		reply = "That incident is declared already; nothing was declared twice."
	default:
		inc := res.Incident
		ix.log.Info().Str("incident", inc.ID()).Str("severity", inc.Severity).Msg("incident declared despite a possible duplicate")
		reply = fmt.Sprintf(":rotating_light: Declared *%s* (%s): %s\nI'm opening its channel and inviting you now.", inc.ID(), inc.Severity, safe(inc.Title, 500))
	}
	return nil, func(ctx context.Context) { ix.replaceClicked(ctx, cb.ResponseURL, reply) }
}

// joinClicked invites the clicker into the incident the warning named.
func (ix *interactions) joinClicked(ctx context.Context, cb slack.InteractionCallback, action *slack.BlockAction) (any, func(context.Context)) {
	var reply string
	n, err := incident.ParseID(action.Value)
	if err == nil {
		var inc *incident.Incident
		inc, err = ix.cmds.Join(ctx, commands.JoinInput{Number: n, User: cb.User.ID})
		if err == nil {
			ix.log.Info().Str("incident", inc.ID()).Str("user", cb.User.ID).Msg("joined from a duplicate warning")
			reply = fmt.Sprintf("Inviting you to %s (*%s*); nothing new was declared.", channelLink(inc.ChannelID), inc.ID())
		}
	}
	if err != nil {
		reply = ix.failure(err, "join")["text"].(string)
	}
	return nil, func(ctx context.Context) { ix.replaceClicked(ctx, cb.ResponseURL, reply) }
}

// replaceClicked replaces the ephemeral message whose button was clicked
// with text, so its buttons go away.
func (ix *interactions) replaceClicked(ctx context.Context, responseURL, text string) {
	if responseURL == "" {
		return
	}
	err := ix.retry(ctx, func() error {
		_, _, err := ix.api.PostMessageContext(ctx, "", slack.MsgOptionResponseURL(responseURL, slack.ResponseTypeEphemeral),
			slack.MsgOptionReplaceOriginal(responseURL), slack.MsgOptionText(text, false))
		return err
	})
	if err != nil {
		ix.log.Warn().Err(err).Msg("reply through response_url failed")
	}
}

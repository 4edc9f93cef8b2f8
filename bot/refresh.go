package bot

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// refreshCard re-renders the pinned summary card in place, as revision
// job.ID (see cardBlockID).
func (p *Performer) refreshCard(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	if inc.CardTS == "" {
		return nil, nil // not posted yet: the post will show the latest state
	}
	blocks, text, err := p.cardBlocksAt(inc, job.ID)
	if err != nil {
		return nil, err
	}
	_, _, _, err = p.api.UpdateMessageContext(ctx, inc.ChannelID, inc.CardTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	return nil, classify(err)
}

// refreshAnnouncement re-renders the announcement in place.
func (p *Performer) refreshAnnouncement(ctx context.Context, inc *incident.Incident) (outbox.Apply, error) {
	channel := p.cfg.announceChannelFor(inc)
	if channel == "" || inc.AnnounceTS == "" {
		return nil, nil
	}
	blocks, text, err := p.announcementBlocks(inc)
	if err != nil {
		return nil, err
	}
	_, _, _, err = p.api.UpdateMessageContext(ctx, channel, inc.AnnounceTS, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	return nil, classify(err)
}

// eventView is what message templates see of one timeline event; every
// string is already safe mrkdwn.
type eventView struct {
	Kind, Actor, Text, From, To, Role, RoleName, At, Link string
	// Holder is To as a mention, for role events.
	Holder, Previous string
}

func (rd *renderer) eventView(ev incident.Event) eventView {
	v := eventView{
		Kind: string(ev.Kind), Actor: holderOrNobody(ev.Actor), Text: safe(ev.Text, 2500),
		From: safe(ev.From, 200), To: safe(ev.To, 200), Role: safe(ev.Role, 60), At: slackDate(ev.At),
	}
	if r, ok := rd.cfg.Settings.Role(ev.Role); ok {
		v.RoleName = safe(r.Name, 60)
	}
	if ev.Kind == incident.EventRoleAssigned || ev.Kind == incident.EventRoleHandoff {
		v.Holder, v.Previous = holderOrNobody(ev.To), holderOrNobody(ev.From)
	}
	if ev.Link != "" && (len(ev.Link) > 8 && (ev.Link[:8] == "https://" || ev.Link[:7] == "http://")) {
		v.Link = ev.Link
	}
	return v
}

// postEvent renders a message about one timeline event and posts it to the
// incident channel or the announcement's thread.
func (p *Performer) postEvent(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	var pl commands.PostPayload
	if err := json.Unmarshal(job.Payload, &pl); err != nil {
		return nil, outbox.Permanent(fmt.Errorf("decode post payload: %w", err))
	}
	var ev incident.Event
	if pl.Event != 0 {
		var err error
		if ev, err = p.cmds.Event(inc.Number, pl.Event); err != nil {
			return nil, storeErr(err)
		}
	}
	data := p.view(inc)
	evv := p.eventView(ev)
	data.Event = &evv
	text, channel, thread, ok, err := p.renderPost(inc, pl, data)
	if err != nil || !ok {
		return nil, err
	}
	_, err = p.postOnce(ctx, job, channel, thread, text, section("post", text))
	return nil, err
}

// renderPost renders a post job's template with data, and says where its
// message goes (postTarget); ok is false when there is nothing to post. A
// template that does not render is a permanent error.
func (p *Performer) renderPost(inc *incident.Incident, pl commands.PostPayload, data any) (text, channel, thread string, ok bool, err error) {
	text, err = p.render(pl.Template, data)
	if err != nil {
		return "", "", "", false, outbox.Permanent(err)
	}
	channel, thread, ok = p.postTarget(inc, pl.Target)
	return text, channel, thread, ok, nil
}

// postTarget is where a post job's message goes: the incident channel, or
// the announcement's thread; ok is false when that thread does not exist
// (no announce channel, or the announcement never went out), and there is
// nothing to post.
func (p *Performer) postTarget(inc *incident.Incident, target string) (channel, thread string, ok bool) {
	if target != commands.TargetThread {
		return inc.ChannelID, "", true
	}
	channel, thread = p.cfg.announceChannelFor(inc), inc.AnnounceTS
	return channel, thread, channel != "" && thread != ""
}

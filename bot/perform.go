package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// jobMetadataType tags every message the outbox posts with its job ID, so a
// job re-run after a crash finds the message it already posted instead of
// posting it twice (chat.postMessage has no idempotency key).
const jobMetadataType = "incidentbot_job"

// Perform dispatches on the job's kind. Each case reads the incident's
// current state, so what it renders is never stale.
func (p *Performer) Perform(ctx context.Context, job store.Job) (outbox.Apply, error) {
	if job.Kind == commands.JobPostStats {
		return p.postStats(ctx, job) // belongs to no incident
	}
	inc, err := p.cmds.Incident(job.Incident)
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	switch job.Kind {
	case commands.JobCreateChannel:
		return p.createChannel(ctx, job, inc)
	}
	if inc.ChannelID == "" && job.Kind != commands.JobAnnounce && job.Kind != commands.JobRefreshAnnouncement {
		return nil, outbox.Permanent(fmt.Errorf("%s: the incident has no channel (its creation failed)", job.Kind))
	}
	switch job.Kind {
	case commands.JobSetTopic:
		topic, err := p.topic(inc)
		if err != nil {
			return nil, err
		}
		_, err = p.api.SetTopicOfConversationContext(ctx, inc.ChannelID, topic)
		return nil, classify(err)
	case commands.JobSetPurpose:
		_, err := p.api.SetPurposeOfConversationContext(ctx, inc.ChannelID, safe(inc.Title, maxTopic))
		return nil, classify(err)
	case commands.JobInvite:
		var pl commands.InvitePayload
		if err := json.Unmarshal(job.Payload, &pl); err != nil {
			return nil, outbox.Permanent(fmt.Errorf("decode invite payload: %w", err))
		}
		return p.invite(ctx, inc, pl.Users)
	case commands.JobPostCard:
		return p.postCard(ctx, job, inc)
	case commands.JobBookmarkRunbook:
		return p.bookmarkRunbook(ctx, job, inc)
	case commands.JobPostWelcome:
		text, err := p.render("welcome.tmpl", p.view(inc))
		if err != nil {
			return nil, err
		}
		_, err = p.postOnce(ctx, job, inc.ChannelID, "", text, section("welcome", text))
		return nil, err
	case commands.JobAnnounce:
		return p.announce(ctx, job, inc)
	case commands.JobRefreshCard:
		return p.refreshCard(ctx, job, inc)
	case commands.JobRefreshAnnouncement:
		return p.refreshAnnouncement(ctx, inc)
	case commands.JobPost:
		return p.postEvent(ctx, job, inc)
	case commands.JobReminder:
		return p.postReminder(ctx, job, inc)
	case commands.JobUploadPostmortem:
		return p.uploadPostmortem(ctx, job, inc)
	case commands.JobPostUpdate:
		return p.postUpdate(ctx, job, inc)
	case commands.JobReact:
		return p.markCaptured(ctx, job, inc)
	case commands.JobCapture:
		return p.capture(ctx, job, inc)
	case commands.JobArchiveWaiting:
		return p.postArchiveWaiting(ctx, job, inc)
	case commands.JobArchiveChannel:
		return p.archiveChannel(ctx, inc)
	default:
		return nil, outbox.Permanent(fmt.Errorf("unknown job kind %q", job.Kind))
	}
}

// uncertain reports whether an earlier run of job may have reached Slack
// without its result being stored: an attempt failed in a way where the
// call may have happened (a timeout, a 5xx, a lost answer; the worker
// records it as MaybeDone), or it was enqueued before this process started
// (so a crash may have cut it short). A 429 leaves a job certain: Slack
// refused the call.
func (p *Performer) uncertain(job store.Job) bool {
	return job.MaybeDone || job.CreatedAt.Before(p.started)
}

// createChannel creates the incident channel, trying -2, -3… when the name
// is taken, and adopting a channel this bot created for this incident
// before a crash instead of creating a second one.
func (p *Performer) createChannel(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	if inc.ChannelID != "" {
		return nil, nil
	}
	base := inc.ChannelNameFor(p.cfg.ChannelPrefix)
	for attempt := 1; attempt <= 20; attempt++ {
		name := base
		if attempt > 1 {
			name = incident.ChannelNameWithSuffix(base, attempt)
		}
		ch, err := p.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: inc.Private})
		if err == nil {
			return p.setChannel(inc.Number, ch.ID, ch.Name), nil
		}
		if slackCode(err) != "name_taken" {
			return nil, classify(err)
		}
		own, err := p.ownChannel(ctx, name, inc)
		if err != nil {
			return nil, classify(err)
		}
		if own != nil {
			p.log.Info().Str("incident", inc.ID()).Str("channel", own.ID).Msg("adopted the channel created before a restart")
			return p.setChannel(inc.Number, own.ID, own.Name), nil
		}
	}
	return nil, outbox.Permanent(fmt.Errorf("no free channel name for %s after 20 tries", base))
}

// setChannel records the channel in the transaction that completes the
// job, so a crash before that commit re-runs the job, which adopts it.
func (p *Performer) setChannel(number uint64, id, name string) outbox.Apply {
	return func(tx store.Tx) error { return p.cmds.RecordChannelCreated(tx, number, id, name) }
}

// ownChannel finds the channel called name if this bot created it no
// earlier than the incident's declaration (so it is this incident's, left
// behind by a crash, and not an older store's).
func (p *Performer) ownChannel(ctx context.Context, name string, inc *incident.Incident) (*slack.Channel, error) {
	self, err := p.self.get(ctx, p.api)
	if err != nil {
		return nil, err
	}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1000}
	for {
		chans, cursor, err := p.api.GetConversationsContext(ctx, params)
		if err != nil {
			return nil, err
		}
		for i := range chans {
			c := &chans[i]
			if c.Name != name {
				continue
			}
			created := time.Unix(int64(c.Created), 0)
			if c.Creator == self && !created.Before(inc.DeclaredAt.Add(-time.Minute)) {
				return c, nil
			}
			return nil, nil
		}
		if cursor == "" {
			return nil, nil
		}
		params.Cursor = cursor
	}
}

// inviteSkippable are per-user invite errors that mean "this person cannot
// be brought in": a timeline note, not a failed job.
var inviteSkippable = map[string]bool{
	"user_not_found": true, "user_is_inactive": true, "user_disabled": true, "cant_invite": true,
	"cant_invite_self": true, "user_is_restricted": true, "user_is_ultra_restricted": true,
	"ura_max_channels": true, "not_a_user": true, "user_not_visible": true, "is_bot": true,
}

// invite brings users into the incident channel. Slack invites nobody when
// any one user fails, so failing users are dropped (and noted) and the
// rest retried.
func (p *Performer) invite(ctx context.Context, inc *incident.Incident, users []string) (outbox.Apply, error) {
	self, err := p.self.get(ctx, p.api)
	if err != nil {
		return nil, classify(err)
	}
	var pending []string
	for _, u := range users {
		if u != self {
			pending = append(pending, u)
		}
	}
	var notes []commands.NotInvited
	for len(pending) > 0 {
		_, err := p.api.InviteUsersToConversationContext(ctx, inc.ChannelID, pending...)
		if err == nil || slackCode(err) == "already_in_channel" {
			break
		}
		failed := inviteFailures(err)
		if len(failed) == 0 {
			if code := slackCode(err); inviteSkippable[code] && len(pending) == 1 {
				failed = map[string]string{pending[0]: code}
			} else {
				return nil, classify(err)
			}
		}
		var rest []string
		for _, u := range pending {
			code, bad := failed[u]
			if !bad || code == "already_in_channel" {
				if !bad {
					rest = append(rest, u)
				}
				continue
			}
			notes = append(notes, commands.NotInvited{User: u, Reason: code})
		}
		if len(rest) == len(pending) {
			return nil, classify(err)
		}
		pending = rest
	}
	if len(notes) == 0 {
		return nil, nil
	}
	number := inc.Number
	return func(tx store.Tx) error { return p.cmds.RecordNotInvited(tx, number, notes) }, nil
}

// inviteFailures maps each user in a partial conversations.invite failure
// to its error code.
func inviteFailures(err error) map[string]string {
	var se slack.SlackErrorResponse
	if !errors.As(err, &se) {
		return nil
	}
	out := map[string]string{}
	for _, e := range se.Errors {
		if ie := e.ConversationsInviteResponseError; ie != nil && ie.User != "" {
			out[ie.User] = ie.Error
		}
	}
	return out
}

// postCard posts the live summary card and pins it.
func (p *Performer) postCard(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	ts := inc.CardTS
	if ts == "" {
		blocks, text, err := p.cardBlocks(inc)
		if err != nil {
			return nil, err
		}
		ts, err = p.postOnce(ctx, job, inc.ChannelID, "", text, blocks...)
		if err != nil {
			return nil, err
		}
	}
	number := inc.Number
	storeTS := func(tx store.Tx) error { return p.cmds.RecordCardPosted(tx, number, ts) }
	if err := p.api.AddPinContext(ctx, inc.ChannelID, slack.ItemRef{Channel: inc.ChannelID, Timestamp: ts}); err != nil && slackCode(err) != "already_pinned" {
		// The card exists: store its ts now (progress kept with the
		// retry), so the retry only pins.
		return storeTS, classify(err)
	}
	return storeTS, nil
}

// bookmarkRunbook adds the service's runbook as a channel bookmark.
func (p *Performer) bookmarkRunbook(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	svc, ok := p.cfg.Settings.Service(inc.Service)
	if !ok || svc.Runbook == "" {
		return nil, nil
	}
	if p.uncertain(job) {
		// An earlier run may have added it before its answer was lost.
		marks, err := p.api.ListBookmarksContext(ctx, inc.ChannelID)
		if err != nil {
			return nil, classify(err)
		}
		for _, m := range marks {
			if m.Link == svc.Runbook {
				return nil, nil
			}
		}
	}
	_, err := p.api.AddBookmarkContext(ctx, inc.ChannelID, slack.AddBookmarkParameters{
		Title: mrkdwn.Truncate(svc.Name+" runbook", 100), Type: "link", Link: svc.Runbook, Emoji: ":book:",
	})
	return nil, classify(err)
}

// announce posts the declaration to the announce channel.
func (p *Performer) announce(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	channel := p.cfg.announceChannelFor(inc)
	if channel == "" || inc.AnnounceTS != "" {
		return nil, nil
	}
	blocks, text, err := p.announcementBlocks(inc)
	if err != nil {
		return nil, err
	}
	ts, err := p.postOnce(ctx, job, channel, "", text, blocks...)
	if err != nil {
		if why := p.announceCh.problem(); why != "" && channel == p.announceCh.id && outbox.IsPermanent(err) {
			return nil, fmt.Errorf("%w (%s)", err, why) // the timeline then says what to fix
		}
		return nil, err
	}
	number := inc.Number
	return func(tx store.Tx) error { return p.cmds.RecordAnnounced(tx, number, ts) }, nil
}

// lookbackMargin widens a retried post's look-back before the job's
// creation, for the skew between this host's clock (which stamped the job)
// and Slack's (which stamps messages).
const lookbackMargin = 10 * time.Minute

// lookupPage is the page size of a look-back: Slack's recommended most.
const lookupPage = 200

// postOnce posts a message (in thread when thread is a ts) tagged with the
// job's ID, unless an earlier run of the same job already did (then it
// returns that message's ts).
func (p *Performer) postOnce(ctx context.Context, job store.Job, channel, thread, text string, blocks ...slack.Block) (string, error) {
	if channel != "" && channel == p.announceCh.id && !p.announceCh.checked() {
		p.announceCh.check(ctx) // first use, when the start-up check went unanswered
	}
	if p.uncertain(job) {
		ts, err := p.findOwnPost(ctx, job, channel, thread)
		if err != nil {
			return "", err
		}
		if ts != "" {
			return ts, nil
		}
	}
	opts := []slack.MsgOption{
		slack.MsgOptionText(text, false),
		slack.MsgOptionMetadata(slack.SlackMetadata{EventType: jobMetadataType, EventPayload: map[string]any{"job": job.ID}}),
		slack.MsgOptionDisableLinkUnfurl(),
	}
	if len(blocks) > 0 {
		opts = append(opts, slack.MsgOptionBlocks(blocks...))
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
	}
	_, ts, err := p.api.PostMessageContext(ctx, channel, opts...)
	p.announceCh.afterPost(ctx, channel, err)
	if err != nil {
		return "", classify(err)
	}
	return ts, nil
}

// findOwnPost looks for the message an earlier run of job posted. A bot
// may post where it cannot read (chat:write.public in a public channel it
// has not joined), so a look-up refused with not_in_channel joins and looks
// again. A look-up that still cannot read is no reason to drop the post:
// losing an announcement is worse than showing it twice, so it reports
// "not found" and the post goes ahead. Only a failure worth retrying (the
// look-up may work next time) comes back as an error.
func (p *Performer) findOwnPost(ctx context.Context, job store.Job, channel, thread string) (string, error) {
	ts, err := p.findPosted(ctx, channel, thread, job)
	if slackCode(err) == "not_in_channel" {
		if jerr := p.announceCh.join(ctx, channel); jerr == nil {
			ts, err = p.findPosted(ctx, channel, thread, job)
		} else if !outbox.IsPermanent(classify(jerr)) {
			return "", classify(jerr)
		} else {
			err = fmt.Errorf("%w; %w", err, jerr)
		}
	}
	if err == nil {
		return ts, nil
	}
	if !outbox.IsPermanent(classify(err)) {
		return "", classify(err)
	}
	p.log.Warn().Err(err).Str("channel", channel).Uint64("job", job.ID).Str("kind", job.Kind).
		Msg("cannot read the channel to see whether an earlier try of this post landed; posting anyway, so it may appear twice")
	return "", nil
}

// findPosted looks through the channel's (or thread's) messages since job
// was created for the one it posted. It reads every page back to then, so
// a busy channel cannot push the message out of sight.
func (p *Performer) findPosted(ctx context.Context, channel, thread string, job store.Job) (string, error) {
	oldest := ""
	if !job.CreatedAt.IsZero() {
		since := job.CreatedAt.Add(-lookbackMargin)
		oldest = fmt.Sprintf("%d.%06d", since.Unix(), since.Nanosecond()/1000)
	}
	cursor := ""
	for {
		var (
			msgs []slack.Message
			next string
		)
		if thread != "" {
			replies, _, nc, err := p.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Oldest: oldest, Inclusive: true, Cursor: cursor, Limit: lookupPage, IncludeAllMetadata: true,
			})
			if err != nil {
				return "", fmt.Errorf("conversations.replies: %w", err)
			}
			msgs, next = replies, nc
		} else {
			hist, err := p.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
				ChannelID: channel, Oldest: oldest, Inclusive: true, Cursor: cursor, Limit: lookupPage, IncludeAllMetadata: true,
			})
			if err != nil {
				return "", fmt.Errorf("conversations.history: %w", err)
			}
			msgs, next = hist.Messages, hist.ResponseMetaData.NextCursor
		}
		if ts := postedBy(msgs, job.ID); ts != "" {
			return ts, nil
		}
		if next == "" {
			return "", nil
		}
		if next == cursor {
			return "", fmt.Errorf("reading %s back: Slack repeated cursor %q", channel, next)
		}
		cursor = next
	}
}

// postedBy returns the ts of the message in msgs that job id posted.
func postedBy(msgs []slack.Message, id uint64) string {
	for _, m := range msgs {
		if m.Metadata.EventType != jobMetadataType {
			continue
		}
		if v, ok := m.Metadata.EventPayload["job"].(float64); ok && uint64(v) == id {
			return m.Timestamp
		}
	}
	return ""
}

// recordDeliveryFailure puts a permanently failed side effect on the
// incident's timeline, so responders can see what is missing.
func (p *Performer) recordDeliveryFailure(tx store.Tx, job store.Job, cause error) error {
	text := fmt.Sprintf("%s failed: %v", strings.ReplaceAll(job.Kind, "_", " "), cause)
	var se slack.SlackErrorResponse
	if errors.As(cause, &se) && se.Err == "missing_scope" && se.Needed != "" {
		// Tell the operator what to add to the app, not just that it failed.
		text += fmt.Sprintf(" (the app needs the %s scope; it has %s: add it in manifest.yaml and reinstall)", se.Needed, se.Provided)
	}
	return p.cmds.RecordDeliveryFailed(tx, job.Incident, text)
}

// selfID is the bot's own user ID, from auth.test, cached.
type selfID struct {
	mu sync.Mutex
	id string
}

func (s *selfID) get(ctx context.Context, api *slack.Client) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.id != "" {
		return s.id, nil
	}
	resp, err := api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	s.id = resp.UserID
	return s.id, nil
}

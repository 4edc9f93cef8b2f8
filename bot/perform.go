package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
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

// performer carries out outbox jobs against Slack.
type performer struct {
	bot *Bot
}

// Perform dispatches on the job's kind. Each case reads the incident's
// current state, so what it renders is never stale.
func (p *performer) Perform(ctx context.Context, job store.Job) (outbox.Apply, error) {
	b := p.bot
	if job.Kind == commands.JobPostStats {
		return b.postStats(ctx, job) // belongs to no incident
	}
	inc, err := b.incident(job.Incident)
	if err != nil {
		return nil, outbox.Permanent(err)
	}
	switch job.Kind {
	case commands.JobCreateChannel:
		return b.createChannel(ctx, job, inc)
	}
	if inc.ChannelID == "" && job.Kind != commands.JobAnnounce && job.Kind != commands.JobRefreshAnnouncement {
		return nil, outbox.Permanent(fmt.Errorf("%s: the incident has no channel (its creation failed)", job.Kind))
	}
	switch job.Kind {
	case commands.JobSetTopic:
		topic, err := b.topic(inc)
		if err != nil {
			return nil, err
		}
		_, err = b.api.SetTopicOfConversationContext(ctx, inc.ChannelID, topic)
		return nil, classify(err)
	case commands.JobSetPurpose:
		_, err := b.api.SetPurposeOfConversationContext(ctx, inc.ChannelID, safe(inc.Title, maxTopic))
		return nil, classify(err)
	case commands.JobInvite:
		var pl commands.InvitePayload
		if err := json.Unmarshal(job.Payload, &pl); err != nil {
			return nil, outbox.Permanent(fmt.Errorf("decode invite payload: %w", err))
		}
		return b.invite(ctx, inc, pl.Users)
	case commands.JobPostCard:
		return b.postCard(ctx, job, inc)
	case commands.JobBookmarkRunbook:
		return b.bookmarkRunbook(ctx, job, inc)
	case commands.JobPostWelcome:
		text, err := b.render("welcome.tmpl", b.view(inc))
		if err != nil {
			return nil, err
		}
		_, err = b.postOnce(ctx, job, inc.ChannelID, "", text, section("welcome", text))
		return nil, err
	case commands.JobAnnounce:
		return b.announce(ctx, job, inc)
	case commands.JobRefreshCard:
		return b.refreshCard(ctx, job, inc)
	case commands.JobRefreshAnnouncement:
		return b.refreshAnnouncement(ctx, inc)
	case commands.JobPost:
		return b.postEvent(ctx, job, inc)
	case commands.JobReminder:
		return b.postReminder(ctx, job, inc)
	case commands.JobUploadPostmortem:
		return b.uploadPostmortem(ctx, job, inc)
	case commands.JobPostUpdate:
		return b.postUpdate(ctx, job, inc)
	case commands.JobReact:
		return b.markCaptured(ctx, job, inc)
	case commands.JobCapture:
		return b.capture(ctx, job, inc)
	case commands.JobArchiveWaiting:
		return b.postArchiveWaiting(ctx, job, inc)
	case commands.JobArchiveChannel:
		return b.archiveChannel(ctx, inc)
	default:
		return nil, outbox.Permanent(fmt.Errorf("unknown job kind %q", job.Kind))
	}
}

func (b *Bot) incident(number uint64) (*incident.Incident, error) {
	var inc *incident.Incident
	err := b.store.View(func(tx store.Tx) error {
		var err error
		inc, err = tx.Incident(number)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", incident.FormatID(number), err)
	}
	return inc, nil
}

// uncertain reports whether an earlier run of job may have reached Slack
// without its result being stored: an attempt failed in a way where the
// call may have happened (a timeout, a 5xx, a lost answer; the worker
// records it as MaybeDone), or it was enqueued before this process started
// (so a crash may have cut it short). A 429 leaves a job certain: Slack
// refused the call.
func (b *Bot) uncertain(job store.Job) bool {
	return job.MaybeDone || job.CreatedAt.Before(b.started)
}

// createChannel creates the incident channel, trying -2, -3… when the name
// is taken, and adopting a channel this bot created for this incident
// before a crash instead of creating a second one.
func (b *Bot) createChannel(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	if inc.ChannelID != "" {
		return nil, nil
	}
	base := inc.ChannelNameFor(b.opt.Commands.ChannelPrefix)
	for attempt := 1; attempt <= 20; attempt++ {
		name := base
		if attempt > 1 {
			name = incident.ChannelNameWithSuffix(base, attempt)
		}
		ch, err := b.api.CreateConversationContext(ctx, slack.CreateConversationParams{ChannelName: name, IsPrivate: inc.Private})
		if err == nil {
			return setChannel(inc.Number, ch.ID, ch.Name), nil
		}
		if slackCode(err) != "name_taken" {
			return nil, classify(err)
		}
		own, err := b.ownChannel(ctx, name, inc)
		if err != nil {
			return nil, classify(err)
		}
		if own != nil {
			b.log.Info().Str("incident", inc.ID()).Str("channel", own.ID).Msg("adopted the channel created before a restart")
			return setChannel(inc.Number, own.ID, own.Name), nil
		}
	}
	return nil, outbox.Permanent(fmt.Errorf("no free channel name for %s after 20 tries", base))
}

func setChannel(number uint64, id, name string) outbox.Apply {
	return func(tx store.Tx) error {
		inc, err := tx.Incident(number)
		if err != nil {
			return err
		}
		inc.ChannelID, inc.ChannelName = id, name
		return tx.PutIncident(inc)
	}
}

// ownChannel finds the channel called name if this bot created it no
// earlier than the incident's declaration (so it is this incident's, left
// behind by a crash, and not an older store's).
func (b *Bot) ownChannel(ctx context.Context, name string, inc *incident.Incident) (*slack.Channel, error) {
	self, err := b.selfID(ctx)
	if err != nil {
		return nil, err
	}
	params := &slack.GetConversationsParameters{Types: []string{"public_channel", "private_channel"}, Limit: 1000}
	for {
		chans, cursor, err := b.api.GetConversationsContext(ctx, params)
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

// selfID is the bot's own user ID, from auth.test, cached.
func (b *Bot) selfID(ctx context.Context) (string, error) {
	b.selfMu.Lock()
	defer b.selfMu.Unlock()
	if b.self != "" {
		return b.self, nil
	}
	resp, err := b.api.AuthTestContext(ctx)
	if err != nil {
		return "", fmt.Errorf("auth.test: %w", err)
	}
	b.self = resp.UserID
	return b.self, nil
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
func (b *Bot) invite(ctx context.Context, inc *incident.Incident, users []string) (outbox.Apply, error) {
	self, err := b.selfID(ctx)
	if err != nil {
		return nil, classify(err)
	}
	var pending []string
	for _, u := range users {
		if u != self {
			pending = append(pending, u)
		}
	}
	var notes []incident.Event
	for len(pending) > 0 {
		_, err := b.api.InviteUsersToConversationContext(ctx, inc.ChannelID, pending...)
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
			notes = append(notes, incident.Event{Kind: incident.EventNote, Text: fmt.Sprintf("Could not invite %s to the channel (%s).", u, code)})
		}
		if len(rest) == len(pending) {
			return nil, classify(err)
		}
		pending = rest
	}
	if len(notes) == 0 {
		return nil, nil
	}
	return func(tx store.Tx) error {
		for _, n := range notes {
			if _, err := tx.AppendEvent(inc.Number, n); err != nil {
				return err
			}
		}
		return nil
	}, nil
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
func (b *Bot) postCard(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	ts := inc.CardTS
	if ts == "" {
		blocks, text, err := b.cardBlocks(inc)
		if err != nil {
			return nil, err
		}
		ts, err = b.postOnce(ctx, job, inc.ChannelID, "", text, blocks...)
		if err != nil {
			return nil, err
		}
	}
	number := inc.Number
	storeTS := func(tx store.Tx) error {
		inc, err := tx.Incident(number)
		if err != nil {
			return err
		}
		inc.CardTS = ts
		return tx.PutIncident(inc)
	}
	if err := b.api.AddPinContext(ctx, inc.ChannelID, slack.ItemRef{Channel: inc.ChannelID, Timestamp: ts}); err != nil && slackCode(err) != "already_pinned" {
		// The card exists: store its ts now (progress kept with the
		// retry), so the retry only pins.
		return storeTS, classify(err)
	}
	return storeTS, nil
}

// bookmarkRunbook adds the service's runbook as a channel bookmark.
func (b *Bot) bookmarkRunbook(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	svc, ok := b.opt.Settings.Service(inc.Service)
	if !ok || svc.Runbook == "" {
		return nil, nil
	}
	if b.uncertain(job) {
		// An earlier run may have added it before its answer was lost.
		marks, err := b.api.ListBookmarksContext(ctx, inc.ChannelID)
		if err != nil {
			return nil, classify(err)
		}
		for _, m := range marks {
			if m.Link == svc.Runbook {
				return nil, nil
			}
		}
	}
	_, err := b.api.AddBookmarkContext(ctx, inc.ChannelID, slack.AddBookmarkParameters{
		Title: mrkdwn.Truncate(svc.Name+" runbook", 100), Type: "link", Link: svc.Runbook, Emoji: ":book:",
	})
	return nil, classify(err)
}

// announce posts the declaration to the announce channel.
func (b *Bot) announce(ctx context.Context, job store.Job, inc *incident.Incident) (outbox.Apply, error) {
	channel := b.opt.Commands.AnnounceChannelFor(inc)
	if channel == "" || inc.AnnounceTS != "" {
		return nil, nil
	}
	blocks, text, err := b.announcementBlocks(inc)
	if err != nil {
		return nil, err
	}
	ts, err := b.postOnce(ctx, job, channel, "", text, blocks...)
	if err != nil {
		if p := b.AnnounceProblem(); p != "" && channel == b.announceChannel() && outbox.IsPermanent(err) {
			return nil, fmt.Errorf("%w (%s)", err, p) // the timeline then says what to fix
		}
		return nil, err
	}
	number := inc.Number
	return func(tx store.Tx) error {
		inc, err := tx.Incident(number)
		if err != nil {
			return err
		}
		inc.AnnounceTS = ts
		return tx.PutIncident(inc)
	}, nil
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
func (b *Bot) postOnce(ctx context.Context, job store.Job, channel, thread, text string, blocks ...slack.Block) (string, error) {
	if channel != "" && channel == b.announceChannel() && !b.announceChecked() {
		b.checkAnnounceChannel(ctx) // first use, when the start-up check went unanswered
	}
	if b.uncertain(job) {
		ts, err := b.findOwnPost(ctx, job, channel, thread)
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
	_, ts, err := b.api.PostMessageContext(ctx, channel, opts...)
	b.afterAnnouncePost(ctx, channel, err)
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
func (b *Bot) findOwnPost(ctx context.Context, job store.Job, channel, thread string) (string, error) {
	ts, err := b.findPosted(ctx, channel, thread, job)
	if slackCode(err) == "not_in_channel" {
		if jerr := b.join(ctx, channel); jerr == nil {
			ts, err = b.findPosted(ctx, channel, thread, job)
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
	b.log.Warn().Err(err).Str("channel", channel).Uint64("job", job.ID).Str("kind", job.Kind).
		Msg("cannot read the channel to see whether an earlier try of this post landed; posting anyway, so it may appear twice")
	return "", nil
}

// findPosted looks through the channel's (or thread's) messages since job
// was created for the one it posted. It reads every page back to then, so
// a busy channel cannot push the message out of sight.
func (b *Bot) findPosted(ctx context.Context, channel, thread string, job store.Job) (string, error) {
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
			replies, _, nc, err := b.api.GetConversationRepliesContext(ctx, &slack.GetConversationRepliesParameters{
				ChannelID: channel, Timestamp: thread, Oldest: oldest, Inclusive: true, Cursor: cursor, Limit: lookupPage, IncludeAllMetadata: true,
			})
			if err != nil {
				return "", fmt.Errorf("conversations.replies: %w", err)
			}
			msgs, next = replies, nc
		} else {
			hist, err := b.api.GetConversationHistoryContext(ctx, &slack.GetConversationHistoryParameters{
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
func recordDeliveryFailure(tx store.Tx, job store.Job, cause error) error {
	if job.Incident == 0 {
		return nil
	}
	text := fmt.Sprintf("%s failed: %v", strings.ReplaceAll(job.Kind, "_", " "), cause)
	var se slack.SlackErrorResponse
	if errors.As(cause, &se) && se.Err == "missing_scope" && se.Needed != "" {
		// Tell the operator what to add to the app, not just that it failed.
		text += fmt.Sprintf(" (the app needs the %s scope; it has %s: add it in manifest.yaml and reinstall)", se.Needed, se.Provided)
	}
	_, err := tx.AppendEvent(job.Incident, incident.Event{Kind: incident.EventDeliveryFailed, Text: text})
	return err
}

package bot

import (
	"context"
	"fmt"
	"time"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// jobMetadataType tags every message the outbox posts with its job ID, so a
// job re-run after a crash finds the message it already posted instead of
// posting it twice (chat.postMessage has no idempotency key).
const jobMetadataType = "incidentbot_job"

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
	return p.postOnceWith(ctx, job, channel, thread, func(ctx context.Context) (string, error) {
		return p.post(ctx, job, channel, thread, text, blocks)
	})
}

// postOnceJSON is postOnce for a message whose blocks are appended as
// JSON by blocks (see postBody), sent as a JSON body through p.web.
func (p *Performer) postOnceJSON(ctx context.Context, job store.Job, channel, thread, text string, blocks func([]byte) []byte) (string, error) {
	return p.postOnceWith(ctx, job, channel, thread, func(ctx context.Context) (string, error) {
		body := postBody(make([]byte, 0, 2048), job.ID, channel, thread, text, blocks)
		return p.web.postMessage(ctx, body)
	})
}

// postOnceWith runs post (which sends the message to channel, in thread
// when thread is a ts) unless an earlier run of job already posted it.
func (p *Performer) postOnceWith(ctx context.Context, job store.Job, channel, thread string, post func(context.Context) (string, error)) (string, error) {
	p.announceCh.firstUse(ctx, channel) // an announce or drills channel the start-up check could not reach
	if p.uncertain(job) {
		ts, err := p.findOwnPost(ctx, job, channel, thread)
		if err != nil {
			return "", err
		}
		if ts != "" {
			return ts, nil
		}
	}
	ts, err := post(withPostChannel(ctx, channel))
	p.announceCh.afterPost(ctx, channel, err)
	if err != nil {
		return "", classify(err)
	}
	return ts, nil
}

// post sends a message with slack-go's client, tagged with job's ID.
func (p *Performer) post(ctx context.Context, job store.Job, channel, thread, text string, blocks []slack.Block) (string, error) {
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
	return ts, err
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

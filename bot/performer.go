package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/outbox"
	"github.com/incidentbot/incidentbot/store"
)

// Performer carries out outbox jobs against Slack (outbox.Performer). What
// a job achieved is recorded through commands in the transaction that
// completes it.
type Performer struct {
	*renderer
	*replier
	api        *slack.Client
	web        *WebAPI // the posts written as JSON (postOnceJSON)
	cmds       *commands.Service
	cfg        Config
	log        zerolog.Logger
	announceCh *announceChannels
	// started is when this process began: jobs enqueued earlier may have
	// been cut short by a crash (see uncertain).
	started time.Time
	self    selfID
}

// Perform dispatches on the job's kind. Each case reads the incident's
// current state, so what it renders is never stale.
func (p *Performer) Perform(ctx context.Context, job store.Job) (outbox.Apply, error) {
	if commands.Background(job.Kind) {
		ctx = withBackgroundPosts(ctx) // urgent posts go first while Slack's limit binds
	}
	if job.Kind == commands.JobPostStats {
		return p.postStats(ctx, job) // belongs to no incident
	}
	if job.Kind == commands.JobSuggestAlert {
		return p.suggestAlert(ctx, job) // belongs to no incident yet
	}
	if job.Kind == commands.JobAnswer && job.Incident == 0 {
		return p.answer(ctx, job, nil) // the stats' private answer: no incident
	}
	inc, err := p.cmds.Incident(job.Incident)
	if err != nil {
		return nil, storeErr(err)
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
	case commands.JobPinCard:
		return p.pinCard(ctx, inc)
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
	case commands.JobAnswer:
		return p.answer(ctx, job, inc)
	case commands.JobArchiveWaiting:
		return p.postArchiveWaiting(ctx, job, inc)
	case commands.JobArchiveChannel:
		return p.archiveChannel(ctx, inc)
	case commands.JobOfferResolve:
		return p.offerResolve(ctx, job, inc)
	case commands.JobMarkSuggestion:
		return p.markSuggestion(ctx, job, inc)
	case commands.JobAlertsFiring:
		return p.alertsFiring(ctx, job, inc)
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

package commands

import (
	"context"
	"strconv"
	"time"

	"github.com/incidentbot/incidentbot/store"
)

// JobAnswer tells the user of a shortcut how it went, or the asker of
// stats the bot could not post in the channel what they are, through a
// response_url (AnswerPayload). The job that did the work
// enqueues it in the transaction that records the work, so the answer is
// neither lost when that job is cut short and re-run, nor sent by each
// run: it exists once the work is recorded, and only then.
const JobAnswer = "answer"

// AnswerPayload is what a JobAnswer sends: Text, as mrkdwn made safe by
// whoever wrote it, to ResponseURL.
type AnswerPayload struct {
	ResponseURL string `json:"response_url"`
	Text        string `json:"text"`
}

// EnqueueAnswer adds a JobAnswer for incident number (0: none, as for
// the stats' private answer) to tx; an answer with no response_url to go
// to (a 📌 has none) is not queued.
func EnqueueAnswer(tx store.Tx, number uint64, pl AnswerPayload) error {
	if pl.ResponseURL == "" {
		return nil
	}
	return enqueue(tx, number, JobAnswer, pl)
}

// StartAnswer records, before the answer of JobAnswer job leaves, that it
// is leaving, and reports whether this is the first run to get this far.
// A response_url post cannot be looked up afterwards, nor sent with an
// idempotency key: a run cut short between the post and the job's
// completion (a crash, a shutdown) leaves no trace in Slack to find. So a
// later run that finds the mark sends nothing: a user is answered at most
// once. The window where an answer can be lost is the instant between
// this commit and the post; a response_url lives 30 minutes, far less
// than a delivery key is kept (DeliveryRetention), so the mark outlives
// any use of it.
func (s *Service) StartAnswer(ctx context.Context, job uint64) (first bool, err error) {
	key := deliveryKey("answer", strconv.FormatUint(job, 10))
	dup, err := s.run(ctx, "start answer "+key, key, func(store.Tx, time.Time) error { return nil })
	return !dup && err == nil, err
}

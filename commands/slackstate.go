package commands

import (
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// The use-cases in this file record what an outbox job achieved in Slack:
// the channel it created, the message it posted, the people it could not
// invite. Each takes tx, the transaction in which the outbox worker
// completes the job, so the result is stored exactly when the job is
// marked done: a crash between the Slack call and the commit re-runs the
// job, which finds its earlier result in Slack (see the bot's performer)
// instead of doing it twice.

// RecordChannelCreated stores the channel Slack created (or the bot
// adopted) for incident number.
func (s *Service) RecordChannelCreated(tx store.Tx, number uint64, channelID, name string) error {
	return s.editIncident(tx, number, func(inc *incident.Incident) {
		inc.ChannelID, inc.ChannelName = channelID, name
	})
}

// RecordCardPosted stores the ts of incident number's summary card, which
// later refreshes edit in place. It is recorded as soon as the card exists,
// even when pinning it failed, so a retry only pins.
func (s *Service) RecordCardPosted(tx store.Tx, number uint64, ts string) error {
	return s.editIncident(tx, number, func(inc *incident.Incident) { inc.CardTS = ts })
}

// RecordAnnounced stores the ts of incident number's announcement, whose
// thread receives its updates.
func (s *Service) RecordAnnounced(tx store.Tx, number uint64, ts string) error {
	return s.editIncident(tx, number, func(inc *incident.Incident) { inc.AnnounceTS = ts })
}

// NotInvited is one person the invite job could not bring into the
// incident channel, with Slack's reason.
type NotInvited struct {
	User, Reason string
}

// RecordNotInvited notes on incident number's timeline each person who
// could not be invited, so responders know whom to fetch by hand.
func (s *Service) RecordNotInvited(tx store.Tx, number uint64, people []NotInvited) error {
	for _, p := range people {
		text := "Could not invite " + p.User + " to the channel (" + p.Reason + ")."
		if _, err := tx.AppendEvent(number, incident.Event{Kind: incident.EventNote, Text: text}); err != nil {
			return err
		}
	}
	return nil
}

// editIncident loads incident number in tx, changes it and stores it.
func (s *Service) editIncident(tx store.Tx, number uint64, edit func(*incident.Incident)) error {
	inc, err := tx.Incident(number)
	if err != nil {
		return err
	}
	edit(inc)
	return tx.PutIncident(inc)
}

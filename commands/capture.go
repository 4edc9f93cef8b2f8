package commands

import (
	"context"
	"errors"
	"time"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
)

// JobCapture puts a message of the incident channel on the timeline
// (CapturePayload): it reads the message from Slack, then adds it in the
// transaction that completes the job.
const JobCapture = "capture"

// CapturePayload is what a JobCapture knows of the message before reading
// it: where it is, who asked, and what the delivery said about it.
type CapturePayload struct {
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	// By pinned the message or used the shortcut.
	By string `json:"by"`
	// Author and Text are what the delivery said of the message; the text
	// read from Slack wins.
	Author string `json:"author,omitempty"`
	Text   string `json:"text,omitempty"`
	// ResponseURL answers the user of the shortcut; "" for a 📌.
	ResponseURL string `json:"response_url,omitempty"`
}

// CaptureRequest is a 📌 reaction or an "Add to timeline" shortcut on a
// message, as delivered.
type CaptureRequest struct {
	CapturePayload
	// DeliveryKey identifies the delivery, so that a redelivery is
	// dropped ("event:<event_id>", "capture-delivery:shortcut:<trigger_id>").
	DeliveryKey string
}

// CaptureRequestResult is the outcome of RequestCapture.
type CaptureRequestResult struct {
	Incident *incident.Incident
	// Redelivered is true when this very delivery was recorded before.
	Redelivered bool
}

// RequestCapture records, before the delivery is acked, that a message is
// to go on its incident's timeline: the delivery's key and the capture job
// commit together, so a crash after the ack loses neither, and the
// redelivery of an envelope whose ack was lost is dropped.
//
// A message outside every incident channel is an EINVALID error and writes
// nothing: 📌 is an everyday reaction, and the store must not grow with
// every one in the workspace.
func (s *Service) RequestCapture(ctx context.Context, in CaptureRequest) (CaptureRequestResult, error) {
	if in.Channel == "" || in.TS == "" {
		return CaptureRequestResult{}, incident.Errorf(incident.EINVALID, "a captured message needs its channel and ts")
	}
	// Read first: most 📌s are not in incident channels, and a read costs
	// no commit.
	if err := s.Store.View(func(tx store.Tx) error {
		_, err := s.captureIncident(tx, in.Channel)
		return err
	}); err != nil {
		return CaptureRequestResult{}, err
	}
	return runFor(ctx, s, "capture "+in.Channel+"/"+in.TS, in.DeliveryKey, CaptureRequestResult{Redelivered: true}, func(tx store.Tx, _ time.Time, res *CaptureRequestResult) error {
		inc, err := s.captureIncident(tx, in.Channel)
		if err != nil {
			return err
		}
		res.Incident = inc
		return enqueue(tx, inc.Number, JobCapture, in.CapturePayload)
	})
}

// captureIncident is the incident of channel, or the EINVALID error that
// says the message belongs to none.
func (s *Service) captureIncident(tx store.Tx, channel string) (*incident.Incident, error) {
	inc, err := tx.IncidentByChannel(channel)
	if errors.Is(err, store.ErrNotFound) {
		return nil, incident.Errorf(incident.EINVALID, "Only messages in an incident's channel can go on its timeline, and this channel belongs to no incident. `%s list` shows the open incidents and their channels.", s.command())
	}
	return inc, err
}

// CaptureInput is a message of an incident channel, read from Slack, to put
// on the timeline.
type CaptureInput struct {
	Channel string
	// TS identifies the message in its channel.
	TS string
	// At is when the message was posted: the event keeps that time.
	At     time.Time
	Author string
	Text   string
	// Link is the message's permalink.
	Link string
}

// CaptureResult is the outcome of ApplyCapture.
type CaptureResult struct {
	Incident *incident.Incident
	Event    incident.Event
	// Duplicate is true when the message was already on the timeline.
	Duplicate bool
}

// capturedKey marks a message that is on a timeline. It is remembered for
// good (store.Tx.Remember), as the timeline keeps the message for good.
func capturedKey(channel, ts string) string { return "capture:" + channel + "/" + ts }

// Captured reports whether the message is on its incident's timeline.
func (s *Service) Captured(channel, ts string) (bool, error) {
	var done bool
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		done, err = tx.Seen(capturedKey(channel, ts))
		return err
	})
	return done, err
}

// ApplyCapture puts a message of an incident channel on that incident's
// timeline, with its original time, author, text and permalink, and
// enqueues a reaction on it to confirm. It runs in the transaction that
// completes the capture job. Each message goes on at most once, however
// often it is captured or its job re-run: again is a Duplicate that
// changes nothing.
func (s *Service) ApplyCapture(tx store.Tx, in CaptureInput) (CaptureResult, error) {
	if in.Channel == "" || in.TS == "" {
		return CaptureResult{}, incident.Errorf(incident.EINVALID, "a captured message needs its channel and ts")
	}
	if in.At.IsZero() {
		in.At = s.now()
	}
	inc, err := s.captureIncident(tx, in.Channel)
	if err != nil {
		return CaptureResult{}, err
	}
	res := CaptureResult{Incident: inc}
	dup, err := tx.Remember(capturedKey(in.Channel, in.TS))
	if err != nil || dup {
		res.Duplicate = dup
		return res, err
	}
	ev, err := s.appendEvent(tx, inc, inc.Capture(incident.CapturedMessage{At: in.At, Author: in.Author, Text: in.Text, Link: in.Link}))
	if err != nil {
		return CaptureResult{}, err
	}
	res.Event = ev
	if err := enqueue(tx, inc.Number, JobReact, ReactPayload{TS: in.TS, Name: CapturedEmoji}); err != nil {
		return CaptureResult{}, err
	}
	return res, nil
}

package slackemu

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ErrNoAck is returned when an envelope was not acked within Options.AckTimeout
// (after every redelivery, for events_api).
var ErrNoAck = errors.New("slackemu: envelope not acked in time")

// Envelope is a Socket Mode envelope as sent to the bot. An empty ID is generated.
type Envelope struct {
	ID                     string
	Type                   string // events_api | slash_commands | interactive | anything, for error tests
	Payload                json.RawMessage
	AcceptsResponsePayload bool
	RetryAttempt           int
	RetryReason            string
}

func (e Envelope) frame() ([]byte, error) {
	m := map[string]any{
		"envelope_id":              e.ID,
		"type":                     e.Type,
		"accepts_response_payload": e.AcceptsResponsePayload,
	}
	if len(e.Payload) > 0 {
		m["payload"] = e.Payload
	}
	if e.Type == "events_api" || e.RetryAttempt != 0 || e.RetryReason != "" {
		m["retry_attempt"] = e.RetryAttempt
		m["retry_reason"] = e.RetryReason
	}
	b, err := marshalJSON(m)
	if err != nil {
		return nil, fmt.Errorf("encode envelope %s: %w", e.ID, err)
	}
	return b, nil
}

// Ack is the bot's answer to one envelope. Payload is nil when the ack had none.
type Ack struct {
	EnvelopeID   string
	Payload      json.RawMessage
	Latency      time.Duration // from writing the envelope to reading the ack
	RetryAttempt int           // the attempt that was acked (events_api redeliveries)
}

type pending struct {
	ackc  chan ackMsg // capacity 1; exactly one send, by whoever removed the entry from sockets.pending
	onAck func(payload json.RawMessage) (problem string)
}

type ackMsg struct {
	payload json.RawMessage
	at      time.Time
}

// Deliver sends one envelope as is (no redelivery) and waits for its ack, ctx, or
// AckTimeout (ErrNoAck). While no socket is connected it waits for one. Ack
// payloads have the same effects as for SlashCommand and SubmitView when the type
// and payload say what they are.
func (s *Server) Deliver(ctx context.Context, env Envelope) (Ack, error) {
	return s.deliverOnce(ctx, env, s.ackEffects(env))
}

func (s *Server) deliverOnce(ctx context.Context, env Envelope, onAck func(json.RawMessage) string) (Ack, error) {
	if env.ID == "" {
		env.ID = newUUID()
	}
	frame, err := env.frame()
	if err != nil {
		return Ack{}, err
	}
	p := &pending{ackc: make(chan ackMsg, 1), onAck: onAck}
	s.sock.mu.Lock()
	s.sock.pending[env.ID] = p
	s.sock.mu.Unlock()

	var start time.Time
	for {
		c, wait := s.sock.pickFor(env.RetryAttempt > 0)
		if c == nil {
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return s.giveUp(env, p, ctx.Err(), false)
			case <-s.closed:
				return s.giveUp(env, p, ErrClosed, false)
			}
		}
		start = time.Now()
		if err := c.write(frame); err != nil {
			s.dropConn(c)
			continue
		}
		break
	}
	s.delivered.add(env)
	s.emit(Change{Kind: ChangeDelivery, EnvelopeID: env.ID})
	s.logf("delivered %s %s (attempt %d)", env.Type, env.ID, env.RetryAttempt)

	timer := time.NewTimer(s.opts.AckTimeout)
	defer timer.Stop()
	select {
	case a := <-p.ackc:
		return Ack{EnvelopeID: env.ID, Payload: a.payload, Latency: a.at.Sub(start), RetryAttempt: env.RetryAttempt}, nil
	case <-timer.C:
		ack, err := s.giveUp(env, p, fmt.Errorf("%w: %s %s after %v", ErrNoAck, env.Type, env.ID, s.opts.AckTimeout), true)
		ack.Latency = time.Since(start)
		return ack, err
	case <-ctx.Done():
		return s.giveUp(env, p, ctx.Err(), false)
	case <-s.closed:
		return s.giveUp(env, p, ErrClosed, false)
	}
}

// giveUp withdraws a pending envelope. If an ack won the race it is returned
// instead of err.
func (s *Server) giveUp(env Envelope, p *pending, err error, timedOut bool) (Ack, error) {
	s.sock.mu.Lock()
	_, still := s.sock.pending[env.ID]
	if still {
		delete(s.sock.pending, env.ID)
		s.sock.finished[env.ID] = "expired"
	}
	s.sock.mu.Unlock()
	if !still {
		a := <-p.ackc
		return Ack{EnvelopeID: env.ID, Payload: a.payload, RetryAttempt: env.RetryAttempt}, nil
	}
	if timedOut {
		s.addProblem(Problem{Kind: "timeout", EnvelopeID: env.ID, Type: env.Type, Detail: fmt.Sprintf("attempt %d", env.RetryAttempt)})
	}
	return Ack{}, err
}

// acked handles an ack frame read from any connection.
func (s *Server) acked(id string, payload json.RawMessage) {
	s.sock.mu.Lock()
	p, ok := s.sock.pending[id]
	prior := s.sock.finished[id]
	if ok {
		delete(s.sock.pending, id)
		s.sock.finished[id] = "acked"
	}
	s.sock.mu.Unlock()
	if !ok {
		kind := "unknown_ack"
		switch prior {
		case "expired":
			kind = "late_ack"
		case "acked":
			kind = "duplicate_ack"
		}
		s.addProblem(Problem{Kind: kind, EnvelopeID: id})
		return
	}
	if string(payload) == "null" {
		payload = nil
	}
	if p.onAck != nil {
		if problem := p.onAck(payload); problem != "" {
			s.addProblem(Problem{Kind: "ack_rejected", EnvelopeID: id, Detail: problem})
		}
	}
	p.ackc <- ackMsg{payload: payload, at: time.Now()}
	s.emit(Change{Kind: ChangeAck, EnvelopeID: id})
}

// ackEffects returns what an ack of env does to the workspace, judged from its
// type and payload: slash-command replies and view_submission response_actions.
func (s *Server) ackEffects(env Envelope) func(json.RawMessage) string {
	var head struct {
		Type      string `json:"type"`
		UserID    string `json:"user_id"`
		ChannelID string `json:"channel_id"`
		Command   string `json:"command"`
		Text      string `json:"text"`
		View      struct {
			ID string `json:"id"`
		} `json:"view"`
	}
	if json.Unmarshal(env.Payload, &head) != nil {
		return nil
	}
	switch {
	case env.Type == "slash_commands":
		return func(p json.RawMessage) string {
			return s.applyCommandAck(head.UserID, head.ChannelID, head.Command, head.Text, p)
		}
	case env.Type == "interactive" && head.Type == "view_submission" && head.View.ID != "":
		return func(p json.RawMessage) string {
			s.mu.Lock()
			defer s.mu.Unlock()
			v, ok := s.ws.views[head.View.ID]
			if !ok {
				return ""
			}
			return s.applySubmissionAck(v, p)
		}
	}
	return nil
}

// mayBeString reports whether json.Unmarshal of payload into a string could
// succeed: only a string or null can, so anything else need not be scanned
// a first time for it.
func mayBeString(payload []byte) bool {
	t := bytes.TrimLeft(payload, " \t\r\n")
	return len(t) > 0 && (t[0] == '"' || t[0] == 'n')
}

// checkedBlocks is validateBlocks of a message's blocks (one JSON value,
// as a RawMessage field holds it) and, when they pass, compactArray of
// them, decoding them once for both.
func checkedBlocks(raw json.RawMessage) (json.RawMessage, []string) {
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, []string{"invalid JSON [json-pointer:/blocks]"}
	}
	if problems := checkBlocks(v, surfaceMessage, "/blocks"); len(problems) > 0 {
		return nil, problems
	}
	if list, _ := v.([]any); len(list) > 0 {
		return compact(raw), nil
	}
	return nil, nil
}

// applyCommandAck shows a slash command's immediate reply (SC-doc): ephemeral by
// default; "in_channel" posts it, after the user's command, to the channel.
func (s *Server) applyCommandAck(user, channelID, command, text string, payload json.RawMessage) string {
	if len(payload) == 0 {
		return ""
	}
	var msg responseMessage
	var str string
	if mayBeString(payload) && json.Unmarshal(payload, &str) == nil {
		msg.Text = str // SDKs send a bare string as {"text": …}
	} else if err := json.Unmarshal(payload, &msg); err != nil {
		return "slash command ack payload is not a message: " + err.Error()
	}
	var blocks json.RawMessage
	if len(msg.Blocks) > 0 && string(msg.Blocks) != "null" {
		var problems []string
		if blocks, problems = checkedBlocks(msg.Blocks); len(problems) > 0 {
			return fmt.Sprintf("invalid_blocks in slash command ack: %v", problems)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if msg.ResponseType == "in_channel" {
		c, ok := s.ws.channels[channelID]
		if !ok {
			return "in_channel reply to an unknown channel " + channelID
		}
		s.postMessage(c, &Message{User: user, Text: command + " " + text})
		if msg.Text != "" || blocks != nil {
			s.postMessage(c, &Message{User: s.botUserID, Text: msg.Text, Blocks: blocks})
		}
		return ""
	}
	if msg.Text == "" && blocks == nil {
		return ""
	}
	s.addEphemeral(channelID, user, &Message{Text: msg.Text, Blocks: blocks})
	return ""
}

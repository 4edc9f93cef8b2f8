package slackemu

import (
	"context"
	"errors"
	"maps"
)

// EventEnvelope wraps an inner event (e.g. {"type":"app_home_opened",…}) in an
// events_api envelope with a fresh event_id, as Slack does; Deliver it (twice, for
// a duplicate-delivery test) or use Event.
func (s *Server) EventEnvelope(event map[string]any) Envelope {
	inner := maps.Clone(event)
	s.mu.Lock()
	if _, ok := inner["event_ts"]; !ok {
		inner["event_ts"] = s.ws.nextTS(s.now())
	}
	now := s.now().Unix()
	s.mu.Unlock()
	typ, _ := inner["type"].(string)
	payload := map[string]any{
		"token": verificationToken, "team_id": s.teamID, "api_app_id": s.appID,
		"type": "event_callback", "event_id": "Ev" + randAlnum(10), "event_time": now,
		"event_context": "4-" + typ + "-" + s.teamID, "is_ext_shared_channel": false,
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.teamID, "user_id": s.botUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
		"event": inner,
	}
	raw, _ := marshalJSON(payload)
	return Envelope{Type: "events_api", Payload: raw}
}

// Event delivers an events_api envelope for event with a fresh event_id. Unless
// Options.DisableRedelivery, an envelope not acked in time is redelivered at once
// with retry_attempt 1..3, retry_reason "timeout" and a new envelope_id (Slack
// spaces the retries by 1 and 5 minutes; the emulator does not wait). It returns the
// ack of whichever attempt was acked, or ErrNoAck.
func (s *Server) Event(ctx context.Context, event map[string]any) (Ack, error) {
	env := s.EventEnvelope(event)
	attempts := 4
	if s.opts.DisableRedelivery {
		attempts = 1
	}
	for attempt := 0; ; attempt++ {
		env.ID, env.RetryAttempt, env.RetryReason = "", attempt, ""
		if attempt > 0 {
			env.RetryReason = "timeout"
		}
		ack, err := s.deliverOnce(ctx, env, nil)
		if err == nil || !errors.Is(err, ErrNoAck) || attempt == attempts-1 {
			return ack, err
		}
	}
}

package slackemu

import (
	"encoding/json"
	"slices"
	"sync"
)

// deliveryLog keeps every envelope written to a socket.
type deliveryLog struct {
	mu   sync.Mutex
	envs []Envelope
}

func (l *deliveryLog) add(env Envelope) {
	env.Payload = slices.Clone(env.Payload)
	l.mu.Lock()
	l.envs = append(l.envs, env)
	l.mu.Unlock()
}

// Deliveries returns, in order, every envelope written to a socket, exactly as
// sent (a redelivery is an entry of its own). A test can take the payload the
// emulator built for SlashCommand, ClickButton, React… and Deliver it again, as
// Slack does when it thinks an envelope was not acked.
func (s *Server) Deliveries() []Envelope {
	s.delivered.mu.Lock()
	defer s.delivered.mu.Unlock()
	out := make([]Envelope, len(s.delivered.envs))
	for i, env := range s.delivered.envs {
		env.Payload = json.RawMessage(slices.Clone(env.Payload))
		out[i] = env
	}
	return out
}

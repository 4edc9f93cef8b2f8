package slackemu

// AwaitingAck is how many envelopes are out for delivery and not yet acked
// (nor given up on). A test can wait for it to reach 0 — on the Subscribe
// feed's ack and problem changes — to act once every envelope has had its
// answer, such as dropping the sockets without losing an ack in flight.
func (s *Server) AwaitingAck() int {
	s.sock.mu.Lock()
	defer s.sock.mu.Unlock()
	return len(s.sock.pending)
}

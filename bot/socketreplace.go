package bot

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// watch waits until l needs replacing and says why.
func (s *Socket) watch(ctx context.Context, l *link) string {
	select {
	case r := <-l.trouble:
		return r
	case <-l.ended:
		// A disconnect frame read just before the close explains it better.
		select {
		case r := <-l.trouble:
			return r
		default:
			return "read_error"
		}
	case <-ctx.Done():
		return "shutdown"
	}
}

// open asks Slack for a socket URL, dials it and waits for hello. The link
// is read (and its envelopes handled) from the moment it is dialled.
func (s *Socket) open(ctx context.Context) (*link, error) {
	_, url, err := s.API.StartSocketModeContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("apps.connections.open: %w", err)
	}
	dialer := websocket.Dialer{HandshakeTimeout: 30 * time.Second, WriteBufferSize: 32 << 10}
	header := http.Header{"Origin": {"https://api.slack.com"}}
	ws, resp, err := dialer.DialContext(ctx, url, header)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		return nil, fmt.Errorf("dial socket: %w", err)
	}
	l := s.start(ctx, ws)
	timeout, stop := s.Clock.After(s.Silence)
	defer stop()
	select {
	case <-l.hello:
		return l, nil
	case r := <-l.trouble:
		s.retire(l)
		return nil, disconnected{reason: r}
	case <-l.ended:
		s.retire(l)
		// Slack refuses a socket (too_many_websockets, link_disabled) with
		// a disconnect frame and then closes it; the reader flags the
		// reason before it ends, so when both are ready (select picks
		// either) the reason must still win, as in watch.
		select {
		case r := <-l.trouble:
			return nil, disconnected{reason: r}
		default:
		}
		return nil, fmt.Errorf("socket closed before hello: %w", l.err())
	case <-timeout:
		s.retire(l)
		return nil, fmt.Errorf("no hello within %v", s.Silence)
	case <-ctx.Done():
		s.retire(l)
		return nil, ctx.Err()
	}
}

// promote makes l the link that acks fall back to.
func (s *Socket) promote(l *link) {
	s.status.Store("")
	s.mu.Lock()
	s.cur = l
	close(s.changed)
	s.changed = make(chan struct{})
	// In the same critical section as s.cur, so that the reader of the
	// link just replaced, which clears the state only while its link is
	// s.cur, cannot clear it after this.
	s.setConnectedLocked(true)
	s.mu.Unlock()
	s.Log.Info().Int64("link", l.id).Int("connections", l.numConnections).Msg("socket mode: connected")
}

// current returns the newest link and a channel closed when it changes.
func (s *Socket) current() (*link, <-chan struct{}) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur, s.changed
}

// retire closes l in the background. A dead link is closed at once; a live
// one gets a close frame and is read until Slack closes its side, so that
// an envelope already on its way is still handled (and acked on another
// link).
func (s *Socket) retire(l *link) {
	if !l.closing.CompareAndSwap(false, true) {
		return
	}
	s.linkGo.Add(1)
	go func() {
		defer s.linkGo.Done()
		if l.dead.Load() {
			_ = l.ws.Close()
			return
		}
		l.wmu.Lock()
		_ = l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(5*time.Second))
		l.wmu.Unlock()
		timeout, stop := s.Clock.After(5 * time.Second)
		select {
		case <-l.ended:
		case <-timeout:
		case <-s.stopped:
		}
		stop()
		_ = l.ws.Close()
	}()
}

// shutdown lets running handlers send their acks, then closes every link.
func (s *Socket) shutdown() {
	done := make(chan struct{})
	go func() { s.handlers.Wait(); close(done) }()
	t := time.NewTimer(s.Grace)
	select {
	case <-done:
	case <-t.C:
		s.Log.Warn().Msg("socket mode: shutdown before every handler finished")
	}
	t.Stop()
	s.mu.Lock()
	close(s.stopped)
	var all []*link
	for l := range s.links {
		all = append(all, l)
	}
	s.cur = nil
	s.mu.Unlock()
	for _, l := range all {
		s.retire(l)
	}
	s.linkGo.Wait()
	s.setConnected(false)
}

package ops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"
)

// shutdownTimeout bounds how long Run waits for in-flight requests once its
// context ends; a scrape or a download is short, and SIGTERM should not hang.
const shutdownTimeout = 5 * time.Second

// Server is the ops HTTP listener: /healthz, /readyz, /metrics and any
// routes added with Handle.
type Server struct {
	listen string
	mux    *http.ServeMux
	log    zerolog.Logger

	mu    sync.Mutex
	ln    net.Listener
	notes func() []string
}

// NewServer builds the listener for address listen ("" disables it).
// /metrics serves what g gathers; /readyz answers 200 while ready returns nil
// (a nil ready means always ready) and 503 with the reason otherwise.
func NewServer(listen string, g prometheus.Gatherer, ready func() error, log zerolog.Logger) *Server {
	if g == nil {
		g = prometheus.NewRegistry()
	}
	s := &Server{listen: listen, mux: http.NewServeMux(), log: log}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	s.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if ready != nil {
			if err := ready(); err != nil {
				w.WriteHeader(http.StatusServiceUnavailable)
				fmt.Fprintf(w, "not ready: %v\n", err)
				s.writeNotes(w)
				return
			}
		}
		fmt.Fprintln(w, "ok")
		s.writeNotes(w)
	})
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return s
}

// Notes sets lines /readyz adds after its verdict without changing it:
// problems that stop one feature, not the whole program.
func (s *Server) Notes(fn func() []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notes = fn
}

func (s *Server) writeNotes(w io.Writer) {
	s.mu.Lock()
	fn := s.notes
	s.mu.Unlock()
	if fn == nil {
		return
	}
	for _, n := range fn() {
		fmt.Fprintf(w, "warning: %s\n", n)
	}
}

// Handle adds a route, with http.ServeMux patterns ("GET /incidents/{id}/postmortem.md").
// It may be called before or while the server runs.
func (s *Server) Handle(pattern string, h http.Handler) { s.mux.Handle(pattern, h) }

// ServeHTTP serves the routes without a listener, for tests.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Listen binds the address, so that Addr is known before Run starts serving
// (tests listen on 127.0.0.1:0). Run calls it when it has not been called.
// With listening disabled it does nothing.
func (s *Server) Listen() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln != nil || s.listen == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.listen)
	if err != nil {
		return fmt.Errorf("ops listener %s: %w", s.listen, err)
	}
	s.ln = ln
	return nil
}

// Addr is the address being listened on, or "" before Listen and when
// listening is disabled.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// Run serves until ctx ends, then shuts down gracefully, giving in-flight
// requests a few seconds. It returns nil after a clean shutdown, and an error
// when the address cannot be bound or serving fails. With listening disabled
// it just waits for ctx.
func (s *Server) Run(ctx context.Context) error {
	if s.listen == "" {
		s.log.Info().Msg("ops listener disabled (http.listen is empty)")
		<-ctx.Done()
		return nil
	}
	if err := s.Listen(); err != nil {
		return err
	}
	s.mu.Lock()
	ln := s.ln
	s.mu.Unlock()

	srv := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	s.log.Info().Str("addr", ln.Addr().String()).Msg("ops listener serving /healthz /readyz /metrics")

	select {
	case err := <-served:
		return fmt.Errorf("ops listener %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		// Requests still running after the grace period are cut; that is
		// not a reason to fail the bot's exit.
		s.log.Warn().Err(err).Msg("ops listener: forced close after shutdown timeout")
		_ = srv.Close()
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops listener %s: %w", ln.Addr(), err)
	}
	return nil
}

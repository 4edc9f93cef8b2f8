package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/internal/app"
	"github.com/incidentbot/incidentbot/internal/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/templates"
)

// DefaultListen is the web UI's address unless told otherwise.
const DefaultListen = "127.0.0.1:8090"

// Options configures a Sandbox.
type Options struct {
	// Listen is the web UI's address; a port of 0 picks a free one.
	// Default DefaultListen.
	Listen string
	// Config is the loaded configuration. The sandbox points it at the
	// emulator (API URL, tokens, announce channel), keeps the store in a
	// temporary directory unless store.path differs from its default, turns
	// the ops listener off unless http.listen differs from its default, and
	// seeds a service when there is none. It does not modify the caller's
	// Config.
	Config *config.Config
	// Templates are the bot's message templates.
	Templates *templates.Set
	// Log receives the bot's log lines.
	Log zerolog.Logger
	// Now is the clock for relative dates in the UI ("today"). Default time.Now.
	Now func() time.Time
}

// Sandbox is an emulated workspace with the real bot connected to it and a
// web UI in front.
type Sandbox struct {
	emu     *slackemu.Server
	app     *app.App
	ui      *handler
	ln      net.Listener
	cfg     *config.Config
	tempDir string
	log     zerolog.Logger
}

// Open starts the emulator, seeds it, wires the bot exactly as `incidentbot
// run` does (app.Open) and binds the web UI's address. Run serves; if Open
// fails, nothing is left running.
func Open(opts Options) (_ *Sandbox, err error) {
	if opts.Listen == "" {
		opts.Listen = DefaultListen
	}
	if opts.Config == nil {
		opts.Config = config.Default()
	}
	cfg := *opts.Config
	cfg.Services = append([]config.Service(nil), opts.Config.Services...)

	emu, err := slackemu.New(slackemu.Options{})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the Slack emulator: %w", err)
	}
	s := &Sandbox{emu: emu, cfg: &cfg, log: opts.Log}
	defer func() {
		if err != nil {
			s.cleanup()
		}
	}()

	seeded := seed(emu, &cfg)
	defaults := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = emu.BotToken(), emu.AppToken(), emu.APIURL()
	cfg.Incidents.AnnounceChannel = seeded.announce
	cfg.Incidents.DrillsChannel = seeded.drills
	if cfg.HTTP.Listen == defaults.HTTP.Listen {
		cfg.HTTP.Listen = "" // a bot running on this machine may hold the ops port
	}
	if cfg.Store.Path == defaults.Store.Path {
		if s.tempDir, err = os.MkdirTemp("", "incidentbot-sandbox-"); err != nil {
			return nil, fmt.Errorf("sandbox: temporary store directory: %w", err)
		}
		cfg.Store.Path = filepath.Join(s.tempDir, "incidentbot.db")
	}
	if err = cfg.Validate(); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}

	s.ui, err = newHandler(handlerOptions{
		Emu: emu, Command: cfg.Slack.Command, ChannelPrefix: cfg.Incidents.ChannelPrefix,
		Announce: seeded.announce, Shortcuts: ManifestShortcuts(), Now: opts.Now, Log: opts.Log,
	})
	if err != nil {
		return nil, fmt.Errorf("sandbox: web UI: %w", err)
	}
	// Bind before opening the store, so a taken port leaves no store open.
	if s.ln, err = net.Listen("tcp", opts.Listen); err != nil {
		return nil, fmt.Errorf("sandbox: listen on %s: %w", opts.Listen, err)
	}
	if s.app, err = app.Open(&cfg, opts.Templates, opts.Log); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return s, nil
}

// URL is the web UI's address.
func (s *Sandbox) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// StorePath is the bot's store file (in a temporary directory that Run
// removes, unless store.path was configured).
func (s *Sandbox) StorePath() string { return s.cfg.Store.Path }

// Emulator is the emulated workspace (tests inspect it).
func (s *Sandbox) Emulator() *slackemu.Server { return s.emu }

// App is the running bot (tests wait on its outbox).
func (s *Sandbox) App() *app.App { return s.app }

// Run serves the web UI and runs the bot until ctx ends, then stops both,
// closes the emulator and removes the temporary store.
func (s *Sandbox) Run(ctx context.Context) error {
	defer s.cleanup()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{
		Handler:           s.ui,
		ReadHeaderTimeout: 10 * time.Second,
		// Requests end with ctx, so the live event streams end too and
		// Shutdown does not wait on them.
		BaseContext: func(net.Listener) context.Context { return ctx },
	}
	served := make(chan error, 1)
	go func() {
		err := srv.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		if err != nil {
			cancel()
		}
		served <- err
	}()
	appErr := s.app.Run(ctx)
	cancel()
	shutdownCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	shutdownErr := srv.Shutdown(shutdownCtx)
	serveErr := <-served
	if serveErr != nil {
		serveErr = fmt.Errorf("sandbox: web UI: %w", serveErr)
	}
	return errors.Join(appErr, serveErr, shutdownErr)
}

func (s *Sandbox) cleanup() {
	if s.ln != nil {
		_ = s.ln.Close()
	}
	s.emu.Close()
	if s.tempDir != "" {
		if err := os.RemoveAll(s.tempDir); err != nil {
			s.log.Warn().Err(err).Str("dir", s.tempDir).Msg("sandbox: remove the temporary store")
		}
	}
}

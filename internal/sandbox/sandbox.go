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

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
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
	// emulator (API URL, tokens, announce channel), replaces store.path with
	// its own store (see DataDir), turns the ops listener off unless
	// http.listen differs from its default, and seeds a service when there
	// is none. It does not modify the caller's Config.
	Config *config.Config
	// DataDir, when set, keeps the sandbox between runs: the bot's store
	// (StoreFile) and the emulated workspace (WorkspaceFile) live there, and
	// a sandbox opened on the same folder carries on where the last one
	// stopped. Empty: both live in a temporary folder that Run removes.
	// store.path is never used: a real bot's store holds real channel IDs
	// and pending Slack calls, which the emulator would answer wrongly.
	DataDir string
	// Templates are the bot's message templates.
	Templates *templates.Set
	// Log receives the bot's log lines.
	Log zerolog.Logger
	// Now is the clock for relative dates in the UI ("today"). Default time.Now.
	Now func() time.Time
	// SlackLatency holds every Web API call of the bot this long before the
	// emulator answers, to feel real Slack's round trips (100–300 ms).
	// Default 0: answers at once.
	SlackLatency time.Duration
}

// Files of a sandbox's data folder (Options.DataDir).
const (
	StoreFile     = "incidentbot.db"
	WorkspaceFile = "workspace.json"
)

// saveEvery is how often, at most, the workspace is saved while it changes;
// Run also saves it when it stops. A crash loses at most this much of the
// workspace, and never lets an ID be handed out twice (slackemu.Load).
const saveEvery = time.Second

// Sandbox is an emulated workspace with the real bot connected to it and a
// web UI in front.
type Sandbox struct {
	emu       *slackemu.Server
	app       *app.App
	ui        *handler
	ln        net.Listener
	cfg       *config.Config
	tempDir   string
	workspace string // the file the workspace is saved to
	log       zerolog.Logger
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

	// The events manifest.yaml subscribes to, so that the bot hears of the
	// people it invites as it would at Slack.
	emu, err := slackemu.New(slackemu.Options{EventSubscriptions: []string{"app_home_opened", "reaction_added", "member_joined_channel", "member_left_channel"}, Latency: opts.SlackLatency})
	if err != nil {
		return nil, fmt.Errorf("sandbox: start the Slack emulator: %w", err)
	}
	s := &Sandbox{emu: emu, cfg: &cfg, log: opts.Log}
	defer func() {
		if err != nil {
			s.cleanup()
		}
	}()

	// Bind first, so a taken port leaves no store open and writes nothing
	// to the data folder.
	if s.ln, err = net.Listen("tcp", opts.Listen); err != nil {
		return nil, fmt.Errorf("sandbox: listen on %s: %w", opts.Listen, err)
	}
	dir := opts.DataDir
	if dir == "" {
		if s.tempDir, err = os.MkdirTemp("", "incidentbot-sandbox-"); err != nil {
			return nil, fmt.Errorf("sandbox: temporary store directory: %w", err)
		}
		dir = s.tempDir
	} else if err = os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("sandbox: data folder: %w", err)
	}
	cfg.Store.Path = filepath.Join(dir, StoreFile)
	s.workspace = filepath.Join(dir, WorkspaceFile)
	seeded, err := s.openWorkspace(&cfg)
	if err != nil {
		return nil, err
	}
	defaults := config.Default()
	cfg.Slack.BotToken, cfg.Slack.AppToken, cfg.Slack.APIURL = config.Secret(emu.BotToken()), config.Secret(emu.AppToken()), emu.APIURL()
	cfg.Incidents.AnnounceChannel = seeded.announce
	cfg.Incidents.DrillsChannel = seeded.drills
	if cfg.HTTP.Listen == defaults.HTTP.Listen {
		cfg.HTTP.Listen = "" // a bot running on this machine may hold the ops port
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
	if s.app, err = app.Open(&cfg, opts.Templates, opts.Log); err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	return s, nil
}

// openWorkspace continues the saved workspace, or seeds a new one and saves
// it at once: the store and the workspace are a pair, and a store must never
// meet a workspace that hands out its channel IDs afresh.
func (s *Sandbox) openWorkspace(cfg *config.Config) (seeded, error) {
	_, werr := os.Stat(s.workspace)
	_, serr := os.Stat(cfg.Store.Path)
	switch {
	case werr == nil:
		if err := s.emu.Load(s.workspace); err != nil {
			return seeded{}, fmt.Errorf("sandbox: %w", err)
		}
		return reseed(s.emu, cfg)
	case !errors.Is(werr, os.ErrNotExist):
		return seeded{}, fmt.Errorf("sandbox: %w", werr)
	case serr == nil:
		return seeded{}, fmt.Errorf("sandbox: %s has a store but no %s, so its incidents' channels are gone; move the store away or use another --data folder", filepath.Dir(cfg.Store.Path), WorkspaceFile)
	}
	sd := seed(s.emu, cfg)
	if err := s.emu.Save(s.workspace); err != nil {
		return seeded{}, fmt.Errorf("sandbox: %w", err)
	}
	return sd, nil
}

// URL is the web UI's address.
func (s *Sandbox) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// StorePath is the bot's store file (in a temporary directory that Run
// removes, unless Options.DataDir was set).
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
	saverCtx, stopSaver := context.WithCancel(context.Background())
	saver := make(chan struct{})
	go func() {
		defer close(saver)
		s.keepSaving(saverCtx)
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
	// The last save comes after the bot and the UI have stopped, so it
	// holds everything they did.
	stopSaver()
	<-saver
	saveErr := s.emu.Save(s.workspace)
	if saveErr != nil {
		saveErr = fmt.Errorf("sandbox: %w", saveErr)
	}
	return errors.Join(appErr, serveErr, shutdownErr, saveErr)
}

// keepSaving saves the workspace at most every saveEvery while it changes,
// until ctx ends.
func (s *Sandbox) keepSaving(ctx context.Context) {
	changes, stop := s.emu.Subscribe()
	defer stop()
	tick := time.NewTicker(saveEvery)
	defer tick.Stop()
	dirty := false
	for {
		select {
		case _, ok := <-changes:
			if !ok {
				changes = nil // the emulator closed
			}
			dirty = dirty || ok
		case <-tick.C:
			if dirty {
				if err := s.emu.Save(s.workspace); err != nil {
					s.log.Error().Err(err).Msg("sandbox: save the workspace")
				}
				dirty = false
			}
		case <-ctx.Done():
			return
		}
	}
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

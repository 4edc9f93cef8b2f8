package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
)

// botWait bounds how long a game day waits for the bot to do what a step
// asked (create the drill's channel, open a form): a bot that never does
// stops the game day with an error instead of hanging it.
const botWait = 30 * time.Second

// AlertsUser is the bot user that alert events post as.
var AlertsUser = slackemu.User{ID: "UALERTS01", Name: "alerts", RealName: "Alerts", IsBot: true}

// viewer is what a game day reads of the store.
type viewer interface {
	View(fn func(tx store.Tx) error) error
}

// GameDay plays a Scenario into a drill: it declares the drill as the
// scenario's declarer would (`/incident drill …`), then plays each event at
// its offset from the declaration on its clock, acting through the
// emulated workspace exactly as the people would (slash commands, forms,
// messages), so the bot sees nothing it would not see in Slack.
type GameDay struct {
	sc      *Scenario
	emu     *slackemu.Server
	store   viewer
	prefix  string
	command string
	clock   clock.Clock
	log     zerolog.Logger

	start   time.Time
	channel string // the drill's channel, once declared
	next    int    // the next event to play
}

// GameDay prepares sc to be played on clk (clock.Real for people watching;
// a fake clock in tests).
func (s *Sandbox) GameDay(sc *Scenario, clk clock.Clock) *GameDay {
	return &GameDay{
		sc: sc, emu: s.emu, store: s.app.Store(), prefix: s.cfg.Incidents.ChannelPrefix,
		command: s.cfg.Slack.Command, clock: clk, log: s.log,
	}
}

// PlayScenario waits for the bot to connect, then plays sc on the wall
// clock until its last event or ctx's end.
func (s *Sandbox) PlayScenario(ctx context.Context, sc *Scenario) error {
	if err := s.app.Bot().WaitConnected(ctx); err != nil {
		return fmt.Errorf("game day: the bot never connected: %w", err)
	}
	return s.GameDay(sc, clock.Real{}).Run(ctx)
}

// Run declares the drill and plays every event at its time.
func (g *GameDay) Run(ctx context.Context) error {
	if err := g.Declare(ctx); err != nil {
		return err
	}
	for {
		due, ok := g.Next()
		if !ok {
			g.log.Info().Str("drill", g.sc.Title).Msg("game day: every event played")
			return nil
		}
		wait, stop := g.clock.After(due.Sub(g.clock.Now()))
		select {
		case <-ctx.Done():
			stop()
			return ctx.Err()
		case <-wait:
		}
		if _, err := g.PlayDue(ctx); err != nil {
			return err
		}
	}
}

// Channel is the drill's channel ID ("" before Declare).
func (g *GameDay) Channel() string { return g.channel }

// Next is when the next event is due; false when all have been played.
func (g *GameDay) Next() (time.Time, bool) {
	if g.channel == "" || g.next >= len(g.sc.Events) {
		return time.Time{}, false
	}
	return g.start.Add(g.sc.Events[g.next].offset), true
}

// Declare checks that everyone the scenario names exists, declares the
// drill, and returns once the bot has created its channel. Offsets count
// from now on the clock.
func (g *GameDay) Declare(ctx context.Context) error {
	if g.channel != "" {
		return errors.New("game day: the drill is already declared")
	}
	declarer, err := g.user(g.sc.DeclaredBy)
	if err != nil {
		return fmt.Errorf("game day: declared_by: %w", err)
	}
	for i, e := range g.sc.Events {
		for _, who := range []string{e.User, e.Who} {
			if _, err := g.user(who); who != "" && err != nil {
				return fmt.Errorf("game day: event %d (%s): %w", i+1, e, err)
			}
		}
	}
	from, ok := g.emu.ChannelByName(strings.TrimPrefix(g.sc.Channel, "#"))
	if !ok {
		return fmt.Errorf("game day: there is no channel #%s to declare the drill in", strings.TrimPrefix(g.sc.Channel, "#"))
	}
	g.start = g.clock.Now()
	text := "drill " + g.sc.Title
	if g.sc.Severity != "" {
		text = "drill " + g.sc.Severity + " " + g.sc.Title
	}
	reply, err := g.slash(ctx, declarer, from.ID, text)
	if err != nil {
		return err
	}
	inc, err := g.declared(declarer)
	if err != nil {
		return err
	}
	if inc == nil {
		return fmt.Errorf("game day: the drill was not declared; the bot said: %s", reply)
	}
	// The bot creates the channel from its outbox, after the ack.
	base := inc.ChannelNameFor(g.prefix)
	wctx, cancel := context.WithTimeout(ctx, botWait)
	defer cancel()
	call, err := g.emu.WaitCall(wctx, "conversations.create", func(c slackemu.Call) bool {
		name, _ := c.Args["name"].(string)
		return c.OK && (name == base || strings.HasPrefix(name, base+"-"))
	})
	if err != nil {
		return fmt.Errorf("game day: waiting for %s's channel: %w", inc.ID(), err)
	}
	var created struct {
		Channel struct {
			ID string `json:"id"`
		} `json:"channel"`
	}
	if err := json.Unmarshal(call.Response, &created); err != nil || created.Channel.ID == "" {
		return fmt.Errorf("game day: reading %s's channel: %v", inc.ID(), err)
	}
	g.channel = created.Channel.ID
	g.log.Info().Str("incident", inc.ID()).Str("channel", g.channel).Int("events", len(g.sc.Events)).Msg("game day: drill declared")
	return nil
}

// declared finds the drill the declarer just declared: the newest open
// drill of theirs with the scenario's title.
func (g *GameDay) declared(user string) (*incident.Incident, error) {
	title := strings.Join(strings.Fields(g.sc.Title), " ")
	var found *incident.Incident
	err := g.store.View(func(tx store.Tx) error {
		open, err := tx.OpenIncidents()
		if err != nil {
			return err
		}
		for _, inc := range open {
			if inc.Drill && inc.DeclaredBy == user && inc.Title == title && (found == nil || inc.Number > found.Number) {
				found = inc
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("game day: %w", err)
	}
	return found, nil
}

// PlayDue plays, in order, every event whose time has come, and says how
// many it played. It stops at the first that fails.
func (g *GameDay) PlayDue(ctx context.Context) (int, error) {
	played := 0
	for {
		due, ok := g.Next()
		if !ok || due.After(g.clock.Now()) {
			return played, nil
		}
		e := g.sc.Events[g.next]
		g.next++
		if err := g.play(ctx, e); err != nil {
			return played, fmt.Errorf("game day: event %d (%s): %w", g.next, e, err)
		}
		played++
		g.log.Info().Str("event", e.String()).Msg("game day: event played")
	}
}

func (g *GameDay) play(ctx context.Context, e ScenarioEvent) error {
	if e.Kind == EventAlert {
		channel := g.channel
		if e.Channel != "" {
			c, ok := g.emu.ChannelByName(strings.TrimPrefix(e.Channel, "#"))
			if !ok {
				return fmt.Errorf("there is no channel #%s", strings.TrimPrefix(e.Channel, "#"))
			}
			channel = c.ID
		}
		if _, ok := g.emu.User(AlertsUser.ID); !ok {
			g.emu.AddUser(AlertsUser)
		}
		_, err := g.emu.PostUserMessage(channel, AlertsUser.ID, e.Text)
		return err
	}
	user, err := g.user(e.User)
	if err != nil {
		return err
	}
	// Someone who is not in the drill's channel would click "Join" in
	// Slack before speaking; the emulator has no such click, so people act
	// as if they had joined (the bot never asks who is in a public channel
	// before answering a command).
	switch e.Kind {
	case EventMessage:
		_, err = g.emu.PostUserMessage(g.channel, user, e.Text)
	case EventRole:
		who, _ := g.user(e.Who) // checked by Declare
		_, err = g.slash(ctx, user, g.channel, "role "+e.Role+" <@"+who+">")
	case EventSeverity:
		_, err = g.slash(ctx, user, g.channel, "severity "+e.Severity)
	case EventResolve:
		_, err = g.slash(ctx, user, g.channel, strings.TrimSpace("resolve "+e.Text))
	case EventUpdate:
		err = g.update(ctx, user, e)
	}
	return err
}

// update opens the status-update form with `/incident update` and submits
// it: the status and severity it shows, unless the event sets them.
func (g *GameDay) update(ctx context.Context, user string, e ScenarioEvent) error {
	before := len(g.emu.Calls("views.open"))
	if _, err := g.slash(ctx, user, g.channel, "update"); err != nil {
		return err
	}
	seen := 0
	wctx, cancel := context.WithTimeout(ctx, botWait)
	defer cancel()
	call, err := g.emu.WaitCall(wctx, "views.open", func(slackemu.Call) bool { seen++; return seen > before })
	if err != nil {
		return fmt.Errorf("waiting for the update form: %w", err)
	}
	var form slackemu.View
	for _, v := range g.emu.Views() {
		if v.TriggerID == call.Args["trigger_id"] {
			form = v
		}
	}
	if !call.OK || form.ID == "" || form.UserID != user {
		return fmt.Errorf("the update form did not open (%s)", call.Error)
	}
	status, severity := initialValue(form.View, "status"), initialValue(form.View, "severity")
	if e.Status != "" {
		status = strings.ToLower(e.Status)
	}
	if e.Severity != "" {
		severity = e.Severity
	}
	ack, err := g.emu.SubmitView(ctx, user, form.ID, map[string]any{"status": status, "severity": severity, "summary": e.Text})
	if err != nil {
		return err
	}
	var resp struct {
		Errors map[string]string `json:"errors"`
	}
	if len(ack.Payload) > 0 && json.Unmarshal(ack.Payload, &resp) == nil && len(resp.Errors) > 0 {
		return fmt.Errorf("the bot refused the update: %v", resp.Errors)
	}
	return nil
}

// initialValue is the value of the option a form's input block shows
// selected, "" when none.
func initialValue(view json.RawMessage, blockID string) string {
	var v struct {
		Blocks []struct {
			BlockID string `json:"block_id"`
			Element struct {
				InitialOption struct {
					Value string `json:"value"`
				} `json:"initial_option"`
			} `json:"element"`
		} `json:"blocks"`
	}
	_ = json.Unmarshal(view, &v)
	for _, b := range v.Blocks {
		if b.BlockID == blockID {
			return b.Element.InitialOption.Value
		}
	}
	return ""
}

// slash runs `<command> text` as user in channel and returns the bot's
// reply text.
func (g *GameDay) slash(ctx context.Context, user, channel, text string) (string, error) {
	ack, err := g.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: channel, Command: g.command, Text: text})
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", g.command, text, err)
	}
	var reply struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(ack.Payload, &reply)
	return reply.Text, nil
}

// user resolves a name (alice) or ID to a user ID of the workspace.
func (g *GameDay) user(name string) (string, error) {
	name = strings.TrimPrefix(strings.TrimSpace(name), "@")
	for _, u := range g.emu.Users() {
		if !u.Deleted && (u.ID == name || strings.EqualFold(u.Name, name)) {
			return u.ID, nil
		}
	}
	return "", fmt.Errorf("nobody is called %q in the sandbox", name)
}

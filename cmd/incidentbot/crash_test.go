package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/app"
	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/templates"
)

// botProcess is one run of the built binary against an emulator.
type botProcess struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan error
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startBot runs `incidentbot run` with args (such as --config FILE).
func startBot(t *testing.T, emu *slackemu.Server, storePath, announce string, logs *lockedBuffer, args ...string) *botProcess {
	t.Helper()
	return launchBot(t, emu, logs, botEnv(emu, storePath, announce, t.TempDir()), args...)
}

// botEnv is the environment that points the bot at the emulator.
func botEnv(emu *slackemu.Server, storePath, announce, dir string) []string {
	return []string{
		"HOME=" + dir,
		"SLACK_BOT_TOKEN=" + emu.BotToken(),
		"SLACK_APP_TOKEN=" + emu.AppToken(),
		"INCIDENTBOT_SLACK_API_URL=" + emu.APIURL(),
		"INCIDENTBOT_STORE_PATH=" + storePath,
		"INCIDENTBOT_HTTP_LISTEN=",
		"INCIDENTBOT_INCIDENTS_ANNOUNCE_CHANNEL=" + announce,
	}
}

// launchBot starts the built binary's `run` against the emulator, with env
// added to (and overriding) the settings that point it there. The process
// is killed when the test ends.
func launchBot(tb testing.TB, emu *slackemu.Server, logs *lockedBuffer, env []string, args ...string) *botProcess {
	tb.Helper()
	dir := tb.TempDir()
	cmd := exec.Command(binary, append([]string{"run"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append([]string{
		"HOME=" + dir,
		"SLACK_BOT_TOKEN=" + emu.BotToken(),
		"SLACK_APP_TOKEN=" + emu.AppToken(),
		"INCIDENTBOT_SLACK_API_URL=" + emu.APIURL(),
	}, env...) // exec keeps the last value of a repeated variable
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	p := &botProcess{cmd: cmd, logs: logs, exited: make(chan error, 1)}
	go func() { p.exited <- cmd.Wait() }()
	tb.Cleanup(func() { _ = cmd.Process.Kill() })
	return p
}

func (p *botProcess) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(os.Kill)
	<-p.exited
}

// crashConfig gives SEV1 a one-second reminder, so reminders fire all
// through the crashes; the severities the stream switches between remind
// too rarely to fire during the test.
const crashConfig = `incidents:
  severities:
    - {name: SEV1, description: "Critical", reminder: 1s}
    - {name: SEV2, description: "Major", reminder: 30m}
    - {name: SEV3, description: "Minor", reminder: 60m}
    - {name: SEV4, description: "Low", reminder: 0s}
`

// The commands the crash test sends.
const (
	opDeclare  = "declare"
	opRole     = "role"
	opSeverity = "severity"
	opNote     = "note"
	opResolve  = "resolve" // the last run's, to stop the reminders
)

// How many of each: the declarations, then a stream of commands in the
// incident channels.
var crashMix = map[string]int{opDeclare: 30, opRole: 60, opSeverity: 40, opNote: 60}

// outcome is what the user saw of a command.
type outcome int

const (
	outcomeUnknown outcome = iota // no ack: the process died first; it may or may not have acted
	outcomeDone                   // acked with the command's success reply
	outcomeRefused                // acked with an answer saying it did nothing
)

// crashOp is one command sent to the bot and what came of it.
type crashOp struct {
	kind    string
	channel string // where it was typed
	text    string // the slash command's text
	// value is what the command sets: the user a role goes to, the
	// severity asked for, the note's text, the declaration's title.
	value   string
	outcome outcome
	reply   string
}

// successReply recognises each command's success reply.
var successReply = map[string]*regexp.Regexp{
	opDeclare:  regexp.MustCompile(`Declared \*INC-\d+\*`),
	opRole:     regexp.MustCompile(`^:white_check_mark: `),
	opSeverity: regexp.MustCompile(`is now \*SEV\d\* \(was SEV\d\)`),
	opNote:     regexp.MustCompile(`^:memo: Noted on INC-\d+`),
	opResolve:  regexp.MustCompile(`^:white_check_mark: INC-\d+ is resolved`),
}

// send types op's command and records what the user was told.
func (op *crashOp) send(ctx context.Context, emu *slackemu.Server, user string) {
	ack, err := emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: op.channel, Text: op.text})
	if err != nil {
		return // unknown: never acked
	}
	var p struct {
		Text string `json:"text"`
	}
	_ = json.Unmarshal(ack.Payload, &p)
	op.reply = p.Text
	if successReply[op.kind].MatchString(p.Text) {
		op.outcome = outcomeDone
	} else {
		op.outcome = outcomeRefused
	}
}

// TestCrashLosesNothingAndDuplicatesNothing kills the bot with SIGKILL at
// random moments while declarations, role changes, severity changes and
// notes stream in, restarts it, and repeats; reminders fire every second
// all the while. A last clean run then finishes what the crashes left
// pending, and the test checks that every acknowledged command took effect
// exactly once (one incident, channel, announcement and pinned card per
// declaration; each note once on the timeline; each role and severity
// change once, in order, on the timeline, in the channel and on the card),
// that nothing unacknowledged took effect twice, that no message was
// posted twice, that no outbox job is left, that reminders still fire, and
// that no token ever reached the output.
// CRASH_SEED picks the schedule (printed); the default is fixed for CI.
func TestCrashLosesNothingAndDuplicatesNothing(t *testing.T) {
	seed := uint64(20261126)
	if s := os.Getenv("CRASH_SEED"); s == "random" {
		seed = rand.Uint64()
	} else if s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		seed = v
	}
	t.Logf("crash schedule seed %d (rerun with CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))

	emu := slackemu.Start(t, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	storePath := filepath.Join(t.TempDir(), "incidentbot.db")
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(crashConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	plan := newCrashPlan(rng, emu)

	// Round 0 first declares the incident whose reminders fire every second
	// through all the crashes; its ack is awaited.
	for round := 0; plan.left() > 0; round++ {
		bot := startBot(t, emu, storePath, announce, logs, "--config", cfgPath)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := waitConnections(ctx, emu); err != nil {
			cancel()
			t.Fatalf("round %d: bot never connected: %v\n%s", round, err, tail(logs.String()))
		}
		if round == 0 {
			op := plan.declare(announce, "SEV1")
			op.send(ctx, emu, user)
			if op.outcome != outcomeDone {
				t.Fatalf("the reminder incident was not declared: %q\n%s", op.reply, tail(logs.String()))
			}
		}
		batch := plan.batch(announce)
		killAfter := time.Duration(rng.IntN(100)) * time.Millisecond
		var wg sync.WaitGroup
		for _, op := range batch {
			wg.Go(func() { op.send(ctx, emu, user) })
		}
		timer := time.NewTimer(killAfter)
		<-timer.C
		bot.kill(t)
		// Every ack the process wrote has been read once its socket is gone;
		// the commands still waiting were never acked.
		if err := waitDisconnected(ctx, emu); err != nil {
			t.Fatal(err)
		}
		cancel()
		wg.Wait()
		t.Logf("round %d: %s; killed after %v", round, describe(batch), killAfter)
	}

	// A last, clean run finishes whatever the crashes left pending. It runs
	// in-process, wired exactly as `incidentbot run` (same config file and
	// environment), so the test can wait for its outbox to drain.
	remCh := plan.reminderChannel(t)
	a, stop := startInProcess(t, cfgPath, botEnv(emu, storePath, announce, t.TempDir()), logs)
	restarted := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	plan.waitAnnounced(ctx, t, announce, logs)
	// Reminders still fire: two after the restart, so at least one was
	// scheduled by this run and not left over from a killed one.
	reminder := waitReminder(ctx, t, emu, remCh, restarted, 2)
	// Resolving stops the reminders, so the outbox can be seen to drain.
	resolve := &crashOp{kind: opResolve, channel: remCh, text: "resolve crash test over"}
	resolve.send(ctx, emu, user)
	if resolve.outcome != outcomeDone {
		t.Fatalf("resolve replied %q", resolve.reply)
	}
	if err := a.Bot().WaitIdle(ctx); err != nil {
		t.Fatalf("outbox never drained (a job is stuck): %v\n%s", err, tail(logs.String()))
	}
	stop()

	st, err := boltstore.Open(storePath, boltstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if d, _ := st.OutboxDepth(); d != 0 {
		jobs, _ := st.PendingJobs(0)
		t.Fatalf("%d outbox jobs stuck: %+v", d, jobs)
	}
	audit := &crashAudit{t: t, emu: emu, st: st, plan: plan, announce: announce}
	audit.declarations()
	audit.commands()
	audit.noMessageTwice()
	audit.reminder(remCh, reminder)
	t.Logf("channels adopted after a kill: %d", strings.Count(logs.String(), "adopted the channel created before a restart"))

	out := logs.String()
	if strings.Contains(out, emu.BotToken()) || strings.Contains(out, emu.AppToken()) {
		t.Error("a token appeared in the bot's output")
	}
}

// crashPlan draws the commands, seeded, and keeps what came of each.
type crashPlan struct {
	rng       *rand.Rand
	emu       *slackemu.Server
	mix       map[string]int
	remaining map[string]int
	ops       []*crashOp
	// responders are the people roles go to: each role command names
	// someone new, so every assignment is a change with its own mark.
	responders []string
	// lastSeverity is the severity last asked for per channel; the next
	// asks for another.
	lastSeverity map[string]string
	reminderName string
}

func newCrashPlan(rng *rand.Rand, emu *slackemu.Server) *crashPlan {
	return newPlan(rng, emu, crashMix)
}

// newPlan draws from mix (how many of each command).
func newPlan(rng *rand.Rand, emu *slackemu.Server, mix map[string]int) *crashPlan {
	p := &crashPlan{rng: rng, emu: emu, mix: mix, remaining: map[string]int{}, lastSeverity: map[string]string{}}
	for k, n := range mix {
		p.remaining[k] = n
	}
	for i := range mix[opRole] {
		p.responders = append(p.responders, emu.AddUser(slackemu.User{Name: fmt.Sprintf("responder%d", i)}))
	}
	return p
}

func (p *crashPlan) left() int {
	n := 0
	for _, v := range p.remaining {
		n += v
	}
	return n
}

func (p *crashPlan) add(op *crashOp) *crashOp {
	p.remaining[op.kind]--
	p.ops = append(p.ops, op)
	return op
}

// declare plans the next declaration; the first one is the reminder
// incident.
func (p *crashPlan) declare(announce, severity string) *crashOp {
	n := p.mix[opDeclare] - p.remaining[opDeclare]
	title := fmt.Sprintf("crash test %d", n)
	if n == 0 {
		p.reminderName = channelSlug(title)
	}
	return p.add(&crashOp{kind: opDeclare, channel: announce, text: "declare " + severity + " " + title, value: title})
}

// channelSlug is the end of the channel name a title gets.
func channelSlug(title string) string { return strings.ReplaceAll(title, " ", "-") }

// incidentChannels lists the incident channels that exist now, by name.
func (p *crashPlan) incidentChannels() []slackemu.Channel {
	var out []slackemu.Channel
	for _, c := range p.emu.Channels() {
		if strings.HasPrefix(c.Name, "inc-") {
			out = append(out, c)
		}
	}
	slices.SortFunc(out, func(a, b slackemu.Channel) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// batch draws up to six commands to send at once, each command of the
// stream in a different incident channel, so the commands to one incident
// are sent one after another, in a known order.
func (p *crashPlan) batch(announce string) []*crashOp {
	channels := p.incidentChannels()
	used := map[string]bool{}
	var out []*crashOp
	for range 1 + p.rng.IntN(6) {
		total := p.left()
		if total == 0 {
			break
		}
		pick := p.rng.IntN(total)
		kind := opDeclare
		for _, k := range []string{opDeclare, opRole, opSeverity, opNote} {
			if pick < p.remaining[k] {
				kind = k
				break
			}
			pick -= p.remaining[k]
		}
		var free []slackemu.Channel
		for _, c := range channels {
			reminderIncident := strings.HasSuffix(c.Name, "-"+p.reminderName)
			// SEV1 reminds every second: the stream keeps the reminder
			// incident's severity, and the others out of SEV1.
			if !used[c.ID] && !(kind == opSeverity && reminderIncident) {
				free = append(free, c)
			}
		}
		if kind != opDeclare && len(free) == 0 {
			if p.remaining[opDeclare] == 0 {
				continue
			}
			kind = opDeclare
		}
		if kind == opDeclare {
			out = append(out, p.declare(announce, "SEV2"))
			continue
		}
		ch := free[p.rng.IntN(len(free))]
		used[ch.ID] = true
		op := &crashOp{kind: kind, channel: ch.ID}
		switch kind {
		case opRole:
			who := p.responders[p.mix[opRole]-p.remaining[opRole]]
			op.value, op.text = who, fmt.Sprintf("role comms <@%s|%s>", who, p.name(who))
		case opSeverity:
			var choices []string
			for _, s := range []string{"SEV2", "SEV3", "SEV4"} {
				if s != p.severityAsked(ch.ID) {
					choices = append(choices, s)
				}
			}
			op.value = choices[p.rng.IntN(len(choices))]
			op.text = "severity " + op.value
			p.lastSeverity[ch.ID] = op.value
		case opNote:
			op.value = fmt.Sprintf("crash note %d", p.mix[opNote]-p.remaining[opNote])
			op.text = "note " + op.value
		}
		out = append(out, p.add(op))
	}
	return out
}

func (p *crashPlan) severityAsked(channel string) string {
	if s, ok := p.lastSeverity[channel]; ok {
		return s
	}
	return "SEV2"
}

func (p *crashPlan) name(id string) string {
	u, _ := p.emu.User(id)
	return u.Name
}

// reminderChannel is the reminder incident's channel.
func (p *crashPlan) reminderChannel(t *testing.T) string {
	t.Helper()
	for _, c := range p.incidentChannels() {
		if strings.HasSuffix(c.Name, "-"+p.reminderName) {
			return c.ID
		}
	}
	t.Fatal("the reminder incident has no channel")
	return ""
}

// announced counts the bot's top-level announcements per declaration title.
func (p *crashPlan) announced(announce string) map[string]int {
	seen := map[string]int{}
	for _, m := range p.emu.Messages(announce) {
		if m.User != p.emu.BotUserID() || m.ThreadTS != "" {
			continue
		}
		for _, op := range p.ops {
			if op.kind == opDeclare && strings.HasSuffix(m.Text, ": "+op.value) {
				seen[op.value]++
			}
		}
	}
	return seen
}

// waitAnnounced waits until every acknowledged declaration is announced
// (its last job).
func (p *crashPlan) waitAnnounced(ctx context.Context, t *testing.T, announce string, logs *lockedBuffer) {
	t.Helper()
	all := func() bool {
		seen := p.announced(announce)
		for _, op := range p.ops {
			if op.kind == opDeclare && op.outcome == outcomeDone && seen[op.value] == 0 {
				return false
			}
		}
		return true
	}
	if _, err := p.emu.WaitCall(ctx, "chat.postMessage", func(slackemu.Call) bool { return all() }); err != nil && !all() {
		t.Fatalf("not every acknowledged declaration was announced: announced %v\n%s", p.announced(announce), tail(logs.String()))
	}
}

func describe(ops []*crashOp) string {
	var parts []string
	for _, op := range ops {
		parts = append(parts, op.kind+" "+op.value)
	}
	return strings.Join(parts, ", ")
}

// startInProcess runs the bot as runCmd does, from the config file and the
// environment, and returns it with a function that stops it cleanly.
func startInProcess(t *testing.T, cfgPath string, env []string, logs *lockedBuffer) (*app.App, func()) {
	t.Helper()
	cfg, err := config.Load(cfgPath, env)
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		t.Fatal(err)
	}
	log, err := newLogger(cfg.Log.Level, cfg.Log.Format, logs)
	if err != nil {
		t.Fatal(err)
	}
	tmpl, err := templates.Load(cfg.Templates.Dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Open(cfg, tmpl, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- a.Run(ctx) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-ran; err != nil {
			t.Errorf("the last run stopped with %v", err)
		}
	}
	t.Cleanup(stop)
	wctx, wcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer wcancel()
	if err := a.Bot().WaitConnected(wctx); err != nil {
		t.Fatalf("the last run never connected: %v\n%s", err, tail(logs.String()))
	}
	return a, stop
}

// isReminder reports whether c posted a status-update reminder (it has
// the snooze buttons) in channel.
func isReminder(c slackemu.Call, channel string) bool {
	blocks, _ := json.Marshal(c.Args["blocks"])
	return c.OK && c.Args["channel"] == channel && strings.Contains(string(blocks), `"action_id":"snooze"`)
}

// waitReminder waits for the k-th reminder posted in channel since since
// and returns its text.
func waitReminder(ctx context.Context, t *testing.T, emu *slackemu.Server, channel string, since time.Time, k int) string {
	t.Helper()
	seen := 0
	c, err := emu.WaitCall(ctx, "chat.postMessage", func(c slackemu.Call) bool {
		if isReminder(c, channel) && !c.At.Before(since) {
			seen++
		}
		return seen == k
	})
	if err != nil {
		t.Fatalf("reminders stopped firing after the restarts: %d since the last one, %v", seen, err)
	}
	return fmt.Sprint(c.Args["text"])
}

// crashAudit checks the store and the workspace after the last clean stop.
type crashAudit struct {
	t   *testing.T
	emu *slackemu.Server
	st  interface {
		View(func(store.Tx) error) error
	} // bbolt, or PostgreSQL in the HA test
	plan     *crashPlan
	announce string
	// incidents by channel, with their timelines.
	byChannel map[string]*incident.Incident
	events    map[uint64][]incident.Event
}

// declarations checks one incident, one channel, one announcement and one
// pinned card per declaration, and every acknowledged one among them.
func (a *crashAudit) declarations() {
	t := a.t
	a.byChannel, a.events = map[string]*incident.Incident{}, map[uint64][]incident.Event{}
	byTitle := map[string][]*incident.Incident{}
	err := a.st.View(func(tx store.Tx) error {
		return tx.ForEachIncident(func(inc *incident.Incident) error {
			byTitle[inc.Title] = append(byTitle[inc.Title], inc)
			a.byChannel[inc.ChannelID] = inc
			evs, err := tx.Events(inc.Number)
			a.events[inc.Number] = evs
			return err
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	announced := a.plan.announced(a.announce)
	declared := 0
	for _, op := range a.plan.ops {
		if op.kind != opDeclare {
			continue
		}
		incs := byTitle[op.value]
		switch {
		case len(incs) > 1:
			t.Errorf("%q was declared %d times", op.value, len(incs))
		case len(incs) == 0 && op.outcome == outcomeDone:
			t.Errorf("acknowledged declaration %q has no incident (%q)", op.value, op.reply)
		case len(incs) == 1 && op.outcome == outcomeRefused:
			t.Errorf("declaration %q was refused (%q) but exists", op.value, op.reply)
		}
		if len(incs) == 0 {
			if announced[op.value] != 0 {
				t.Errorf("%q was announced but never declared", op.value)
			}
			continue
		}
		declared++
		inc := incs[0]
		if op.outcome == outcomeDone && !strings.Contains(op.reply, "*"+inc.ID()+"*") {
			t.Errorf("%q was acknowledged as %q but is %s", op.value, op.reply, inc.ID())
		}
		if announced[op.value] != 1 || inc.AnnounceTS == "" {
			t.Errorf("%s (%q) announced %d times (stored ts %q)", inc.ID(), op.value, announced[op.value], inc.AnnounceTS)
		}
		ch, ok := a.emu.Channel(inc.ChannelID)
		if want := fmt.Sprintf("inc-%d-%s", inc.Number, channelSlug(op.value)); !ok || ch.Name != want {
			t.Errorf("%s has channel %q (%v), want %s", inc.ID(), ch.Name, ok, want)
			continue
		}
		var pinned []string
		for _, m := range a.emu.Messages(ch.ID) {
			if m.Pinned {
				pinned = append(pinned, m.TS)
			}
		}
		if len(pinned) != 1 || pinned[0] != inc.CardTS {
			t.Errorf("%s has pinned %v, want its card %s alone", inc.ID(), pinned, inc.CardTS)
		}
		for _, ev := range a.events[inc.Number] {
			if ev.Kind == incident.EventDeliveryFailed {
				t.Errorf("%s: a side effect was given up: %s", inc.ID(), ev.Text)
			}
		}
	}
	// Every incident channel belongs to one stored incident.
	channels := a.plan.incidentChannels()
	for _, c := range channels {
		if _, ok := a.byChannel[c.ID]; !ok {
			t.Errorf("channel %s belongs to no incident (a second channel for one declaration?)", c.Name)
		}
	}
	if len(channels) != declared {
		t.Errorf("%d incident channels for %d incidents", len(channels), declared)
	}
	t.Logf("%d declarations sent, %d incidents", a.plan.mix[opDeclare], declared)
}

// commands checks the stream: each acknowledged command's effect once,
// refused ones never, unacknowledged ones at most once, in the order sent.
func (a *crashAudit) commands() {
	t := a.t
	perChannel := map[string][]*crashOp{}
	count := map[outcome]int{}
	for _, op := range a.plan.ops {
		if op.kind != opDeclare {
			perChannel[op.channel] = append(perChannel[op.channel], op)
			count[op.outcome]++
		}
		if op.outcome == outcomeRefused {
			t.Logf("refused: %s → %q", op.text, op.reply)
		}
	}
	t.Logf("stream: %d acknowledged, %d refused, %d cut short by a kill", count[outcomeDone], count[outcomeRefused], count[outcomeUnknown])
	for channel, ops := range perChannel {
		inc := a.byChannel[channel]
		if inc == nil {
			// A channel created just before a kill, before the store knew
			// it; the channel check above reports it if it stayed orphaned.
			for _, op := range ops {
				if op.outcome == outcomeDone {
					t.Errorf("%s %q was acknowledged in a channel of no incident", op.kind, op.text)
				}
			}
			continue
		}
		evs := a.events[inc.Number]
		a.notes(inc, ops, evs)
		a.roles(inc, ops, evs)
		a.severities(inc, ops, evs)
	}
}

// notes: each note once.
func (a *crashAudit) notes(inc *incident.Incident, ops []*crashOp, evs []incident.Event) {
	onTimeline := map[string]int{}
	for _, ev := range evs {
		if ev.Kind == incident.EventNote && strings.HasPrefix(ev.Text, "crash note ") {
			onTimeline[ev.Text]++
		}
	}
	sent := map[string]bool{}
	for _, op := range ops {
		if op.kind != opNote {
			continue
		}
		sent[op.value] = true
		n := onTimeline[op.value]
		if n > 1 || (n == 0 && op.outcome == outcomeDone) || (n == 1 && op.outcome == outcomeRefused) {
			a.t.Errorf("%s: note %q (%s, %q) is on the timeline %d times", inc.ID(), op.value, outcomeName(op.outcome), op.reply, n)
		}
	}
	for text := range onTimeline {
		if !sent[text] {
			a.t.Errorf("%s: note %q was never sent here", inc.ID(), text)
		}
	}
}

// roles: each assignment once on the timeline, in the order sent, said
// once in the channel; the card and the store show the last.
func (a *crashAudit) roles(inc *incident.Incident, ops []*crashOp, evs []incident.Event) {
	t := a.t
	var got []string
	for _, ev := range evs {
		if (ev.Kind == incident.EventRoleAssigned || ev.Kind == incident.EventRoleHandoff) && ev.Role == incident.RoleComms {
			got = append(got, ev.To)
		}
	}
	var want []string // the assignments that took effect, in order
	for _, op := range ops {
		if op.kind != opRole {
			continue
		}
		took := slices.Contains(got, op.value)
		switch {
		case op.outcome == outcomeDone && !took:
			t.Errorf("%s: acknowledged %q (%q) is not on the timeline", inc.ID(), op.text, op.reply)
		case op.outcome == outcomeRefused && took:
			t.Errorf("%s: refused %q (%q) is on the timeline", inc.ID(), op.text, op.reply)
		}
		if took {
			want = append(want, op.value)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: comms assignments on the timeline %v, want each sent one once, in order: %v", inc.ID(), got, want)
	}
	holder := ""
	if len(got) > 0 {
		holder = got[len(got)-1]
	}
	if inc.Holder(incident.RoleComms) != holder {
		t.Errorf("%s: comms is %q, the last assignment was %q", inc.ID(), inc.Holder(incident.RoleComms), holder)
	}
	var said []string
	var card *slackemu.Message
	for _, m := range a.emu.Messages(inc.ChannelID) {
		if m.TS == inc.CardTS {
			card = &m
		}
		if m.User != a.emu.BotUserID() {
			continue
		}
		for _, u := range got {
			if strings.Contains(m.Text, "<@"+u+"> is now *") || strings.Contains(m.Text, "→ <@"+u+">") {
				said = append(said, u)
			}
		}
	}
	if !slices.Equal(said, got) {
		t.Errorf("%s: the channel was told of comms assignments %v, want %v", inc.ID(), said, got)
	}
	if holder != "" && (card == nil || !strings.Contains(string(card.Blocks), `"initial_user":"`+holder+`"`)) {
		t.Errorf("%s: the card does not show %s as comms", inc.ID(), holder)
	}
}

// severities: the changes on the timeline are exactly those of a
// subsequence of the commands sent, with every acknowledged one and no
// refused one, each said once in the channel; the topic shows the last.
func (a *crashAudit) severities(inc *incident.Incident, ops []*crashOp, evs []incident.Event) {
	t := a.t
	var cmds []*crashOp
	for _, op := range ops {
		if op.kind == opSeverity {
			cmds = append(cmds, op)
		}
	}
	var changes []incident.Event
	start := ""
	for _, ev := range evs {
		switch ev.Kind {
		case incident.EventDeclared:
			start = ev.To
		case incident.EventSeverityChanged:
			changes = append(changes, ev)
		}
	}
	if start == "" {
		start = "SEV2"
		if len(changes) > 0 {
			start = changes[0].From
		}
	}
	if !explains(start, cmds, changes) {
		var sent []string
		for _, c := range cmds {
			sent = append(sent, c.value+"("+outcomeName(c.outcome)+")")
		}
		var seen []string
		for _, e := range changes {
			seen = append(seen, e.From+"→"+e.To)
		}
		t.Errorf("%s: severity changes %v on the timeline are not what the commands %v did, each once", inc.ID(), seen, sent)
	}
	final := start
	if len(changes) > 0 {
		final = changes[len(changes)-1].To
	}
	if inc.Severity != final {
		t.Errorf("%s: severity %s, the last change was to %s", inc.ID(), inc.Severity, final)
	}
	pairs := map[string]int{}
	for _, e := range changes {
		pairs["from *"+e.From+"* to *"+e.To+"*"]++
	}
	said := map[string]int{}
	for _, m := range a.emu.Messages(inc.ChannelID) {
		if m.User == a.emu.BotUserID() && m.ThreadTS == "" && strings.Contains(m.Text, "changed the severity of *"+inc.ID()+"*") {
			for p := range pairs {
				if strings.Contains(m.Text, p) {
					said[p]++
				}
			}
		}
	}
	if len(said) != len(pairs) || !mapsEqualInt(said, pairs) {
		t.Errorf("%s: the channel was told of severity changes %v, want %v", inc.ID(), said, pairs)
	}
	if ch, ok := a.emu.Channel(inc.ChannelID); !ok || !strings.Contains(ch.Topic, inc.Severity) {
		t.Errorf("%s: topic %q does not show %s", inc.ID(), ch.Topic, inc.Severity)
	}
}

// explains reports whether the severity changes evs are exactly what
// applying some of cmds in order, from start, produces: every acknowledged
// command, no refused one, and any of the unacknowledged ones.
func explains(start string, cmds []*crashOp, evs []incident.Event) bool {
	memo := map[[2]int]bool{}
	var try func(k, j int, cur string) bool
	try = func(k, j int, cur string) bool {
		if k == len(cmds) {
			return j == len(evs)
		}
		key := [2]int{k, j} // cur is a function of j
		if v, ok := memo[key]; ok {
			return v
		}
		c := cmds[k]
		applies := j < len(evs) && c.value != cur && evs[j].From == cur && evs[j].To == c.value
		var ok bool
		switch c.outcome {
		case outcomeDone:
			ok = applies && try(k+1, j+1, c.value)
		case outcomeRefused:
			ok = try(k+1, j, cur)
		default:
			ok = (applies && try(k+1, j+1, c.value)) || try(k+1, j, cur)
		}
		memo[key] = ok
		return ok
	}
	return try(0, 0, start)
}

func mapsEqualInt(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func outcomeName(o outcome) string {
	return [...]string{"unacknowledged", "acknowledged", "refused"}[o]
}

// noMessageTwice checks that no outbox job posted twice: every message the
// outbox posts carries its job's ID.
func (a *crashAudit) noMessageTwice() {
	posted := map[float64][]string{}
	for _, c := range a.emu.Channels() {
		for _, m := range a.emu.Messages(c.ID) {
			if m.User != a.emu.BotUserID() || len(m.Metadata) == 0 {
				continue
			}
			var md struct {
				EventType    string `json:"event_type"`
				EventPayload struct {
					Job float64 `json:"job"`
				} `json:"event_payload"`
			}
			if err := json.Unmarshal(m.Metadata, &md); err != nil || md.EventType != "incidentbot_job" {
				continue
			}
			posted[md.EventPayload.Job] = append(posted[md.EventPayload.Job], c.Name+" "+m.TS)
		}
	}
	for job, where := range posted {
		if len(where) > 1 {
			a.t.Errorf("job %v posted %d messages: %v", job, len(where), where)
		}
	}
	a.t.Logf("%d messages posted by outbox jobs, none twice", len(posted))
}

// reminder checks that the reminder named the reminder incident's comms
// lead, or its commander when there was none.
func (a *crashAudit) reminder(channel, text string) {
	inc := a.byChannel[channel]
	if inc == nil {
		a.t.Fatal("the reminder incident is not stored")
	}
	who := inc.Holder(incident.RoleComms)
	if who == "" {
		who = inc.Holder(incident.RoleCommander)
	}
	if !strings.Contains(text, "<@"+who+">") {
		a.t.Errorf("the reminder %q does not name %s", text, who)
	}
}

// waitConnections waits until a (new) bot process has said hello.
func waitConnections(ctx context.Context, emu *slackemu.Server) error {
	for {
		if err := emu.WaitConnected(ctx); err != nil {
			return err
		}
		if emu.Connections() > 0 {
			return nil
		}
		if ctx.Err() != nil {
			return errors.New("timeout")
		}
	}
}

// waitDisconnected waits until the emulator has seen every socket go.
func waitDisconnected(ctx context.Context, emu *slackemu.Server) error {
	feed, stop := emu.Subscribe()
	defer stop()
	for emu.Connections() > 0 {
		select {
		case <-feed:
		case <-ctx.Done():
			return fmt.Errorf("the killed bot's socket never closed: %w", ctx.Err())
		}
	}
	return nil
}

func tail(s string) string {
	if len(s) > 4000 {
		return s[len(s)-4000:]
	}
	return s
}

package main

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// haReplicas is how many copies of the bot share the database.
const haReplicas = 3

// haMix is the commands streamed at the replicas: fewer than the crash
// test's, so that three processes and PostgreSQL finish within a minute on
// a loaded machine.
var haMix = map[string]int{opDeclare: 15, opRole: 30, opSeverity: 20, opNote: 30}

// haCluster is the replicas of the built binary, each with its own Socket
// Mode connection to the one emulated workspace, sharing one database.
type haCluster struct {
	t        *testing.T
	emu      *slackemu.Server
	env      []string
	args     []string
	logs     *lockedBuffer
	replicas [haReplicas]*botProcess // nil: killed, not yet restarted
}

func (c *haCluster) start(i int) { c.replicas[i] = launchBot(c.t, c.emu, c.logs, c.env, c.args...) }

func (c *haCluster) live() int {
	n := 0
	for _, r := range c.replicas {
		if r != nil {
			n++
		}
	}
	return n
}

// waitConnections waits until the emulator has exactly as many Socket Mode
// connections as there are live replicas: a killed one's socket gone, a
// started one's said hello.
func (c *haCluster) waitConnections(ctx context.Context) {
	c.t.Helper()
	feed, stop := c.emu.Subscribe()
	defer stop()
	for c.emu.Connections() != c.live() {
		select {
		case <-feed:
		case <-ctx.Done():
			c.t.Fatalf("%d Socket Mode connections for %d live replicas\n%s", c.emu.Connections(), c.live(), tail(c.logs.String()))
		}
	}
}

// TestReplicasLoseNothingAndDuplicateNothing runs three replicas of the
// built binary against one emulated workspace and one PostgreSQL, streams
// declarations, role and severity changes and notes at them while a SEV1
// incident reminds every second, SIGKILLs replicas at seeded random
// moments (restarting each at the end of its round) and restarts
// PostgreSQL once. Then, with every replica back: each acknowledged
// command took effect exactly once and nothing else did more than once
// (one incident, channel, announcement and card per declaration; no
// message posted twice), reminders fired without a duplicate per replica,
// the outbox drained, and no incident number is used twice. Each run
// draws a schedule (its seed is printed); HA_SEED replays one.
// HA_LOG_LEVEL=debug and HA_LOGS=FILE keep the replicas' logs, with their
// goroutines when the test fails.
func TestReplicasLoseNothingAndDuplicateNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("runs three bot processes and PostgreSQL in real time")
	}
	seed := rand.Uint64()
	if s := os.Getenv("HA_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("HA_SEED=%q: %v", s, err)
		}
		seed = v
	}
	t.Logf("replica schedule seed %d (rerun with HA_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	db := pgtest.Private(t)
	dsn := db.DSN("postgres")
	// A run takes 20-50 s on a loaded 2-core machine; a stuck lane or a
	// lost reminder fails it here instead of at the go test timeout.
	deadline, cancelAll := context.WithTimeout(context.Background(), 80*time.Second)
	defer cancelAll()

	emu := slackemu.Start(t, func(o *slackemu.Options) { o.Logf = func(string, ...any) {} })
	user := emu.AddUser(slackemu.User{Name: "ana"})
	announce := emu.CreateChannel("announcements", false, emu.BotUserID(), user)
	cfgPath := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(crashConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &haCluster{t: t, emu: emu, logs: &lockedBuffer{}, args: []string{"--config", cfgPath},
		env: append(botEnv(emu, "", announce, t.TempDir()), "INCIDENTBOT_STORE_DRIVER=postgres", "INCIDENTBOT_STORE_DSN="+dsn, "INCIDENTBOT_LOG_LEVEL="+cmp.Or(os.Getenv("HA_LOG_LEVEL"), "info"))}
	// Deferred, not a Cleanup: it runs before the replicas are killed.
	defer func() {
		if t.Failed() {
			t.Logf("outbox at the failure:\n%s", outboxClaims(dsn))
		}
		path := os.Getenv("HA_LOGS")
		if path == "" {
			return
		}
		if t.Failed() {
			// SIGQUIT: each live replica writes its goroutines to the logs.
			for _, r := range c.replicas {
				if r != nil {
					_ = r.cmd.Process.Signal(syscall.SIGQUIT)
					<-r.exited
				}
			}
		}
		_ = os.WriteFile(path, []byte(c.logs.String()), 0o600)
	}()
	for i := range haReplicas {
		c.start(i)
	}
	c.waitConnections(deadline)

	plan := newPlan(rng, emu, haMix)
	reminderOp := plan.declare(announce, "SEV1")
	reminderOp.send(deadline, emu, user)
	if reminderOp.outcome != outcomeDone {
		t.Fatalf("the reminder incident was not declared: %q\n%s", reminderOp.reply, tail(c.logs.String()))
	}
	remindFrom := time.Now()

	// Five kills and the database's restart, in rounds drawn from the seed.
	rounds := plan.left() * 2 / 7 // a batch holds 3.5 commands on average
	killRounds := map[int]bool{}
	for len(killRounds) < 5 {
		killRounds[1+rng.IntN(rounds)] = true
	}
	dbRound := 1 + rng.IntN(rounds)
	kills := 0
	for round := 1; plan.left() > 0; round++ {
		batch := plan.batch(announce)
		var wg sync.WaitGroup
		for _, op := range batch {
			wg.Go(func() {
				op.send(deadline, emu, user)
				// Not saved: the database went away; the commit may or may
				// not have been applied (the user's retry is harmless).
				if strings.HasPrefix(op.reply, "Not saved") {
					op.outcome = outcomeUnknown
				}
			})
		}
		after := time.Duration(rng.IntN(100)) * time.Millisecond
		victim := rng.IntN(haReplicas)
		event := ""
		if killRounds[round] || round == dbRound {
			<-time.After(after)
		}
		if killRounds[round] {
			c.replicas[victim].kill(t)
			c.replicas[victim] = nil
			kills++
			event += fmt.Sprintf("; replica %d killed after %v", victim, after)
		}
		if round == dbRound {
			if err := db.Restart(); err != nil {
				t.Fatal(err)
			}
			event += "; PostgreSQL restarted"
		}
		wg.Wait()
		if c.replicas[victim] == nil {
			c.waitConnections(deadline)
			c.start(victim)
			c.waitConnections(deadline)
		}
		t.Logf("round %d at %v: %s%s", round, time.Since(remindFrom).Round(time.Millisecond), describe(batch), event)
	}
	if kills == 0 {
		t.Fatal("the schedule killed no replica")
	}

	remCh := plan.reminderChannel(t)
	plan.waitAnnounced(deadline, t, announce, c.logs)
	waitReminder(deadline, t, emu, remCh, time.Now(), 2)
	resolve := &crashOp{kind: opResolve, channel: remCh, text: "resolve replica test over"}
	resolve.send(deadline, emu, user)
	if resolve.outcome != outcomeDone {
		t.Fatalf("resolve replied %q", resolve.reply)
	}
	remindTo := time.Now()

	st, err := pgstore.Open(deadline, dsn, pgstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitOutboxEmpty(deadline, t, emu, st, c.logs)
	for i, r := range c.replicas {
		r.kill(t)
		c.replicas[i] = nil
	}

	audit := &crashAudit{t: t, emu: emu, st: st, plan: plan, announce: announce}
	audit.declarations()
	audit.commands()
	audit.noMessageTwice()
	uniqueNumbers(t, st)
	reminders := 0
	for _, call := range emu.Calls("chat.postMessage") {
		if isReminder(call, remCh) {
			reminders++
		}
	}
	// Every second at most one reminder, whichever replica fires it: three
	// replicas each firing would post about three times as many.
	if most := int(remindTo.Sub(remindFrom)/time.Second) + 2; reminders == 0 || reminders > most {
		t.Errorf("%d reminders over %v, want between 1 and %d", reminders, remindTo.Sub(remindFrom).Round(time.Second), most)
	}
	t.Logf("%d kills, %d reminders over %v", kills, reminders, remindTo.Sub(remindFrom).Round(time.Second))
	if out := c.logs.String(); strings.Contains(out, emu.BotToken()) || strings.Contains(out, emu.AppToken()) {
		t.Error("a token appeared in the bots' output")
	}
}

// waitOutboxEmpty waits until no outbox job is left: every replica's work,
// and every killed replica's claims, finished by someone.
func waitOutboxEmpty(ctx context.Context, t *testing.T, emu *slackemu.Server, st *pgstore.Store, logs *lockedBuffer) {
	t.Helper()
	feed, stop := emu.Subscribe()
	defer stop()
	poll := time.NewTicker(100 * time.Millisecond)
	defer poll.Stop()
	for {
		d, err := st.OutboxDepth()
		if err == nil && d == 0 {
			return
		}
		select {
		case <-feed:
		case <-poll.C:
		case <-ctx.Done():
			t.Fatalf("%d outbox jobs stuck (%v)\n%s", d, err, tail(logs.String()))
		}
	}
}

// uniqueNumbers checks that no two incidents share a number. Numbers come
// from a sequence, which skips the numbers of declarations whose replica
// died before their commit, and up to 32 after the database's restart;
// beyond those, a gap would be a lost declaration, which the acknowledged
// commands' checks catch.
func uniqueNumbers(t *testing.T, st *pgstore.Store) {
	t.Helper()
	var numbers []int
	err := st.View(func(tx store.Tx) error {
		return tx.ForEachIncident(func(inc *incident.Incident) error {
			numbers = append(numbers, int(inc.Number))
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(numbers)
	if len(slices.Compact(slices.Clone(numbers))) != len(numbers) {
		t.Fatalf("incident numbers %v: one is used twice", numbers)
	}
	t.Logf("incident numbers: %v", numbers)
}

// outboxClaims lists the first pending jobs with their claims, for a
// failure's message.
func outboxClaims(dsn string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		return err.Error()
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id, incident, lane, body->>'kind', not_before_ns, COALESCE(claimed_by, ''), COALESCE(lease_until_ns, 0) FROM outbox ORDER BY id LIMIT 20`)
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for rows.Next() {
		var (
			id, inc, nb, lease int64
			lane, kind, owner  string
		)
		if err := rows.Scan(&id, &inc, &lane, &kind, &nb, &owner, &lease); err != nil {
			return err.Error()
		}
		fmt.Fprintf(&b, "job %d INC-%d lane %q %s not before %v claimed by %q until %v\n", id, inc, lane, kind, time.Unix(0, nb).UTC(), owner, time.Unix(0, lease).UTC())
	}
	return b.String()
}

package commands_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

var remT0 = time.Date(2026, 11, 26, 3, 0, 0, 0, time.UTC)

// remService is a service on a fresh store whose clock stands at remT0;
// SEV1 reminds every 15m, SEV4 never.
func remService(t *testing.T) (*commands.Service, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(remT0)
	return &commands.Service{
		Store:              bolttest.Open(t),
		Settings:           incident.DefaultSettings(),
		ChannelPrefix:      "inc",
		AnnounceChannel:    "CANNOUNCE",
		Clock:              clk,
		PostmortemReminder: 24 * time.Hour,
	}, clk
}

// remDeclare declares a SEV1 (or sev) incident and gives it channel C<n>.
func remDeclare(t *testing.T, s *commands.Service, sev string, private bool) *incident.Incident {
	t.Helper()
	res, err := s.Declare(context.Background(), commands.DeclareInput{Title: "db down", Severity: sev, DeclaredBy: "UDECL", Private: private})
	if err != nil {
		t.Fatal(err)
	}
	return remEdit(t, s, res.Incident.Number, func(inc *incident.Incident) {
		inc.ChannelID = "C" + inc.ID()
	})
}

// remEdit changes incident n in the store, as another use-case would.
func remEdit(t *testing.T, s *commands.Service, n uint64, fn func(*incident.Incident)) *incident.Incident {
	t.Helper()
	var inc *incident.Incident
	err := s.Store.Update(context.Background(), func(tx store.Tx) error {
		var err error
		if inc, err = tx.Incident(n); err != nil {
			return err
		}
		fn(inc)
		return tx.PutIncident(inc)
	})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func remGet(t *testing.T, s *commands.Service, n uint64) (*incident.Incident, time.Time, bool) {
	t.Helper()
	var (
		inc *incident.Incident
		due time.Time
		ok  bool
	)
	err := s.Store.View(func(tx store.Tx) error {
		var err error
		if inc, err = tx.Incident(n); err != nil {
			return err
		}
		due, ok, err = tx.Reminder(n)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return inc, due, ok
}

// reminderJobs returns the pending JobReminder payloads and completes
// every pending job, so each check sees only what came since the last.
func reminderJobs(t *testing.T, s *commands.Service) []commands.ReminderPayload {
	t.Helper()
	var out []commands.ReminderPayload
	for _, j := range takeJobs(t, s) {
		if j.Kind != commands.JobReminder {
			continue
		}
		var pl commands.ReminderPayload
		if err := json.Unmarshal(j.Payload, &pl); err != nil {
			t.Fatal(err)
		}
		out = append(out, pl)
	}
	return out
}

func remKinds(pls []commands.ReminderPayload) []string {
	var out []string
	for _, p := range pls {
		out = append(out, p.Kind)
	}
	return out
}

func remDue(t *testing.T, s *commands.Service, now time.Time) commands.DueResult {
	t.Helper()
	res, err := s.DueReminders(context.Background(), now)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestDeclareSchedulesTheFirstReminder(t *testing.T) {
	tests := []struct {
		sev  string
		want time.Duration // 0 = none
	}{
		{"SEV1", 15 * time.Minute},
		{"SEV3", time.Hour},
		{"SEV4", 0},
	}
	for _, tt := range tests {
		t.Run(tt.sev, func(t *testing.T) {
			s, _ := remService(t)
			inc := remDeclare(t, s, tt.sev, false)
			_, at, ok := remGet(t, s, inc.Number)
			if ok != (tt.want > 0) || (ok && !at.Equal(remT0.Add(tt.want))) {
				t.Fatalf("reminder = %v, %v; want at +%v", at, ok, tt.want)
			}
		})
	}
}

func TestReminderRepeatsAndEscalates(t *testing.T) {
	s, _ := remService(t)
	inc := remDeclare(t, s, "SEV1", false)
	reminderJobs(t, s) // the declaration's jobs

	if res := remDue(t, s, remT0.Add(15*time.Minute-time.Nanosecond)); len(res.Reminded) != 0 {
		t.Fatalf("fired before due: %+v", res)
	}
	tests := []struct {
		at     time.Duration
		missed int
		kinds  []string
	}{
		{15 * time.Minute, 1, []string{commands.ReminderUpdate}},
		{30 * time.Minute, 2, []string{commands.ReminderUpdate}},
		{45 * time.Minute, 3, []string{commands.ReminderUpdate, commands.ReminderEscalation}},
		{60 * time.Minute, 4, []string{commands.ReminderUpdate, commands.ReminderEscalation}},
	}
	for _, tt := range tests {
		now := remT0.Add(tt.at)
		res := remDue(t, s, now)
		if len(res.Reminded) != 1 || res.Reminded[0] != inc.Number {
			t.Fatalf("at +%v: fired %+v", tt.at, res)
		}
		pls := reminderJobs(t, s)
		if !equal(remKinds(pls), tt.kinds) {
			t.Fatalf("at +%v: jobs %v, want %v", tt.at, remKinds(pls), tt.kinds)
		}
		for _, pl := range pls {
			if pl.Missed != tt.missed || pl.Escalated != (tt.missed >= 2) || !pl.At.Equal(now) || !pl.Since.Equal(remT0) || pl.Event == 0 {
				t.Fatalf("at +%v: payload %+v", tt.at, pl)
			}
		}
		got, next, ok := remGet(t, s, inc.Number)
		if got.MissedUpdates != tt.missed || !ok || !next.Equal(now.Add(15*time.Minute)) {
			t.Fatalf("at +%v: missed %d, next %v %v", tt.at, got.MissedUpdates, next, ok)
		}
		// Firing again at the same instant does nothing: it is not due.
		if res := remDue(t, s, now); len(res.Reminded) != 0 {
			t.Fatalf("at +%v: fired twice", tt.at)
		}
	}
	var reminders int
	_ = s.Store.View(func(tx store.Tx) error {
		evs, err := tx.Events(inc.Number)
		for _, ev := range evs {
			if ev.Kind == incident.EventReminder {
				reminders++
			}
		}
		return err
	})
	if reminders != 4 {
		t.Errorf("%d reminder events on the timeline, want 4", reminders)
	}
}

func TestEscalationStaysOutOfThreadWhenPrivateOrNoAnnouncements(t *testing.T) {
	tests := []struct {
		name     string
		private  bool
		announce string
	}{
		{"private", true, "CANNOUNCE"},
		{"no announce channel", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := remService(t)
			s.AnnounceChannel = tt.announce
			remDeclare(t, s, "SEV1", tt.private)
			for i := 1; i <= 3; i++ {
				remDue(t, s, remT0.Add(time.Duration(i)*15*time.Minute))
			}
			pls := reminderJobs(t, s)
			if want := []string{"update", "update", "update"}; !equal(remKinds(pls), want) {
				t.Fatalf("jobs %v, want %v", remKinds(pls), want)
			}
		})
	}
}

func TestReminderAfterOutageFiresOnce(t *testing.T) {
	s, _ := remService(t)
	inc := remDeclare(t, s, "SEV1", false)
	reminderJobs(t, s)
	now := remT0.Add(15*time.Minute + 10*time.Hour) // 40 intervals missed
	if res := remDue(t, s, now); len(res.Reminded) != 1 {
		t.Fatalf("fired %+v, want once", res)
	}
	if pls := reminderJobs(t, s); len(pls) != 1 || pls[0].Missed != 1 {
		t.Fatalf("jobs %+v, want one reminder counting 1 missed", pls)
	}
	if _, next, _ := remGet(t, s, inc.Number); !next.Equal(now.Add(15 * time.Minute)) {
		t.Fatalf("next = %v, want a full interval after now", next)
	}
}

func TestReminderCountsFromTheLastUpdate(t *testing.T) {
	s, _ := remService(t)
	inc := remDeclare(t, s, "SEV1", false)
	reminderJobs(t, s)
	lastUpdate := remT0.Add(20 * time.Minute)
	remEdit(t, s, inc.Number, func(inc *incident.Incident) { inc.LastUpdateAt = lastUpdate })
	remDue(t, s, remT0.Add(15*time.Minute))
	if pls := reminderJobs(t, s); len(pls) != 1 || !pls[0].Since.Equal(lastUpdate) {
		t.Fatalf("jobs %+v, want since the last update", pls)
	}
}

func TestReminderStops(t *testing.T) {
	tests := []struct {
		name string
		stop func(*incident.Incident)
	}{
		{"resolved", func(inc *incident.Incident) { _ = inc.SetStatus(incident.Resolved, remT0.Add(time.Minute)) }},
		// A restart with a configuration whose severity no longer reminds.
		{"severity without reminders", func(inc *incident.Incident) { inc.Severity = "SEV4" }},
		{"severity no longer configured", func(inc *incident.Incident) { inc.Severity = "SEV9" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := remService(t)
			inc := remDeclare(t, s, "SEV1", false)
			reminderJobs(t, s)
			remEdit(t, s, inc.Number, tt.stop)
			if res := remDue(t, s, remT0.Add(time.Hour)); len(res.Reminded) != 0 {
				t.Fatalf("fired %+v", res)
			}
			if pls := reminderJobs(t, s); len(pls) != 0 {
				t.Fatalf("jobs %+v", pls)
			}
			if _, _, ok := remGet(t, s, inc.Number); ok {
				t.Fatal("reminder still scheduled")
			}
		})
	}
}

func TestRemindRechecksDue(t *testing.T) {
	s, _ := remService(t)
	inc := remDeclare(t, s, "SEV1", false)
	for _, tt := range []struct {
		at   time.Duration
		want bool
	}{{14 * time.Minute, false}, {15 * time.Minute, true}, {16 * time.Minute, false}} {
		fired, err := s.Remind(context.Background(), inc.Number, remT0.Add(tt.at))
		if err != nil || fired != tt.want {
			t.Fatalf("Remind at +%v = %v, %v; want %v", tt.at, fired, err, tt.want)
		}
	}
}

func TestDueRemindersFiresLargeBacklogInBatches(t *testing.T) {
	s, _ := remService(t)
	s.Store = bolttest.OpenWith(t, boltstore.Options{NoSync: true})
	const n = 1234
	err := s.Store.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			inc := &incident.Incident{Title: "x", Severity: "SEV1", Status: incident.Investigating, DeclaredAt: remT0}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if err := tx.SetReminder(inc.Number, remT0.Add(time.Duration(i)*time.Second)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	res := remDue(t, s, remT0.Add(time.Hour))
	if len(res.Reminded) != n {
		t.Fatalf("fired %d, want %d", len(res.Reminded), n)
	}
	if next, ok, err := s.NextDue(); err != nil || !ok || !next.Equal(remT0.Add(75*time.Minute)) {
		t.Fatalf("NextDue = %v, %v, %v", next, ok, err)
	}
}

// A backlog fired in groups reads the due list once, not once per group
// (10,000 due meant reading 10,000 entries, then 9,500, …); what falls due
// during the firing is left to the scheduler's next call.
func TestDueRemindersReadsTheBacklogOnce(t *testing.T) {
	s, _ := remService(t)
	st := bolttest.OpenWith(t, boltstore.Options{NoSync: true})
	reads := &dueReads{Store: st}
	s.Store = reads
	const n = 1234 // three groups
	err := st.Update(context.Background(), func(tx store.Tx) error {
		for i := 0; i < n; i++ {
			inc := &incident.Incident{Title: "x", Severity: "SEV1", Status: incident.Investigating, DeclaredAt: remT0}
			if err := tx.CreateIncident(inc); err != nil {
				return err
			}
			if err := tx.SetReminder(inc.Number, remT0); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if res := remDue(t, s, remT0); len(res.Reminded) != n {
		t.Fatalf("fired %d, want %d", len(res.Reminded), n)
	}
	if reads.n != 1 {
		t.Errorf("the due list was read %d times for %d reminders, want once", reads.n, n)
	}
}

// dueReads counts the transactions' reads of the due reminders.
type dueReads struct {
	commands.Store
	n int
}

func (d *dueReads) View(fn func(store.Tx) error) error {
	return d.Store.View(func(tx store.Tx) error { return fn(countDue{tx, &d.n}) })
}

func (d *dueReads) Update(ctx context.Context, fn func(store.Tx) error) error {
	return d.Store.Update(ctx, func(tx store.Tx) error { return fn(countDue{tx, &d.n}) })
}

type countDue struct {
	store.Tx
	n *int
}

func (c countDue) DueReminders(now time.Time) ([]store.Reminder, error) {
	*c.n++
	return c.Tx.DueReminders(now)
}

func TestPostmortemNudge(t *testing.T) {
	resolvedAt := remT0.Add(time.Hour)
	tests := []struct {
		name    string
		delay   time.Duration
		draft   bool
		wantJob bool
	}{
		{"no draft yet", 24 * time.Hour, false, true},
		{"draft exists", 24 * time.Hour, true, false},
		{"disabled", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := remService(t)
			s.PostmortemReminder = tt.delay
			inc := remDeclare(t, s, "SEV4", false)
			remEdit(t, s, inc.Number, func(inc *incident.Incident) {
				_ = inc.SetStatus(incident.Resolved, resolvedAt)
			})
			if tt.draft {
				remEdit(t, s, inc.Number, func(inc *incident.Incident) { inc.PostmortemAt = resolvedAt.Add(time.Hour) })
			}
			reminderJobs(t, s)
			next, ok, err := s.NextDue()
			if err != nil || !ok || !next.Equal(resolvedAt.Add(tt.delay)) {
				t.Fatalf("NextDue = %v, %v, %v; want resolution + %v", next, ok, err, tt.delay)
			}
			if tt.delay > 0 {
				if res := remDue(t, s, resolvedAt.Add(tt.delay-time.Second)); len(res.Nudged) != 0 {
					t.Fatalf("nudged early: %+v", res)
				}
			}
			now := resolvedAt.Add(tt.delay)
			res := remDue(t, s, now)
			pls := reminderJobs(t, s)
			if got := len(res.Nudged) == 1 && len(pls) == 1; got != tt.wantJob {
				t.Fatalf("nudged %+v, jobs %+v; want a nudge: %v", res, pls, tt.wantJob)
			}
			if tt.wantJob && (pls[0].Kind != commands.ReminderPostmortem || !pls[0].Since.Equal(resolvedAt) || !pls[0].At.Equal(now)) {
				t.Fatalf("payload %+v", pls[0])
			}
			// Considered once, whatever the outcome.
			if _, ok, _ := s.NextDue(); ok {
				t.Fatal("still scheduled after being considered")
			}
			if res := remDue(t, s, now.Add(48*time.Hour)); len(res.Nudged) != 0 {
				t.Fatalf("nudged twice: %+v", res)
			}
		})
	}
}

func TestNextDueIsTheEarliest(t *testing.T) {
	s, _ := remService(t)
	s.PostmortemReminder = time.Hour
	if _, ok, err := s.NextDue(); ok || err != nil {
		t.Fatalf("NextDue on an empty store = %v, %v", ok, err)
	}
	a := remDeclare(t, s, "SEV3", false) // reminder at +1h
	b := remDeclare(t, s, "SEV4", false)
	remEdit(t, s, b.Number, func(inc *incident.Incident) { _ = inc.SetStatus(incident.Resolved, remT0.Add(-30*time.Minute)) }) // nudge at +30m
	if next, _, _ := s.NextDue(); !next.Equal(remT0.Add(30 * time.Minute)) {
		t.Fatalf("NextDue = %v, want the nudge at +30m", next)
	}
	remDue(t, s, remT0.Add(30*time.Minute))
	if next, _, _ := s.NextDue(); !next.Equal(remT0.Add(time.Hour)) {
		t.Fatalf("NextDue = %v, want %s's reminder at +1h", next, a.ID())
	}
}

func TestSnooze(t *testing.T) {
	s, clk := remService(t)
	inc := remDeclare(t, s, "SEV1", false)
	reminderJobs(t, s)
	snooze := func(v, key string) (commands.SnoozeResult, error) {
		return s.Snooze(context.Background(), commands.SnoozeInput{Channel: inc.ChannelID, For: v, By: "UCOMMS", IdempotencyKey: key})
	}

	// Before it is due: pushed back from the due time.
	res, err := snooze("30m", "click-1")
	if err != nil || res.Duplicate || !res.Due.Equal(remT0.Add(45*time.Minute)) {
		t.Fatalf("snooze = %+v, %v; want due at +45m", res, err)
	}
	// The same click delivered again changes nothing.
	if res, err := snooze("30m", "click-1"); err != nil || !res.Duplicate {
		t.Fatalf("redelivered click = %+v, %v", res, err)
	}
	if _, at, _ := remGet(t, s, inc.Number); !at.Equal(remT0.Add(45 * time.Minute)) {
		t.Fatalf("due = %v after a redelivered click", at)
	}
	// Overdue (the bot has not fired it yet): pushed back from now.
	clk.Advance(time.Hour)
	if res, err := snooze("15m", "click-2"); err != nil || !res.Due.Equal(remT0.Add(75*time.Minute)) {
		t.Fatalf("overdue snooze = %+v, %v; want due at +75m", res, err)
	}
	if res := remDue(t, s, remT0.Add(74*time.Minute)); len(res.Reminded) != 0 {
		t.Fatal("a snoozed reminder fired early")
	}

	var snoozes []incident.Event
	_ = s.Store.View(func(tx store.Tx) error {
		evs, err := tx.Events(inc.Number)
		for _, ev := range evs {
			if ev.Kind == incident.EventSnoozed {
				snoozes = append(snoozes, ev)
			}
		}
		return err
	})
	if len(snoozes) != 2 || snoozes[0].Actor != "UCOMMS" || snoozes[0].To != "30m" || snoozes[1].To != "15m" {
		t.Fatalf("snooze events %+v", snoozes)
	}
	jobs, _ := s.Store.(*boltstore.Store).PendingJobs(0)
	var posts []string
	for _, j := range jobs {
		var pl commands.PostPayload
		_ = json.Unmarshal(j.Payload, &pl)
		posts = append(posts, j.Kind+":"+pl.Template)
	}
	// Each snooze refreshes what shows "next update by", then says so.
	once := []string{"refresh_card:", "set_topic:", "refresh_announcement:", "post:snoozed.tmpl"}
	if want := append(append([]string{}, once...), once...); !equal(posts, want) {
		t.Fatalf("jobs %v, want %v", posts, want)
	}
	_ = s.Store.View(func(tx store.Tx) error {
		inc, err := tx.Incident(1)
		due, ok, rerr := tx.Reminder(1)
		if err != nil || rerr != nil || !ok || !inc.NextUpdateAt.Equal(due) {
			t.Fatalf("next update %v, reminder due %v (%v %v %v)", inc.NextUpdateAt, due, ok, err, rerr)
		}
		return nil
	})
}

func TestSnoozeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		sev     string
		resolve bool
		channel string
		value   string
		code    string
	}{
		{"not a duration", "SEV1", false, "", "soon", incident.EINVALID},
		{"negative", "SEV1", false, "", "-15m", incident.EINVALID},
		{"too long", "SEV1", false, "", "48h", incident.EINVALID},
		{"outside an incident channel", "SEV1", false, "CRANDOM", "15m", incident.EINVALID},
		{"resolved", "SEV1", true, "", "15m", incident.ECONFLICT},
		{"no reminders at this severity", "SEV4", false, "", "15m", incident.ECONFLICT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _ := remService(t)
			inc := remDeclare(t, s, tt.sev, false)
			if tt.resolve {
				remEdit(t, s, inc.Number, func(inc *incident.Incident) { _ = inc.SetStatus(incident.Resolved, remT0) })
			}
			ch := tt.channel
			if ch == "" {
				ch = inc.ChannelID
			}
			_, err := s.Snooze(context.Background(), commands.SnoozeInput{Channel: ch, For: tt.value, By: "U1", IdempotencyKey: tt.name})
			var ie *incident.Error
			if !errors.As(err, &ie) || ie.Code != tt.code || ie.Message == "" {
				t.Fatalf("err = %v, want code %s", err, tt.code)
			}
		})
	}
}

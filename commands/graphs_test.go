package commands_test

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// jobLabel names a job by kind and, where one kind has several jobs in a
// transaction, by where it goes: "post channel resolved.tmpl",
// "post_update thread", "reminder escalation".
func jobLabel(t *testing.T, kind string, payload json.RawMessage) string {
	t.Helper()
	switch kind {
	case commands.JobPost, commands.JobPostUpdate:
		var p commands.PostPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		if kind == commands.JobPostUpdate {
			return kind + " " + p.Target
		}
		return kind + " " + p.Target + " " + p.Template
	case commands.JobReminder:
		var p commands.ReminderPayload
		if err := json.Unmarshal(payload, &p); err != nil {
			t.Fatal(err)
		}
		return kind + " " + p.Kind
	}
	return kind
}

// lastGraph reads the jobs pending from index skip on, which one
// transaction enqueued, checks that they form one batch rooted at the
// first, and returns what each waits for: label → sorted labels of its
// After ("" for none).
func lastGraph(t *testing.T, s *commands.Service, skip int) (order []string, waits map[string]string) {
	t.Helper()
	jobs, err := s.Store.(*boltstore.Store).PendingJobs(0)
	if err != nil {
		t.Fatal(err)
	}
	jobs = jobs[skip:]
	labels := map[uint64]string{}
	waits = map[string]string{}
	for i, j := range jobs {
		l := jobLabel(t, j.Kind, j.Payload)
		labels[j.ID] = l
		order = append(order, l)
		if want := jobs[0].ID; i > 0 && j.Batch != want || i == 0 && j.Batch != 0 {
			t.Fatalf("%s: batch %d; want every job after the first in batch %d, the first rooting it", l, j.Batch, want)
		}
		var after []string
		for _, id := range j.After {
			if labels[id] == "" {
				t.Fatalf("%s waits for job %d, not an earlier job of its batch", l, id)
			}
			after = append(after, labels[id])
		}
		slices.Sort(after)
		waits[l] = strings.Join(after, ", ")
	}
	return order, waits
}

// The use-cases after a declaration enqueue their Slack jobs as a graph
// too: every job waits for the incident's jobs of earlier transactions
// (its batch), and of its own only for what it must follow. What edits
// its own message, or posts in its own conversation, waits for nothing.
func TestLifecycleJobGraphs(t *testing.T) {
	resolve := func(t *testing.T, s *commands.Service) {
		if _, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: lcChannel, By: "UBOB"}); err != nil {
			t.Fatal(err)
		}
	}
	severity := func(to string) func(*testing.T, *commands.Service) {
		return func(t *testing.T, s *commands.Service) {
			if _, err := s.ChangeSeverity(context.Background(), commands.SeverityInput{Channel: lcChannel, Severity: to, By: "UBOB"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	role := func(r, user string) func(*testing.T, *commands.Service) {
		return func(t *testing.T, s *commands.Service) {
			if _, err := s.AssignRole(context.Background(), commands.AssignRoleInput{ChannelID: lcChannel, Role: r, User: user, By: "UDECL"}); err != nil {
				t.Fatal(err)
			}
		}
	}
	snooze := func(t *testing.T, s *commands.Service) {
		if _, err := s.Snooze(context.Background(), commands.SnoozeInput{Channel: lcChannel, For: "30m", By: "UBOB"}); err != nil {
			t.Fatal(err)
		}
	}
	// The third reminder in a row without an update also goes to the
	// announcement's thread.
	thirdReminder := func(t *testing.T, s *commands.Service) {
		inc := remEdit(t, s, 1, func(inc *incident.Incident) { inc.MissedUpdates = 2 })
		if res := remDue(t, s, inc.NextUpdateAt.Add(time.Minute)); len(res.Reminded) != 1 {
			t.Fatalf("reminded %v", res.Reminded)
		}
	}
	const refreshes = "refresh_card|set_topic|refresh_announcement"
	tests := []struct {
		name string
		sev  string
		do   func(*testing.T, *commands.Service)
		// jobs in enqueue order, then what each waits for (unlisted: nothing).
		jobs  string
		waits map[string]string
	}{
		{
			name: "resolve: the next step below the final update",
			sev:  "SEV2", do: resolve,
			jobs:  "post_update channel|post_update thread|post channel resolved.tmpl|" + refreshes,
			waits: map[string]string{"post channel resolved.tmpl": "post_update channel"},
		},
		{
			name: "an escalation: everything at once",
			sev:  "SEV3", do: severity("SEV1"),
			jobs: "post channel severity.tmpl|post thread severity.tmpl|" + refreshes,
		},
		{
			name: "a de-escalation: everything at once",
			sev:  "SEV1", do: severity("SEV2"),
			jobs: "post channel severity.tmpl|" + refreshes,
		},
		{
			name: "a role: the channel's message once the holder is in and the card shows them",
			sev:  "SEV2", do: role("comms", "UANA"),
			jobs:  "invite|" + refreshes + "|post channel role_assigned.tmpl",
			waits: map[string]string{"post channel role_assigned.tmpl": "invite, refresh_card"},
		},
		{
			name: "a commander handoff: the thread hears at once",
			sev:  "SEV2", do: role("commander", "UANA"),
			jobs:  "invite|" + refreshes + "|post channel role_handoff.tmpl|post thread role_commander.tmpl",
			waits: map[string]string{"post channel role_handoff.tmpl": "invite, refresh_card"},
		},
		{
			name: "a snooze: everything at once",
			sev:  "SEV1", do: snooze,
			jobs: refreshes + "|post channel snoozed.tmpl",
		},
		{
			name: "a reminder and its escalation at once",
			sev:  "SEV1", do: thirdReminder,
			jobs: "reminder update|reminder escalation",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newService(t)
			_, before := lcDeclare(t, s, tt.sev, false)
			tt.do(t, s)
			order, waits := lastGraph(t, s, before)
			want := strings.Split(tt.jobs, "|")
			if !slices.Equal(order, want) {
				t.Fatalf("jobs %q, want %q", order, want)
			}
			wantWaits := map[string]string{}
			for _, l := range want {
				wantWaits[l] = tt.waits[l]
			}
			if !maps.Equal(waits, wantWaits) {
				t.Fatalf("waits for %q, want %q", waits, wantWaits)
			}
		})
	}
}

package app_test

import (
	"fmt"
	"testing"
	"time"
)

// Three replicas on one PostgreSQL against Slack's real limits: 500
// reminders fall due in ten groups of 50, five seconds apart (ten a
// second, twice what the workspace's 300 posts a minute let through), and
// an incident is declared once the last group is due. Each group is fired
// by whichever replica's scheduler gets to it first, and its posts are
// claimed by any replica. Slack's allowance is the workspace's, not a
// replica's: the replicas together send no more than one bot would, so
// Slack refuses as few posts as it refuses one bot (2–5 here), the burst
// drains at the workspace's rate, and the declaration's posts still go
// ahead of the reminders. With a schedule of its own in each replica,
// Slack refused 19–89 posts here, and took the declaration's posts up to 8 s
// after it.
func TestReplicasShareSlacksPostAllowance(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	const n, groups = 500, 10
	d := declareDuringReplicaBurst(t, 3, n, groups)
	for _, k := range declarationPosts {
		took, ok := d.answered[k]
		switch {
		case !ok:
			t.Errorf("%s: never taken by Slack", k)
		case took > 3*time.Second:
			t.Errorf("%s: taken %v after the declaration, behind the reminders; want ≤ 3 s", k, took)
		default:
			t.Logf("%s: taken %v after the declaration", k, took)
		}
	}
	if d.posted != n {
		t.Fatalf("%d reminders posted, want %d", d.posted, n)
	}
	// Slack's burst of 100 at once, the other reminders and the
	// declaration's three posts at 5 a second, a few seconds more for the
	// outbox's spread.
	floor := time.Duration(n+3-100) * time.Second / 5
	t.Logf("3 replicas: %d reminders in %v of Slack time (floor %v), %d posts refused", n, d.took, floor, d.refused)
	if d.took > floor+15*time.Second {
		t.Errorf("the reminders took %v of Slack time, the limit allows %v", d.took, floor)
	}
	// Until the first 429s the replicas do not know the limit: the posts
	// then on their way are refused. After that, a post Slack refuses is
	// one the replicas sent over the workspace's allowance.
	if d.refused > 10 {
		t.Errorf("Slack refused %d posts for %d reminders: the replicas together send more than the workspace's allowance", d.refused, n)
	}
}

// replicaBurstSize is how many reminders fall due in the replica
// benchmark below, in ten groups: a tenth of reminderBurst, enough for
// minutes of pacing, few enough that one run takes seconds of real time.
const replicaBurstSize = 1000

// burstGroupEvery is how far apart the groups of a replica burst fall due.
const burstGroupEvery = 5 * time.Second

// BenchmarkTieredReminderBurstReplicasPostgres is
// BenchmarkDeclarationDuringTieredBurst10k at 1,000 reminders on one
// PostgreSQL, with one replica and with three, the reminders due at once
// or in ten groups five seconds apart (see
// TestReplicasShareSlacksPostAllowance): how long the burst takes on
// Slack's clock ("slack-min"), the posts Slack refused per reminder
// delivered ("refused/reminder"), and how long after the declaration
// Slack took its announcement ("s-to-announcement").
func BenchmarkTieredReminderBurstReplicasPostgres(b *testing.B) {
	for _, groups := range []int{1, 10} {
		for _, replicas := range []int{1, 3} {
			b.Run(fmt.Sprintf("groups=%d/replicas=%d", groups, replicas), func(b *testing.B) {
				for b.Loop() {
					d := declareDuringReplicaBurst(b, replicas, replicaBurstSize, groups)
					if d.posted != replicaBurstSize {
						b.Fatalf("%d reminders posted, want %d", d.posted, replicaBurstSize)
					}
					b.ReportMetric(d.took.Minutes(), "slack-min")
					b.ReportMetric(float64(d.refused)/float64(d.posted), "refused/reminder")
					b.ReportMetric(d.answered["chat.postMessage announcement"].Seconds(), "s-to-announcement")
				}
			})
		}
	}
}

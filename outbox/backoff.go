package outbox

import "time"

// Backoff is the delay before retry number attempt (1-based): exponential
// from base, capped at max, with "equal jitter" (half fixed, half random
// from r in [0,1)) so that many jobs failing together do not retry together.
func Backoff(attempt int, base, max time.Duration, r float64) time.Duration {
	d := base
	for i := 1; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	return d/2 + time.Duration(r*float64(d/2))
}

// maxRateLimitSpread caps how far past its Retry-After a refused job is
// spread, so that a minute-long hold does not become two.
const maxRateLimitSpread = 10 * time.Second

// rateLimitSlots is how many instants the spread is drawn from: enough to
// part the jobs one limit refused, few enough that the worker wakes a few
// times per hold rather than once per job.
const rateLimitSlots = 10

// RateLimitDelay is when a job refused with Retry-After d tries again: never
// sooner than d, and later by up to one more d (at most maxRateLimitSpread),
// in one of rateLimitSlots steps drawn from r in [0,1). The jobs one limit
// refused together (twenty announcements in one channel) would otherwise
// all come back at the same instant, and all but the first be refused
// again: spread out, the first back takes the limit's next slot, its
// refusal holds the rest in the transport (which answers them without
// asking Slack), and fewer calls reach Slack only to be refused.
func RateLimitDelay(d time.Duration, r float64) time.Duration {
	slot := min(int(r*rateLimitSlots), rateLimitSlots-1)
	return d + time.Duration(slot)*min(d, maxRateLimitSpread)/rateLimitSlots
}

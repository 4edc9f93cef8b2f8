package outbox

import (
	"errors"
	"fmt"
	"time"
)

// retryAfterError asks for the job to be retried no sooner than After.
type retryAfterError struct {
	After time.Duration
	Err   error
}

func (e *retryAfterError) Error() string {
	return fmt.Sprintf("retry after %s: %v", e.After, e.Err)
}
func (e *retryAfterError) Unwrap() error { return e.Err }

// RetryAfter marks err as a rate limit with a server-given delay (Slack's
// 429 Retry-After): the call was refused, so nothing happened. The worker
// never retries sooner, and the wait is not a failed attempt. A performer
// whose attempt made other calls before the refused one must return their
// results as progress (see Performer).
func RetryAfter(d time.Duration, err error) error { return &retryAfterError{After: d, Err: err} }

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ Err error }

func (e *permanentError) Error() string { return "permanent: " + e.Err.Error() }
func (e *permanentError) Unwrap() error { return e.Err }

// Permanent marks err as one that retrying will not fix (channel_not_found,
// invalid_blocks…). The worker records it on the incident's timeline and
// moves on instead of retrying forever.
func Permanent(err error) error { return &permanentError{Err: err} }

// IsPermanent reports whether err was marked Permanent.
func IsPermanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// rateLimited reports whether err was marked RetryAfter.
func rateLimited(err error) bool {
	_, ok := retryDelay(err)
	return ok
}

// RetryDelay returns the server-given delay of err, if it was marked
// RetryAfter.
func RetryDelay(err error) (time.Duration, bool) { return retryDelay(err) }

// retryDelay returns the server-given delay of err, if any.
func retryDelay(err error) (time.Duration, bool) {
	var r *retryAfterError
	if errors.As(err, &r) {
		return r.After, true
	}
	return 0, false
}

package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Slack limits a workspace's calls, not a replica's: when Slack refuses
// one replica with a Retry-After, every replica's calls under that limit
// would be refused too, and each 429 counts against the app. So the hold a
// 429 starts is kept here, where every replica's Slack transport looks
// before it calls Slack. These statements run outside the serializable
// transactions on purpose: a hold is one row written with GREATEST, which
// needs no isolation, and it must never wait behind a use-case's retries.

// HoldSlack records that Slack refuses the calls under key (a method, or
// a method and channel) until then. A hold that already runs longer stays.
// Holds that have passed are cleared on the way, so the table stays as
// small as the set of limits currently hit.
func (s *Store) HoldSlack(ctx context.Context, key string, until time.Time) error {
	if key == "" {
		return errors.New("hold slack: no limit key")
	}
	b := &pgx.Batch{}
	b.Queue(`DELETE FROM slack_holds WHERE until_ns < $1`, ns(s.now()))
	b.Queue(`INSERT INTO slack_holds (key, until_ns) VALUES ($1, $2)
		ON CONFLICT (key) DO UPDATE SET until_ns = GREATEST(slack_holds.until_ns, EXCLUDED.until_ns)`, key, ns(until))
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return s.wrap(fmt.Errorf("hold slack %s: %w", key, err))
	}
	return nil
}

// SlackHold returns until when Slack's calls under key are held (by this
// replica or another); the zero time when they are not.
func (s *Store) SlackHold(ctx context.Context, key string) (time.Time, error) {
	var until int64
	err := s.pool.QueryRow(ctx, `SELECT until_ns FROM slack_holds WHERE key = $1`, key).Scan(&until)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, s.wrap(fmt.Errorf("slack hold %s: %w", key, err))
	}
	return fromNS(until), nil
}

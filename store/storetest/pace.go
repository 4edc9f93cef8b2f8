package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"testing"
)

// sharedPace is what a backend that replicas share offers the bot's
// pacer of Slack posts: one record per limit, read freely and replaced
// atomically (the bot's SharedPace). A backend for one process (bbolt)
// does not offer it: that process paces in memory.
type sharedPace interface {
	SlackPace(ctx context.Context, key string) ([]byte, error)
	PaceSlack(ctx context.Context, key string, change func(state []byte) ([]byte, error)) error
}

// testSlackPace: nothing stored reads as nil; each change sees the
// record the previous one left, even when many run at once (no change is
// lost); limits are apart; a failed change leaves the record as it was
// and returns its error as it was.
func testSlackPace(t *testing.T, b Backend) {
	if c, ok := b.(claims); ok {
		b = c.Backend
	}
	p, ok := b.(sharedPace)
	if !ok {
		t.Skip("the backend keeps no shared pace: one process paces in memory")
	}
	ctx := t.Context()
	if got, err := p.SlackPace(ctx, "chat.postMessage"); err != nil || got != nil {
		t.Fatalf("SlackPace before any change: %q, %v; want nil", got, err)
	}
	type rec struct{ N int }
	incr := func(raw []byte) ([]byte, error) {
		var r rec
		if raw != nil {
			if err := json.Unmarshal(raw, &r); err != nil {
				return nil, err
			}
		}
		r.N++
		return json.Marshal(r)
	}
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				errs <- p.PaceSlack(ctx, "chat.postMessage", incr)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("PaceSlack: %v", err)
		}
	}
	read := func(key string) rec {
		t.Helper()
		raw, err := p.SlackPace(ctx, key)
		if err != nil {
			t.Fatalf("SlackPace %s: %v", key, err)
		}
		var r rec
		if raw != nil {
			if err := json.Unmarshal(raw, &r); err != nil {
				t.Fatalf("SlackPace %s: %q: %v", key, raw, err)
			}
		}
		return r
	}
	if got := read("chat.postMessage"); got.N != workers*each {
		t.Fatalf("after %d changes at once the record counts %d: changes were lost", workers*each, got.N)
	}
	if got := read("other.limit"); got.N != 0 {
		t.Fatalf("another limit's record: %+v, want none", got)
	}
	if err := p.PaceSlack(ctx, "chat.postMessage", func([]byte) ([]byte, error) { return []byte(`{"N":0}`), errStop }); !errors.Is(err, errStop) {
		t.Fatalf("a failed change: %v, want its own error", err)
	}
	if got := read("chat.postMessage"); got.N != workers*each {
		t.Fatalf("a failed change left %+v", got)
	}
}

package commands

import (
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// Duplicate checks that ask while a read of the open incidents runs wait
// for one read together, which starts after the last of them asked.
func TestDuplicateChecksArrivingTogetherShareOneRead(t *testing.T) {
	var g openReads
	var reads atomic.Int32
	release := make(chan struct{})
	read := func() ([]incident.Headline, error) {
		n := reads.Add(1)
		if n == 1 {
			<-release
		}
		return []incident.Headline{{Number: uint64(n)}}, nil
	}
	first := make(chan *incident.Candidates)
	go func() {
		open, _ := g.get(read)
		first <- open
	}()
	waitFor(t, "the first read to start", func() bool { return reads.Load() == 1 })

	const late = 5
	got := make([]uint64, late)
	var wg sync.WaitGroup
	for i := range late {
		wg.Go(func() {
			open, err := g.get(read)
			if err != nil || len(open.Open()) != 1 {
				t.Errorf("get = %v, %v", open, err)
				return
			}
			got[i] = open.Open()[0].Number
		})
	}
	// One of the five runs the next read; the four others wait for it.
	waitFor(t, "the late checks to gather", func() bool {
		g.mu.Lock()
		defer g.mu.Unlock()
		return g.next != nil && g.next.joined == late-1
	})
	close(release)
	if open := <-first; open.Open()[0].Number != 1 {
		t.Errorf("first check got read %d, want 1", open.Open()[0].Number)
	}
	wg.Wait()
	if n := reads.Load(); n != 2 {
		t.Errorf("%d reads for 6 checks, want 2 (the first, then one for the five that arrived during it)", n)
	}
	for i, n := range got {
		if n != 2 {
			t.Errorf("late check %d got read %d, want 2 (one that began after it asked)", i, n)
		}
	}
}

// waitFor yields until cond holds; the goroutines it waits for only need
// to be scheduled, so there is no time to wait out, only a bound.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		runtime.Gosched()
	}
}

package commands_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store/boltstore"
)

// BenchmarkDeclareBurst200 is the store's side of the bot's 200 concurrent
// one-line declarations: 200 real Declare transactions (the incident, its
// events, its job graph, its reminder, the delivery key) at once, against
// an fsync'd store with the bot's 2 ms batch window. cpu-ms/op is the
// process's CPU per burst: bbolt's single writer runs the transactions one
// after another, so the last declaration waits for all of them.
func BenchmarkDeclareBurst200(b *testing.B) {
	st, err := boltstore.Open(filepath.Join(b.TempDir(), "b.db"), boltstore.Options{MaxBatchDelay: 2 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	s := &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", AnnounceChannel: "CANN"}
	seq := 0
	var cpu time.Duration
	b.ReportAllocs()
	for b.Loop() {
		cpu -= burstCPU(b)
		var wg sync.WaitGroup
		for range 200 {
			seq++
			n := seq
			wg.Go(func() {
				_, err := s.Declare(context.Background(), commands.DeclareInput{Title: fmt.Sprint("load ", n), Severity: "SEV3", DeclaredBy: "U1", IdempotencyKey: fmt.Sprint("slash:", n)})
				if err != nil {
					b.Error(err)
				}
			})
		}
		wg.Wait()
		cpu += burstCPU(b)
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// burstCPU is the CPU time (user and system) the process has used.
func burstCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

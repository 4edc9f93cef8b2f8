package pgstore_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

// BenchmarkDeclare200Concurrent3Stores is the database's share of the
// app's BenchmarkAckLatency200Concurrent3ReplicasPostgres: 200 real
// declarations (commands.Service.Declare, the transaction a one-line
// declare commits before its ack) at once, spread over three stores with
// their own pools on one database, without Slack, the emulator or the bot.
// It reports each declaration's latency (p50, p99), the requests each one
// sent the server and waited for, and the transactions run again.
func BenchmarkDeclare200Concurrent3Stores(b *testing.B) {
	dsn := pgtest.DSN(b)
	var trips atomic.Int64
	var stores []*pgstore.Store
	var services []*commands.Service
	for range 3 {
		opts := pgstore.Options{}
		pgstore.CountRoundTrips(&opts, &trips)
		st, err := pgstore.Open(context.Background(), dsn, opts)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { st.Close() })
		stores = append(stores, st)
		services = append(services, &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", AnnounceChannel: "CANN"})
	}
	var all []time.Duration
	seq := 0
	trips.Store(0)
	pgBefore, goBefore := backendCPU(b, stores[0]), processCPU()
	for b.Loop() {
		lat := make([]time.Duration, 200)
		var wg sync.WaitGroup
		for i := range 200 {
			seq++
			in := commands.DeclareInput{Title: fmt.Sprint("load ", seq), Severity: "SEV3", DeclaredBy: "U1", IdempotencyKey: fmt.Sprint("slash:", seq)}
			s := services[i%len(services)]
			wg.Go(func() {
				start := time.Now()
				if _, err := s.Declare(context.Background(), in); err != nil {
					b.Error(err)
				}
				lat[i] = time.Since(start)
			})
		}
		wg.Wait()
		all = append(all, lat...)
	}
	pgCPU, goCPU := backendCPU(b, stores[0])-pgBefore, processCPU()-goBefore
	slices.Sort(all)
	var retries int64
	for _, st := range stores {
		retries += st.Retries()
	}
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(trips.Load())/float64(len(all)), "round-trips/declare")
	b.ReportMetric(float64(retries)/float64(len(all)), "retries/declare")
	b.ReportMetric(float64(pgCPU.Microseconds())/1000/float64(len(all)), "server-cpu-ms/declare")
	b.ReportMetric(float64(goCPU.Microseconds())/1000/float64(len(all)), "client-cpu-ms/declare")
}

// backendCPU is the CPU time the server's processes for the database of s
// (its backends, whoever's pool they belong to) have used so far, read from
// /proc; 0 where that cannot be read.
func backendCPU(b *testing.B, s *pgstore.Store) time.Duration {
	var pids []int
	err := s.View(func(tx store.Tx) error {
		var err error
		pids, err = pgstore.BackendPIDs(tx)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		// Fields after the command's closing parenthesis; utime and
		// stime are the 12th and 13th of them, in clock ticks (1/100 s).
		f := strings.Fields(string(data[bytes.LastIndexByte(data, ')')+1:]))
		for _, i := range []int{11, 12} {
			if n, err := strconv.ParseInt(f[i], 10, 64); err == nil {
				total += time.Duration(n) * 10 * time.Millisecond
			}
		}
	}
	return total
}

// processCPU is the CPU time this process has used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

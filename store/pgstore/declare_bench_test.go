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

// BenchmarkDeclare200AtParallelism is 200 declarations on one store whose
// pool holds as many connections as declarations run at once (1, 4 or
// 12, three replicas' worth): what a declaration costs the server and the
// client, and how that grows with the transactions in flight on a small
// machine.
func BenchmarkDeclare200AtParallelism(b *testing.B) {
	for _, par := range []int{1, 4, 12} {
		b.Run(fmt.Sprint(par), func(b *testing.B) {
			st, err := pgstore.Open(context.Background(), pgtest.DSN(b), pgstore.Options{MaxConns: int32(par)})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			s := &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", AnnounceChannel: "CANN"}
			pgBefore, goBefore, start := backendCPU(b, st), processCPU(), time.Now()
			n := 0
			for b.Loop() {
				var wg sync.WaitGroup
				for w := range par {
					wg.Go(func() {
						for i := range 200 / par {
							in := commands.DeclareInput{Title: fmt.Sprintf("load %d/%d", w, i), Severity: "SEV3", DeclaredBy: "U1"}
							if _, err := s.Declare(context.Background(), in); err != nil {
								b.Error(err)
							}
						}
					})
				}
				wg.Wait()
				n += par * (200 / par)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(n), "wall-ms/declare")
			b.ReportMetric(float64((backendCPU(b, st)-pgBefore).Microseconds())/1000/float64(n), "server-cpu-ms/declare")
			b.ReportMetric(float64((processCPU()-goBefore).Microseconds())/1000/float64(n), "client-cpu-ms/declare")
		})
	}
}

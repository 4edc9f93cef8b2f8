package pgstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
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
	slices.Sort(all)
	var retries int64
	for _, st := range stores {
		retries += st.Retries()
	}
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(trips.Load())/float64(len(all)), "round-trips/declare")
	b.ReportMetric(float64(retries)/float64(len(all)), "retries/declare")
}

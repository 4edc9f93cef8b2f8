package pgstore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/store/pgstore"
	"github.com/incidentbot/incidentbot/store/pgstore/pgtest"
)

func BenchmarkZZSequential(b *testing.B) {
	for _, par := range []int{1, 4, 12} {
		b.Run(fmt.Sprint("par", par), func(b *testing.B) {
			dsn := pgtest.DSN(b)
			st, err := pgstore.Open(context.Background(), dsn, pgstore.Options{MaxConns: int32(par)})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			s := &commands.Service{Store: st, Settings: incident.DefaultSettings(), ChannelPrefix: "inc", AnnounceChannel: "CANN"}
			pg0, go0 := backendCPU(b, st), processCPU()
			start := time.Now()
			n := 0
			for b.Loop() {
				var wg sync.WaitGroup
				for w := range par {
					wg.Go(func() {
						for i := range 200 / par {
							if _, err := s.Declare(context.Background(), commands.DeclareInput{Title: fmt.Sprint("load ", w, i), Severity: "SEV3", DeclaredBy: "U1"}); err != nil {
								b.Error(err)
							}
						}
					})
				}
				wg.Wait()
				n += par * (200 / par)
			}
			b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(n), "wall-ms/declare")
			b.ReportMetric(float64((backendCPU(b, st)-pg0).Microseconds())/1000/float64(n), "server-cpu-ms/declare")
			b.ReportMetric(float64((processCPU()-go0).Microseconds())/1000/float64(n), "client-cpu-ms/declare")
		})
	}
}

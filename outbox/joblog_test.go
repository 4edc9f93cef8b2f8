package outbox

import (
	"bytes"
	"errors"
	"testing"

	"github.com/rs/zerolog"
)

// TestJobLogNamesTheJob: an attempt's log lines carry the job's fields
// after the base logger's own, as the logger once built for each attempt
// wrote them, and an attempt that logs nothing at the configured level
// allocates nothing for its log.
func TestJobLogNamesTheJob(t *testing.T) {
	var buf bytes.Buffer
	base := zerolog.New(&buf).Level(zerolog.InfoLevel).With().Str("component", "outbox").Logger()
	for _, tc := range []struct {
		log  jobLog
		want string
	}{
		{jobLog{base: &base, id: 42, kind: "post_reminder", attempt: 2, incident: 7},
			`{"level":"warn","component":"outbox","job":42,"kind":"post_reminder","attempt":2,"incident":"INC-7","error":"boom","message":"retry"}` + "\n"},
		{jobLog{base: &base, id: 43, kind: "post_stats", attempt: 1},
			`{"level":"warn","component":"outbox","job":43,"kind":"post_stats","attempt":1,"error":"boom","message":"retry"}` + "\n"},
	} {
		buf.Reset()
		tc.log.Debug().Msg("not at info")
		tc.log.Warn().Err(errors.New("boom")).Msg("retry")
		if got := buf.String(); got != tc.want {
			t.Errorf("logged\n%s\nwant\n%s", got, tc.want)
		}
		if allocs := testing.AllocsPerRun(50, func() { tc.log.Debug().Msg("outbox: job done") }); allocs != 0 {
			t.Errorf("a debug line at info level: %.0f allocations, want 0", allocs)
		}
	}
}

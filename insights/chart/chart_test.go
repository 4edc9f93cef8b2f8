package chart_test

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/insights"
	"github.com/incidentbot/incidentbot/insights/chart"
)

func TestPNG(t *testing.T) {
	t0 := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	week := func(i int, sevs map[string]int, mttr time.Duration) insights.WeekStats {
		w := insights.WeekStats{Start: t0.Add(time.Duration(i) * insights.Week), BySeverity: sevs}
		if mttr > 0 {
			w.MTTR = insights.Summary{N: 1, Median: mttr, P90: mttr}
		}
		return w
	}
	tests := []struct {
		name string
		rep  insights.Report
	}{
		{"weeks with incidents", insights.Report{
			Severities: []string{"SEV1", "SEV2", "SEV3"},
			Weeks: []insights.WeekStats{
				week(0, map[string]int{"SEV1": 1, "SEV2": 2}, 90*time.Minute),
				week(1, map[string]int{}, 0),
				week(2, map[string]int{"SEV3": 4}, 30*time.Hour),
			},
		}},
		{"no incidents", insights.Report{Severities: []string{"SEV1"}, Weeks: []insights.WeekStats{week(0, map[string]int{}, 0)}}},
		{"no weeks", insights.Report{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := chart.PNG(tt.rep)
			if err != nil {
				t.Fatal(err)
			}
			img, err := png.Decode(bytes.NewReader(a))
			if err != nil {
				t.Fatalf("not a PNG: %v", err)
			}
			if b := img.Bounds(); b.Dx() != 768 || b.Dy() != 672 {
				t.Errorf("size %v, want 768x672", b)
			}
			if len(a) < 10_000 {
				t.Errorf("PNG of %d bytes: too small to hold two charts", len(a))
			}
			again, err := chart.PNG(tt.rep)
			if err != nil || !bytes.Equal(a, again) {
				t.Errorf("the same report drew different bytes (err %v)", err)
			}
		})
	}
}

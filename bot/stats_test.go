package bot

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/insights"
)

// The message shows a hostile service name as text, and at most
// maxStatsServices services.
func TestStatsViewBoundsAndEscapes(t *testing.T) {
	b := &renderer{cfg: Config{Command: "/incident"}}
	var rep insights.Report
	now := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for i := range 40 {
		name := fmt.Sprintf("svc-%02d", i)
		if i == 0 {
			name = "<!channel> <https://evil.example|click>"
		}
		rep.ByService = append(rep.ByService, insights.Count{Name: name, Count: 40 - i})
		rep.Services = append(rep.Services, insights.ServiceGap{Service: name, Last: now, Since: time.Hour})
	}
	v := b.statsView(commands.StatsPayload{Period: "30d", Service: "<!here>"}, rep)
	if len(v.ByService) != maxStatsServices+1 || v.ByService[maxStatsServices] != "25 more" {
		t.Errorf("by service: %d entries, last %q", len(v.ByService), v.ByService[len(v.ByService)-1])
	}
	if len(v.Services) != maxStatsServices+1 || !strings.Contains(v.Services[maxStatsServices], "25 more services") {
		t.Errorf("services: %d lines", len(v.Services))
	}
	for _, s := range []string{v.Service, v.ByService[0], v.Services[0]} {
		if strings.Contains(s, "<!") || strings.Contains(s, "<http") {
			t.Errorf("live markup in %q", s)
		}
	}
}

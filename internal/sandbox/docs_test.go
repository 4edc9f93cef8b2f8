package sandbox

import (
	"os"
	"strings"
	"testing"
	"time"
)

// docs/drills.md's example scenario is one the sandbox plays as written:
// every event known, every offset parsed, in the order the page gives.
func TestDrillsDocScenario(t *testing.T) {
	raw, err := os.ReadFile("../../docs/drills.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(raw), "```yaml\n")
	block, _, _ = strings.Cut(block, "```")
	if !ok || !strings.Contains(block, "events:") {
		t.Fatal("docs/drills.md has no yaml scenario")
	}
	sc, err := ParseScenario([]byte(block), false)
	if err != nil {
		t.Fatalf("docs/drills.md's scenario: %v", err)
	}
	var got []string
	for _, e := range sc.Events {
		got = append(got, e.Offset().String()+" "+e.Kind)
	}
	want := "10s alert, 20s alert, 30s message, 45s role, 2m0s severity, 3m0s update, 5m0s resolve"
	if sc.Title != "DB failover" || sc.DeclaredBy != "alice" || sc.Channel != "general" || strings.Join(got, ", ") != want {
		t.Errorf("docs/drills.md's scenario reads as %q by %q in %q: %q, want %q", sc.Title, sc.DeclaredBy, sc.Channel, got, want)
	}
	if sc.Events[5].Status != "identified" || sc.Events[1].Channel != "general" || sc.Events[0].Offset() != 10*time.Second {
		t.Errorf("docs/drills.md's scenario lost a field: %+v", sc.Events)
	}
}

package app_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The dependency rules of the layering, held by a test: the domain
// knows no Slack, bbolt or viper, the use-cases know no Slack and no
// storage backend, and the storage contract (store) knows no bbolt.
func TestLayering(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	tests := []struct {
		pkg       string
		forbidden []string
	}{
		{"github.com/incidentbot/incidentbot/incident", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/store"}},
		{"github.com/incidentbot/incidentbot/commands", []string{"github.com/slack-go/slack", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/bot", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/incidentbot/incidentbot/store/boltstore", "github.com/incidentbot/incidentbot/store/pgstore"}},
		{"github.com/incidentbot/incidentbot/store", []string{"github.com/slack-go/slack", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/commands", "go.etcd.io/bbolt", "github.com/jackc/pgx"}},
		{"github.com/incidentbot/incidentbot/store/boltstore", []string{"github.com/slack-go/slack", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/commands"}},
		{"github.com/incidentbot/incidentbot/outbox", []string{"github.com/slack-go/slack"}},
		{"github.com/incidentbot/incidentbot/store/pgstore", []string{"github.com/slack-go/slack", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/commands", "go.etcd.io/bbolt"}},
		{"github.com/incidentbot/incidentbot/webhooks", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/bot"}},
		{"github.com/incidentbot/incidentbot/pagerduty", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/bot"}},
		{"github.com/incidentbot/incidentbot/httpapi", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/bot", "github.com/incidentbot/incidentbot/store/boltstore", "github.com/incidentbot/incidentbot/store/pgstore"}},
		{"github.com/incidentbot/incidentbot/insights", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/incidentbot/incidentbot/store", "gonum.org/v1/plot"}},
		// The adapter reaches storage only through commands and the outbox.
		{"github.com/incidentbot/incidentbot/bot", []string{"github.com/spf13/viper", "github.com/incidentbot/incidentbot/config", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/incidentbot/incidentbot/store/boltstore", "github.com/incidentbot/incidentbot/store/pgstore"}},
		// The draft is pure: the same record gives the same bytes.
		{"github.com/incidentbot/incidentbot/postmortem", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/store", "github.com/incidentbot/incidentbot/internal/clock"}},
		{"github.com/incidentbot/incidentbot/scheduler", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/bot"}},
		{"github.com/incidentbot/incidentbot/janitor", []string{"github.com/slack-go/slack", "go.etcd.io/bbolt", "github.com/jackc/pgx", "github.com/spf13/viper", "github.com/incidentbot/incidentbot/bot"}},
	}
	for _, tt := range tests {
		out, err := exec.Command("go", "list", "-deps", tt.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", tt.pkg, err)
		}
		deps := strings.Fields(string(out))
		for _, d := range deps {
			for _, f := range tt.forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("%s depends on %s", tt.pkg, d)
				}
			}
		}
	}
}

package config

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

// TestExampleConfig keeps config.example.yaml true: it loads without
// warnings, passes Validate once tokens come from the environment, and its
// values are the defaults (plus the example service).
func TestExampleConfig(t *testing.T) {
	const path = "../config.example.yaml"
	c := mustLoad(t, path, "SLACK_BOT_TOKEN="+secretBot, "SLACK_APP_TOKEN="+secretApp)
	if len(c.Warnings) != 0 {
		t.Errorf("warnings: %q", c.Warnings)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}

	want := Default()
	want.File = path
	want.Slack.BotToken, want.Slack.AppToken = secretBot, secretApp
	want.Services = []Service{{Name: "checkout", Experts: []string{"U0123ABC"}, Runbook: "https://wiki.example.com/runbooks/checkout"}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("the example's values are not the defaults:\n got %s\nwant %s", c, want)
	}
}

// TestExampleConfigDocumentsEveryKey checks that each overridable key, and
// its environment variable, appears in the example.
func TestExampleConfigDocumentsEveryKey(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, key := range scalarKeys {
		leaf := key[strings.LastIndex(key, ".")+1:]
		if !strings.Contains(text, leaf+":") {
			t.Errorf("config.example.yaml does not show %s", key)
		}
		if !strings.Contains(text, EnvName(key)) {
			t.Errorf("config.example.yaml does not name %s", EnvName(key))
		}
	}
}

package sandbox

import (
	"os"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The UI offers the message shortcuts the app's manifest declares, no more.
func TestShortcutsMatchTheManifest(t *testing.T) {
	raw, err := os.ReadFile("../../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Features struct {
			Shortcuts []struct {
				Name       string `yaml:"name"`
				Type       string `yaml:"type"`
				CallbackID string `yaml:"callback_id"`
			} `yaml:"shortcuts"`
		} `yaml:"features"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	var want []Shortcut
	for _, s := range m.Features.Shortcuts {
		if s.Type == "message" {
			want = append(want, Shortcut{Name: s.Name, CallbackID: s.CallbackID})
		}
	}
	if got := ManifestShortcuts(); !slices.Equal(got, want) {
		t.Fatalf("ManifestShortcuts() = %+v, manifest.yaml declares %+v", got, want)
	}
}

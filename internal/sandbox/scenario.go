package sandbox

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// A Scenario is a game day: a drill to declare, then events played into it
// at offsets from the declaration. It is read from a YAML or JSON file.
type Scenario struct {
	// Title and Severity are the drill's ("" severity: the least severe).
	Title    string `yaml:"title" json:"title"`
	Severity string `yaml:"severity" json:"severity"`
	// DeclaredBy is who declares it: a user's name (alice) or ID.
	DeclaredBy string `yaml:"declared_by" json:"declared_by"`
	// Channel is where the drill is declared; default "general".
	Channel string          `yaml:"channel" json:"channel"`
	Events  []ScenarioEvent `yaml:"events" json:"events"`
}

// Kinds of scenario events.
const (
	EventAlert    = "alert"    // the alerts bot posts Text (in Channel, default the drill's)
	EventMessage  = "message"  // User says Text in the drill's channel
	EventRole     = "role"     // User runs `role Role @Who`
	EventUpdate   = "update"   // User posts a status update (Text; Status and Severity optional)
	EventSeverity = "severity" // User runs `severity Severity`
	EventResolve  = "resolve"  // User runs `resolve Text`
)

var eventKinds = []string{EventAlert, EventMessage, EventRole, EventUpdate, EventSeverity, EventResolve}

// ScenarioEvent is one timed event of a scenario.
type ScenarioEvent struct {
	// At is the offset from the declaration, such as "+2m" or "+90s".
	At       string `yaml:"at" json:"at"`
	Kind     string `yaml:"kind" json:"kind"`
	User     string `yaml:"user" json:"user"`
	Channel  string `yaml:"channel" json:"channel"`
	Text     string `yaml:"text" json:"text"`
	Role     string `yaml:"role" json:"role"`
	Who      string `yaml:"who" json:"who"`
	Severity string `yaml:"severity" json:"severity"`
	Status   string `yaml:"status" json:"status"`

	offset time.Duration
}

// Offset is At as a duration (valid once the scenario is loaded).
func (e ScenarioEvent) Offset() time.Duration { return e.offset }

// String names the event in errors and logs: "event 3 (+2m role)".
func (e ScenarioEvent) String() string { return fmt.Sprintf("%s %s", e.At, e.Kind) }

// LoadScenario reads and checks a scenario file: JSON when its name ends in
// .json, YAML otherwise. Unknown keys are errors, so a typo is caught.
func LoadScenario(path string) (*Scenario, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	sc, err := ParseScenario(raw, strings.EqualFold(filepath.Ext(path), ".json"))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	return sc, nil
}

// ParseScenario decodes and checks a scenario; asJSON picks the format.
// Events are ordered by offset (those at the same offset keep file order).
func ParseScenario(raw []byte, asJSON bool) (*Scenario, error) {
	var sc Scenario
	if asJSON {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&sc); err != nil {
			return nil, err
		}
	} else {
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&sc); err != nil {
			return nil, err
		}
	}
	if err := sc.check(); err != nil {
		return nil, err
	}
	slices.SortStableFunc(sc.Events, func(a, b ScenarioEvent) int { return cmp.Compare(a.offset, b.offset) })
	return &sc, nil
}

func (sc *Scenario) check() error {
	sc.Title = strings.TrimSpace(sc.Title)
	if sc.Title == "" {
		return errors.New("title is empty: give the drill a title, such as \"DB failover\"")
	}
	if sc.DeclaredBy == "" {
		return errors.New("declared_by is empty: name the person who declares the drill, such as alice")
	}
	if sc.Channel == "" {
		sc.Channel = "general"
	}
	for i := range sc.Events {
		e := &sc.Events[i]
		where := fmt.Sprintf("event %d (%s)", i+1, e)
		d, err := parseOffset(e.At)
		if err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		e.offset = d
		if !slices.Contains(eventKinds, e.Kind) {
			return fmt.Errorf("%s: kind %q is not one of %s", where, e.Kind, strings.Join(eventKinds, ", "))
		}
		need := map[string]string{}
		switch e.Kind {
		case EventAlert:
			need["text"] = e.Text
		case EventMessage, EventUpdate:
			need["user"], need["text"] = e.User, e.Text
		case EventRole:
			need["user"], need["role"], need["who"] = e.User, e.Role, e.Who
		case EventSeverity:
			need["user"], need["severity"] = e.User, e.Severity
		case EventResolve:
			need["user"] = e.User
		}
		for _, k := range []string{"user", "text", "role", "who", "severity"} {
			if v, ok := need[k]; ok && strings.TrimSpace(v) == "" {
				return fmt.Errorf("%s: a %s event needs %s", where, e.Kind, k)
			}
		}
	}
	return nil
}

// parseOffset reads "+2m", "90s" or "+1h30m"; negative offsets are refused.
func parseOffset(at string) (time.Duration, error) {
	s := strings.TrimPrefix(strings.TrimSpace(at), "+")
	if s == "" {
		return 0, errors.New(`at is empty: give an offset from the declaration, such as "+2m"`)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("at %q is not an offset such as \"+2m\" or \"+90s\"", at)
	}
	return d, nil
}

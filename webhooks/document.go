package webhooks

import (
	"encoding/json"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
)

// Document is the body of every delivery, in Standard Webhooks' shape:
// type, timestamp (when the event happened) and data. Its fields are
// contract (docs/webhooks.md): add, never rename.
type Document struct {
	Type      string    `json:"type"`
	Timestamp time.Time `json:"timestamp"`
	Data      Data      `json:"data"`
}

// Data is what happened: the incident as of the event, who did it, and
// the fields of that event type (empty ones are left out).
type Data struct {
	Incident Incident `json:"incident"`
	// Seq orders the incident's events; a receiver that sees a lower one
	// than it already has is looking at a redelivery.
	Seq   uint64 `json:"seq"`
	Actor string `json:"actor,omitempty"`
	// severity_changed, role_assigned: the old and new value.
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
	Role string `json:"role,omitempty"`
	// updated: the update; resolved: the resolution; action_item.created:
	// the action item.
	Text       string     `json:"text,omitempty"`
	NextSteps  string     `json:"next_steps,omitempty"`
	NextUpdate *time.Time `json:"next_update,omitempty"`
	Owner      string     `json:"owner,omitempty"`
}

// Incident is the incident as of the event. ChannelID and URL are where it
// lives in Slack now: null until its channel exists.
type Incident struct {
	ID        string          `json:"id"`
	Number    uint64          `json:"number"`
	UUID      string          `json:"uuid"`
	Title     string          `json:"title"`
	Severity  string          `json:"severity"`
	Status    incident.Status `json:"status"`
	Service   *string         `json:"service"`
	Commander *string         `json:"commander"`
	Private   bool            `json:"private"`
	Drill     bool            `json:"drill"`
	ChannelID *string         `json:"channel_id"`
	URL       *string         `json:"url"`
}

// ChannelURL links to a Slack channel by ID: Slack redirects it to the
// channel in the reader's workspace, app or browser.
func ChannelURL(channelID string) string {
	return "https://slack.com/app_redirect?channel=" + channelID
}

// Render builds the body of pl's delivery; channelID is the incident's
// channel as of now ("" while it does not exist).
func Render(pl commands.WebhookPayload, channelID string) ([]byte, error) {
	s := pl.Incident
	doc := Document{Type: pl.Type, Timestamp: pl.Event.At.UTC(), Data: Data{
		Incident: Incident{
			ID: incident.FormatID(s.Number), Number: s.Number, UUID: s.UUID, Title: s.Title, Severity: s.Severity, Status: s.Status,
			Service: orNull(s.Service), Commander: orNull(s.Commander), Private: s.Private, Drill: s.Drill, ChannelID: orNull(channelID),
		},
		Seq: pl.Event.Seq, Actor: pl.Event.Actor,
	}}
	if channelID != "" {
		u := ChannelURL(channelID)
		doc.Data.Incident.URL = &u
	}
	ev, d := pl.Event, &doc.Data
	switch pl.Type {
	case incident.TypeSeverityChanged:
		d.From, d.To = ev.From, ev.To
	case incident.TypeRoleAssigned:
		d.Role, d.From, d.To = ev.Role, ev.From, ev.To
	case incident.TypeUpdated:
		d.Text, d.NextSteps = ev.Text, ev.NextSteps
		if !ev.NextUpdate.IsZero() {
			t := ev.NextUpdate.UTC()
			d.NextUpdate = &t
		}
	case incident.TypeResolved:
		d.Text = ev.Text
	case incident.TypeActionItemCreated:
		d.Text, d.Owner = ev.Text, ev.To
	}
	return json.Marshal(doc)
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

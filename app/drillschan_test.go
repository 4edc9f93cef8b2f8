package app_test

import (
	"io"
	"net/http"
	"slices"
	"testing"

	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// The drills channel is checked at start-up the way the announce channel
// is: one the bot cannot use is reported by /readyz (still 200: drills and
// incidents still work) and in the log, naming incidents.drills_channel,
// and a failed drill announcement says on the timeline what to fix.
func TestUnusableDrillsChannelIsReported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(emu *slackemu.Server) string
		want  string // in the /readyz line, the log and the timeline
		code  string // what Slack answered the drill's announcement
	}{
		{"private, bot not invited", func(emu *slackemu.Server) string {
			return emu.CreateChannel("game-days", true, alice, bob)
		}, ": not found: either it is a private channel the bot is not a member of (invite it with /invite @incidentbot in that channel) or it does not exist (fix incidents.drills_channel)", "channel_not_found"},
		{"no such channel", func(*slackemu.Server) string { return "C0GONE404" },
			": not found: either it is a private channel the bot is not a member of (invite it with /invite @incidentbot in that channel) or it does not exist (fix incidents.drills_channel)", "channel_not_found"},
		{"archived", func(emu *slackemu.Server) string {
			id := emu.CreateChannel("old-drills", false, emu.BotUserID(), alice)
			api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
			if err := api.ArchiveConversation(id); err != nil {
				t.Fatal(err)
			}
			return id
		}, " (#old-drills): archived: unarchive it or set incidents.drills_channel to another channel", "is_archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, manifestScopes(t), func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" })
			id := tt.setup(w.emu)
			w.cfg.Incidents.DrillsChannel = id
			w.restart()
			w.unusableChannelReported(t, id, "drills channel "+id+tt.want, "drill SEV2 db failover", tt.code)
		})
	}
}

// A public drills channel nobody invited the bot to is joined at start-up,
// as the announce channel is, so a retried drill announcement can read it
// back; /readyz has nothing to warn about.
func TestPublicDrillsChannelIsJoinedAtStartUp(t *testing.T) {
	t.Parallel()
	w := newWorld(t, manifestScopes(t), func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" })
	drills := w.emu.CreateChannel("drills-public", false, alice, bob)
	w.cfg.Incidents.DrillsChannel = drills
	w.restart()
	joined := slices.ContainsFunc(w.emu.Calls("conversations.join"), func(c slackemu.Call) bool {
		return c.OK && c.Args["channel"] == drills
	})
	if !joined {
		t.Fatal("the bot did not join the drills channel")
	}
	if body := readyz(t, w); body != "ok\n" {
		t.Fatalf("/readyz:\n%s", body)
	}
}

// readyz is the body of the ops listener's /readyz, which must answer 200.
func readyz(t *testing.T, w *world) string {
	t.Helper()
	resp, err := http.Get("http://" + w.app.OpsAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("/readyz %d:\n%s", resp.StatusCode, body)
	}
	return string(body)
}

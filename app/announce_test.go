package app_test

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"go.yaml.in/yaml/v3"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// manifestScopes gives the emulated bot token exactly the scopes
// manifest.yaml asks for, so a scope the features need but the manifest
// lacks fails here as it would at Slack.
func manifestScopes(t *testing.T) func(*slackemu.Options) {
	t.Helper()
	raw, err := os.ReadFile("../manifest.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		OAuth struct {
			Scopes struct {
				Bot []string `yaml:"bot"`
			} `yaml:"scopes"`
		} `yaml:"oauth_config"`
	}
	if err := yaml.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return func(o *slackemu.Options) { o.Scopes = m.OAuth.Scopes.Bot }
}

// moveAnnouncements restarts the bot with channel as its announce channel.
func (w *world) moveAnnouncements(channel string) {
	w.t.Helper()
	w.cfg.Incidents.AnnounceChannel = channel
	w.announce = channel
	w.restart()
}

// The announce channel is public and nobody invited the bot: it posts there
// with chat:write.public. Its first try at the announcement fails (a 500,
// or Slack posts it and the answer is lost), and so do the first tries of a
// later update in the announcement's thread. Each still appears, once.
func TestAnnouncingInAPublicChannelTheBotWasNeverInvitedTo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		fault slackemu.Fault
		// joinFailures makes the bot's first conversations.join calls fail,
		// so it is still not a member when a retry reads the channel back.
		joinFailures int
	}{
		{"a 500", slackemu.Fault{Status: 500, Times: 1}, 0},
		{"the answer lost after the post", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1}, 0},
		{"the answer lost, and joining failed until the read-back", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, manifestScopes(t), nil)
			public := w.emu.CreateChannel("announcements-public", false, alice, bob)
			if tt.joinFailures > 0 {
				w.emu.Fail("conversations.join", slackemu.Fault{Status: 503, Times: tt.joinFailures})
			}
			w.moveAnnouncements(public)

			// The announcement's post fails (it runs beside the card's).
			fault := tt.fault
			fault.Channel = public
			w.emu.Fail("chat.postMessage", fault)
			w.slash(alice, public, "declare SEV3 checkout slow")
			ch := w.declared(1, "", alice)
			failed := 0
			for _, c := range w.emu.Calls("chat.postMessage") {
				if c.Status != 200 {
					if c.Args["channel"] != public {
						t.Fatalf("the fault hit a post in %v, not the announcement", c.Args["channel"])
					}
					failed++
				}
			}
			if failed != 1 {
				t.Fatalf("%d announcement posts failed, want 1", failed)
			}
			if tt.joinFailures > 0 {
				// The read-back was refused, the bot joined, and read again.
				var reads []string
				for _, c := range w.emu.Calls("conversations.history") {
					reads = append(reads, c.Error)
				}
				if len(reads) != 2 || reads[0] != "not_in_channel" || reads[1] != "" {
					t.Fatalf("read-backs answered %q, want not_in_channel then ok", reads)
				}
			}
			if got := w.announcements(); len(got) != 1 {
				t.Fatalf("%d announcements, want 1: %+v", len(got), got)
			}
			inc := w.incident(1)
			if inc.AnnounceTS != w.announcements()[0].TS {
				t.Fatalf("AnnounceTS %q, announcement at %s", inc.AnnounceTS, w.announcements()[0].TS)
			}

			// An escalation goes in the announcement's thread; every post's
			// first answer is lost.
			w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 502, AfterEffect: true, Times: 4})
			w.slash(bob, ch.ID, "severity sev1")
			w.idle()
			said := "changed the severity of *INC-1* from *SEV3* to *SEV1*"
			if n := len(w.lcPosted(ch.ID, said)); n != 1 {
				t.Fatalf("%d messages in the incident channel say it", n)
			}
			if thread := w.lcThread(inc); len(thread) != 1 || !strings.Contains(blocksText(thread[0].Blocks), said) {
				t.Fatalf("announcement thread %+v", thread)
			}
			for _, ev := range w.events(1) {
				if ev.Kind == incident.EventDeliveryFailed {
					t.Fatalf("timeline: %s", ev.Text)
				}
			}
		})
	}
}

// The summary card is posted but the answer is lost; by the retry, people
// have said 250 things in the channel. The retry still finds the card.
func TestLostCardAnswerThenABusyChannelStillOneCard(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	chatter := func() {
		for _, c := range w.emu.Channels() {
			if strings.HasPrefix(c.Name, "inc-1-") {
				for i := range 250 {
					if _, err := w.emu.PostUserMessage(c.ID, alice, "still seeing 500s, try "+string(rune('a'+i%26))); err != nil {
						t.Error(err)
					}
				}
			}
		}
	}
	w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 502, AfterEffect: true, Times: 1, OnCall: chatter})
	w.slash(alice, w.announce, "declare SEV2 db down")
	ch := w.declared(1, "", alice)
	cards, people := 0, 0
	for _, m := range w.emu.Messages(ch.ID) {
		if strings.Contains(blocksText(m.Blocks), `"action_id":"role:commander"`) {
			cards++
		}
		if m.User == alice {
			people++
		}
	}
	if people != 250 {
		t.Fatalf("%d messages from people, want 250", people)
	}
	if cards != 1 {
		t.Fatalf("%d summary cards", cards)
	}
}

// An announce channel the bot cannot use is reported by /readyz (which
// stays 200: declarations still work) and in the log, and a failed
// announcement says on the timeline what to fix.
func TestUnusableAnnounceChannelIsReported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(emu *slackemu.Server) string
		want  string // in the /readyz line, the log and the timeline
		code  string // what Slack answered the announcement
	}{
		{"private, bot not invited", func(emu *slackemu.Server) string {
			return emu.CreateChannel("war-room", true, alice, bob)
		}, ": not found: either it is a private channel the bot is not a member of (invite it with /invite @incidentbot", "channel_not_found"},
		{"no such channel", func(*slackemu.Server) string { return "C0GONE404" },
			": not found: either it is a private channel the bot is not a member of (invite it with /invite @incidentbot in that channel) or it does not exist (fix incidents.announce_channel)", "channel_not_found"},
		{"archived", func(emu *slackemu.Server) string {
			id := emu.CreateChannel("old-news", false, emu.BotUserID(), alice)
			api := slack.New(emu.BotToken(), slack.OptionAPIURL(emu.APIURL()))
			if err := api.ArchiveConversation(id); err != nil {
				t.Fatal(err)
			}
			return id
		}, " (#old-news): archived: unarchive it or set incidents.announce_channel to another channel", "is_archived"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t, manifestScopes(t), func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" })
			id := tt.setup(w.emu)
			w.moveAnnouncements(id)
			w.unusableChannelReported(t, id, "announce channel "+id+tt.want, "declare SEV2 db down", tt.code)
		})
	}
}

// unusableChannelReported checks what the bot says of channel id, which it
// cannot use: line is a warning of /readyz (still 200 and "ok") and in the
// log; and once the slash text declare has declared INC-1, its timeline
// records the failed announcement, with Slack's code and line.
func (w *world) unusableChannelReported(t *testing.T, id, line, declare, code string) {
	t.Helper()
	if body := readyz(t, w); !strings.HasPrefix(body, "ok\n") || !strings.Contains(body, "\nwarning: "+line) {
		t.Fatalf("/readyz:\n%s", body)
	}
	if !strings.Contains(w.logs.String(), line) {
		t.Fatalf("the log does not say it:\n%s", grepLines(w.logs.String(), id))
	}
	w.slash(alice, w.emu.CreateChannel("elsewhere", false, alice), declare)
	w.declared(1, "", alice)
	var said string
	for _, ev := range w.events(1) {
		if ev.Kind == incident.EventDeliveryFailed {
			said = ev.Text
		}
	}
	if !strings.Contains(said, code) || !strings.Contains(said, line) {
		t.Fatalf("timeline says %q", said)
	}
}

// Without channels:join (an app installed from an older manifest) the bot
// cannot read the channel back; a failed announcement is posted anyway
// rather than lost, with a warning, and /readyz says what to add.
func TestWithoutChannelsJoinAFailedAnnouncementIsStillPosted(t *testing.T) {
	t.Parallel()
	var scopes []string
	w := newWorld(t, func(o *slackemu.Options) {
		manifestScopes(t)(o)
		for _, s := range o.Scopes {
			if s != "channels:join" {
				scopes = append(scopes, s)
			}
		}
		o.Scopes = scopes
	}, func(c *config.Config) { c.HTTP.Listen = "127.0.0.1:0" })
	public := w.emu.CreateChannel("announcements-public", false, alice, bob)
	w.moveAnnouncements(public)
	w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 500, Times: 1, Channel: public})
	w.slash(alice, public, "declare SEV3 checkout slow")
	w.declared(1, "", alice)
	if got := w.announcements(); len(got) != 1 || w.incident(1).AnnounceTS != got[0].TS {
		t.Fatalf("announcements %+v", got)
	}
	if !strings.Contains(w.logs.String(), "posting anyway") {
		t.Fatalf("no warning that it posted without reading back:\n%s", grepLines(w.logs.String(), public))
	}
	resp, err := http.Get("http://" + w.app.OpsAddr() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "cannot join (missing_scope: the app needs channels:join)") {
		t.Fatalf("/readyz %d:\n%s", resp.StatusCode, body)
	}
}

// The announcement's thread already holds 250 replies from people when an
// update's first try lands there and its answer is lost. The retry reads
// the whole thread and posts nothing twice.
func TestLostThreadAnswerInALongThreadStillOneUpdate(t *testing.T) {
	t.Parallel()
	w := newWorld(t, nil, nil)
	inc, ch := w.lcIncident(1, "SEV3", "checkout slow")
	for i := range 250 {
		if _, err := w.emu.PostUserReply(w.announce, inc.AnnounceTS, bob, "any news? "+string(rune('a'+i%26))); err != nil {
			t.Fatal(err)
		}
	}
	w.emu.Fail("chat.postMessage", slackemu.Fault{Status: 502, AfterEffect: true, Times: 2})
	w.slash(bob, ch.ID, "severity sev1")
	w.idle()
	said := "changed the severity of *INC-1* from *SEV3* to *SEV1*"
	if thread := w.lcThread(inc); len(w.lcPosted(w.announce, said)) != 1 || len(thread) != 251 {
		t.Fatalf("%d messages in the thread, %d say it", len(thread), len(w.lcPosted(w.announce, said)))
	}
	if n := len(w.lcPosted(ch.ID, said)); n != 1 {
		t.Fatalf("%d messages in the incident channel say it", n)
	}
}

package sandbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// A sandbox with a data folder carries on after a restart: the incident
// declared before it still has its channel and its pinned card, the bot can
// still act on them, and the next incident gets a channel of its own.
func TestDataFolderResumesAfterARestart(t *testing.T) {
	data := t.TempDir()
	first, stop := startSandboxIn(t, data, nil)
	announce := first.state(alice, "").Channel
	first.mustPost("/api/slash", map[string]string{"user": alice, "channel": announce, "text": "/incident declare SEV2 db down"})
	first.idle()
	before, ok := first.Emulator().ChannelByName("inc-1-db-down")
	if !ok {
		t.Fatal("no incident channel")
	}
	card := pinned(t, first.Emulator(), before.ID)
	oldIDs := map[string]bool{}
	for _, c := range first.Emulator().Channels() {
		oldIDs[c.ID] = true
	}
	stop()

	second, _ := startSandboxIn(t, data, nil)
	emu := second.Emulator()
	after, ok := emu.ChannelByName("inc-1-db-down")
	if !ok || after.ID != before.ID || !strings.Contains(second.state(alice, after.ID).Messages, "INC-1 · db down") {
		t.Fatalf("after the restart INC-1's channel is %+v (was %s)", after, before.ID)
	}
	if got := pinned(t, emu, after.ID); got.TS != card.TS {
		t.Fatalf("the pinned card is %s, was %s", got.TS, card.TS)
	}
	if second.state(alice, "").Channel != announce {
		t.Fatal("#announcements changed")
	}

	// The store and the workspace agree: the bot edits the same card.
	second.mustPost("/api/slash", map[string]string{"user": alice, "channel": after.ID, "text": "/incident severity SEV1"})
	second.idle()
	if got := pinned(t, emu, after.ID); got.TS != card.TS || got.Updates == 0 || !strings.Contains(string(got.Blocks), "SEV1") {
		t.Fatalf("the card was not updated in place: %+v", got)
	}

	second.mustPost("/api/slash", map[string]string{"user": alice, "channel": announce, "text": "/incident declare SEV3 cache cold"})
	second.idle()
	next, ok := emu.ChannelByName("inc-2-cache-cold")
	if !ok || oldIDs[next.ID] {
		t.Fatalf("INC-2's channel %+v reuses an old ID", next)
	}
	for _, m := range emu.Messages(after.ID) {
		if strings.Contains(m.Text+string(m.Blocks), "INC-2") {
			t.Fatalf("INC-2 wrote into INC-1's channel: %+v", m)
		}
	}
	if p := emu.Problems(); len(p) > 0 {
		t.Fatalf("Slack would have shown errors: %+v", p)
	}
}

func pinned(t *testing.T, emu *slackemu.Server, channel string) slackemu.Message {
	t.Helper()
	for _, m := range emu.Messages(channel) {
		if m.Pinned {
			return m
		}
	}
	t.Fatalf("nothing is pinned in %s", channel)
	return slackemu.Message{}
}

// store.path names a real bot's store; the sandbox never opens it, with a
// data folder or without.
func TestStorePathIsNeverUsed(t *testing.T) {
	real := filepath.Join(t.TempDir(), "real.db")
	for _, data := range []string{"", t.TempDir()} {
		r, stop := startSandboxIn(t, data, func(c *config.Config) { c.Store.Path = real })
		if r.StorePath() == real {
			t.Fatalf("the sandbox uses %s", real)
		}
		stop()
	}
	if _, err := os.Stat(real); !os.IsNotExist(err) {
		t.Fatalf("%s was created (%v)", real, err)
	}
}

// A data folder whose store lost its workspace is refused: the workspace
// would hand out the channel IDs that the store's incidents hold.
func TestDataFolderWithoutWorkspaceIsRefused(t *testing.T) {
	data := t.TempDir()
	_, stop := startSandboxIn(t, data, nil)
	stop()
	if err := os.Remove(filepath.Join(data, WorkspaceFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Open(Options{Listen: "127.0.0.1:0", Config: config.Default(), DataDir: data})
	if err == nil || !strings.Contains(err.Error(), WorkspaceFile) {
		t.Fatalf("err = %v", err)
	}
}

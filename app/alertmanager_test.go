package app_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/incident"
)

// alertmanager is a real Alertmanager (Debian's prometheus-alertmanager)
// whose only receiver is the bot's webhook.
type alertmanager struct {
	t   *testing.T
	url string
	out *syncBuffer
}

// freePort returns a loopback address nobody listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// requireAlertmanager skips the test, in one line, without Debian's
// Alertmanager and amtool; it returns the server's path.
func requireAlertmanager(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus-alertmanager")
	if err == nil {
		_, err = exec.LookPath("amtool")
	}
	if err != nil {
		t.Skip("prometheus-alertmanager or amtool is not installed (apt-get install prometheus-alertmanager); skipping the Alertmanager end-to-end test")
	}
	return bin
}

// readmeBlock returns the first ```yaml block after heading in README.md.
func readmeBlock(t *testing.T, heading, mustHave string) string {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("README.md has no %q section", heading)
	}
	_, rest, ok := strings.Cut(readme[i:], "```yaml\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed || !strings.Contains(block, mustHave) {
		t.Fatalf("README.md's %q section has no yaml block with %q", heading, mustHave)
	}
	return block
}

// readmeReceiver is the README's copy-paste Alertmanager configuration,
// pointed at webhook with the token in tokenFile, and with the shortest
// timers Alertmanager allows: a group is sent as soon as it forms
// (group_wait 0s), and its changes a second later (group_interval 1s).
func readmeReceiver(t *testing.T, webhook, tokenFile string) string {
	t.Helper()
	cfg := readmeBlock(t, "### Alertmanager", "webhook_configs")
	for _, r := range []struct{ old, new string }{
		{"http://incidentbot.internal:8089/hooks/alertmanager", webhook},
		{"/etc/alertmanager/incidentbot-token", tokenFile},
		{"route:\n", "route:\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n"},
	} {
		if !strings.Contains(cfg, r.old) {
			t.Fatalf("README.md's Alertmanager block no longer has %q:\n%s", r.old, cfg)
		}
		cfg = strings.Replace(cfg, r.old, r.new, 1)
	}
	return cfg
}

// startAlertmanager runs Alertmanager with the README's receiver block
// (see readmeReceiver). It skips the test without the binary.
func startAlertmanager(t *testing.T, webhook, token string) *alertmanager {
	t.Helper()
	bin := requireAlertmanager(t)
	dir := t.TempDir()
	tokenFile := filepath.Join(dir, "incidentbot-token")
	if err := os.WriteFile(tokenFile, []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := readmeReceiver(t, webhook, tokenFile)
	path := filepath.Join(dir, "alertmanager.yml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+path, "--storage.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--cluster.listen-address=", "--log.level=debug")
	am := &alertmanager{t: t, url: "http://" + addr, out: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = am.out, am.out
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	t.Cleanup(func() {
		once.Do(func() {
			cancel()
			_ = cmd.Wait()
			if t.Failed() {
				t.Logf("alertmanager's log:\n%s", am.out.String())
			}
		})
	})
	eventually(t, 20*time.Second, "alertmanager ready", func() bool {
		resp, err := http.Get(am.url + "/-/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return am
}

// add fires (or, with ends in the past, resolves) an alert through amtool.
func (am *alertmanager) add(starts, ends time.Time, labels ...string) {
	am.t.Helper()
	args := []string{"alert", "add", "--alertmanager.url=" + am.url, "--no-version-check",
		"--annotation=summary=Checkout is down", "--annotation=description=Probes fail from every region",
		"--generator-url=http://prometheus.example:9090/graph", "--start=" + starts.UTC().Format(time.RFC3339)}
	if !ends.IsZero() {
		args = append(args, "--end="+ends.UTC().Format(time.RFC3339))
	}
	out, err := exec.Command("amtool", append(args, labels...)...).CombinedOutput()
	if err != nil {
		am.t.Fatalf("amtool %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// eventually polls cond until it holds or the deadline passes. It waits on
// Alertmanager's real timers, which no fake clock reaches.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: still waiting for %s", within, what)
		}
		<-tick.C
	}
}

// The real Alertmanager, configured with a webhook receiver pointing at
// the bot: amtool fires a critical alert, the bot declares; a second alert
// and both resolving are on the timeline, and the channel is offered
// Resolve.
func TestRealAlertmanager(t *testing.T) {
	t.Parallel() // self-contained and slow: it overlaps the others
	requireAlertmanager(t)
	w, _ := alertWorld(t, nil)
	am := startAlertmanager(t, "http://"+w.app.OpsAddr()+"/hooks/alertmanager", opsToken)
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	labels := func(instance string) []string {
		return []string{"alertname=CheckoutDown", "severity=critical", "service=checkout", "instance=" + instance}
	}

	// The store is polled, not the bot's answer to Alertmanager: a commit
	// is visible a moment before it wakes the outbox, so each wait is for
	// the outcome in Slack, not for the commit.
	am.add(start, time.Time{}, labels("web-1")...)
	eventually(t, 30*time.Second, "INC-1 declared from the alert, with its card", func() bool {
		return w.incidentCount() == 1 && w.incident(1).CardTS != ""
	})
	ch := w.declared(1, "Checkout is down", carol)
	inc := w.incident(1)
	if inc.Severity != "SEV1" || inc.Service != "checkout" || inc.DeclaredBy != "alertmanager" || !strings.Contains(inc.Summary, "Probes fail from every region") {
		t.Fatalf("incident %+v", inc)
	}

	am.add(start, time.Time{}, labels("web-2")...)
	eventually(t, 30*time.Second, "the channel told web-2 fires", func() bool {
		_, ok := w.channelSays(ch.ID, "CheckoutDown instance=web-2")
		return ok
	})
	if got := w.alertNotes(1); len(got) != 2 {
		t.Fatalf("timeline %q", got)
	}

	ended := time.Now().Add(-time.Second).Truncate(time.Second)
	am.add(start, ended, labels("web-1")...)
	am.add(start, ended, labels("web-2")...)
	var offer string
	eventually(t, 30*time.Second, "the resolution offer", func() bool {
		m, ok := w.channelSays(ch.ID, "Every alert of this incident's Alertmanager group has resolved")
		offer = m.TS
		return ok
	})
	want := []string{
		"Alert firing: CheckoutDown instance=web-1 — Checkout is down",
		"Alert firing: CheckoutDown instance=web-2 — Checkout is down",
	}
	got := w.alertNotes(1)
	if len(got) != 4 || !slices.Equal(got[:2], want) || !slices.Contains(got, "Alert resolved: CheckoutDown instance=web-1 — Checkout is down") || !slices.Contains(got, "Alert resolved: CheckoutDown instance=web-2 — Checkout is down") {
		t.Fatalf("timeline %q", got)
	}
	if w.incidentCount() != 1 || !w.incident(1).Open() {
		t.Fatal("one open incident expected until someone clicks Resolve")
	}
	for _, e := range w.events(1) {
		if e.Kind == incident.EventNote && strings.HasPrefix(e.Text, "Alert firing") && e.Link != "http://prometheus.example:9090/graph" {
			t.Fatalf("event link %q", e.Link)
		}
	}

	// Resolve, offered by the bot, resolves.
	if _, err := w.emu.ClickButton(w.ctx(), alice, ch.ID, offer, "alert_resolve", ""); err != nil {
		t.Fatal(err)
	}
	w.idle()
	if inc := w.incident(1); inc.Open() {
		t.Fatal("Resolve did not resolve")
	}
}

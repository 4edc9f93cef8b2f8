package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// chromium is Debian's chromium package; CI installs it.
const chromium = "/usr/bin/chromium"

// Environment variables of the browser test.
const (
	// envScreenshots names a directory for the screenshots of each step
	// (default: a temporary directory of the test).
	envScreenshots = "SANDBOX_SCREENSHOTS"
	// envReadmeShot names a file to write the README's screenshot to: the
	// incident channel right after the declaration.
	envReadmeShot = "SANDBOX_README_SHOT"
)

// TestBrowserWalkthrough drives the sandbox in headless Chromium the way a
// person would: declare through the modal (and see the bot's validation
// error on its field), watch the channel appear, read the pinned card, give
// the comms role with the card's select, post an update through the modal,
// resolve, draft the postmortem and open it. Each step asserts on what the
// page shows and leaves a screenshot. A step whose feature the bot answers is
// "not available yet" is skipped, saying so; the others still run.
func TestBrowserWalkthrough(t *testing.T) {
	if _, err := os.Stat(chromium); err != nil {
		t.Skipf("%s is not installed (apt-get install chromium); the browser test needs it", chromium)
	}
	shots := os.Getenv(envScreenshots)
	if shots == "" {
		shots = t.TempDir()
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	sb := startSandbox(t, nil)
	b := newBrowser(t, shots)

	b.do("open the sandbox", chromedp.EmulateViewport(1280, 960), chromedp.Navigate(sb.URL()))
	b.wait("the bot to connect", `document.querySelector('#conn').dataset.connected === 'true'`)
	b.waitText("the announcements channel to open", "#header", "announcements")
	b.shot("start")

	const title = "Checkout returns 500s"
	const channel = "inc-1-checkout-returns-500s"
	// The later steps need the incident: stop at once if these fail.
	declared := t.Run("declare through the modal", func(t *testing.T) {
		b := b.on(t)
		b.compose("/incident declare")
		b.waitText("the declare modal", "#modal-overlay .modal-title", "Declare an incident")
		b.fill(`form.modal [name="title"]`, "   ")
		b.fill(`form.modal [name="severity"]`, "SEV2")
		b.fill(`form.modal [name="summary"]`, "Checkout answers 500 to a third of requests since the 10:02 deploy.")
		b.fill(`form.modal [name="service"]`, "checkout")
		b.click("submit", `form.modal button[type="submit"]`)
		msg := b.waitText("the bot's error on the title field", `form.modal .bk-input.has-error[data-block-id="title"] .bk-error`, "title")
		t.Logf("the bot answered on the title field: %q", msg)
		if got := b.eval(`document.querySelector('form.modal [name="summary"]').value`); got != "Checkout answers 500 to a third of requests since the 10:02 deploy." {
			t.Fatalf("the form lost what was typed: summary = %q", got)
		}
		b.shot("declare-error-on-field")
		b.fill(`form.modal [name="title"]`, "")
		b.do("give a real title", chromedp.SendKeys(chromedp.CSS(`form.modal [name="title"]`), title))
		b.click("submit", `form.modal button[type="submit"]`)
		b.wait("the modal to close", `document.querySelector('#modal-overlay').hidden`)
	})
	opened := declared && t.Run("the new channel appears with the pinned card", func(t *testing.T) {
		b := b.on(t)
		b.waitText("the new channel in the sidebar, marked unread", "#sidebar a.chan.unread", channel)
		b.click("open it", `#sidebar a.chan.incident`)
		b.waitText("the pinned card's header", "#messages .msg.pinned .bk-header", "INC-1 · "+title)
		b.waitText("the pinned marker", "#messages .msg.pinned .pin-marker", "Pinned")
		b.waitText("the card's facts", `#messages .msg.pinned [data-block-id="facts"]`, "SEV2")
		b.waitText("the runbook bookmark", "#header .bookmark", "runbook")
		b.waitText("the topic", "#header .ch-topic", "SEV2")
		b.waitText("the welcome message", "#messages .msg:not(.pinned)", "What to do now")
		if path := os.Getenv(envReadmeShot); path != "" {
			b.shotTo(path)
		}
		b.shot("incident-channel")
	})
	if !opened {
		t.FailNow()
	}

	t.Run("user text shows as text", func(t *testing.T) {
		b := b.on(t)
		b.compose(`<b>not bold</b> <script>window.__pwned = 1</script> @bob`)
		b.waitText("the message, literally", "#messages .msg:last-child .bk-text", "<b>not bold</b> <script>window.__pwned = 1</script> @Bob Berg")
		if got := b.eval(`window.__pwned === undefined && document.querySelector('#messages .msg:last-child .bk-text b') === null`); got != true {
			t.Fatal("the message became markup")
		}
	})

	t.Run("the announcement", func(t *testing.T) {
		b := b.on(t)
		b.click("open #announcements", `#sidebar a.chan[href$="`+sb.state(alice, "").Channel+`"]`)
		b.waitText("the announcement", "#messages .msg .bk-header", "INC-1 · "+title)
		b.waitText("its link to the channel", "#messages .msg .channel-link", channel)
		b.shot("announcement")
		b.click("follow the channel link", `#messages .msg .channel-link`)
		b.waitText("the incident channel", "#header .ch-name", channel)
	})

	t.Run("assign the comms lead with the card's select", func(t *testing.T) {
		b := b.on(t)
		if !b.available("/incident role ops @carol",
			`section('role-ops').includes('Carol Chen')`) {
			t.Skip("roles are not available yet in this build of the bot")
		}
		b.choose(`#messages .msg.pinned select[data-action-id="role:comms"]`, bob)
		b.wait("Bob on the card as comms lead", `section('role-comms').includes('Bob Berg')`)
		b.shot("roles")
	})

	t.Run("post an update through the modal", func(t *testing.T) {
		b := b.on(t)
		if !b.available("/incident update", `modalTitle().toLowerCase().includes('update')`) {
			t.Skip("status updates are not available yet in this build of the bot")
		}
		b.click("cancel it", `form.modal .modal-foot [data-close]`)
		b.wait("the modal to close", `document.querySelector('#modal-overlay').hidden`)
		b.click("click the card's button", `#messages .msg.pinned button[data-action-id="update"]`)
		b.wait("the update modal", `modalTitle().toLowerCase().includes('update')`)
		const summary = "Rolled back the 10:02 deploy; the error rate is falling."
		b.fill(`form.modal [name="summary"]`, summary)
		if b.eval(`!!document.querySelector('form.modal select[name="status"] option[value="monitoring"]')`) == true {
			b.fill(`form.modal [name="status"]`, "monitoring")
		}
		b.click("submit the update", `form.modal button[type="submit"]`)
		b.wait("the modal to close", `document.querySelector('#modal-overlay').hidden`)
		b.waitText("the update in the channel", "#messages .msg", summary)
		b.shot("update")

		b.click("open #announcements", `#sidebar a.chan[href$="`+sb.state(alice, "").Channel+`"]`)
		b.waitText("the announcement's thread", "#messages details.thread summary", "repl")
		b.click("open the thread", `#messages details.thread summary`)
		b.waitText("the update in the thread", "#messages details.thread .replies", summary)
		b.shot("announcement-thread")
		b.click("back to the incident", `#sidebar a.chan.incident`)
		b.waitText("the incident channel", "#header .ch-name", channel)
	})

	t.Run("resolve", func(t *testing.T) {
		b := b.on(t)
		if !b.available("/incident resolve Rolled back the bad deploy", `section('facts').includes('Resolved')`) {
			t.Skip("resolving is not available yet in this build of the bot")
		}
		b.shot("resolved")
	})

	t.Run("draft the postmortem and open it", func(t *testing.T) {
		b := b.on(t)
		if !b.available("/incident postmortem", `!!document.querySelector('#messages .file-card')`) {
			t.Skip("postmortems are not available yet in this build of the bot")
		}
		b.click("open the file", `#messages .file-card`)
		b.waitText("the rendered postmortem", "#file-overlay .file-body h1", "INC-1")
		b.wait("its sections", `document.querySelectorAll('#file-overlay .file-body h2').length >= 3`)
		b.waitText("its title", "#file-overlay .file-body", title)
		b.shot("postmortem")
		b.click("close it", `#file-close`)
		b.wait("the viewer to close", `document.querySelector('#file-overlay').hidden`)
	})

	if errs := b.pageErrors(); len(errs) > 0 {
		t.Fatalf("the page threw: %v", errs)
	}
	t.Logf("screenshots in %s", shots)
}

// browser is a headless Chromium tab on the sandbox, with the helpers the
// walkthrough reads like.
type browser struct {
	t     *testing.T
	ctx   context.Context
	shots string
	seq   *int
	errs  *pageErrors
}

type pageErrors struct {
	mu   sync.Mutex
	list []string
}

// helpers are functions the wait expressions use: the text of a card
// section by block_id (a redrawn card's interactive blocks carry a
// ".<revision>" suffix), the open modal's title, and the newest ephemeral
// answers.
const helpers = `
window.section = (id) => { const s = document.querySelector('#messages .msg.pinned [data-block-id="' + id + '"], #messages .msg.pinned [data-block-id^="' + id + '."]'); return s ? s.innerText : ''; };
window.modalTitle = () => { const m = document.querySelector('#modal-overlay:not([hidden]) .modal-title'); return m ? m.innerText : ''; };
window.ephemerals = () => Array.from(document.querySelectorAll('#messages .msg.ephemeral')).map((e) => e.innerText);
`

func newBrowser(t *testing.T, shots string) *browser {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 4*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelTab()
		cancelAlloc()
	})
	b := &browser{t: t, ctx: ctx, shots: shots, seq: new(int), errs: &pageErrors{}}
	err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventExceptionThrown); ok {
			b.errs.mu.Lock()
			b.errs.list = append(b.errs.list, e.ExceptionDetails.Text+" "+exceptionDescription(e))
			b.errs.mu.Unlock()
		}
	})
	if err != nil {
		t.Fatal("start chromium:", err)
	}
	return b
}

func exceptionDescription(e *runtime.EventExceptionThrown) string {
	if e.ExceptionDetails.Exception != nil {
		return e.ExceptionDetails.Exception.Description
	}
	return ""
}

func (b *browser) pageErrors() []string {
	b.errs.mu.Lock()
	defer b.errs.mu.Unlock()
	return append([]string(nil), b.errs.list...)
}

// on is the browser for a subtest (its failures and skips are the subtest's).
func (b *browser) on(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.fail("%s: %v", what, err)
	}
}

// click waits for an element matching sel and clicks it, finding and
// clicking in one evaluation. (chromedp.Click resolves a DOM node first and
// clicks it in a second round trip; the sandbox redraws its sidebar and
// messages as the bot's calls arrive, so that node can be gone by then:
// "Could not find node with given id".)
func (b *browser) click(what, sel string) {
	b.t.Helper()
	b.wait(what, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.click(); return true; })()`, js(sel)))
}

func (b *browser) eval(expr string) any {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[any](helpers+expr))
	if err != nil {
		b.fail("evaluate %s: %v", expr, err)
	}
	return v
}

// wait polls a JavaScript expression until it is truthy and returns its
// value as text.
func (b *browser) wait(what, expr string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Poll[any]("(() => {"+helpers+"; return ("+expr+");})()",
		chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second)))
	if err != nil {
		b.fail("waiting for %s (%s): %v", what, expr, err)
	}
	return fmt.Sprint(v)
}

// waitText waits until an element matching sel shows text containing want,
// and returns that element's text.
func (b *browser) waitText(what, sel, want string) string {
	b.t.Helper()
	return b.wait(what, fmt.Sprintf(`Array.from(document.querySelectorAll(%s)).map((e) => e.innerText).find((s) => s.includes(%s))`, js(sel), js(want)))
}

// compose types text into the composer and sends it, as the chosen user.
func (b *browser) compose(text string) {
	b.t.Helper()
	b.fill(`#compose`, text)
	b.click("send "+text, `button.send`)
	b.wait("the composer to send "+text, `document.querySelector('#compose').value === '' || !document.querySelector('#compose-error').hidden`)
	if msg := b.eval(`document.querySelector('#compose-error').hidden ? '' : document.querySelector('#compose-error').innerText`); msg != "" {
		b.fail("sending %q: the page says %v", text, msg)
	}
}

// available sends a slash command for a feature and waits until either done
// is true or the bot answers that the command is not available yet.
func (b *browser) available(command, done string) bool {
	b.t.Helper()
	before := b.eval(`ephemerals().length`)
	b.compose(command)
	got := b.wait(command+" to take effect",
		fmt.Sprintf(`(%s) ? 'done' : (ephemerals().slice(%v).some((s) => s.includes('not available yet')) ? 'unavailable' : '')`, done, before))
	if got == "unavailable" {
		b.t.Logf("%s: the bot answers that it is not available yet", command)
		b.shot("unavailable")
		return false
	}
	return true
}

// fill sets the value of an input, textarea or select, as typing or picking
// would. (chromedp.SetValue cannot set an empty value.)
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	ok := b.eval(fmt.Sprintf(`(() => { const f = document.querySelector(%s); if (!f) return false; f.value = %s; f.dispatchEvent(new Event('input', {bubbles: true})); return f.value === %s; })()`, js(sel), js(value), js(value)))
	if ok != true {
		b.fail("fill %s with %q: no such field or option", sel, value)
	}
}

// choose picks value in a select, as a user does (a change event follows).
func (b *browser) choose(sel, value string) {
	b.t.Helper()
	ok := b.eval(fmt.Sprintf(`(() => { const s = document.querySelector(%s); if (!s) return false; s.value = %s; s.dispatchEvent(new Event('change', {bubbles: true})); return s.value === %s; })()`, js(sel), js(value), js(value)))
	if ok != true {
		b.fail("choose %s in %s: no such select or option", value, sel)
	}
}

func (b *browser) shot(name string) {
	b.t.Helper()
	*b.seq++
	b.shotTo(filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", *b.seq, strings.ReplaceAll(name, " ", "-"))))
}

func (b *browser) shotTo(path string) {
	b.t.Helper()
	png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", path, err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// fail records what the page showed, then fails the test.
func (b *browser) fail(format string, args ...any) {
	b.t.Helper()
	*b.seq++
	path := filepath.Join(b.shots, fmt.Sprintf("%02d-failure.png", *b.seq))
	if png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100)); err == nil && os.WriteFile(path, png, 0o644) == nil {
		b.t.Logf("screenshot of the failure: %s", path)
	}
	if text, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`document.querySelector('#messages').innerText + '\n--- modal:\n' + document.querySelector('#modal-overlay').innerText`)); err == nil {
		b.t.Logf("the page showed:\n%s", text)
	}
	if errs := b.pageErrors(); len(errs) > 0 {
		b.t.Logf("page errors: %v", errs)
	}
	b.t.Fatalf(format, args...)
}

// js quotes a Go string as a JavaScript string literal.
func js(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

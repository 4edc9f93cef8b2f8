package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/incidentbot/incidentbot/internal/slackemu"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

// Every way `run` fails prints what went wrong — an error line, a log line
// with the cause, the configuration summary at debug level — and each of
// those is where a token could slip out: an error that wraps a value of the
// configuration, a log field holding the config struct or the Slack client's
// options (%+v and JSON of a Config print its tokens), an error from Slack
// quoting the request. (A Go stack trace never prints string contents, so a
// crash dump cannot leak a token; what can is the text the program writes.)
// The tokens here have the real shape, and the check looks for any 8
// characters of their secret part, so a "redaction" that keeps part of the
// secret fails too.
func TestFailureOutputHoldsNoToken(t *testing.T) {
	emu := slackemu.Start(t)
	// The app token is refused: run exits with Slack's error.
	emu.Fail("apps.connections.open", slackemu.Fault{Error: "invalid_auth"})
	tokens := []string{botToken, appToken, emu.BotToken(), emu.AppToken()}

	damaged := bolttest.Damaged(t, t.TempDir(), bolttest.DataPage)
	lockedPath := filepath.Join(t.TempDir(), "locked.db")
	bolttest.OpenPath(t, lockedPath, boltstore.Options{}) // held by this process until the test ends

	debug := func(env ...string) []string {
		return append([]string{"INCIDENTBOT_LOG_LEVEL=debug", "INCIDENTBOT_HTTP_LISTEN="}, env...)
	}
	ours := []string{"SLACK_BOT_TOKEN=" + botToken, "SLACK_APP_TOKEN=" + appToken}
	tests := []struct {
		name  string
		env   []string
		wants string // the failure the output must show, so the path was taken
	}{
		{"damaged store", debug(append(ours, "INCIDENTBOT_STORE_PATH="+damaged)...), "is damaged"},
		{"store in use", debug(append(ours, "INCIDENTBOT_STORE_PATH="+lockedPath)...), "in use by another process"},
		{"missing store directory", debug(append(ours, "INCIDENTBOT_STORE_PATH="+filepath.Join(t.TempDir(), "gone", "s.db"))...), "does not exist"},
		{"bad setting", debug(append(ours, "INCIDENTBOT_SLACK_SILENCE_TIMEOUT=soon")...), "slack.silence_timeout"},
		{"tokens swapped", debug("SLACK_BOT_TOKEN="+appToken, "SLACK_APP_TOKEN="+botToken), "slack.bot_token"},
		{"app token refused by Slack", debug(
			"SLACK_BOT_TOKEN="+emu.BotToken(), "SLACK_APP_TOKEN="+emu.AppToken(),
			"INCIDENTBOT_SLACK_API_URL="+emu.APIURL(),
			"INCIDENTBOT_STORE_PATH="+filepath.Join(t.TempDir(), "s.db"),
		), "invalid_auth"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := runBriefly(t, tt.env, "run")
			out := stdout + stderr
			if code == 0 || !strings.Contains(out, tt.wants) {
				t.Fatalf("exit %d; the output does not show %q:\n%s", code, tt.wants, tail(out))
			}
			for _, tok := range tokens {
				if leaked(out, tok) {
					t.Fatalf("a token (or part of its secret) appeared in the output:\n%s", tail(out))
				}
			}
		})
	}
}

// leaked reports whether out holds any 8 characters in a row of tok's
// secret: its last dash-separated part (the parts before it are the token
// type and team, user or app IDs, which are not secret).
func leaked(out, tok string) bool {
	secret := tok[strings.LastIndex(tok, "-")+1:]
	for i := 0; i+8 <= len(secret); i++ {
		if strings.Contains(out, secret[i:i+8]) {
			return true
		}
	}
	return false
}

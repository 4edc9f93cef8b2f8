package config

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// No fmt verb, and no encoder, may print a token or http.token: not of the
// config struct, a pointer to it, its sections, or the field alone.
func TestSecretsPrintRedacted(t *testing.T) {
	c := Default()
	c.Slack.BotToken, c.Slack.AppToken, c.HTTP.Token = secretBot, secretApp, secretHTTP
	values := map[string]any{
		"config": *c, "pointer": c, "slack section": c.Slack, "http section": c.HTTP,
		"bot token": c.Slack.BotToken, "app token": c.Slack.AppToken, "http token": c.HTTP.Token,
	}
	verbs := []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%T %v", "%10s", "%-40v"}
	for name, v := range values {
		for _, verb := range verbs {
			t.Run(name+" "+verb, func(t *testing.T) {
				out := fmt.Sprintf(verb, v)
				if verb == "%T %v" {
					out = fmt.Sprintf("%T %v", v, v)
				}
				assertNotPrinted(t, out)
			})
		}
		t.Run(name+" json", func(t *testing.T) {
			out, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			assertNotPrinted(t, string(out))
		})
	}
	// What is redacted still says whether it is set.
	if got := fmt.Sprintf("%+v", c.Slack); !strings.Contains(got, "BotToken:[redacted]") {
		t.Errorf("%%+v of the slack section = %s, want BotToken:[redacted]", got)
	}
	if got := fmt.Sprintf("%#v", Secret("")); got != `config.Secret("")` {
		t.Errorf("%%#v of an unset secret = %s", got)
	}
	if c.Slack.BotToken.Reveal() != secretBot || c.HTTP.Token.Reveal() != secretHTTP {
		t.Error("Reveal does not return the value")
	}
}

func assertNotPrinted(t *testing.T, out string) {
	t.Helper()
	for _, s := range []string{secretBot, secretApp, secretHTTP, "SECRET", "534543524554"} { // the last: "SECRET" in hex
		if strings.Contains(out, s) {
			t.Fatalf("printed %q:\n%s", s, out)
		}
	}
}

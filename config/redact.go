package config

import (
	"regexp"
	"strings"
)

// tokenPattern matches anything shaped like a Slack token. It is a last line
// of defence: messages are written not to contain values that could be
// tokens, but a library error (YAML, mapstructure) may quote input.
var tokenPattern = regexp.MustCompile(`\b(xox[a-z]|xapp)-[A-Za-z0-9-]+`)

// redact removes the given secrets and anything token-shaped from s.
func redact(s string, secrets ...string) string {
	for _, sec := range secrets {
		// A very short "secret" would blank out ordinary words.
		if len(sec) >= 8 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return tokenPattern.ReplaceAllString(s, "$1-[redacted]")
}

package config

import (
	"fmt"
	"io"
	"strconv"
)

// Secret is a configuration value that must never be printed: a Slack token
// or http.token. Every fmt verb, %#v and %x included, prints it as
// "[redacted]" (or "" when unset), so a stray Printf("%+v", cfg) or an error
// that wraps a config struct cannot leak it. Reveal is the one way to the
// value, for the code that hands it to Slack or compares a bearer token.
type Secret string

const redactedSecret = "[redacted]"

// Reveal returns the secret itself.
func (s Secret) Reveal() string { return string(s) }

// String says only whether the secret is set.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return redactedSecret
}

// GoString keeps %#v from showing the value.
func (s Secret) GoString() string { return "config.Secret(" + strconv.Quote(s.String()) + ")" }

// Format answers every verb with String, so no verb reaches the bytes.
func (s Secret) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, s.GoString())
	case verb == 'q':
		_, _ = io.WriteString(f, strconv.Quote(s.String()))
	default:
		_, _ = io.WriteString(f, s.String())
	}
}

// MarshalText keeps encoders (JSON logs, YAML dumps) from writing the value.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

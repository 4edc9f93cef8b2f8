// Package dsn masks the password of a PostgreSQL connection string, which is
// a secret like a token: it must never reach a log line, an error message
// or a configuration dump.
package dsn

import (
	"net/url"
	"regexp"
	"strings"
)

// Mask is what a password is replaced with.
const Mask = "*****"

// kvPassword matches password=... in the key=value form, quoted or not.
var kvPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]*)`)

// Redact returns s with its password masked, in either form PostgreSQL
// accepts: a URL (postgres://user:pass@host/db?password=…) or key=value
// pairs (host=… password=…). A string that is neither comes back with any
// password=… masked.
func Redact(s string) string {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if u, err := url.Parse(s); err == nil {
			// The URL encoder would escape the mask; put a plain word in
			// and swap it afterwards.
			const placeholder = "incidentbotMaskedPassword"
			if _, has := u.User.Password(); has {
				u.User = url.UserPassword(u.User.Username(), placeholder)
			}
			q := u.Query()
			if q.Has("password") {
				q.Set("password", placeholder)
				u.RawQuery = q.Encode()
			}
			return strings.ReplaceAll(u.String(), placeholder, Mask)
		}
		// Unparsable: mask from the scheme to the last '@' of the
		// authority, which is where a password would be.
		rest := s[strings.Index(s, "://")+3:]
		if at := strings.LastIndex(strings.SplitN(rest, "/", 2)[0], "@"); at >= 0 {
			s = s[:len(s)-len(rest)] + Mask + rest[at:]
		}
	}
	return kvPassword.ReplaceAllString(s, "${1}"+Mask)
}

// Password returns the password s carries, "" if none, so that error
// messages which quote it (a driver's) can be scrubbed with Scrub.
func Password(s string) string {
	if strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://") {
		if u, err := url.Parse(s); err == nil {
			if p, ok := u.User.Password(); ok {
				return p
			}
			return u.Query().Get("password")
		}
		return ""
	}
	m := kvPassword.FindStringSubmatch(s)
	if m == nil {
		return ""
	}
	return strings.Trim(m[2], "'")
}

// Scrub returns msg with every occurrence of the password of s masked, and
// s itself replaced by its redacted form.
func Scrub(msg, s string) string {
	if s != "" {
		msg = strings.ReplaceAll(msg, s, Redact(s))
	}
	if p := Password(s); p != "" {
		msg = strings.ReplaceAll(msg, p, Mask)
		if esc := url.QueryEscape(p); esc != p {
			msg = strings.ReplaceAll(msg, esc, Mask)
		}
	}
	return msg
}

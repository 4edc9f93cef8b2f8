// Package hookemu is a webhook receiver for tests: it verifies every request
// the way a receiver following the Standard Webhooks specification does,
// with code written from the specification that shares nothing with the
// bot's signer, answers as a test scripts it, and records what it saw.
package hookemu

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Tolerance is how far a webhook-timestamp may be from the receiver's
// clock: the specification's suggested five minutes, so that a captured
// request cannot be replayed later.
const Tolerance = 5 * time.Minute

// Verify checks a request's headers and body with secret at time now: the
// key is the base64 after "whsec_"; the signed content is
// "<webhook-id>.<webhook-timestamp>.<body>"; webhook-signature is a
// space-separated list of "<version>,<base64>" of which one "v1" entry
// must equal HMAC-SHA256 of the content (compared in constant time).
func Verify(secret string, h http.Header, body []byte, now time.Time) error {
	rest, ok := strings.CutPrefix(secret, "whsec_")
	if !ok {
		return errors.New("secret without whsec_")
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return errors.New("bad secret")
	}
	id, ts, sigs := h.Get("webhook-id"), h.Get("webhook-timestamp"), h.Get("webhook-signature")
	if id == "" || ts == "" || sigs == "" {
		return errors.New("missing required headers")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("invalid timestamp")
	}
	if math.Abs(float64(now.Unix()-sec)) > Tolerance.Seconds() {
		return errors.New("timestamp outside the tolerance")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "."))
	mac.Write(body)
	want := mac.Sum(nil)
	for _, s := range strings.Fields(sigs) {
		version, sig, ok := strings.Cut(s, ",")
		if !ok || version != "v1" {
			continue
		}
		got, err := base64.StdEncoding.DecodeString(sig)
		if err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no matching signature")
}

package webhooks_test

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

// verify checks a delivery the way a receiver following the Standard
// Webhooks specification does, written from the specification and sharing
// no code with the signer: the key is the base64 after "whsec_"; the
// signed content is "<webhook-id>.<webhook-timestamp>.<body>"; the
// signature header is a space-separated list of "<version>,<base64>" of
// which one "v1" entry must equal HMAC-SHA256 of the content; and a
// timestamp more than five minutes from the receiver's clock is refused,
// so a captured request cannot be replayed later.
func verify(secret string, h http.Header, body []byte, now time.Time) error {
	const tolerance = 5 * time.Minute
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
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
	if math.Abs(float64(now.Unix()-sec)) > tolerance.Seconds() {
		return errors.New("timestamp outside the tolerance")
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
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

package webhooks_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/webhooks"
)

// The README's verification snippet, kept here so that it is compiled and
// run: TestREADMEVerifySnippet checks the README shows exactly this.
// Verify checks that a request came from incidentbot, unaltered and recent.
// body is the raw request body, read before any JSON decoding.
func Verify(secret string, h http.Header, body []byte) error {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || math.Abs(time.Since(time.Unix(sec, 0)).Seconds()) > 5*60 {
		return errors.New("missing or stale webhook-timestamp")
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%s.%s", id, ts, body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no valid webhook-signature")
}

// The README's snippet accepts our deliveries and refuses another secret's,
// and the README shows it as it is here.
func TestREADMEVerifySnippet(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	key, err := webhooks.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	body := []byte(`{"type":"incident.declared"}`)
	h := http.Header{}
	h.Set("webhook-id", "msg_1")
	h.Set("webhook-timestamp", strconv.FormatInt(now.Unix(), 10))
	h.Set("webhook-signature", webhooks.Sign(key, "msg_1", now, body))
	if err := Verify(secret, h, body); err != nil {
		t.Errorf("the snippet refuses our delivery: %v", err)
	}
	if err := Verify("whsec_dGhlLXB1YmxpYy1yZWNlaXZlcnMtc2VjcmV0LWtleQ==", h, body); err == nil {
		t.Error("the snippet accepts another secret's signature")
	}
	h.Set("webhook-timestamp", strconv.FormatInt(now.Add(-6*time.Minute).Unix(), 10))
	if err := Verify(secret, h, body); err == nil {
		t.Error("the snippet accepts a stale timestamp")
	}

	self, err := os.ReadFile("readme_test.go")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(self)
	start, end := strings.Index(s, "// Verify checks"), strings.Index(s, "\n// The README's snippet accepts")
	if start < 0 || end < start || !strings.Contains(string(readme), s[start:end]) {
		t.Error("README.md does not show the Verify function of readme_test.go")
	}
}

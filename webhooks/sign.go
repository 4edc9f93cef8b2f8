// Package webhooks delivers incidentbot's events to other tools as signed
// HTTP POSTs following the Standard Webhooks convention: the outbox runs
// one job per delivery, and this package renders, signs and sends it.
package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SecretPrefix starts every signing secret; the rest is the key, base64.
const SecretPrefix = "whsec_"

// The key's size in bytes, as Standard Webhooks requires of a symmetric
// signing secret: a short key is guessable, and receivers' libraries may
// refuse one outside this range.
const (
	MinKeyBytes = 24
	MaxKeyBytes = 64
)

// ParseSecret returns the key of a "whsec_<base64>" secret. The error never
// contains the secret.
func ParseSecret(secret string) ([]byte, error) {
	rest, ok := strings.CutPrefix(secret, SecretPrefix)
	if !ok {
		return nil, errors.New("the secret must start with " + SecretPrefix)
	}
	key, err := base64.StdEncoding.DecodeString(rest)
	if err != nil {
		return nil, errors.New("the secret after " + SecretPrefix + " is not base64")
	}
	if len(key) == 0 {
		return nil, errors.New("the secret after " + SecretPrefix + " is empty")
	}
	if len(key) < MinKeyBytes || len(key) > MaxKeyBytes {
		return nil, fmt.Errorf("the secret's key is %d bytes; Standard Webhooks requires %d to %d", len(key), MinKeyBytes, MaxKeyBytes)
	}
	return key, nil
}

// Sign returns the webhook-signature header for a message: "v1," and the
// base64 HMAC-SHA256, keyed with key, of "id.timestamp.body".
func Sign(key []byte, id string, at time.Time, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + strconv.FormatInt(at.Unix(), 10) + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

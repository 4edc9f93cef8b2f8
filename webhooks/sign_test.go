package webhooks_test

import (
	"encoding/base64"
	"net/http"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/internal/hookemu"
	"github.com/incidentbot/incidentbot/webhooks"
)

// The specification's published example: our signer must produce it, and
// our verifier must accept it, or one of them misreads the spec.
func TestSignMatchesTheSpecificationsExample(t *testing.T) {
	const (
		secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		id     = "msg_p5jXN8AQM9LWM0D4loKWxJek"
		body   = `{"test": 2432232314}`
		want   = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	)
	at := time.Unix(1614265330, 0)
	key, err := webhooks.ParseSecret(secret)
	if err != nil {
		t.Fatal(err)
	}
	if got := webhooks.Sign(key, id, at, []byte(body)); got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
	h := http.Header{}
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", "1614265330")
	h.Set("webhook-signature", want)
	if err := hookemu.Verify(secret, h, []byte(body), at); err != nil {
		t.Errorf("the verifier refuses the specification's example: %v", err)
	}
}

func TestParseSecret(t *testing.T) {
	for _, tt := range []struct {
		secret, want string
	}{
		{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""},
		{"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"},
		{"whsec_not base64!", "is not base64"},
		{"whsec_", "is empty"},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 23)), "is 23 bytes; Standard Webhooks requires 24 to 64"},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 24)), ""},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 64)), ""},
		{"whsec_" + base64.StdEncoding.EncodeToString(make([]byte, 65)), "is 65 bytes"},
	} {
		_, err := webhooks.ParseSecret(tt.secret)
		if (err == nil) != (tt.want == "") || (err != nil && !contains(err.Error(), tt.want)) {
			t.Errorf("ParseSecret(%q) = %v, want %q", tt.secret, err, tt.want)
		}
	}
}

package ops

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestRequireBearer(t *testing.T) {
	const token = "0123456789abcdef0123456789abcdef-ops"
	var logs bytes.Buffer
	h := RequireBearer(token, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("incident data"))
	}), zerolog.New(&logs))
	tests := []struct {
		name, header string
		want         int
		challenge    string
	}{
		{"no header", "", 401, `Bearer realm="incidentbot"`},
		{"basic auth", "Basic dXNlcjpwYXNz", 401, `Bearer realm="incidentbot"`},
		{"bearer without token", "Bearer ", 401, `Bearer realm="incidentbot"`},
		{"token without scheme", token, 401, `Bearer realm="incidentbot"`},
		{"wrong token", "Bearer not-the-token", 401, `Bearer realm="incidentbot", error="invalid_token"`},
		{"token prefix", "Bearer " + token[:len(token)-1], 401, `Bearer realm="incidentbot", error="invalid_token"`},
		{"token and more", "Bearer " + token + "x", 401, `Bearer realm="incidentbot", error="invalid_token"`},
		{"right token", "Bearer " + token, 200, ""},
		{"scheme in any case", "bearer " + token, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("GET", "/incidents/INC-1/postmortem.md", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.want || rec.Header().Get("WWW-Authenticate") != tt.challenge {
				t.Fatalf("%d %q, want %d %q", rec.Code, rec.Header().Get("WWW-Authenticate"), tt.want, tt.challenge)
			}
			if got := rec.Body.String(); (tt.want == 200) != strings.Contains(got, "incident data") {
				t.Fatalf("body %q", got)
			}
		})
	}
	if strings.Contains(logs.String(), "not-the-token") || strings.Contains(logs.String(), token[:16]) {
		t.Fatalf("a presented token was logged: %s", logs.String())
	}
	if !strings.Contains(logs.String(), "wrong bearer token") {
		t.Fatalf("wrong tokens are not logged: %s", logs.String())
	}
}

package ops

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/rs/zerolog"
)

// RequireBearer lets through only requests that carry "Authorization:
// Bearer <token>"; the rest get 401 with a WWW-Authenticate challenge
// (RFC 6750) and no data. token must not be empty: a route with no token
// is not to be registered at all.
//
// The comparison is constant-time over SHA-256 digests, so neither the
// token's bytes nor its length can be learnt from response times.
func RequireBearer(token string, h http.Handler, log zerolog.Logger) http.Handler {
	return requireBearer(token, h, log, func(w http.ResponseWriter, msg string) {
		http.Error(w, msg, http.StatusUnauthorized)
	})
}

// RequireBearerJSON is RequireBearer for JSON APIs: a refusal's body is
// {"error": "..."}, like every other error of those routes.
func RequireBearerJSON(token string, h http.Handler, log zerolog.Logger) http.Handler {
	return requireBearer(token, h, log, func(w http.ResponseWriter, msg string) {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
	})
}

func requireBearer(token string, h http.Handler, log zerolog.Logger, refuse func(http.ResponseWriter, string)) http.Handler {
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="incidentbot"`)
			refuse(w, "this route needs Authorization: Bearer <http.token>")
			return
		}
		sum := sha256.Sum256([]byte(got))
		if subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			// The address helps spot a scanner; the presented value is
			// never logged, it may be a mistyped real token.
			log.Warn().Str("remote", r.RemoteAddr).Str("path", r.URL.Path).Msg("ops listener: wrong bearer token")
			w.Header().Set("WWW-Authenticate", `Bearer realm="incidentbot", error="invalid_token"`)
			refuse(w, "the bearer token is not the one configured in http.token")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// bearer extracts the token of an Authorization header; the scheme is
// case-insensitive (RFC 9110).
func bearer(header string) (string, bool) {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(header), " ")
	tok = strings.TrimSpace(tok)
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		return "", false
	}
	return tok, true
}

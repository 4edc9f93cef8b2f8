package ops

import (
	"errors"
	"net/http/httptest"
	"testing"

	"github.com/rs/zerolog"
)

// Notes add warning lines to /readyz without changing its verdict.
func TestReadyNotesWarnWithoutFailing(t *testing.T) {
	var notReady error
	var notes []string
	s := NewServer("", nil, func() error { return notReady }, zerolog.Nop())
	s.Notes(func() []string { return notes })
	tests := []struct {
		name     string
		notReady error
		notes    []string
		wantCode int
		wantBody string
	}{
		{"no notes", nil, nil, 200, "ok\n"},
		{"a note", nil, []string{"announce channel C1: archived"}, 200, "ok\nwarning: announce channel C1: archived\n"},
		{"not ready, with a note", errors.New("socket down"), []string{"x"}, 503, "not ready: socket down\nwarning: x\n"},
	}
	for _, tt := range tests {
		notReady, notes = tt.notReady, tt.notes
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
		if rec.Code != tt.wantCode || rec.Body.String() != tt.wantBody {
			t.Errorf("%s: %d %q, want %d %q", tt.name, rec.Code, rec.Body.String(), tt.wantCode, tt.wantBody)
		}
	}
}

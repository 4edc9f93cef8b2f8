package wake_test

import (
	"testing"

	"github.com/incidentbot/incidentbot/internal/wake"
)

func TestNotifiesCollapseIntoOneWakeUpAndAreCounted(t *testing.T) {
	s := wake.New()
	select {
	case <-s.C():
		t.Fatal("woke before any Notify")
	default:
	}
	for range 3 {
		s.Notify() // never blocks, with nobody listening
	}
	if n := s.Count(); n != 3 {
		t.Errorf("Count %d after three Notify, want 3", n)
	}
	select {
	case <-s.C():
	default:
		t.Fatal("no wake-up after Notify")
	}
	select {
	case <-s.C():
		t.Fatal("three Notify woke twice")
	default:
	}
	s.Notify()
	select {
	case <-s.C():
	default:
		t.Fatal("a Notify after the wake-up was lost")
	}
}

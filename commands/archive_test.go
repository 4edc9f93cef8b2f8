package commands_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/incident"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/store/boltstore"
	"github.com/incidentbot/incidentbot/store/boltstore/bolttest"
)

const archWeek = 168 * time.Hour

// archService is a service with auto-archive after a week and no
// postmortem nudge, on a fake clock at remT0.
func archService(t *testing.T) (*commands.Service, *clock.Fake) {
	t.Helper()
	clk := clock.NewFake(remT0)
	return &commands.Service{
		Store:         bolttest.OpenWith(t, boltstore.Options{IndexArchives: true, Now: clk.Now}),
		Settings:      incident.DefaultSettings(),
		ChannelPrefix: "inc",
		Clock:         clk,
		ArchiveAfter:  archWeek,
	}, clk
}

// archJobs lists the pending jobs as INC-N:kind[:template] and completes
// them, so each check sees only what came since the last.
func archJobs(t *testing.T, s *commands.Service) []string {
	t.Helper()
	var out []string
	for _, j := range takeJobs(t, s) {
		s := fmt.Sprintf("%s:%s", incident.FormatID(j.Incident), j.Kind)
		if j.Kind == commands.JobPost {
			var pl commands.PostPayload
			_ = json.Unmarshal(j.Payload, &pl)
			s += ":" + pl.Template
		}
		out = append(out, s)
	}
	return out
}

func archResolve(t *testing.T, s *commands.Service, inc *incident.Incident) {
	t.Helper()
	if _, err := s.Resolve(context.Background(), commands.ResolveInput{Channel: inc.ChannelID, By: "UDECL"}); err != nil {
		t.Fatal(err)
	}
}

func TestAutoArchive(t *testing.T) {
	s, clk := archService(t)
	ctx := context.Background()
	drafted := remDeclare(t, s, "SEV4", false)
	waiting := remDeclare(t, s, "SEV4", false)
	open := remDeclare(t, s, "SEV4", false)
	if _, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: drafted.ChannelID, By: "UDECL"}); err != nil {
		t.Fatal(err)
	}
	archResolve(t, s, drafted)
	clk.Advance(time.Hour)
	archResolve(t, s, waiting)
	archJobs(t, s)
	remDue(t, s, clk.Now()) // drops the (disabled) postmortem nudges

	if next, ok, err := s.NextDue(); err != nil || !ok || !next.Equal(remT0.Add(archWeek)) {
		t.Fatalf("NextDue = %v, %v, %v; want resolution + a week", next, ok, err)
	}
	if res := remDue(t, s, remT0.Add(archWeek-time.Second)); len(res.Archived)+len(res.ArchiveWaiting) != 0 {
		t.Fatalf("fired early: %+v", res)
	}
	res := remDue(t, s, remT0.Add(2*archWeek))
	if !slices.Equal(res.Archived, []uint64{drafted.Number}) || !slices.Equal(res.ArchiveWaiting, []uint64{waiting.Number}) {
		t.Fatalf("fired %+v", res)
	}
	want := []string{"INC-1:post:archive_notice.tmpl", "INC-1:archive_channel", "INC-2:archive_waiting"}
	if got := archJobs(t, s); !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	if _, ok, _ := s.NextDue(); ok {
		t.Fatal("something still scheduled after firing")
	}
	if res := remDue(t, s, remT0.Add(10*archWeek)); len(res.Archived)+len(res.ArchiveWaiting) != 0 {
		t.Fatalf("fired twice: %+v", res)
	}

	// Archive now: the commander only; once.
	clk.Advance(2 * archWeek)
	_, err := s.ArchiveNow(ctx, commands.ArchiveNowInput{Channel: waiting.ChannelID, By: "UOTHER", IdempotencyKey: "k1"})
	if incident.ErrorCode(err) != incident.ECONFLICT {
		t.Fatalf("non-commander: %v", err)
	}
	if _, err := s.ArchiveNow(ctx, commands.ArchiveNowInput{Channel: waiting.ChannelID, By: "UDECL", IdempotencyKey: "k2"}); err != nil {
		t.Fatal(err)
	}
	if r, err := s.ArchiveNow(ctx, commands.ArchiveNowInput{Channel: waiting.ChannelID, By: "UDECL", IdempotencyKey: "k2"}); err != nil || !r.Duplicate {
		t.Fatalf("same click again: %+v, %v", r, err)
	}
	if _, err := s.ArchiveNow(ctx, commands.ArchiveNowInput{Channel: waiting.ChannelID, By: "UDECL", IdempotencyKey: "k3"}); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Fatalf("another click after archiving: %v", err)
	}
	if got, want := archJobs(t, s), []string{"INC-2:post:archive_notice.tmpl", "INC-2:archive_channel"}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	if _, err := s.ArchiveNow(ctx, commands.ArchiveNowInput{Channel: open.ChannelID, By: "UDECL", IdempotencyKey: "k4"}); incident.ErrorCode(err) != incident.ECONFLICT {
		t.Fatalf("open incident: %v", err)
	}
}

// A postmortem drafted while the archive waits archives at once, after the
// draft's upload.
func TestPostmortemArchivesAWaitingIncident(t *testing.T) {
	s, clk := archService(t)
	ctx := context.Background()
	inc := remDeclare(t, s, "SEV4", false)
	archResolve(t, s, inc)
	clk.Advance(archWeek)
	if res := remDue(t, s, clk.Now()); !slices.Equal(res.ArchiveWaiting, []uint64{1}) {
		t.Fatalf("fired %+v", res)
	}
	archJobs(t, s)
	if _, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: inc.ChannelID, By: "UDECL"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"INC-1:upload_postmortem", "INC-1:post:archive_notice.tmpl", "INC-1:archive_channel"}
	if got := archJobs(t, s); !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
	// Drafting again archives nothing twice.
	if _, err := s.RecordPostmortem(ctx, commands.PostmortemInput{ChannelID: inc.ChannelID, By: "UDECL"}); err != nil {
		t.Fatal(err)
	}
	if got, want := archJobs(t, s), []string{"INC-1:upload_postmortem"}; !slices.Equal(got, want) {
		t.Fatalf("jobs %v, want %v", got, want)
	}
}

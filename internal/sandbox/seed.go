package sandbox

import (
	"fmt"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/config"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// SampleUsers are the people of the sandbox's workspace. Carol is the
// checkout service's expert, so declaring against checkout invites her.
func SampleUsers() []slackemu.User {
	return []slackemu.User{
		{ID: "UALICE001", Name: "alice", RealName: "Alice Aalto", Email: "alice@example.com"},
		{ID: "UBOB00002", Name: "bob", RealName: "Bob Berg", Email: "bob@example.com"},
		{ID: "UCAROL003", Name: "carol", RealName: "Carol Chen", Email: "carol@example.com"},
		{ID: "UDAN00004", Name: "dan", RealName: "Dan Diaz", Email: "dan@example.com"},
		{ID: "UERIN0005", Name: "erin", RealName: "Erin Eze", Email: "erin@example.com"},
	}
}

// SampleService is the service catalogue entry seeded when the
// configuration has none: one service with an expert and a runbook, so that
// invitations and the runbook bookmark are visible.
func SampleService() config.Service {
	return config.Service{Name: "checkout", Experts: []string{"UCAROL003"}, Runbook: "https://wiki.example.com/runbooks/checkout"}
}

// seeded is what seed created.
type seeded struct {
	announce string
	drills   string // where drills are announced
}

// reseed prepares a workspace loaded from a previous run: it finds
// #announcements and #drills (a workspace saved before drills has none), and adds the service and experts that seed would, since
// the configuration may have changed in between.
func reseed(emu *slackemu.Server, cfg *config.Config) (seeded, error) {
	announce, ok := emu.ChannelByName("announcements")
	if !ok {
		return seeded{}, fmt.Errorf("sandbox: the saved workspace has no #announcements channel")
	}
	addServices(emu, cfg)
	s := seeded{announce: announce.ID}
	if drills, ok := emu.ChannelByName("drills"); ok {
		s.drills = drills.ID
	}
	return s, nil
}

// seed fills an empty workspace: the sample people, #announcements and
// #drills (with the bot in them, as the README asks) and #general, and a user for every expert
// the configuration names that the workspace does not have, so inviting
// them works.
func seed(emu *slackemu.Server, cfg *config.Config) seeded {
	var everyone []string
	for _, u := range SampleUsers() {
		everyone = append(everyone, emu.AddUser(u))
	}
	addServices(emu, cfg)
	announce := emu.CreateChannel("announcements", false, append(slices.Clone(everyone), emu.BotUserID())...)
	emu.CreateChannel("general", false, everyone...)
	drills := emu.CreateChannel("drills", false, append(slices.Clone(everyone), emu.BotUserID())...)
	return seeded{announce: announce, drills: drills}
}

// addServices seeds the sample service when the configuration has none, and
// a user for every expert the workspace lacks.
func addServices(emu *slackemu.Server, cfg *config.Config) {
	if len(cfg.Services) == 0 {
		cfg.Services = []config.Service{SampleService()}
	}
	for _, svc := range cfg.Services {
		for _, id := range svc.Experts {
			if _, ok := emu.User(id); !ok {
				emu.AddUser(slackemu.User{ID: id, Name: strings.ToLower(id), RealName: svc.Name + " expert " + id})
			}
		}
	}
}

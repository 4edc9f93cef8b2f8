package bot

import (
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/templates"
)

// core is what every handler shares: the Slack client, the use-cases, the
// configuration and the templates. Its methods are the pieces more than
// one handler uses: rendering, answering a user, the declare and update
// forms, role assignment.
type core struct {
	api   *slack.Client
	cmds  *commands.Service
	cfg   Config
	tmpl  *templates.Set
	clock clock.Clock
	log   zerolog.Logger
	// members decides who sees a private incident (commands.Membership).
	members *members
	// stopping closes when the bot stops, ending retries after an ack.
	stopping <-chan struct{}
}

// slashHandler turns `/incident …` invocations into use-case calls; its
// answer is the ack payload.
type slashHandler struct{ *core }

// interactions handles block actions, view submissions and shortcuts.
type interactions struct{ *core }

// eventHandler handles Events API deliveries: 📌 reactions, the Home tab,
// channel membership changes.
type eventHandler struct{ *core }

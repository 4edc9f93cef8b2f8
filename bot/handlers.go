package bot

import (
	"github.com/rs/zerolog"
	"github.com/slack-go/slack"

	"github.com/incidentbot/incidentbot/commands"
	"github.com/incidentbot/incidentbot/internal/clock"
	"github.com/incidentbot/incidentbot/templates"
)

// core is what every handler shares: the Slack client, the use-cases, the
// configuration, rendering and answering users. Its own methods are the
// flows that both slash commands and interactions run: opening the declare
// and update forms, assigning a role, finding possible duplicates.
type core struct {
	*renderer
	*replier
	api  *slack.Client
	cmds *commands.Service
	cfg  Config
	log  zerolog.Logger
	// members decides who sees a private incident (commands.Membership).
	members *members
}

// renderer turns incidents into text and Block Kit: the templates, the
// configured names, and the rules the use-cases own that a view shows
// (a user's roles, the update intervals offered).
type renderer struct {
	cfg   Config
	tmpl  *templates.Set
	clock clock.Clock
	rules *commands.Service
}

// replier answers users outside an ack (through a response_url or an
// ephemeral message), retrying what Slack refuses for now.
type replier struct {
	api *slack.Client
	log zerolog.Logger
	// command is the slash command's name, for hints in answers.
	command string
	clock   clock.Clock
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
type eventHandler struct {
	*renderer
	*replier
	api     *slack.Client
	cmds    *commands.Service
	cfg     Config
	log     zerolog.Logger
	members *members
}

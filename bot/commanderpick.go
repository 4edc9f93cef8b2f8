package bot

import (
	"context"
	"fmt"
)

// commanderProblem says why the person picked as commander in the declare
// form cannot lead, "" when they can. Slack's users_select offers bots and
// deactivated accounts too, and command, like any role, goes to a person
// who will see it. The declarer is a person by definition and costs no
// call; when Slack cannot say, the declaration goes ahead rather than wait
// on it, since refusing would hold up the one thing that must not wait.
func (ix *interactions) commanderProblem(ctx context.Context, declarer, commander string) string {
	if commander == "" || commander == declarer {
		return ""
	}
	unfit, name, err := ix.personCheck(ctx, commander)
	switch unfit {
	case unfitSlackbot:
		return "Slackbot cannot lead an incident; pick a person, or leave it empty to lead it yourself."
	case unfitUnknown:
		return "This person is not in the workspace; pick another, or leave it empty to lead it yourself."
	case unfitBot:
		return fmt.Sprintf("@%s is a bot, and the commander must be a person who can act; pick someone else.", name)
	case unfitDeactivated:
		return fmt.Sprintf("@%s is deactivated and would never see the incident; pick someone else.", name)
	}
	if err != nil {
		ix.log.Warn().Err(err).Str("user", commander).Msg("users.info failed while checking the commander picked in the declare form; declaring anyway")
	}
	return ""
}

package bot

import (
	"context"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// maxHomeIncidents bounds the incidents the Home tab lists, within Slack's
// 100 blocks a view.
const maxHomeIncidents = 40

// homeCheckTimeout bounds the membership checks of one Home tab: it is
// published after the ack, so it may wait longer than a slash reply.
const homeCheckTimeout = 10 * time.Second

// homeOpened publishes the App Home tab: the open incidents the reader may
// see, most severe first, and the reader's own roles in them. It runs each
// time the tab is opened, so a private incident disappears from it once
// the reader has left its channel.
func (e *eventHandler) homeOpened(ctx context.Context, ev *slackevents.AppHomeOpenedEvent) {
	if ev.Tab != "" && ev.Tab != "home" {
		return
	}
	view, err := e.homeView(ctx, ev.User)
	if err != nil {
		e.log.Error().Err(err).Str("user", ev.User).Msg("render home tab")
		return
	}
	err = e.retry(ctx, func() error {
		_, err := e.api.PublishViewContext(ctx, slack.PublishViewContextRequest{UserID: ev.User, View: view})
		return err
	})
	if err != nil {
		e.log.Warn().Err(err).Str("user", ev.User).Msg("views.publish")
	}
}

// homeView builds the Home tab for user.
func (e *eventHandler) homeView(ctx context.Context, user string) (slack.HomeTabViewRequest, error) {
	ctx, cancel := context.WithTimeout(ctx, homeCheckTimeout)
	defer cancel()
	listing, err := e.cmds.List(ctx, user, e.members)
	if err != nil {
		return slack.HomeTabViewRequest{}, err
	}
	open := listing.Incidents
	data := listData{Command: e.cfg.Command, Total: len(open), Unchecked: listing.Unchecked}
	for i, inc := range open {
		item := e.listItem(inc, user)
		if item.Roles != "" {
			data.Mine = append(data.Mine, item)
		}
		if i >= maxHomeIncidents {
			data.More++
			continue
		}
		data.Incidents = append(data.Incidents, item)
	}
	intro, err := e.render("home.tmpl", data)
	if err != nil {
		return slack.HomeTabViewRequest{}, err
	}
	blocks := []slack.Block{header("Incidents"), section("home-intro", intro)}
	for _, item := range data.Incidents {
		text, err := e.render("home_incident.tmpl", item)
		if err != nil {
			return slack.HomeTabViewRequest{}, err
		}
		blocks = append(blocks, slack.NewDividerBlock(), section("home-"+item.ID, text))
	}
	return slack.HomeTabViewRequest{Type: slack.VTHomeTab, Blocks: slack.Blocks{BlockSet: blocks}}, nil
}

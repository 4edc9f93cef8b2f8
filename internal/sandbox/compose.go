package sandbox

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

type slashRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	Text    string `json:"text"`
}

// slash sends what the user typed as a slash_commands envelope, as Slack
// does: only the app's own command, with @names and #channels escaped into
// <@U…|name> and <#C…|name> (the manifest sets should_escape).
func (h *handler) slash(w http.ResponseWriter, r *http.Request) {
	var req slashRequest
	if !decode(w, r, &req) {
		return
	}
	cmd, rest, _ := strings.Cut(strings.TrimSpace(req.Text), " ")
	if cmd != h.command {
		fail(w, http.StatusBadRequest, fmt.Sprintf("%s is not a valid command. In this workspace the app's command is %s.", cmd, h.command))
		return
	}
	user := h.resolveUser(req.User)
	channel := req.Channel
	if channel == channelDM {
		channel = ""
	}
	if channel != "" && !h.canSee(user, channel) {
		fail(w, http.StatusForbidden, notVisible)
		return
	}
	text := h.linkNames(user, strings.TrimSpace(rest), true)
	h.deliver(w, r, cmd, func(ctx context.Context) (slackemu.Ack, error) {
		return h.emu.SlashCommand(ctx, slackemu.SlashCommand{UserID: user, ChannelID: channel, Command: cmd, Text: text})
	})
}

type messageRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	ThreadTS string `json:"thread_ts"`
}

// message posts what the user typed as their own message; the emulator
// keeps it escaped, as Slack's client sends it.
func (h *handler) message(w http.ResponseWriter, r *http.Request) {
	var req messageRequest
	if !decode(w, r, &req) {
		return
	}
	user := h.resolveUser(req.User)
	channel := req.Channel
	if channel == channelDM {
		channel = h.emu.DMChannel(user)
	}
	c, ok := h.emu.Channel(channel)
	if !ok {
		fail(w, http.StatusBadRequest, "no such channel")
		return
	}
	if !slices.Contains(c.Members, user) {
		// A private channel's name is a private incident's title: to a
		// non-member it is refused like any other action there, unnamed.
		if c.Private || c.IM {
			fail(w, http.StatusForbidden, notVisible)
			return
		}
		fail(w, http.StatusBadRequest, "You are not in #"+c.Name+"; only its members can post there.")
		return
	}
	// The emulator escapes & < > as Slack's client does; the references
	// linkNames makes are markup, which it keeps.
	text := h.linkNames(user, strings.TrimSpace(req.Text), false)
	if text == "" {
		fail(w, http.StatusBadRequest, "Type a message first.")
		return
	}
	var err error
	if req.ThreadTS != "" {
		_, err = h.emu.PostUserReply(c.ID, req.ThreadTS, user, text)
	} else {
		_, err = h.emu.PostUserMessage(c.ID, user, text)
	}
	h.delivered(w, "posting", err)
}

var nameRef = regexp.MustCompile(`(^|[\s(])([@#])([A-Za-z0-9][A-Za-z0-9._-]*)`)

// linkNames turns @handle and #channel-name into Slack's escaped references,
// as Slack does before user's text reaches the app. Unknown names stay as
// typed, and so do the names of private channels user is not in: Slack
// knows no such channel to them.
func (h *handler) linkNames(user, text string, withLabel bool) string {
	users := map[string]string{}
	for _, u := range h.emu.Users() {
		if !u.Deleted {
			users[strings.ToLower(u.Name)] = u.ID
		}
	}
	channels := map[string]string{}
	for _, c := range h.emu.Channels() {
		if !c.Private || slices.Contains(c.Members, user) {
			channels[c.Name] = c.ID
		}
	}
	return nameRef.ReplaceAllStringFunc(text, func(m string) string {
		sub := nameRef.FindStringSubmatch(m)
		prefix, sigil, word := sub[1], sub[2], sub[3]
		name := strings.TrimRight(word, "._-")
		tail := word[len(name):]
		label := ""
		if withLabel {
			label = "|" + name
		}
		switch {
		case sigil == "@" && users[strings.ToLower(name)] != "":
			return prefix + "<@" + users[strings.ToLower(name)] + label + ">" + tail
		case sigil == "#" && channels[name] != "":
			return prefix + "<#" + channels[name] + label + ">" + tail
		}
		return m
	})
}

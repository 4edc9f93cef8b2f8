package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/incidentbot/incidentbot/internal/mrkdwn"
	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// deliveryTimeout bounds one user action: the emulator itself gives up after
// Slack's 3 s ack deadline, so this only guards against a stuck socket.
const deliveryTimeout = 15 * time.Second

type stateResponse struct {
	User        string     `json:"user"`
	Channel     string     `json:"channel"`
	Kind        string     `json:"kind"`
	Connected   bool       `json:"connected"`
	Sidebar     string     `json:"sidebar"`
	Header      string     `json:"header"`
	Messages    string     `json:"messages"`
	Modal       *modalJSON `json:"modal"`
	Placeholder string     `json:"placeholder"`
}

type modalJSON struct {
	ID   string `json:"id"`
	Hash string `json:"hash"`
	HTML string `json:"html"`
}

type messagesVM struct {
	Messages []messageVM
	Empty    string
	Home     bool
}

// state answers what one user sees with one channel open: the sidebar, the
// channel's header and messages (the user's ephemerals included) and the
// user's open modal, as HTML fragments rendered from the emulator's state.
func (h *handler) state(w http.ResponseWriter, r *http.Request) {
	user := h.resolveUser(r.URL.Query().Get("user"))
	if user == "" {
		fail(w, http.StatusConflict, "the workspace has no users")
		return
	}
	snap := h.snapshot(user)
	res := stateResponse{User: user, Connected: h.emu.Connections() > 0}
	var header headerVM
	var msgs messagesVM
	current := r.URL.Query().Get("channel")
	switch {
	case current == channelHome:
		res.Channel, res.Kind = channelHome, "home"
		header = headerVM{Name: snap.names.userName(snap.botID), Kind: "home"}
		blocks, ok := snap.home()
		msgs.Home = true
		if ok {
			msgs.Messages = []messageVM{{Blocks: blocks}}
		} else {
			msgs.Empty = "The app has not published a Home tab for you. Slack sends it app_home_opened each time you open this tab."
		}
	default:
		c, ok := h.openChannel(snap, user, current)
		if !ok {
			fail(w, http.StatusConflict, "no channel to show")
			return
		}
		res.Channel, res.Kind = c.ID, "channel"
		if c.IM {
			res.Channel, res.Kind = channelDM, "dm"
		}
		header = snap.header(c)
		msgs.Messages = snap.messages(c.ID)
		msgs.Empty = "No messages yet."
		res.Placeholder = "Message #" + c.Name + " — or type " + h.command + " help"
		if c.IM {
			res.Placeholder = "Message " + header.Name + " — or type " + h.command + " help"
		}
	}
	var err error
	fragments := []struct {
		name string
		data any
		out  *string
	}{
		{"sidebar", snap.sidebar(res.Channel), &res.Sidebar},
		{"header", header, &res.Header},
		{"messages", msgs, &res.Messages},
	}
	for _, f := range fragments {
		if *f.out, err = h.fragment(f.name, f.data); err != nil {
			h.log.Error().Err(err).Str("template", f.name).Msg("sandbox: render")
			fail(w, http.StatusInternalServerError, "render failed")
			return
		}
	}
	if m := snap.modal(); m != nil {
		html, err := h.fragment("modal", m)
		if err != nil {
			h.log.Error().Err(err).Msg("sandbox: render modal")
			fail(w, http.StatusInternalServerError, "render failed")
			return
		}
		res.Modal = &modalJSON{ID: m.ID, Hash: m.Hash, HTML: html}
	}
	writeJSON(w, http.StatusOK, res)
}

// resolveUser returns id when it is a person in the workspace, else the
// first person.
func (h *handler) resolveUser(id string) string {
	people := h.people()
	for _, p := range people {
		if p.ID == id {
			return id
		}
	}
	if len(people) > 0 {
		return people[0].ID
	}
	return ""
}

// openChannel resolves the channel the UI asked for; a channel the user may
// not see falls back to the announcements channel.
func (h *handler) openChannel(snap *snapshot, user, id string) (slackemu.Channel, bool) {
	if id == channelDM {
		id = h.emu.DMChannel(user)
	}
	if c, ok := h.emu.Channel(id); ok && (!c.Private || slices.Contains(c.Members, user)) && (!c.IM || id == h.emu.DMChannel(user)) {
		return c, true
	}
	if c, ok := h.emu.Channel(h.announce); ok {
		return c, true
	}
	if len(snap.names.channelOrder) > 0 {
		return snap.names.channels[snap.names.channelOrder[0]], true
	}
	return slackemu.Channel{}, false
}

// liveKinds are the changes that alter what the UI shows.
var liveKinds = map[string]bool{
	slackemu.ChangeUser: true, slackemu.ChangeChannel: true, slackemu.ChangeMembers: true,
	slackemu.ChangeMessage: true, slackemu.ChangeMessageUpdated: true, slackemu.ChangeMessageDeleted: true,
	slackemu.ChangeEphemeral: true, slackemu.ChangeView: true, slackemu.ChangeFile: true,
	slackemu.ChangeConnection: true,
}

// events streams the emulator's change feed as server-sent events; the page
// fetches the state again when one arrives.
func (h *handler) events(w http.ResponseWriter, r *http.Request) {
	flusher, ok := w.(http.Flusher)
	if !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	changes, cancel := h.emu.Subscribe()
	defer cancel()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprint(w, "retry: 1000\n\n")
	flusher.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case c, ok := <-changes:
			if !ok {
				return
			}
			if !liveKinds[c.Kind] {
				continue
			}
			// The stream has no viewer, so it names only public channels:
			// which private channel is busy, or who got an ephemeral, is
			// itself private. The page refetches its state on any event.
			channel, user := c.Channel, ""
			if ch, ok := h.emu.Channel(channel); !ok || ch.Private {
				channel = ""
			}
			if c.Kind == slackemu.ChangeUser {
				user = c.UserID
			}
			data, _ := json.Marshal(map[string]any{"seq": c.Seq, "kind": c.Kind, "channel": channel, "user": user})
			if _, err := fmt.Fprintf(w, "data: %s\n\n", data); err != nil {
				return
			}
			flusher.Flush()
		}
	}
}

// canSee reports whether user may read the channel: a public one, or a
// private one (an incident's, a DM) they are a member of. The UI hides what
// the picked user may not see; this is what makes that hold for any request.
func (h *handler) canSee(user, channelID string) bool {
	c, ok := h.emu.Channel(channelID)
	return ok && (!c.Private || slices.Contains(c.Members, user))
}

// viewer is the person a read names with ?user=: exactly a person of the
// workspace, never the UI's fallback to the first one, so that a request
// naming nobody reads nothing private.
func (h *handler) viewer(r *http.Request) string {
	id := r.URL.Query().Get("user")
	for _, p := range h.people() {
		if p.ID == id {
			return id
		}
	}
	return ""
}

// file answers an uploaded file rendered for reading: Markdown as HTML,
// anything else as preformatted text. Like Slack, it shows a file only to
// someone who can see a channel it was shared in; to anyone else it does not
// exist (a private incident's postmortem names its people and its failure).
func (h *handler) file(w http.ResponseWriter, r *http.Request) {
	id := r.URL.Query().Get("id")
	user := h.viewer(r)
	for _, f := range h.emu.Files() {
		if f.ID != id {
			continue
		}
		if user == "" || !slices.ContainsFunc(f.Channels, func(c string) bool { return h.canSee(user, c) }) {
			break
		}
		res := map[string]any{"id": f.ID, "name": f.Name, "title": f.Title, "size": size(len(f.Content))}
		if isMarkdown(f.Name) {
			res["html"] = string(markdown(string(f.Content)))
		} else {
			res["html"] = "<pre>" + html.EscapeString(string(f.Content)) + "</pre>"
		}
		writeJSON(w, http.StatusOK, res)
		return
	}
	fail(w, http.StatusNotFound, "no such file")
}

func isMarkdown(name string) bool {
	lower := strings.ToLower(name)
	return strings.HasSuffix(lower, ".md") || strings.HasSuffix(lower, ".markdown")
}

// decode reads a JSON request body.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		fail(w, http.StatusBadRequest, "bad request: "+err.Error())
		return false
	}
	return true
}

// delivered answers the outcome of delivering something to the bot, in the
// words Slack's client would use.
func (h *handler) delivered(w http.ResponseWriter, what string, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
	case errors.Is(err, slackemu.ErrNoAck):
		fail(w, http.StatusGatewayTimeout, what+" failed with the error \"operation_timeout\": the app did not answer within 3 seconds.")
	case errors.Is(err, context.DeadlineExceeded):
		fail(w, http.StatusGatewayTimeout, what+": the app is not connected.")
	default:
		fail(w, http.StatusBadRequest, err.Error())
	}
}

func (h *handler) deliveryContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), deliveryTimeout)
}

// notVisible answers an action in a channel the user cannot see, which
// Slack's client could not have sent.
const notVisible = "That channel is private, and you are not in it."

// actor is the user (resolved from id) an action in channel comes from;
// false, answered, when they cannot see the channel.
func (h *handler) actor(w http.ResponseWriter, id, channel string) (string, bool) {
	user := h.resolveUser(id)
	if !h.canSee(user, channel) {
		fail(w, http.StatusForbidden, notVisible)
		return "", false
	}
	return user, true
}

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
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	_, err := h.emu.SlashCommand(ctx, slackemu.SlashCommand{
		UserID: user, ChannelID: channel, Command: cmd, Text: h.linkNames(user, strings.TrimSpace(rest), true),
	})
	h.delivered(w, cmd, err)
}

type messageRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	Text     string `json:"text"`
	ThreadTS string `json:"thread_ts"`
}

// message posts what the user typed as their own message, escaped as Slack's
// client sends it.
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
	text := h.linkNames(user, mrkdwn.Escape(strings.TrimSpace(req.Text)), false)
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

type actionRequest struct {
	User     string `json:"user"`
	Channel  string `json:"channel"`
	TS       string `json:"ts"`
	Kind     string `json:"kind"` // button, users_select, static_select, overflow
	ActionID string `json:"action_id"`
	Value    string `json:"value"`
}

// action delivers block_actions for a click or a pick in a message.
func (h *handler) action(w http.ResponseWriter, r *http.Request) {
	var req actionRequest
	if !decode(w, r, &req) {
		return
	}
	channel := req.Channel
	user, ok := h.actor(w, req.User, channel)
	if !ok {
		return
	}
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	var err error
	switch req.Kind {
	case "button":
		_, err = h.emu.ClickButton(ctx, user, channel, req.TS, req.ActionID, req.Value)
	case "users_select":
		_, err = h.emu.SelectUser(ctx, user, channel, req.TS, req.ActionID, req.Value)
	case "static_select", "overflow":
		_, err = h.emu.SelectOption(ctx, user, channel, req.TS, req.ActionID, req.Value)
	default:
		fail(w, http.StatusBadRequest, "the sandbox cannot operate a "+req.Kind)
		return
	}
	h.delivered(w, "That action", err)
}

type shortcutRequest struct {
	User       string `json:"user"`
	Channel    string `json:"channel"`
	TS         string `json:"ts"`
	CallbackID string `json:"callback_id"`
}

func (h *handler) shortcut(w http.ResponseWriter, r *http.Request) {
	var req shortcutRequest
	if !decode(w, r, &req) {
		return
	}
	if !slices.ContainsFunc(h.shortcuts, func(s Shortcut) bool { return s.CallbackID == req.CallbackID }) {
		fail(w, http.StatusBadRequest, "the app declares no such shortcut")
		return
	}
	user, ok := h.actor(w, req.User, req.Channel)
	if !ok {
		return
	}
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	_, err := h.emu.MessageShortcut(ctx, user, req.Channel, req.TS, req.CallbackID)
	h.delivered(w, "The shortcut", err)
}

type reactRequest struct {
	User    string `json:"user"`
	Channel string `json:"channel"`
	TS      string `json:"ts"`
	Name    string `json:"name"`
}

func (h *handler) react(w http.ResponseWriter, r *http.Request) {
	var req reactRequest
	if !decode(w, r, &req) {
		return
	}
	user, ok := h.actor(w, req.User, req.Channel)
	if !ok {
		return
	}
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	_, err := h.emu.React(ctx, user, req.Channel, req.TS, req.Name)
	h.delivered(w, "The reaction", err)
}

type viewRequest struct {
	User   string         `json:"user"`
	View   string         `json:"view"`
	Values map[string]any `json:"values"` // block_id → a string, or a list of strings
}

// submitView delivers a view_submission; the bot's validation errors come
// back through the emulator's state (View.Errors) and show on the fields.
func (h *handler) submitView(w http.ResponseWriter, r *http.Request) {
	var req viewRequest
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	_, err := h.emu.SubmitView(ctx, h.resolveUser(req.User), req.View, req.Values)
	h.delivered(w, "Submitting", err)
}

func (h *handler) closeView(w http.ResponseWriter, r *http.Request) {
	var req viewRequest
	if !decode(w, r, &req) {
		return
	}
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	_, err := h.emu.CloseView(ctx, h.resolveUser(req.User), req.View)
	h.delivered(w, "Closing", err)
}

// openHome is the user opening the app's Home tab: Slack sends
// app_home_opened every time.
func (h *handler) openHome(w http.ResponseWriter, r *http.Request) {
	var req viewRequest
	if !decode(w, r, &req) {
		return
	}
	user := h.resolveUser(req.User)
	event := map[string]any{"type": "app_home_opened", "user": user, "channel": h.emu.DMChannel(user), "tab": "home"}
	for _, v := range h.emu.Views() {
		if v.Type == "home" && v.UserID == user {
			var view any
			if json.Unmarshal(v.View, &view) == nil {
				event["view"] = view
			}
		}
	}
	ctx, cancel := h.deliveryContext(r)
	defer cancel()
	_, err := h.emu.Event(ctx, event)
	h.delivered(w, "Opening Home", err)
}

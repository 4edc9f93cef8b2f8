package sandbox

import (
	"html"
	"net/http"
	"slices"
	"strings"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

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

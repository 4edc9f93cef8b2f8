package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

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

package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// deliveryTimeout bounds one user action: the emulator itself gives up after
// Slack's 3 s ack deadline, so this only guards against a stuck socket.
const deliveryTimeout = 15 * time.Second

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

// deliver sends a user's action to the app, bounded by deliveryTimeout, and
// answers its outcome (delivered).
func (h *handler) deliver(w http.ResponseWriter, r *http.Request, what string, send func(context.Context) (slackemu.Ack, error)) {
	ctx, cancel := context.WithTimeout(r.Context(), deliveryTimeout)
	defer cancel()
	_, err := send(ctx)
	h.delivered(w, what, err)
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
	var operate func(ctx context.Context, userID, channelID, messageTS, actionID, value string) (slackemu.Ack, error)
	switch req.Kind {
	case "button":
		operate = h.emu.ClickButton
	case "users_select":
		operate = h.emu.SelectUser
	case "static_select", "overflow":
		operate = h.emu.SelectOption
	default:
		fail(w, http.StatusBadRequest, "the sandbox cannot operate a "+req.Kind)
		return
	}
	h.deliver(w, r, "That action", func(ctx context.Context) (slackemu.Ack, error) {
		return operate(ctx, user, channel, req.TS, req.ActionID, req.Value)
	})
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
	h.deliver(w, r, "The shortcut", func(ctx context.Context) (slackemu.Ack, error) {
		return h.emu.MessageShortcut(ctx, user, req.Channel, req.TS, req.CallbackID)
	})
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
	h.deliver(w, r, "The reaction", func(ctx context.Context) (slackemu.Ack, error) {
		return h.emu.React(ctx, user, req.Channel, req.TS, req.Name)
	})
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
	h.deliver(w, r, "Submitting", func(ctx context.Context) (slackemu.Ack, error) {
		return h.emu.SubmitView(ctx, h.resolveUser(req.User), req.View, req.Values)
	})
}

func (h *handler) closeView(w http.ResponseWriter, r *http.Request) {
	var req viewRequest
	if !decode(w, r, &req) {
		return
	}
	h.deliver(w, r, "Closing", func(ctx context.Context) (slackemu.Ack, error) {
		return h.emu.CloseView(ctx, h.resolveUser(req.User), req.View)
	})
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
	h.deliver(w, r, "Opening Home", func(ctx context.Context) (slackemu.Ack, error) {
		return h.emu.Event(ctx, event)
	})
}

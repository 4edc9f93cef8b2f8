package slackemu

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"
)

const (
	maxViewBytes = 250_000 // view_too_large, M/views.update
	maxViewStack = 3       // MOD-doc
)

type view struct {
	id, hash, triggerID, user string
	typ                       string // modal | home
	rootID, previousID        string
	body                      map[string]any // the view object as the bot sent it
	closed                    bool
	errors                    map[string]string
	rendered                  json.RawMessage
}

// trigger is a minted trigger_id: valid for TriggerTTL, single use.
type trigger struct {
	user   string
	minted time.Time
	used   bool
	viewID string // the modal an interaction came from, where views.push stacks
}

// mintTrigger needs s.mu.
func (s *Server) mintTrigger(user, viewID string) string {
	s.ws.counters["trigger"]++
	id := fmt.Sprintf("%d.%d.%s", 1_000_000_000+s.ws.counters["trigger"], 26768298162, randHex(32))
	s.ws.triggers[id] = &trigger{user: user, minted: s.now(), viewID: viewID}
	return id
}

// useTrigger checks and consumes a trigger_id; a non-nil result is the error answer.
func (s *Server) useTrigger(id string) (*trigger, *apiResult) {
	t, ok := s.ws.triggers[id]
	var res apiResult
	switch {
	case !ok:
		res = failWith("invalid_arguments", map[string]any{"response_metadata": map[string]any{"messages": []string{"invalid `trigger_id`"}}})
	case t.used:
		res = failure("exchanged_trigger_id")
	case s.now().Sub(t.minted) > s.opts.TriggerTTL:
		res = failure("expired_trigger_id")
	default:
		t.used = true
		return t, nil
	}
	return nil, &res
}

// readView decodes and validates the "view" argument for the given view types.
func readView(req *apiRequest, types ...string) (map[string]any, *apiResult) {
	raw, ok, err := req.raw("view")
	if !ok || err != nil {
		res := viewErrors([]string{"missing required field: view [json-pointer:/view]"})
		return nil, &res
	}
	return checkView(raw, types...)
}

func checkView(raw json.RawMessage, types ...string) (map[string]any, *apiResult) {
	if len(raw) > maxViewBytes {
		res := failure("view_too_large")
		return nil, &res
	}
	if problems := validateView(raw, types...); len(problems) > 0 {
		res := viewErrors(problems)
		return nil, &res
	}
	v, _ := decodeJSON(raw)
	body, _ := v.(map[string]any)
	return body, nil
}

func (s *Server) externalIDTaken(body map[string]any, except *view) bool {
	ext, _ := body["external_id"].(string)
	if ext == "" {
		return false
	}
	for _, v := range s.ws.views {
		if v != except && v.body["external_id"] == ext {
			return true
		}
	}
	return false
}

// newView stores a view; needs s.mu.
func (s *Server) newView(user, triggerID, typ string, body map[string]any, previous *view) *view {
	v := &view{id: s.ws.nextID("V"), user: user, triggerID: triggerID, typ: typ, body: body}
	v.rootID = v.id
	if previous != nil {
		v.rootID, v.previousID = previous.rootID, previous.id
	}
	v.hash = s.viewHash()
	s.ws.views[v.id] = v
	s.ws.viewOrder = append(s.ws.viewOrder, v.id)
	s.renderView(v)
	return v
}

func (s *Server) viewHash() string { return fmt.Sprintf("%d.%s", s.now().Unix(), randHex(8)) }

// renderView refreshes v.rendered, the view object as the Web API returns it.
func (s *Server) renderView(v *view) {
	out := map[string]any{
		"private_metadata": "", "callback_id": "", "external_id": "",
		"clear_on_close": false, "notify_on_close": false,
	}
	maps.Copy(out, v.body)
	var previous any
	if v.previousID != "" {
		previous = v.previousID
	}
	maps.Copy(out, map[string]any{
		"id": v.id, "team_id": s.teamID, "type": v.typ, "hash": v.hash,
		"state":        map[string]any{"values": map[string]any{}}, // an object: slack-go cannot decode "values":[]
		"root_view_id": v.rootID, "previous_view_id": previous,
		"app_id": s.appID, "app_installed_team_id": s.teamID, "bot_id": s.botID,
	})
	v.rendered, _ = marshalJSON(out)
	s.emit(Change{Kind: ChangeView, ViewID: v.id, UserID: v.user})
}

func (v *view) export() View {
	str := func(k string) string { s, _ := v.body[k].(string); return s }
	return View{
		ID: v.id, Hash: v.hash, TriggerID: v.triggerID, UserID: v.user,
		View: append(json.RawMessage(nil), v.rendered...), Closed: v.closed,
		Type: v.typ, CallbackID: str("callback_id"), ExternalID: str("external_id"),
		RootViewID: v.rootID, PreviousViewID: v.previousID, Errors: maps.Clone(v.errors),
	}
}

func (s *Server) viewsOpen(req *apiRequest) apiResult {
	body, bad := readView(req, "modal")
	if bad != nil {
		return *bad
	}
	triggerID := triggerArg(req)
	t, bad := s.useTrigger(triggerID)
	if bad != nil {
		return *bad
	}
	if s.externalIDTaken(body, nil) {
		return failure("duplicate_external_id")
	}
	v := s.newView(t.user, triggerID, "modal", body, nil)
	return success(map[string]any{"view": v.rendered})
}

func triggerArg(req *apiRequest) string {
	if id := req.str("trigger_id"); id != "" {
		return id
	}
	return req.str("interactivity_pointer")
}

func (s *Server) viewsPush(req *apiRequest) apiResult {
	body, bad := readView(req, "modal")
	if bad != nil {
		return *bad
	}
	triggerID := triggerArg(req)
	t, bad := s.useTrigger(triggerID)
	if bad != nil {
		return *bad
	}
	top := s.topView(t)
	if top == nil {
		return viewErrors([]string{"views.push needs a trigger_id from an interaction in an open modal [json-pointer:/trigger_id]"})
	}
	if s.stackSize(top.rootID) >= maxViewStack {
		return failure("push_limit_reached")
	}
	if s.externalIDTaken(body, nil) {
		return failure("duplicate_external_id")
	}
	v := s.newView(t.user, triggerID, "modal", body, top)
	return success(map[string]any{"view": v.rendered})
}

// topView is the open modal on top of the stack that t's interaction came from.
func (s *Server) topView(t *trigger) *view {
	from, ok := s.ws.views[t.viewID]
	if !ok || from.closed {
		return nil
	}
	var top *view
	for _, id := range s.ws.viewOrder {
		if v := s.ws.views[id]; v.rootID == from.rootID && !v.closed {
			top = v
		}
	}
	return top
}

func (s *Server) stackSize(rootID string) int {
	n := 0
	for _, v := range s.ws.views {
		if v.rootID == rootID && !v.closed {
			n++
		}
	}
	return n
}

func (s *Server) viewsUpdate(req *apiRequest) apiResult {
	body, bad := readView(req, "modal", "home")
	if bad != nil {
		return *bad
	}
	var v *view
	viewID, extID := req.str("view_id"), req.str("external_id")
	switch {
	case viewID != "":
		v = s.ws.views[viewID]
	case extID != "":
		for _, cand := range s.ws.views {
			if cand.body["external_id"] == extID {
				v = cand
			}
		}
	default:
		return viewErrors([]string{"missing required field: view_id [json-pointer:/view_id]"})
	}
	switch {
	case v == nil || v.closed:
		return failure("not_found")
	case req.str("hash") != "" && req.str("hash") != v.hash:
		return failure("hash_conflict")
	case body["type"] != v.typ:
		return viewErrors([]string{"must be a valid enum value [json-pointer:/view/type]"})
	case s.externalIDTaken(body, v):
		return failure("duplicate_external_id")
	}
	v.body, v.hash, v.errors = body, s.viewHash(), nil
	s.renderView(v)
	return success(map[string]any{"view": v.rendered})
}

func (s *Server) viewsPublish(req *apiRequest) apiResult {
	user := req.str("user_id")
	if _, ok := s.ws.users[user]; !ok {
		return failWith("invalid_arguments", map[string]any{"response_metadata": map[string]any{"messages": []string{"invalid `user_id`"}}})
	}
	body, bad := readView(req, "home")
	if bad != nil {
		return *bad
	}
	for _, id := range s.ws.viewOrder {
		v := s.ws.views[id]
		if v.typ != "home" || v.user != user {
			continue
		}
		if h := req.str("hash"); h != "" && h != v.hash {
			return failure("hash_conflict")
		}
		if s.externalIDTaken(body, v) {
			return failure("duplicate_external_id")
		}
		v.body, v.hash = body, s.viewHash()
		s.renderView(v)
		return success(map[string]any{"view": v.rendered})
	}
	if s.externalIDTaken(body, nil) {
		return failure("duplicate_external_id")
	}
	v := s.newView(user, "", "home", body, nil)
	return success(map[string]any{"view": v.rendered})
}

// applySubmissionAck applies the response_action of a view_submission ack (MOD-doc)
// and returns a problem description when Slack would show the user an error.
func (s *Server) applySubmissionAck(v *view, payload json.RawMessage) string {
	var resp struct {
		ResponseAction string            `json:"response_action"`
		Errors         map[string]string `json:"errors"`
		View           json.RawMessage   `json:"view"`
	}
	if len(payload) > 0 && string(payload) != "null" {
		if err := json.Unmarshal(payload, &resp); err != nil {
			return "view_submission ack payload is not a response_action object: " + err.Error()
		}
	}
	switch resp.ResponseAction {
	case "":
		v.closed = true // an empty ack closes the submitted view only
		s.renderView(v)
	case "errors":
		inputs := inputBlockIDs(v.body)
		v.errors = resp.Errors
		s.renderView(v)
		for key := range resp.Errors {
			if !inputs[key] {
				return fmt.Sprintf("response_action errors: %q is not the block_id of an input block", key)
			}
		}
	case "update", "push":
		body, bad := checkView(resp.View, "modal")
		if bad != nil {
			return fmt.Sprintf("response_action %s: invalid view: %s", resp.ResponseAction, bad.body["response_metadata"])
		}
		if resp.ResponseAction == "update" {
			v.body, v.hash, v.errors = body, s.viewHash(), nil
			s.renderView(v)
			return ""
		}
		if s.stackSize(v.rootID) >= maxViewStack {
			return "response_action push: push_limit_reached"
		}
		s.newView(v.user, "", "modal", body, v)
	case "clear":
		for _, other := range s.ws.views {
			if other.rootID == v.rootID && !other.closed {
				other.closed = true
				s.renderView(other)
			}
		}
	default:
		return fmt.Sprintf("unknown response_action %q", resp.ResponseAction)
	}
	return ""
}

func inputBlockIDs(body map[string]any) map[string]bool {
	out := map[string]bool{}
	blocks, _ := body["blocks"].([]any)
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && m["type"] == "input" {
			if id, ok := m["block_id"].(string); ok {
				out[id] = true
			}
		}
	}
	return out
}

// MintTriggerID returns a fresh trigger_id for userID, as an interaction would
// carry: valid for TriggerTTL on the Now clock, single use.
func (s *Server) MintTriggerID(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mintTrigger(userID, "")
}

package slackemu

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
)

// SubmitView delivers view_submission for the open modal viewID as userID submits
// it. values maps an input's block_id (or action_id) to what the user entered:
// a string for plain_text_input (and email/url/number inputs), static_select and
// radio_buttons (the option value), users_select, conversations_select,
// channels_select, datepicker, timepicker; a []string for checkboxes and the
// multi-selects. Like Slack's client, it refuses (with an error, nothing sent) to
// submit a view with a required input left empty, a value longer than max_length,
// or an option that is not offered. An input missing from values is submitted
// with its initial value (initial_value, initial_option, initial_user, …), as
// the user left it; "" or an empty list clears it. The ack's response_action is applied: errors
// keep the view open with View.Errors set; update, push and clear act as at Slack;
// an empty ack closes the view.
func (s *Server) SubmitView(ctx context.Context, userID, viewID string, values map[string]any) (Ack, error) {
	s.mu.Lock()
	v, err := s.openView(userID, viewID)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: SubmitView: %w", err)
	}
	state, err := s.buildState(v.body, values)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: SubmitView %s: %w", viewID, err)
	}
	var viewObj map[string]any
	_ = json.Unmarshal(v.rendered, &viewObj)
	viewObj["state"] = map[string]any{"values": state}
	v.errors = nil
	payload := map[string]any{
		"type": "view_submission", "user": s.userObject(s.ws.users[userID]),
		"trigger_id": s.mintTrigger(userID, v.id), "view": viewObj, "response_urls": []any{},
	}
	s.fillCommon(payload)
	s.mu.Unlock()
	raw, _ := marshalJSON(payload)
	env := Envelope{Type: "interactive", Payload: raw, AcceptsResponsePayload: true}
	return s.deliverOnce(ctx, env, s.ackEffects(env))
}

// CloseView is the user closing the modal viewID with Cancel: the view closes and,
// if it set notify_on_close, a view_closed payload is delivered (else the Ack is
// empty and nothing is sent).
func (s *Server) CloseView(ctx context.Context, userID, viewID string) (Ack, error) {
	s.mu.Lock()
	v, err := s.openView(userID, viewID)
	if err != nil {
		s.mu.Unlock()
		return Ack{}, fmt.Errorf("slackemu: CloseView: %w", err)
	}
	v.closed = true
	s.renderView(v)
	notify, _ := v.body["notify_on_close"].(bool)
	var viewObj map[string]any
	_ = json.Unmarshal(v.rendered, &viewObj)
	payload := map[string]any{"type": "view_closed", "user": s.userObject(s.ws.users[userID]), "view": viewObj, "is_cleared": false}
	s.fillCommon(payload)
	s.mu.Unlock()
	if !notify {
		return Ack{}, nil
	}
	raw, _ := marshalJSON(payload)
	return s.deliverOnce(ctx, Envelope{Type: "interactive", Payload: raw}, nil)
}

// openView needs s.mu.
func (s *Server) openView(userID, viewID string) (*view, error) {
	v, ok := s.ws.views[viewID]
	switch {
	case !ok:
		return nil, fmt.Errorf("no view %q", viewID)
	case v.typ != "modal":
		return nil, fmt.Errorf("view %s is a %s, not a modal", viewID, v.typ)
	case v.closed:
		return nil, fmt.Errorf("view %s is closed", viewID)
	case v.user != userID:
		return nil, fmt.Errorf("view %s belongs to %s, not %s", viewID, v.user, userID)
	}
	if _, ok := s.ws.users[userID]; !ok {
		return nil, fmt.Errorf("unknown user %q", userID)
	}
	return v, nil
}

// buildState turns simple values into view.state.values for the view's inputs;
// needs s.mu.
func (s *Server) buildState(body map[string]any, values map[string]any) (map[string]any, error) {
	state := map[string]any{}
	used := map[string]bool{}
	blocks, _ := body["blocks"].([]any)
	for i, b := range blocks {
		block, _ := b.(map[string]any)
		if block["type"] != "input" {
			continue
		}
		el, _ := block["element"].(map[string]any)
		blockID, _ := block["block_id"].(string)
		if blockID == "" {
			blockID = "block" + strconv.Itoa(i) // Slack generates one
		}
		actionID, _ := el["action_id"].(string)
		if actionID == "" {
			actionID = "action" + strconv.Itoa(i)
		}
		val, given := values[blockID]
		key := blockID
		if !given {
			val, given = values[actionID]
			key = actionID
		}
		if given {
			used[key] = true
		} else {
			// Slack's client submits what the input shows, and before the
			// user touches it that is its initial value.
			val, given = initialValue(el)
		}
		optional, _ := block["optional"].(bool)
		obj, filled, err := s.elementValue(el, val, given)
		if err != nil {
			return nil, fmt.Errorf("input %q: %w", blockID, err)
		}
		if !filled && !optional {
			return nil, fmt.Errorf("input %q is required: Slack does not let the user submit without it", blockID)
		}
		state[blockID] = map[string]any{actionID: obj}
	}
	for k := range values {
		if !used[k] {
			return nil, fmt.Errorf("the view has no input %q", k)
		}
	}
	return state, nil
}

// elementValue renders one input's state; filled says whether the user gave a value.
func (s *Server) elementValue(el map[string]any, val any, given bool) (map[string]any, bool, error) {
	typ, _ := el["type"].(string)
	out := map[string]any{"type": typ}
	switch typ {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input", "rich_text_input":
		out["value"] = nil
		if !given {
			return out, false, nil
		}
		str, ok := val.(string)
		if !ok {
			return nil, false, fmt.Errorf("%s takes a string, got %T", typ, val)
		}
		if maxLen, ok := intField(el, "max_length"); ok && len([]rune(str)) > maxLen {
			return nil, false, fmt.Errorf("%d characters, over max_length %d", len([]rune(str)), maxLen)
		}
		if str != "" {
			out["value"] = str
		}
		return out, str != "", nil
	case "static_select", "radio_buttons", "external_select":
		out["selected_option"] = nil
		if !given {
			return out, false, nil
		}
		str, ok := val.(string)
		if !ok {
			return nil, false, fmt.Errorf("%s takes an option value string, got %T", typ, val)
		}
		opt, err := findOption(el, str, typ == "external_select")
		if err != nil {
			return nil, false, err
		}
		out["selected_option"] = opt
		return out, true, nil
	case "checkboxes", "multi_static_select", "multi_external_select":
		list, err := stringList(val, given)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", typ, err)
		}
		opts := []any{}
		for _, v := range list {
			opt, err := findOption(el, v, typ == "multi_external_select")
			if err != nil {
				return nil, false, err
			}
			opts = append(opts, opt)
		}
		out["selected_options"] = opts
		return out, len(opts) > 0, nil
	case "users_select", "conversations_select", "channels_select", "datepicker", "timepicker":
		field := map[string]string{
			"users_select": "selected_user", "conversations_select": "selected_conversation",
			"channels_select": "selected_channel", "datepicker": "selected_date", "timepicker": "selected_time",
		}[typ]
		out[field] = nil
		if !given {
			return out, false, nil
		}
		str, ok := val.(string)
		if !ok {
			return nil, false, fmt.Errorf("%s takes a string, got %T", typ, val)
		}
		if typ == "users_select" {
			if _, known := s.ws.users[str]; !known {
				return nil, false, fmt.Errorf("unknown user %q", str)
			}
		}
		out[field] = str
		return out, str != "", nil
	case "multi_users_select", "multi_conversations_select", "multi_channels_select":
		field := map[string]string{
			"multi_users_select": "selected_users", "multi_conversations_select": "selected_conversations",
			"multi_channels_select": "selected_channels",
		}[typ]
		list, err := stringList(val, given)
		if err != nil {
			return nil, false, fmt.Errorf("%s: %w", typ, err)
		}
		out[field] = list
		return out, len(list) > 0, nil
	}
	return nil, false, fmt.Errorf("SubmitView does not support %q inputs", typ)
}

func stringList(val any, given bool) ([]string, error) {
	if !given {
		return []string{}, nil
	}
	switch v := val.(type) {
	case []string:
		return v, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			str, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("want strings, got %T", x)
			}
			out = append(out, str)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want []string, got %T", val)
}

// findOption returns the element's option with that value (options or
// option_groups); external selects accept any value.
func findOption(el map[string]any, value string, external bool) (any, error) {
	var all []any
	if opts, ok := el["options"].([]any); ok {
		all = append(all, opts...)
	}
	if groups, ok := el["option_groups"].([]any); ok {
		for _, g := range groups {
			if gm, ok := g.(map[string]any); ok {
				if opts, ok := gm["options"].([]any); ok {
					all = append(all, opts...)
				}
			}
		}
	}
	for _, o := range all {
		if om, ok := o.(map[string]any); ok && om["value"] == value {
			return om, nil
		}
	}
	if external {
		return map[string]any{"text": map[string]any{"type": "plain_text", "text": value}, "value": value}, nil
	}
	return nil, fmt.Errorf("no option with value %q", value)
}

package slackemu

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Block Kit validation with Slack's limits (its Block Kit reference) and Slack's
// message style: "must be less than 3001 characters [json-pointer:/blocks/0/text/text]".
// chat.* report the messages as invalid_blocks; views.* as invalid_arguments.

// surface is where blocks are shown; it decides the block count limit and whether
// input blocks are allowed.
type surface int

const (
	surfaceMessage surface = iota
	surfaceModal
	surfaceHome
)

type blockCheck struct {
	problems []string
	surf     surface
	blockIDs map[string]bool
}

func (c *blockCheck) addf(ptr, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, args...)+" [json-pointer:"+ptr+"]")
}

// decodeJSON is json.Decoder's Decode with UseNumber (see decodeValue).
// ptrAt is the JSON pointer of item i of the array at ptr (what
// fmt.Sprintf("%s/%d", ptr, i) gives, made for every block and element
// checked, not only those with a problem).
func ptrAt(ptr string, i int) string { return ptr + "/" + strconv.Itoa(i) }

func decodeJSON(raw json.RawMessage) (any, error) {
	if v, ok := decodeValue(string(raw)); ok {
		return v, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

// validateBlocks checks a blocks array shown on surf; ptr is its JSON pointer
// ("/blocks" or "/view/blocks"). It returns Slack-style problem messages.
func validateBlocks(raw json.RawMessage, surf surface, ptr string) []string {
	v, err := decodeJSON(raw)
	if err != nil {
		return []string{"invalid JSON [json-pointer:" + ptr + "]"}
	}
	return checkBlocks(v, surf, ptr)
}

// checkBlocks is validateBlocks of blocks already decoded (with UseNumber).
func checkBlocks(v any, surf surface, ptr string) []string {
	c := &blockCheck{surf: surf, blockIDs: map[string]bool{}}
	c.blocks(v, ptr)
	return c.problems
}

// validateView checks a view object; wantTypes lists the acceptable view types.
func validateView(raw json.RawMessage, wantTypes ...string) []string {
	v, err := decodeJSON(raw)
	if err != nil {
		return []string{"invalid JSON [json-pointer:/view]"}
	}
	c := &blockCheck{blockIDs: map[string]bool{}}
	c.view(v, "/view", wantTypes)
	return c.problems
}

func (c *blockCheck) view(v any, ptr string, wantTypes []string) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(ptr, "must be an object")
		return
	}
	typ, _ := m["type"].(string)
	switch {
	case typ == "":
		c.addf(ptr, "missing required field: type")
	case !slices.Contains(wantTypes, typ):
		c.addf(ptr+"/type", "must be a valid enum value")
	}
	c.surf = surfaceModal
	if typ == "home" {
		c.surf = surfaceHome
	}
	if typ == "modal" {
		if _, ok := m["title"]; !ok {
			c.addf(ptr, "missing required field: title")
		}
	}
	for _, key := range []string{"title", "submit", "close"} {
		if t, ok := m[key]; ok {
			c.text(t, ptr+"/"+key, 24, true)
		}
	}
	c.maxString(m, "private_metadata", ptr, 3000)
	c.maxString(m, "callback_id", ptr, 255)
	c.maxString(m, "external_id", ptr, 255)
	blocks, ok := m["blocks"]
	if !ok {
		c.addf(ptr, "missing required field: blocks")
		return
	}
	c.blocks(blocks, ptr+"/blocks")
	if typ == "modal" && m["submit"] == nil && hasInputBlock(blocks) {
		c.addf(ptr, "missing required field: submit")
	}
}

func hasInputBlock(blocks any) bool {
	list, _ := blocks.([]any)
	for _, b := range list {
		if m, ok := b.(map[string]any); ok && m["type"] == "input" {
			return true
		}
	}
	return false
}

func (c *blockCheck) blocks(v any, ptr string) {
	list, ok := v.([]any)
	if !ok {
		c.addf(ptr, "must be an array")
		return
	}
	limit := 50
	if c.surf != surfaceMessage {
		limit = 100
	}
	if len(list) > limit {
		c.addf(ptr, "no more than %d items allowed", limit)
	}
	for i, b := range list {
		c.block(b, ptrAt(ptr, i))
	}
}

func (c *blockCheck) block(v any, ptr string) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(ptr, "must be an object")
		return
	}
	if id, present := m["block_id"]; present {
		s, isStr := id.(string)
		switch {
		case !isStr:
			c.addf(ptr+"/block_id", "must be a string")
		case utf8.RuneCountInString(s) > 255:
			c.addf(ptr+"/block_id", "must be less than 256 characters")
		case c.blockIDs[s]:
			c.addf(ptr+"/block_id", "duplicate block_id: %s", s)
		default:
			c.blockIDs[s] = true
		}
	}
	typ, _ := m["type"].(string)
	switch typ {
	case "":
		c.addf(ptr, "missing required field: type")
	case "section":
		c.section(m, ptr)
	case "divider":
	case "header":
		c.required(m, "text", ptr, func(t any) { c.text(t, ptr+"/text", 150, true) })
	case "context":
		c.context(m, ptr)
	case "actions":
		c.elements(m, ptr, 25)
	case "input":
		c.input(m, ptr)
	case "image":
		c.image(m, ptr)
	case "markdown":
		c.required(m, "text", ptr, func(any) { c.maxString(m, "text", ptr, 12000) })
	case "rich_text":
		c.required(m, "elements", ptr, func(e any) {
			if _, ok := e.([]any); !ok {
				c.addf(ptr+"/elements", "must be an array")
			}
		})
	case "file":
		c.required(m, "external_id", ptr, func(any) {})
		c.required(m, "source", ptr, func(any) {})
	case "video":
		for _, k := range []string{"alt_text", "title", "video_url", "thumbnail_url"} {
			c.required(m, k, ptr, func(any) {})
		}
	default:
		c.addf(ptr+"/type", "unsupported block type: %s", typ)
	}
}

func (c *blockCheck) section(m map[string]any, ptr string) {
	_, hasText := m["text"]
	fields, hasFields := m["fields"]
	if !hasText && !hasFields {
		c.addf(ptr, "missing required field: text")
	}
	if hasText {
		c.text(m["text"], ptr+"/text", 3000, false)
	}
	if hasFields {
		list, ok := fields.([]any)
		switch {
		case !ok:
			c.addf(ptr+"/fields", "must be an array")
		case len(list) > 10:
			c.addf(ptr+"/fields", "no more than 10 items allowed")
		}
		for i, f := range list {
			c.text(f, ptrAt(ptr+"/fields", i), 2000, false)
		}
	}
	if acc, ok := m["accessory"]; ok {
		c.element(acc, ptr+"/accessory", inAccessory, map[string]bool{})
	}
}

func (c *blockCheck) context(m map[string]any, ptr string) {
	list, ok := m["elements"].([]any)
	switch {
	case m["elements"] == nil:
		c.addf(ptr, "missing required field: elements")
		return
	case !ok:
		c.addf(ptr+"/elements", "must be an array")
		return
	case len(list) == 0:
		c.addf(ptr+"/elements", "no fewer than 1 items allowed")
	case len(list) > 10:
		c.addf(ptr+"/elements", "no more than 10 items allowed")
	}
	for i, e := range list {
		p := ptrAt(ptr+"/elements", i)
		if em, ok := e.(map[string]any); ok && em["type"] == "image" {
			c.image(em, p)
			continue
		}
		c.text(e, p, 3000, false)
	}
}

func (c *blockCheck) input(m map[string]any, ptr string) {
	if c.surf == surfaceMessage {
		c.addf(ptr+"/type", "input blocks are only allowed in modals and Home tabs")
	}
	c.required(m, "label", ptr, func(l any) { c.text(l, ptr+"/label", 2000, true) })
	if h, ok := m["hint"]; ok {
		c.text(h, ptr+"/hint", 2000, true)
	}
	c.required(m, "element", ptr, func(e any) { c.element(e, ptr+"/element", inInput, map[string]bool{}) })
}

func (c *blockCheck) image(m map[string]any, ptr string) {
	if _, ok := m["image_url"]; !ok {
		if _, ok := m["slack_file"]; !ok {
			c.addf(ptr, "missing required field: image_url")
		}
	}
	c.maxString(m, "image_url", ptr, 3000)
	c.required(m, "alt_text", ptr, func(any) { c.maxString(m, "alt_text", ptr, 2000) })
	if t, ok := m["title"]; ok {
		c.text(t, ptr+"/title", 2000, true)
	}
}

// elements checks the "elements" array of an actions block.
func (c *blockCheck) elements(m map[string]any, ptr string, limit int) {
	list, ok := m["elements"].([]any)
	switch {
	case m["elements"] == nil:
		c.addf(ptr, "missing required field: elements")
		return
	case !ok:
		c.addf(ptr+"/elements", "must be an array")
		return
	case len(list) == 0:
		c.addf(ptr+"/elements", "no fewer than 1 items allowed")
	case len(list) > limit:
		c.addf(ptr+"/elements", "no more than %d items allowed", limit)
	}
	actionIDs := map[string]bool{}
	for i, e := range list {
		c.element(e, ptrAt(ptr+"/elements", i), inActions, actionIDs)
	}
}

// placement is where an element sits; elementAllowed says which element types
// each place takes (Block Kit reference, "Available in").
type placement int

const (
	inActions placement = iota
	inAccessory
	inInput
)

func elementAllowed(where placement, typ string) bool {
	switch typ {
	case "static_select", "external_select", "users_select", "conversations_select", "channels_select",
		"multi_static_select", "multi_external_select", "multi_users_select", "multi_conversations_select",
		"multi_channels_select", "checkboxes", "radio_buttons", "datepicker", "timepicker":
		return true
	case "button", "overflow", "workflow_button":
		return where != inInput
	case "datetimepicker":
		return where != inAccessory
	case "image":
		return where == inAccessory
	case "plain_text_input", "email_text_input", "url_text_input", "number_input", "file_input", "rich_text_input":
		return where == inInput
	}
	return false
}

func (c *blockCheck) element(v any, ptr string, where placement, actionIDs map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(ptr, "must be an object")
		return
	}
	typ, _ := m["type"].(string)
	if typ == "" {
		c.addf(ptr, "missing required field: type")
		return
	}
	if !elementAllowed(where, typ) {
		c.addf(ptr+"/type", "unsupported element type here: %s", typ)
		return
	}
	if id, ok := m["action_id"].(string); ok {
		if utf8.RuneCountInString(id) > 255 {
			c.addf(ptr+"/action_id", "must be less than 256 characters")
		}
		if actionIDs[id] {
			c.addf(ptr+"/action_id", "duplicate action_id: %s", id)
		}
		actionIDs[id] = true
	}
	if p, ok := m["placeholder"]; ok {
		c.text(p, ptr+"/placeholder", 150, true)
	}
	if cf, ok := m["confirm"]; ok {
		c.confirm(cf, ptr+"/confirm")
	}
	switch typ {
	case "button":
		c.required(m, "text", ptr, func(t any) { c.text(t, ptr+"/text", 75, true) })
		c.maxString(m, "value", ptr, 2000)
		c.maxString(m, "url", ptr, 3000)
		c.maxString(m, "accessibility_label", ptr, 75)
		if st, ok := m["style"]; ok && st != "primary" && st != "danger" {
			c.addf(ptr+"/style", "must be a valid enum value")
		}
	case "static_select", "multi_static_select":
		c.selectOptions(m, ptr)
		c.initialOptions(m, ptr)
	case "overflow":
		c.optionList(m, ptr, "options", 1, 5, true)
	case "checkboxes", "radio_buttons":
		c.optionList(m, ptr, "options", 1, 10, false)
		c.initialOptions(m, ptr)
	case "plain_text_input":
		minLen, hasMin := intField(m, "min_length")
		maxLen, hasMax := intField(m, "max_length")
		if hasMin && (minLen < 0 || minLen > 3000) {
			c.addf(ptr+"/min_length", "must be between 0 and 3000")
		}
		if hasMax && (maxLen < 1 || maxLen > 3000) {
			c.addf(ptr+"/max_length", "must be between 1 and 3000")
		}
		if hasMin && hasMax && minLen > maxLen {
			c.addf(ptr+"/min_length", "must not be greater than max_length")
		}
	case "datepicker":
		if d, ok := m["initial_date"].(string); ok && !isDate(d) {
			c.addf(ptr+"/initial_date", "must match YYYY-MM-DD")
		}
	case "image":
		c.image(m, ptr)
	}
}

func isDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

func (c *blockCheck) selectOptions(m map[string]any, ptr string) {
	_, hasOptions := m["options"]
	groups, hasGroups := m["option_groups"]
	switch {
	case hasOptions && hasGroups:
		c.addf(ptr, "must provide either options or option_groups, not both")
	case hasOptions:
		c.optionList(m, ptr, "options", 0, 100, true)
	case hasGroups:
		list, ok := groups.([]any)
		if !ok {
			c.addf(ptr+"/option_groups", "must be an array")
			return
		}
		if len(list) > 100 {
			c.addf(ptr+"/option_groups", "no more than 100 items allowed")
		}
		for i, g := range list {
			gp := ptrAt(ptr+"/option_groups", i)
			gm, ok := g.(map[string]any)
			if !ok {
				c.addf(gp, "must be an object")
				continue
			}
			c.required(gm, "label", gp, func(l any) { c.text(l, gp+"/label", 75, true) })
			c.optionList(gm, gp, "options", 1, 100, true)
		}
	default:
		c.addf(ptr, "missing required field: options")
	}
}

// initialOptions checks initial_option and initial_options against the
// element's options. The Block Kit reference wants each to "exactly match"
// one of them: the whole option object (text, value, description), not
// the value alone.
func (c *blockCheck) initialOptions(m map[string]any, ptr string) {
	offered, _ := m["options"].([]any)
	if groups, ok := m["option_groups"].([]any); ok {
		for _, g := range groups {
			gm, _ := g.(map[string]any)
			opts, _ := gm["options"].([]any)
			offered = append(offered, opts...)
		}
	}
	isOffered := func(o any) bool {
		return slices.ContainsFunc(offered, func(x any) bool { return reflect.DeepEqual(x, o) })
	}
	if init, ok := m["initial_option"]; ok && !isOffered(init) {
		c.addf(ptr+"/initial_option", "must match one of the options")
	}
	inits, ok := m["initial_options"]
	if !ok {
		return
	}
	list, isList := inits.([]any)
	if !isList {
		c.addf(ptr+"/initial_options", "must be an array")
		return
	}
	for i, init := range list {
		if !isOffered(init) {
			c.addf(ptrAt(ptr+"/initial_options", i), "must match one of the options")
		}
	}
}

func (c *blockCheck) optionList(m map[string]any, ptr, key string, minItems, maxItems int, plainOnly bool) {
	p := ptr + "/" + key
	raw, present := m[key]
	if !present {
		c.addf(ptr, "missing required field: %s", key)
		return
	}
	list, ok := raw.([]any)
	if !ok {
		c.addf(p, "must be an array")
		return
	}
	if len(list) < minItems {
		c.addf(p, "no fewer than %d items allowed", minItems)
	}
	if len(list) > maxItems {
		c.addf(p, "no more than %d items allowed", maxItems)
	}
	for i, o := range list {
		c.option(o, ptrAt(p, i), plainOnly)
	}
}

func (c *blockCheck) option(v any, ptr string, plainOnly bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(ptr, "must be an object")
		return
	}
	c.required(m, "text", ptr, func(t any) { c.text(t, ptr+"/text", 75, plainOnly) })
	c.required(m, "value", ptr, func(any) { c.maxString(m, "value", ptr, 150) })
	if d, ok := m["description"]; ok {
		c.text(d, ptr+"/description", 75, plainOnly)
	}
}

func (c *blockCheck) confirm(v any, ptr string) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(ptr, "must be an object")
		return
	}
	c.required(m, "title", ptr, func(t any) { c.text(t, ptr+"/title", 100, true) })
	c.required(m, "text", ptr, func(t any) { c.text(t, ptr+"/text", 300, false) })
	c.required(m, "confirm", ptr, func(t any) { c.text(t, ptr+"/confirm", 30, true) })
	c.required(m, "deny", ptr, func(t any) { c.text(t, ptr+"/deny", 30, true) })
}

// text checks a text composition object: type plain_text (or mrkdwn unless
// plainOnly) and 1..max characters.
func (c *blockCheck) text(v any, ptr string, maxLen int, plainOnly bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.addf(ptr, "must be an object")
		return
	}
	switch typ, _ := m["type"].(string); {
	case typ == "":
		c.addf(ptr, "missing required field: type")
	case typ == "plain_text":
	case typ == "mrkdwn" && !plainOnly:
	default:
		c.addf(ptr+"/type", "must be a valid enum value")
	}
	t, present := m["text"]
	s, isStr := t.(string)
	switch {
	case !present:
		c.addf(ptr, "missing required field: text")
	case !isStr:
		c.addf(ptr+"/text", "must be a string")
	case s == "":
		c.addf(ptr+"/text", "must be more than 0 characters")
	case utf8.RuneCountInString(s) > maxLen:
		c.addf(ptr+"/text", "must be less than %d characters", maxLen+1)
	}
}

func (c *blockCheck) required(m map[string]any, key, ptr string, check func(any)) {
	v, ok := m[key]
	if !ok || v == nil {
		c.addf(ptr, "missing required field: %s", key)
		return
	}
	check(v)
}

func (c *blockCheck) maxString(m map[string]any, key, ptr string, maxLen int) {
	v, ok := m[key]
	if !ok {
		return
	}
	s, isStr := v.(string)
	if !isStr {
		c.addf(ptr+"/"+key, "must be a string")
		return
	}
	if utf8.RuneCountInString(s) > maxLen {
		c.addf(ptr+"/"+key, "must be less than %d characters", maxLen+1)
	}
}

func intField(m map[string]any, key string) (int, bool) {
	n, ok := m[key].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return int(i), err == nil
}

// blockErrors is the chat.* answer for invalid blocks.
func blockErrors(problems []string) apiResult {
	return failWith("invalid_blocks", map[string]any{
		"errors":            problems,
		"response_metadata": map[string]any{"messages": errorMessages(problems)},
	})
}

// viewErrors is the views.* answer for an invalid view.
func viewErrors(problems []string) apiResult {
	return failWith("invalid_arguments", map[string]any{
		"response_metadata": map[string]any{"messages": errorMessages(problems)},
	})
}

func errorMessages(problems []string) []string {
	out := make([]string, len(problems))
	for i, p := range problems {
		out[i] = "[ERROR] " + p
	}
	return out
}

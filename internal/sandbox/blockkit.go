package sandbox

import (
	"encoding/json"
	"html"
	"html/template"
	"strings"
)

// blockVM is one Block Kit block, ready for the "block" template. Text fields
// are HTML built by the mrkdwn renderer or escaped plain text; every other
// string is escaped by html/template.
type blockVM struct {
	Type      string // header, section, context, divider, actions, image, input, unsupported
	BlockID   string
	Text      template.HTML
	Fields    []template.HTML
	Accessory *elementVM
	Elements  []elementVM // actions and context

	// input blocks
	Label    template.HTML
	Hint     template.HTML
	Optional bool
	Error    string
	Input    *elementVM

	// image blocks
	ImageURL, AltText string
	Title             template.HTML
}

// elementVM is one interactive or context element.
type elementVM struct {
	Type        string // see element()
	ActionID    string
	Value       string
	Style       string // primary, danger
	URL         string
	Label       template.HTML // button text, context text, image alt
	Placeholder string
	Options     []optionVM
	Multi       bool
	Multiline   bool
	MaxLength   int
	MinLength   int
	Initial     string
	Name        string // the form field (the input's block_id)
	Required    bool
}

// optionVM is an option of a select, checkbox group or radio group.
type optionVM struct {
	Value       string
	Text        string        // for <option>, which holds text only
	Label       template.HTML // for checkboxes and radios
	Description template.HTML
	Group       string
	Selected    bool
}

// obj is a decoded JSON object with forgiving accessors: Block Kit from the
// bot is valid (the emulator checked it), but the renderer never panics on a
// shape it did not expect.
type obj map[string]any

func (o obj) str(k string) string { s, _ := o[k].(string); return s }
func (o obj) boolean(k string) bool {
	b, _ := o[k].(bool)
	return b
}
func (o obj) num(k string) int { f, _ := o[k].(float64); return int(f) }
func (o obj) obj(k string) obj { m, _ := o[k].(map[string]any); return m }
func (o obj) list(k string) []obj {
	raw, _ := o[k].([]any)
	out := make([]obj, 0, len(raw))
	for _, x := range raw {
		if m, ok := x.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}
func (o obj) strings(k string) []string {
	raw, _ := o[k].([]any)
	var out []string
	for _, x := range raw {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// blocks renders a blocks array (a message's or a view's). errs holds a
// modal's validation errors by block_id.
func (n *names) blocks(raw json.RawMessage, errs map[string]string) []blockVM {
	var list []map[string]any
	if len(raw) == 0 || json.Unmarshal(raw, &list) != nil {
		return nil
	}
	out := make([]blockVM, 0, len(list))
	for _, m := range list {
		out = append(out, n.block(m, errs))
	}
	return out
}

func (n *names) block(b obj, errs map[string]string) blockVM {
	vm := blockVM{Type: b.str("type"), BlockID: b.str("block_id")}
	switch vm.Type {
	case "header":
		vm.Text = n.text(b.obj("text"))
	case "section":
		vm.Text = n.text(b.obj("text"))
		for _, f := range b.list("fields") {
			vm.Fields = append(vm.Fields, n.text(f))
		}
		if acc := b.obj("accessory"); acc != nil {
			el := n.element(acc)
			vm.Accessory = &el
		}
	case "context", "actions":
		for _, e := range b.list("elements") {
			vm.Elements = append(vm.Elements, n.element(e))
		}
	case "divider":
	case "image":
		vm.ImageURL, vm.AltText = b.str("image_url"), b.str("alt_text")
		vm.Title = n.text(b.obj("title"))
	case "input":
		vm.Label = n.text(b.obj("label"))
		vm.Hint = n.text(b.obj("hint"))
		vm.Optional = b.boolean("optional")
		vm.Error = errs[vm.BlockID]
		el := n.element(b.obj("element"))
		el.Name, el.Required = vm.BlockID, !vm.Optional
		vm.Input = &el
	case "rich_text":
		vm.Type = "section"
		vm.Text = n.richText(b)
	default:
		vm.Type, vm.Text = "unsupported", template.HTML(html.EscapeString(vm.Type))
	}
	return vm
}

// text renders a text object: mrkdwn through the mrkdwn renderer, plain_text
// escaped, with emoji shortcodes and line breaks kept.
func (n *names) text(t obj) template.HTML {
	if t == nil {
		return ""
	}
	if t.str("type") == "mrkdwn" {
		return n.mrkdwn(t.str("text"))
	}
	return template.HTML(strings.ReplaceAll(html.EscapeString(n.plain(t)), "\n", "<br>"))
}

// plain is a text object as text only, for places that hold no markup.
func (n *names) plain(t obj) string {
	if t == nil {
		return ""
	}
	s := t.str("text")
	if t.str("type") == "mrkdwn" {
		return unescape.Replace(s)
	}
	if e, set := t["emoji"].(bool); !set || e {
		s = emojify(s)
	}
	return s
}

// element renders an element; the types the sandbox cannot let a user
// operate are "unsupported", shown by name.
func (n *names) element(e obj) elementVM {
	vm := elementVM{Type: e.str("type"), ActionID: e.str("action_id")}
	vm.Placeholder = n.plain(e.obj("placeholder"))
	switch vm.Type {
	case "mrkdwn", "plain_text":
		vm.Type, vm.Label = "text", n.text(e)
	case "image":
		vm.Label = template.HTML(html.EscapeString(e.str("alt_text")))
	case "button":
		vm.Label = n.text(e.obj("text"))
		vm.Value, vm.Style, vm.URL = e.str("value"), e.str("style"), e.str("url")
		if !safeLink(vm.URL) {
			vm.URL = ""
		}
	case "static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes":
		vm.Multi = vm.Type == "multi_static_select" || vm.Type == "checkboxes"
		selected := map[string]bool{}
		if o := e.obj("initial_option"); o != nil {
			selected[o.str("value")] = true
		}
		for _, o := range e.list("initial_options") {
			selected[o.str("value")] = true
		}
		for _, o := range e.list("options") {
			vm.Options = append(vm.Options, n.option(o, "", selected))
		}
		for _, g := range e.list("option_groups") {
			label := n.plain(g.obj("label"))
			for _, o := range g.list("options") {
				vm.Options = append(vm.Options, n.option(o, label, selected))
			}
		}
	case "users_select", "multi_users_select":
		vm.Multi = vm.Type == "multi_users_select"
		selected := map[string]bool{e.str("initial_user"): true}
		for _, id := range e.strings("initial_users") {
			selected[id] = true
		}
		for _, u := range n.people() {
			vm.Options = append(vm.Options, optionVM{Value: u, Text: n.userName(u), Selected: selected[u]})
		}
	case "conversations_select", "channels_select":
		selected := e.str("initial_conversation") + e.str("initial_channel")
		for _, id := range n.channelIDs() {
			vm.Options = append(vm.Options, optionVM{Value: id, Text: "#" + n.channelName(id), Selected: id == selected})
		}
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		vm.Multiline = e.boolean("multiline")
		vm.MaxLength, vm.MinLength = e.num("max_length"), e.num("min_length")
		vm.Initial = e.str("initial_value")
	case "datepicker":
		vm.Initial = e.str("initial_date")
	case "timepicker":
		vm.Initial = e.str("initial_time")
	default:
		vm.Label = template.HTML(html.EscapeString(vm.Type))
		vm.Type = "unsupported"
	}
	return vm
}

func (n *names) option(o obj, group string, selected map[string]bool) optionVM {
	text := n.plain(o.obj("text"))
	vm := optionVM{Value: o.str("value"), Text: text, Label: n.text(o.obj("text")), Group: group, Selected: selected[o.str("value")]}
	if d := o.obj("description"); d != nil {
		vm.Description = n.text(d)
		vm.Text += " — " + n.plain(d)
	}
	return vm
}

// richText renders the text of a rich_text block (what users' messages carry)
// plainly: sections and lists as lines, styles ignored.
func (n *names) richText(b obj) template.HTML {
	var sb strings.Builder
	var walk func(o obj)
	walk = func(o obj) {
		switch o.str("type") {
		case "text":
			sb.WriteString(html.EscapeString(o.str("text")))
		case "user":
			sb.WriteString(n.control("@"+o.str("user_id"), false))
		case "channel":
			sb.WriteString(n.control("#"+o.str("channel_id"), false))
		case "link":
			if u := o.str("url"); safeLink(u) {
				label := o.str("text")
				if label == "" {
					label = u
				}
				sb.WriteString(link(u, label))
			}
		case "emoji":
			sb.WriteString(html.EscapeString(emojify(":" + o.str("name") + ":")))
		}
		for _, c := range o.list("elements") {
			walk(c)
		}
	}
	walk(b)
	return template.HTML(strings.ReplaceAll(sb.String(), "\n", "<br>"))
}

// people are the users a users_select offers: active humans.
func (n *names) people() []string {
	var out []string
	for _, id := range n.userOrder {
		if u := n.users[id]; !u.IsBot && !u.Deleted {
			out = append(out, id)
		}
	}
	return out
}

func (n *names) channelIDs() []string {
	var out []string
	for _, id := range n.channelOrder {
		if c := n.channels[id]; !c.Archived && !c.IM {
			out = append(out, id)
		}
	}
	return out
}

package slackemu

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/slack-go/slack"
)

func js(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func txt(typ string, n int) map[string]any {
	return map[string]any{"type": typ, "text": strings.Repeat("x", n)}
}

func repeat(n int, v any) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = v
	}
	return out
}

func option(text, value int) map[string]any {
	return map[string]any{"text": txt("plain_text", text), "value": strings.Repeat("v", value)}
}

func button(text, value int) map[string]any {
	return map[string]any{"type": "button", "action_id": "b", "text": txt("plain_text", text), "value": strings.Repeat("v", value)}
}

func section(text any) map[string]any { return map[string]any{"type": "section", "text": text} }

func TestValidateBlocks(t *testing.T) {
	divider := map[string]any{"type": "divider"}
	input := map[string]any{"type": "input", "label": txt("plain_text", 5), "element": map[string]any{"type": "plain_text_input", "action_id": "t"}}
	for _, tc := range []struct {
		name   string
		blocks []any
		want   string // the only problem expected; "" = valid
	}{
		{"valid mix", []any{
			section(txt("mrkdwn", 3000)), divider,
			map[string]any{"type": "header", "text": txt("plain_text", 150)},
			map[string]any{"type": "context", "elements": repeat(10, txt("mrkdwn", 5))},
			map[string]any{"type": "actions", "elements": []any{button(75, 2000)}},
			map[string]any{"type": "section", "fields": repeat(10, txt("mrkdwn", 2000))},
		}, ""},
		{"50 blocks", repeat(50, divider), ""},
		{"51 blocks", repeat(51, divider), "no more than 50 items allowed [json-pointer:/blocks]"},
		{"section text 3001", []any{section(txt("mrkdwn", 3001))}, "must be less than 3001 characters [json-pointer:/blocks/0/text/text]"},
		{"empty text", []any{section(txt("mrkdwn", 0))}, "must be more than 0 characters [json-pointer:/blocks/0/text/text]"},
		{"11 fields", []any{map[string]any{"type": "section", "fields": repeat(11, txt("mrkdwn", 1))}}, "no more than 10 items allowed [json-pointer:/blocks/0/fields]"},
		{"field 2001", []any{map[string]any{"type": "section", "fields": []any{txt("mrkdwn", 2001)}}}, "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]"},
		{"section without text", []any{map[string]any{"type": "section"}}, "missing required field: text [json-pointer:/blocks/0]"},
		{"header 151", []any{map[string]any{"type": "header", "text": txt("plain_text", 151)}}, "must be less than 151 characters [json-pointer:/blocks/0/text/text]"},
		{"header mrkdwn", []any{map[string]any{"type": "header", "text": txt("mrkdwn", 5)}}, "must be a valid enum value [json-pointer:/blocks/0/text/type]"},
		{"context 11", []any{map[string]any{"type": "context", "elements": repeat(11, txt("mrkdwn", 1))}}, "no more than 10 items allowed [json-pointer:/blocks/0/elements]"},
		{"actions 26", []any{map[string]any{"type": "actions", "elements": repeat(26, map[string]any{"type": "button", "text": txt("plain_text", 5)})}}, "no more than 25 items allowed [json-pointer:/blocks/0/elements]"},
		{"button text 76", []any{map[string]any{"type": "actions", "elements": []any{button(76, 5)}}}, "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]"},
		{"button value 2001", []any{map[string]any{"type": "actions", "elements": []any{button(5, 2001)}}}, "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]"},
		{"button mrkdwn text", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": txt("mrkdwn", 3)}}}}, "must be a valid enum value [json-pointer:/blocks/0/elements/0/text/type]"},
		{"button style", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": txt("plain_text", 3), "style": "blue"}}}}, "must be a valid enum value [json-pointer:/blocks/0/elements/0/style]"},
		{"option text 76", selectWith(option(76, 5)), "must be less than 76 characters [json-pointer:/blocks/0/accessory/options/0/text/text]"},
		{"option value 151", selectWith(option(5, 151)), "must be less than 151 characters [json-pointer:/blocks/0/accessory/options/0/value]"},
		{"option description 76", selectWith(map[string]any{"text": txt("plain_text", 3), "value": "v", "description": txt("plain_text", 76)}), "must be less than 76 characters [json-pointer:/blocks/0/accessory/options/0/description/text]"},
		{"100 options", selectWith(repeat(100, option(3, 3))...), ""},
		{"101 options", selectWith(repeat(101, option(3, 3))...), "no more than 100 items allowed [json-pointer:/blocks/0/accessory/options]"},
		{"placeholder 151", []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{"type": "users_select", "action_id": "u", "placeholder": txt("plain_text", 151)}}}, "must be less than 151 characters [json-pointer:/blocks/0/accessory/placeholder/text]"},
		{"block_id 256", []any{map[string]any{"type": "divider", "block_id": strings.Repeat("b", 256)}}, "must be less than 256 characters [json-pointer:/blocks/0/block_id]"},
		{"duplicate block_id", []any{map[string]any{"type": "divider", "block_id": "a"}, map[string]any{"type": "divider", "block_id": "a"}}, "duplicate block_id: a [json-pointer:/blocks/1/block_id]"},
		{"action_id 256", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "button", "text": txt("plain_text", 3), "action_id": strings.Repeat("a", 256)}}}}, "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]"},
		{"duplicate action_id in a block", []any{map[string]any{"type": "actions", "elements": []any{button(3, 3), button(3, 3)}}}, "duplicate action_id: b [json-pointer:/blocks/0/elements/1/action_id]"},
		{"input in a message", []any{input}, "input blocks are only allowed in modals and Home tabs [json-pointer:/blocks/0/type]"},
		{"unknown block type", []any{map[string]any{"type": "marquee"}}, "unsupported block type: marquee [json-pointer:/blocks/0/type]"},
		{"input element in actions", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "plain_text_input", "action_id": "x"}}}}, "unsupported element type here: plain_text_input [json-pointer:/blocks/0/elements/0/type]"},
		{"option groups", []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{
			"type": "static_select", "action_id": "s", "option_groups": []any{map[string]any{"label": txt("plain_text", 75), "options": []any{option(3, 3)}}},
		}}}, ""},
		{"initial_option not offered", []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{
			"type": "static_select", "action_id": "s", "options": []any{option(3, 3)}, "initial_option": option(3, 4),
		}}}, "must match one of the options [json-pointer:/blocks/0/accessory/initial_option]"},
		{"initial_option with another text", []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{
			"type": "static_select", "action_id": "s", "options": []any{option(3, 3)}, "initial_option": option(4, 3),
		}}}, "must match one of the options [json-pointer:/blocks/0/accessory/initial_option]"},
		{"initial_option in an option group", []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{
			"type": "static_select", "action_id": "s", "option_groups": []any{map[string]any{"label": txt("plain_text", 5), "options": []any{option(3, 3)}}},
			"initial_option": option(3, 3),
		}}}, ""},
		{"initial_option not in the option groups", []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{
			"type": "static_select", "action_id": "s", "option_groups": []any{map[string]any{"label": txt("plain_text", 5), "options": []any{option(3, 3)}}},
			"initial_option": option(3, 4),
		}}}, "must match one of the options [json-pointer:/blocks/0/accessory/initial_option]"},
		{"checkbox ticked that is not offered", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "checkboxes", "action_id": "c", "options": []any{option(3, 3)}, "initial_options": []any{option(3, 3), option(3, 5)},
		}}}}, "must match one of the options [json-pointer:/blocks/0/elements/0/initial_options/1]"},
		{"radio button chosen that is not offered", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "radio_buttons", "action_id": "r", "options": []any{option(3, 3)}, "initial_option": option(3, 5),
		}}}}, "must match one of the options [json-pointer:/blocks/0/elements/0/initial_option]"},
		{"checkboxes ticked as offered", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "checkboxes", "action_id": "c", "options": []any{option(3, 3), option(3, 5)}, "initial_options": []any{option(3, 5)},
		}}}}, ""},
		{"confirm title 101", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{
			"type": "button", "text": txt("plain_text", 3), "confirm": map[string]any{
				"title": txt("plain_text", 101), "text": txt("mrkdwn", 3), "confirm": txt("plain_text", 3), "deny": txt("plain_text", 3)},
		}}}}, "must be less than 101 characters [json-pointer:/blocks/0/elements/0/confirm/title/text]"},
		{"image without alt_text", []any{map[string]any{"type": "image", "image_url": "https://x/y.png"}}, "missing required field: alt_text [json-pointer:/blocks/0]"},
		{"datepicker bad date", []any{map[string]any{"type": "actions", "elements": []any{map[string]any{"type": "datepicker", "initial_date": "2024-13-45"}}}}, "must match YYYY-MM-DD [json-pointer:/blocks/0/elements/0/initial_date]"},
		{"text object without type", []any{section(map[string]any{"text": "hi"})}, "missing required field: type [json-pointer:/blocks/0/text]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := validateBlocks(js(tc.blocks), surfaceMessage, "/blocks")
			want := []string{}
			if tc.want != "" {
				want = []string{tc.want}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("problems = %q\nwant       %q", got, want)
			}
		})
	}
}

func selectWith(options ...any) []any {
	return []any{map[string]any{"type": "section", "text": txt("mrkdwn", 1), "accessory": map[string]any{
		"type": "static_select", "action_id": "s", "placeholder": txt("plain_text", 5), "options": options,
	}}}
}

func TestValidateView(t *testing.T) {
	input := func(label any) map[string]any {
		return map[string]any{"type": "input", "block_id": "title", "label": label,
			"element": map[string]any{"type": "plain_text_input", "action_id": "title"}}
	}
	modal := func(edit func(map[string]any)) json.RawMessage {
		v := map[string]any{
			"type": "modal", "title": txt("plain_text", 24), "submit": txt("plain_text", 24), "close": txt("plain_text", 24),
			"callback_id": strings.Repeat("c", 255), "private_metadata": strings.Repeat("m", 3000),
			"blocks": []any{input(txt("plain_text", 2000))},
		}
		edit(v)
		return js(v)
	}
	for _, tc := range []struct {
		name string
		view json.RawMessage
		want string
	}{
		{"valid at every limit", modal(func(map[string]any) {}), ""},
		{"100 blocks", modal(func(v map[string]any) { v["blocks"] = repeat(100, map[string]any{"type": "divider"}) }), ""},
		{"101 blocks", modal(func(v map[string]any) { v["blocks"] = repeat(101, map[string]any{"type": "divider"}) }), "no more than 100 items allowed [json-pointer:/view/blocks]"},
		{"title 25", modal(func(v map[string]any) { v["title"] = txt("plain_text", 25) }), "must be less than 25 characters [json-pointer:/view/title/text]"},
		{"submit 25", modal(func(v map[string]any) { v["submit"] = txt("plain_text", 25) }), "must be less than 25 characters [json-pointer:/view/submit/text]"},
		{"close 25", modal(func(v map[string]any) { v["close"] = txt("plain_text", 25) }), "must be less than 25 characters [json-pointer:/view/close/text]"},
		{"title mrkdwn", modal(func(v map[string]any) { v["title"] = txt("mrkdwn", 5) }), "must be a valid enum value [json-pointer:/view/title/type]"},
		{"private_metadata 3001", modal(func(v map[string]any) { v["private_metadata"] = strings.Repeat("m", 3001) }), "must be less than 3001 characters [json-pointer:/view/private_metadata]"},
		{"callback_id 256", modal(func(v map[string]any) { v["callback_id"] = strings.Repeat("c", 256) }), "must be less than 256 characters [json-pointer:/view/callback_id]"},
		{"input without submit", modal(func(v map[string]any) { delete(v, "submit") }), "missing required field: submit [json-pointer:/view]"},
		{"no title", modal(func(v map[string]any) { delete(v, "title") }), "missing required field: title [json-pointer:/view]"},
		{"label 2001", modal(func(v map[string]any) { v["blocks"] = []any{input(txt("plain_text", 2001))} }), "must be less than 2001 characters [json-pointer:/view/blocks/0/label/text]"},
		{"label mrkdwn", modal(func(v map[string]any) { v["blocks"] = []any{input(txt("mrkdwn", 5))} }), "must be a valid enum value [json-pointer:/view/blocks/0/label/type]"},
		{"wrong view type", modal(func(v map[string]any) { v["type"] = "home" }), "must be a valid enum value [json-pointer:/view/type]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := validateView(tc.view, "modal")
			want := []string{}
			if tc.want != "" {
				want = []string{tc.want}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("problems = %q\nwant       %q", got, want)
			}
		})
	}
}

func TestInvalidBlocksThroughSlackGo(t *testing.T) {
	emu := Start(t)
	ch := emu.CreateChannel("inc-11", false, emu.BotUserID())
	blocks := make([]slack.Block, 51)
	for i := range blocks {
		blocks[i] = slack.NewDividerBlock()
	}
	_, _, err := apiClient(emu).PostMessage(ch, slack.MsgOptionText("t", false), slack.MsgOptionBlocks(blocks...))
	e := slackErr(t, err)
	if e.Err != "invalid_blocks" || len(e.Errors) != 1 || e.Errors[0].Message == nil ||
		*e.Errors[0].Message != "no more than 50 items allowed [json-pointer:/blocks]" ||
		len(e.ResponseMetadata.Messages) != 1 || e.ResponseMetadata.Messages[0] != "[ERROR] no more than 50 items allowed [json-pointer:/blocks]" {
		t.Fatalf("error = %+v", e)
	}
	if len(emu.Messages(ch)) != 0 {
		t.Fatal("an invalid message was stored")
	}
}

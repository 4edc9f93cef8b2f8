package slackemu

// initialValue is an input's initial_* value in SubmitView's simple form, and
// whether it has one.
func initialValue(el map[string]any) (any, bool) {
	str := func(key string) (any, bool) {
		v, ok := el[key].(string)
		return v, ok && v != ""
	}
	list := func(key string, value func(any) (string, bool)) (any, bool) {
		items, _ := el[key].([]any)
		out := make([]string, 0, len(items))
		for _, it := range items {
			if v, ok := value(it); ok {
				out = append(out, v)
			}
		}
		return out, len(out) > 0
	}
	optionValue := func(o any) (string, bool) {
		m, _ := o.(map[string]any)
		v, ok := m["value"].(string)
		return v, ok
	}
	plain := func(v any) (string, bool) {
		s, ok := v.(string)
		return s, ok
	}
	switch el["type"] {
	case "plain_text_input", "email_text_input", "url_text_input", "number_input":
		return str("initial_value")
	case "static_select", "radio_buttons", "external_select":
		v, ok := optionValue(el["initial_option"])
		return v, ok
	case "checkboxes", "multi_static_select", "multi_external_select":
		return list("initial_options", optionValue)
	case "users_select":
		return str("initial_user")
	case "conversations_select":
		return str("initial_conversation")
	case "channels_select":
		return str("initial_channel")
	case "datepicker":
		return str("initial_date")
	case "timepicker":
		return str("initial_time")
	case "multi_users_select":
		return list("initial_users", plain)
	case "multi_conversations_select":
		return list("initial_conversations", plain)
	case "multi_channels_select":
		return list("initial_channels", plain)
	}
	return nil, false
}

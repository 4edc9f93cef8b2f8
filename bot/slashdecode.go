package bot

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/slack-go/slack"
)

// decodeSlash decodes a slash command envelope's payload as slack-go's
// SlashCommand.UnmarshalJSON does, in one pass. Slack sends
// is_enterprise_install as a bool or as a string; slack-go decodes the whole
// payload a second time to read it, and encoding/json scans it once more to
// hand it over: three passes over every command, on the ack's path.
func decodeSlash(payload []byte) (slack.SlashCommand, error) {
	type plain slack.SlashCommand // its fields, without its UnmarshalJSON
	var sc slack.SlashCommand
	wire := struct {
		*plain
		IsEnterpriseInstall json.RawMessage `json:"is_enterprise_install"`
	}{plain: (*plain)(&sc)}
	if err := json.Unmarshal(payload, &wire); err != nil {
		return sc, err
	}
	switch raw := wire.IsEnterpriseInstall; {
	case len(raw) == 0 || string(raw) == "null":
		// Some Socket Mode payloads omit it.
	case string(raw) == "true" || string(raw) == "false":
		sc.IsEnterpriseInstall = string(raw) == "true"
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return sc, err
		}
		b, err := strconv.ParseBool(s)
		if err != nil {
			return sc, fmt.Errorf("parsing boolean for is_enterprise_install: %w", err)
		}
		sc.IsEnterpriseInstall = b
	default:
		return sc, fmt.Errorf("wrong data type for is_enterprise_install: %s", raw)
	}
	return sc, nil
}

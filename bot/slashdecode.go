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
	if sc, ok := scanSlash(payload); ok {
		return sc, nil
	}
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

// scanSlash is decodeSlash in one pass (scanObject) for a payload of the
// usual shape: every field a string, is_enterprise_install a bool or a
// string. ok is false for anything else, left to decodeSlash's
// encoding/json.
func scanSlash(payload []byte) (sc slack.SlashCommand, ok bool) {
	ok = scanObject(payload, func(key, raw []byte) bool {
		if dst := slashField(&sc, key); dst != nil {
			return string(raw) != "null" && jsonString(raw, dst)
		}
		if string(key) != "is_enterprise_install" {
			return foreignKey(key, "token", "team_id", "team_domain", "enterprise_id", "enterprise_name", "is_enterprise_install",
				"channel_id", "channel_name", "user_id", "user_name", "command", "text", "response_url", "trigger_id", "api_app_id")
		}
		switch string(raw) {
		case "true", `"true"`, `"1"`, `"t"`, `"T"`, `"TRUE"`, `"True"`:
			sc.IsEnterpriseInstall = true
		case "false", `"false"`, `"0"`, `"f"`, `"F"`, `"FALSE"`, `"False"`:
			sc.IsEnterpriseInstall = false
		case "null":
		default:
			return false
		}
		return true
	})
	return sc, ok
}

// slashField is the string field of sc that key names, nil for none.
func slashField(sc *slack.SlashCommand, key []byte) *string {
	switch string(key) {
	case "token":
		return &sc.Token
	case "team_id":
		return &sc.TeamID
	case "team_domain":
		return &sc.TeamDomain
	case "enterprise_id":
		return &sc.EnterpriseID
	case "enterprise_name":
		return &sc.EnterpriseName
	case "channel_id":
		return &sc.ChannelID
	case "channel_name":
		return &sc.ChannelName
	case "user_id":
		return &sc.UserID
	case "user_name":
		return &sc.UserName
	case "command":
		return &sc.Command
	case "text":
		return &sc.Text
	case "response_url":
		return &sc.ResponseURL
	case "trigger_id":
		return &sc.TriggerID
	case "api_app_id":
		return &sc.APIAppID
	}
	return nil
}

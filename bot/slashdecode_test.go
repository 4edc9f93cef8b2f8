package bot

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack"
)

// TestDecodeSlashAsSlackGo: decodeSlash reads every payload as slack-go's
// SlashCommand.UnmarshalJSON does, is_enterprise_install a bool, a string,
// null or absent, and refuses what it refuses.
func TestDecodeSlashAsSlackGo(t *testing.T) {
	const fields = `"token":"tok","team_id":"T1","team_domain":"acme","enterprise_id":"E1","enterprise_name":"Acme Corp",` +
		`"channel_id":"C1","channel_name":"general","user_id":"U1","user_name":"ana","command":"/incident",` +
		`"text":"declare SEV2 checkout \u003c500s\u003e \"quoted\" é","response_url":"https://hooks.slack.com/commands/1/2/3",` +
		`"trigger_id":"13345224609.738474920.8088930838d88f008e0","api_app_id":"A1","unknown_field":{"nested":[1,2]}`
	for _, payload := range []string{
		`{` + fields + `}`,
		`{` + fields + `,"is_enterprise_install":true}`,
		`{` + fields + `,"is_enterprise_install":false}`,
		`{` + fields + `,"is_enterprise_install":"true"}`,
		`{` + fields + `,"is_enterprise_install":"false"}`,
		`{` + fields + `,"is_enterprise_install":"1"}`,
		`{` + fields + `,"is_enterprise_install":"T"}`,
		`{` + fields + `,"is_enterprise_install":null}`,
		`{` + fields + `,"is_enterprise_install":"yes"}`,
		`{` + fields + `,"is_enterprise_install":1}`,
		`{` + fields + `,"is_enterprise_install":{}}`,
		`{"is_enterprise_install": true , "user_id" : "U2" , "text" : "" }`,
		`{"user_id":"U1","user_id":"U2"}`,
		`{"user_id":42}`,
		`{"text":"unterminated`,
		`[]`,
		`null`,
		``,
	} {
		var want slack.SlashCommand
		wantErr := json.Unmarshal([]byte(payload), &want)
		got, err := decodeSlash([]byte(payload))
		if (err != nil) != (wantErr != nil) {
			t.Errorf("decodeSlash(%s): error %v, slack-go's %v", payload, err, wantErr)
			continue
		}
		if err == nil && got != want {
			t.Errorf("decodeSlash(%s) =\n%+v\nslack-go =\n%+v", payload, got, want)
		}
	}
}

package bot

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// slashEnvelope is a slash command's frame as Slack sends it (Slack escapes
// slashes in its JSON).
const slashEnvelope = `{"envelope_id":"1d3c79ab-0ffb-41f3-a080-d19e85f53649","payload":{"token":"bHKJ2n9AW6Ju3MjciOHfbA1b",` +
	`"team_id":"T0123ABC456","team_domain":"acme","channel_id":"C0123ABC456","channel_name":"announcements","user_id":"U0123ABC456",` +
	`"user_name":"ana","command":"\/incident","text":"declare SEV2 checkout 500s","api_app_id":"A0123ABC456",` +
	`"is_enterprise_install":"false","response_url":"https:\/\/hooks.slack.com\/commands\/T0123ABC456\/1\/2",` +
	`"trigger_id":"13345224609.738474920.8088930838d88f008e0"},"type":"slash_commands","accepts_response_payload":true}`

// envelopeCorpus holds frames of every shape the socket reads, valid or
// not, for TestDecodeEnvelopeAsEncodingJSON and its fuzz target.
var envelopeCorpus = []string{
	slashEnvelope,
	`{"type":"hello","num_connections":1,"debug_info":{"host":"applink-1","build_number":10,"approximate_connection_time":18060},"connection_info":{"app_id":"A1"}}`,
	`{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"applink-1"}}`,
	`{"envelope_id":"e1","type":"events_api","payload":{"event":{"type":"reaction_added","item":{"ts":"1.1"}},"n":[1,-2.5e3,true,null]},"accepts_response_payload":false,"retry_attempt":2,"retry_reason":"timeout"}`,
	`{"envelope_id":"e1","type":"interactive","payload":null,"retry_attempt":null,"accepts_response_payload":null}`,
	` { "envelope_id" : "e\u0031" , "type" : "slash_commands" , "payload" : { } } `,
	`{"Envelope_ID":"case","TYPE":"slash_commands"}`,
	`{"envelope_id":"a","envelope_id":"b"}`,
	`{"envelope_ſd":"kelvin-like key"}`,
	`{"envelope_id":"bad utf8 ` + "\xff" + `","extra":{"deep":[[[]]]}}`,
	`{"envelope_id":"ctl ` + "\x01" + `"}`,
	`{"retry_attempt":1.0}`,
	`{"retry_attempt":99999999999999999999}`,
	`{"retry_attempt":"1"}`,
	`{"accepts_response_payload":"true"}`,
	`{"payload":01}`,
	`{"payload":[1,]}`,
	`{"payload":{"a" 1}}`,
	`{"payload":"\x"}`,
	`{"payload":"\u12"}`,
	`{"payload":tru}`,
	`{"payload":-}`,
	`{"payload":1.}`,
	`{"payload":1e}`,
	`{"type":"x",}`,
	`{"type":"x"} x`,
	`{"type":"x"`,
	`{`,
	`[]`,
	`null`,
	``,
	`{"payload":` + strings.Repeat("[", 9998) + strings.Repeat("]", 9998) + `}`,
	`{"payload":` + strings.Repeat("[", 9999) + strings.Repeat("]", 9999) + `}`,
	`{"payload":` + strings.Repeat("[", 10000) + strings.Repeat("]", 10000) + `}`,
}

// TestDecodeEnvelopeAsEncodingJSON: decodeEnvelope reads every frame as
// json.Unmarshal into a socketmode.Request does, and refuses what it
// refuses.
func TestDecodeEnvelopeAsEncodingJSON(t *testing.T) {
	for _, frame := range envelopeCorpus {
		checkEnvelopeDecode(t, []byte(frame))
	}
}

// TestSlashEnvelopeTakesTheOnePassPath: a slash command as Slack sends it
// is read by scanObject, not handed to encoding/json, and costs a third of
// the allocations.
func TestSlashEnvelopeTakesTheOnePassPath(t *testing.T) {
	var payload []byte
	if !scanObject([]byte(slashEnvelope), func(key, raw []byte) bool {
		if string(key) == "payload" {
			payload = raw
		}
		return true
	}) {
		t.Fatal("scanObject refused the envelope")
	}
	sc, ok := scanSlash(payload)
	if !ok {
		t.Fatal("scanSlash refused the payload")
	}
	if sc.Command != "/incident" || sc.ResponseURL != "https://hooks.slack.com/commands/T0123ABC456/1/2" || sc.Text != "declare SEV2 checkout 500s" {
		t.Errorf("scanSlash = %+v", sc)
	}
	// Through encoding/json, the frame and its payload took 62
	// allocations: 15 of them are the strings the command keeps.
	allocs := testing.AllocsPerRun(100, func() {
		f, err := decodeEnvelope([]byte(slashEnvelope))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeSlash(f.Payload); err != nil {
			t.Fatal(err)
		}
	})
	if allocs > 25 {
		t.Errorf("decoding a slash command's frame took %v allocations, want at most 25", allocs)
	}
}

func FuzzDecodeEnvelope(f *testing.F) {
	for _, frame := range envelopeCorpus {
		if len(frame) < 1000 { // the deep ones make every mutation slow
			f.Add([]byte(frame))
		}
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		checkEnvelopeDecode(t, frame)
		var want slack.SlashCommand
		wantErr := json.Unmarshal(frame, &want)
		got, err := decodeSlash(frame)
		if (err != nil) != (wantErr != nil) || err == nil && got != want {
			t.Errorf("decodeSlash(%q) = %+v, %v; slack-go %+v, %v", frame, got, err, want, wantErr)
		}
	})
}

func checkEnvelopeDecode(t *testing.T, frame []byte) {
	t.Helper()
	var want socketmode.Request
	wantErr := json.Unmarshal(frame, &want)
	got, err := decodeEnvelope(frame)
	if (err != nil) != (wantErr != nil) {
		t.Errorf("decodeEnvelope(%.80q): error %v, encoding/json's %v", frame, err, wantErr)
		return
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Errorf("decodeEnvelope(%.80q) =\n%+v\nencoding/json =\n%+v", frame, got, want)
	}
}

// BenchmarkDecodeSlashEnvelope: the envelope and its slash command, as the
// socket's read loop and the handler decode them.
func BenchmarkDecodeSlashEnvelope(b *testing.B) {
	frame := []byte(slashEnvelope)
	b.ReportAllocs()
	for b.Loop() {
		f, err := decodeEnvelope(frame)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := decodeSlash(f.Payload); err != nil {
			b.Fatal(err)
		}
	}
}

package slackemu

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

// The emulator's own JSON reader and writer must give exactly what
// encoding/json gives: they only make it cheaper. These tests hold them to
// it on the awkward cases and, as fuzz targets, on whatever the fuzzer finds.

var jsonCases = []string{
	`[]`, `{}`, `null`, `true`, `false`, `0`, `-0`, `-0.5e+10`, `1E3`, `12345678901234567890123`,
	` [ 1 , "a" , { "b" : null } ] `, "\t{\"a\":\n[true,false]}\r\n",
	`[{"type":"section","text":{"type":"mrkdwn","text":"*SEV1* <@U1> & <!here>"},"block_id":"b"}]`,
	`{"a":1,"a":2}`, `{"b":1,"a":{"d":[],"c":{}}}`, `{"":""}`,
	`["\u00e9\u2028\u2029\ud83d\ude00","\ud800","\ud800x","\udc00\ud800","\ud800\u0041","\/\b\f\n\r\t\"\\"]`,
	"[\"\xff\xfe bad utf-8 \xe2\x80\"]", "[\"\xe2\x80\xa8 raw line separator\"]",
	`["<script>&amp;</script>"]`, `{"b":{"z":1,"a":[{"y":2,"x":3,"y":[]}]},"a":1,"b":2,"":{}}`, `"\u003c\u003e\u0026"`, `"\u0000\u001f"`,
	// a JSON call's body: its JSON arguments' encodings read with it (decodeBody)
	`{"channel":"C1","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"<@U1> & <!here>"},"block_id":"b"}],"metadata":{"z":{"y":1,"x":[]},"a":"\u003c"},"blocks":[{"b":2,"a":1}],"unfurl_links":false}`,
	` { "view" : { "type" : "modal" } , "token" : "xoxb" , "attachments" : "[]" , "files" : [ ] } `, `{"blocks":null}`, `{"metadata":{}}`,
	`{"blocks":[` + string(bytes.Repeat([]byte("["), 198)) + string(bytes.Repeat([]byte("]"), 198)) + `]}`,
	`{"blocks":[` + string(bytes.Repeat([]byte("["), 199)) + string(bytes.Repeat([]byte("]"), 199)) + `]}`,
	// invalid: each must be refused the same way
	``, ` `, `[`, `]`, `[1,]`, `{"a":1,}`, `{"a" 1}`, `{a:1}`, `[01]`, `[1.]`, `[.5]`, `[1e]`, `[-]`, `[+1]`,
	`[tru]`, `[nul]`, `"\x"`, `"\'"`, `"\u12"`, `"\u12G4"`, "\"a\tb\"", `"abc`, `[1] [2]`, `[1]x`, `{"a":1}}`,
	`[` + string(bytes.Repeat([]byte("["), 300)) + string(bytes.Repeat([]byte("]"), 300)) + `]`,
}

func TestDecodeValueIsEncodingJSON(t *testing.T) {
	for _, in := range jsonCases {
		checkDecode(t, in)
	}
}

func TestAppendJSONIsMarshal(t *testing.T) {
	values := []any{
		nil, "", "a\"b\\c\x00\x1f\u2028<>&\xff", true, 42, int64(-7), json.Number("1.5e3"), json.Number(""),
		json.RawMessage(nil), json.RawMessage(`{"a":[1,2]}`), json.RawMessage(` { "a" : "<b>" } `),
		json.RawMessage("[\"\xe2\x80\xa9\"]"), []string{"x", "<y>"}, []string(nil), []any(nil), map[string]any(nil),
		[]map[string]any{{"b": 1, "a": 2}}, map[string]any{"z": 1, "a": map[string]any{"y": []any{1.5, "s", nil}}},
		map[string]any{"ok": true, "error": "invalid_blocks", "response_metadata": map[string]any{"messages": []string{"[ERROR] x"}}},
		struct{ A int }{1}, map[string]int{"b": 2, "a": 1},
	}
	for _, v := range values {
		want, wantErr := json.Marshal(v)
		got, err := marshalJSON(v)
		if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
			t.Errorf("marshalJSON(%#v) = %s, %v; json.Marshal: %s, %v", v, got, err, want, wantErr)
		}
	}
	for _, bad := range []any{json.Number("01"), json.RawMessage(`{`), json.RawMessage{}, map[string]any{"a": json.RawMessage(`[1,]`)}} {
		if _, err := marshalJSON(bad); err == nil {
			t.Errorf("marshalJSON(%#v) succeeded; json.Marshal refuses it", bad)
		}
	}
	for _, in := range jsonCases {
		checkEncode(t, in)
	}
}

// checkDecode compares decodeJSONArg with json.Decoder (UseNumber) on in,
// and decodeValue's refusals with encoding/json's judgement.
func checkDecode(t *testing.T, in string) {
	t.Helper()
	want, wantErr := decodeJSON([]byte(in))
	got, err := decodeJSONArg(in)
	if (err == nil) != (wantErr == nil) || !reflect.DeepEqual(got, want) {
		t.Errorf("decode %q = %#v, %v; encoding/json: %#v, %v", in, got, err, want, wantErr)
	}
	if _, ok := decodeValue(in); ok && !json.Valid([]byte(in)) {
		t.Errorf("decodeValue accepts %q, which is not valid JSON", in)
	}
}

// checkEncode compares appendJSON of in's decoded value, and of in as a
// RawMessage, with json.Marshal.
func checkEncode(t *testing.T, in string) {
	t.Helper()
	if v, err := decodeJSON([]byte(in)); err == nil {
		want, _ := json.Marshal(v)
		if got, _ := marshalJSON(v); !bytes.Equal(got, want) {
			t.Errorf("encode %q = %s; json.Marshal: %s", in, got, want)
		}
	}
	if v, canon, ok := decodeCanonical(in, []byte("prefix")); ok {
		want, _ := json.Marshal(v)
		if !bytes.Equal(canon, append([]byte("prefix"), want...)) {
			t.Errorf("canonical encoding of %q = %s; json.Marshal of it decoded: %s", in, canon, want)
		}
		if dv, _ := decodeValue(in); !reflect.DeepEqual(v, dv) {
			t.Errorf("decodeCanonical(%q) decodes %#v; decodeValue: %#v", in, v, dv)
		}
	}
	checkBody(t, in)
	raw := json.RawMessage(in)
	want, wantErr := json.Marshal(raw)
	got, err := marshalJSON(raw)
	if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
		t.Errorf("encode RawMessage %q = %s, %v; json.Marshal: %s, %v", in, got, err, want, wantErr)
	}
}

func FuzzJSONIsEncodingJSON(f *testing.F) {
	for _, in := range jsonCases {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkDecode(t, in)
		checkEncode(t, in)
	})
}

var ackCases = []string{
	`{"envelope_id":"e-1"}`, `{"envelope_id":"e-1","payload":{"text":"hi <@U1>","blocks":[ {"type":"section"} ]}}`,
	` { "payload" : null , "envelope_id" : "e\u002d2" } `, `{"envelope_id":"e-3","payload":"just text"}`,
	`{"envelope_id":"e-4","payload":[1, 2.5e3, true, false, null, "\u2028"],"other":{"x":[]}}`, `{}`, `null`, `[]`, `"x"`,
	`{"Envelope_ID":"e-5"}`, `{"envelope_id":"e-6","PAYLOAD":{}}`, `{"envelope_id":"e-7","envelope_id":"e-8"}`,
	`{"envelope_id":"a","payload":1,"payload":2}`, `{"envelope_id":7}`, `{"envelope_id":null,"payload":{}}`,
	`{"envelope_id":"e-9","payload":{"a":1}} x`, `{"envelope_id":"e-9",}`, `{"envelope_id":"e-9","payload":{"a":}}`,
	"{\"envelope_id\":\"e-\xff\"}", "{\"envelope_\u017fid\":\"e-10\"}", `{"envelope_id":"e-11","payload":{"a":"\x"}}`,
}

// TestParseAckIsUnmarshal holds the ack frame reader to json.Unmarshal.
func TestParseAckIsUnmarshal(t *testing.T) {
	for _, in := range ackCases {
		checkAck(t, in)
	}
}

func checkAck(t *testing.T, in string) {
	t.Helper()
	var want ackFrame
	wantErr := json.Unmarshal([]byte(in), &want)
	got, err := parseAck([]byte(in))
	if (err == nil) != (wantErr == nil) || got.EnvelopeID != want.EnvelopeID || !bytes.Equal(got.Payload, want.Payload) || (got.Payload == nil) != (want.Payload == nil) {
		t.Errorf("parseAck(%q) = %q %q %v; json.Unmarshal: %q %q %v", in, got.EnvelopeID, got.Payload, err, want.EnvelopeID, want.Payload, wantErr)
	}
}

func FuzzParseAckIsUnmarshal(f *testing.F) {
	for _, in := range ackCases {
		f.Add(in)
	}
	f.Fuzz(checkAck)
}

// checkBody holds decodeBody to decodeValue (the same object, refused
// alike) and each JSON argument's encoding to json.Marshal of its value.
func checkBody(t *testing.T, in string) {
	t.Helper()
	args, canon, scratch, ok := decodeBody(in, []byte("prefix"))
	dv, dok := decodeValue(in)
	if obj, isObject := dv.(map[string]any); ok != (dok && isObject) || ok && !reflect.DeepEqual(args, obj) {
		t.Errorf("decodeBody(%q) = %#v, %v; decodeValue: %#v, %v", in, args, ok, dv, dok)
	}
	if !bytes.HasPrefix(scratch, []byte("prefix")) {
		t.Errorf("decodeBody(%q) lost the scratch's contents: %q", in, scratch)
	}
	seen := map[string]bool{}
	for _, c := range canon {
		want, _ := json.Marshal(args[c.key])
		if seen[c.key] || !isJSONArg(c.key) || !bytes.Equal(c.raw, want) {
			t.Errorf("decodeBody(%q): %s encoded as %s (again: %v); json.Marshal: %s", in, c.key, c.raw, seen[c.key], want)
		}
		seen[c.key] = true
	}
	for k := range args {
		if isJSONArg(k) && !seen[k] {
			t.Errorf("decodeBody(%q): no encoding of %s", in, k)
		}
	}
}

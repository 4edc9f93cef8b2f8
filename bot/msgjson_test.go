package bot

import (
	"encoding/json"
	"testing"
)

// jsonStringCases are strings whose JSON encoding has a catch.
var jsonStringCases = []string{
	"", "plain", `"quoted"`, `back\slash`, "\\\"", "new\nline\r\n\ttab",
	"\x00\x01\x08\x0b\x0c\x1f\x7f", "<!channel> & <@U123|x> >", "日本語 é 🚨",
	"\u2028\u2029", "bad \xff utf-8", "cut \xe6\x97", "\xc3", nastyText,
}

// appendJSONString writes the string encoding/json would, as a reader
// decodes it: the same text, invalid UTF-8 replaced alike.
func TestAppendJSONStringDecodesAsEncodingJSON(t *testing.T) {
	for _, s := range jsonStringCases {
		checkJSONString(t, s)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range jsonStringCases {
		f.Add(s)
	}
	f.Fuzz(checkJSONString)
}

func checkJSONString(t *testing.T, s string) {
	t.Helper()
	raw := appendJSONString([]byte("prefix"), s)[len("prefix"):]
	var got string
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%q encodes as %s, which does not decode: %v", s, raw, err)
	}
	want, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var wantS string
	if err := json.Unmarshal(want, &wantS); err != nil {
		t.Fatal(err)
	}
	if got != wantS {
		t.Errorf("%q decodes as %q after appendJSONString, %q after encoding/json", s, got, wantS)
	}
}

// A post's body is one JSON object with the arguments a post needs, the
// user's text carried unchanged.
func TestPostBody(t *testing.T) {
	raw := postBody(nil, 77, "C1", "1.5", nastyText, sectionOnly("reminder", nastyText))
	var args struct {
		Channel, ThreadTS, Text string
		Metadata                struct {
			EventType    string               `json:"event_type"`
			EventPayload struct{ Job uint64 } `json:"event_payload"`
		}
		UnfurlLinks *bool `json:"unfurl_links"`
		Blocks      []struct {
			Type, BlockID string
			Text          struct{ Type, Text string }
		}
	}
	if err := json.Unmarshal(raw, &args); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	if args.Channel != "C1" || args.Text != nastyText || args.Metadata.EventType != jobMetadataType || args.Metadata.EventPayload.Job != 77 {
		t.Errorf("args %+v", args)
	}
	if args.UnfurlLinks == nil || *args.UnfurlLinks {
		t.Errorf("unfurl_links %v, want false", args.UnfurlLinks)
	}
	if len(args.Blocks) != 1 || args.Blocks[0].Text.Text != nastyText || args.Blocks[0].Text.Type != "mrkdwn" {
		t.Errorf("blocks %+v", args.Blocks)
	}
	var threaded struct {
		ThreadTS string `json:"thread_ts"`
	}
	if err := json.Unmarshal(raw, &threaded); err != nil || threaded.ThreadTS != "1.5" {
		t.Errorf("thread_ts %q (%v), want 1.5", threaded.ThreadTS, err)
	}
	var inChannel map[string]any
	if err := json.Unmarshal(postBody(nil, 1, "C1", "", "x", sectionOnly("b", "x")), &inChannel); err != nil || inChannel["thread_ts"] != nil {
		t.Errorf("a post to the channel has thread_ts %v (%v)", inChannel["thread_ts"], err)
	}
}

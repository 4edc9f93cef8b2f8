package slackemu

import (
	"bytes"
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var formCases = []string{
	"", "a=1", "channel=C1&text=hi+there&token=xoxb-1&token=other", "token=&token=xoxb-2",
	"a=1&a=2&&b", "=x&k=", "blocks=%5B%7B%22type%22%3A%22section%22%7D%5D&text=%E2%9C%85",
	"blocks=%5Bnot+json", "a=%zz", "a=%4", "a=%", "%41=b", "a=1;b=2", "a;=1", "k=v%3Bw",
	"metadata=%7B%22event_type%22%3A%22x%22%2C%22event_payload%22%3A%7B%7D%7D&unfurl_links=false",
	"blocks=%5B%7B%22type%22%3A%22section%22%2C%22text%22%3A%7B%22type%22%3A%22mrkdwn%22%2C%22text%22%3A%22%3C%40U1%3E+%26+co%22%7D%2C%22block_id%22%3A%22b%22%7D%5D&blocks=%5B%5D",
	strings.Repeat("f=1&", 1200) + "g=2",
}

// TestReadFormIsParseQuery holds readForm to what parseAPIRequest did with
// url.ParseQuery's values: the same arguments, token and errors.
func TestReadFormIsParseQuery(t *testing.T) {
	for _, body := range formCases {
		checkForm(t, body)
	}
}

func checkForm(t *testing.T, body string) {
	t.Helper()
	want := &apiRequest{args: map[string]any{}}
	values, wantErr := url.ParseQuery(body)
	if wantErr == nil {
		for k, vs := range values {
			if len(vs) == 0 {
				continue
			}
			if k == "token" {
				want.bodyToken = vs[0]
				continue
			}
			want.args[k] = formValue(k, vs[0])
		}
	}
	got := &apiRequest{args: map[string]any{}}
	err := got.readForm(body)
	if (err == nil) != (wantErr == nil) || (err == nil && (got.bodyToken != want.bodyToken || !reflect.DeepEqual(got.args, want.args))) {
		t.Errorf("readForm(%q) = %v %q %v; url.ParseQuery: %v %q %v", body, got.args, got.bodyToken, err, want.args, want.bodyToken, wantErr)
	}
	for key := range want.args { // what raw gives, from the encoding kept or not
		gotRaw, _, gotErr := got.raw(key)
		wantRaw, _, wantErr := want.raw(key)
		if err == nil && (!bytes.Equal(gotRaw, wantRaw) || (gotErr == nil) != (wantErr == nil)) {
			t.Errorf("readForm(%q): raw(%q) = %s, %v; without it: %s, %v", body, key, gotRaw, gotErr, wantRaw, wantErr)
		}
	}
}

func FuzzReadFormIsParseQuery(f *testing.F) {
	for _, body := range formCases {
		f.Add(body)
	}
	f.Fuzz(checkForm)
}

package slackemu

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTokenRules(t *testing.T) {
	emu := Start(t)
	ch := emu.CreateChannel("inc-1", false, emu.BotUserID())
	form := func(kv ...string) string {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v.Encode()
	}
	const formType, jsonType = "application/x-www-form-urlencoded", "application/json"
	for _, tc := range []struct {
		name, method, ctype, body, bearer string
		wantOK                            bool
		wantErr                           string
	}{
		{"app token opens a connection", "apps.connections.open", jsonType, "", emu.AppToken(), true, ""},
		{"bot token may not open a connection", "apps.connections.open", jsonType, "", emu.BotToken(), false, "not_allowed_token_type"},
		{"app token as a POST parameter is refused", "apps.connections.open", formType, form("token", emu.AppToken()), "", false, "not_authed"},
		{"bot token in the form", "chat.postMessage", formType, form("token", emu.BotToken(), "channel", ch, "text", "hi"), "", true, ""},
		{"bot token as Bearer with a form body", "chat.postMessage", formType, form("channel", ch, "text", "hi"), emu.BotToken(), true, ""},
		{"bot token as Bearer with a JSON body", "chat.postMessage", jsonType, `{"channel":"` + ch + `","text":"hi"}`, emu.BotToken(), true, ""},
		{"a token inside a JSON body is not read", "chat.postMessage", jsonType, `{"token":"` + emu.BotToken() + `","channel":"` + ch + `","text":"hi"}`, "", false, "not_authed"},
		{"a JSON body of null, the arguments in the query", "chat.postMessage?channel=" + ch + "&text=hi", jsonType, "null", emu.BotToken(), true, ""},
		{"app token on a Web API method", "chat.postMessage", formType, form("token", emu.AppToken(), "channel", ch, "text", "hi"), "", false, "not_allowed_token_type"},
		{"no token", "auth.test", formType, "", "", false, "not_authed"},
		{"unknown token", "auth.test", formType, form("token", "xoxb-1-2-nope"), "", false, "invalid_auth"},
		{"unknown method", "chat.teleport", formType, form("token", emu.BotToken()), "", false, "unknown_method"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest(http.MethodPost, emu.APIURL()+tc.method, strings.NewReader(tc.body))
			mustNoErr(t, err)
			req.Header.Set("Content-Type", tc.ctype)
			if tc.bearer != "" {
				req.Header.Set("Authorization", "Bearer "+tc.bearer)
			}
			resp, err := http.DefaultClient.Do(req)
			mustNoErr(t, err)
			defer resp.Body.Close()
			var body struct {
				OK    bool   `json:"ok"`
				Error string `json:"error"`
				URL   string `json:"url"`
			}
			mustNoErr(t, json.NewDecoder(resp.Body).Decode(&body))
			if resp.StatusCode != 200 || body.OK != tc.wantOK || body.Error != tc.wantErr {
				t.Fatalf("%d %+v, want ok=%v error=%q", resp.StatusCode, body, tc.wantOK, tc.wantErr)
			}
			if tc.method == "apps.connections.open" && tc.wantOK && !strings.HasPrefix(body.URL, "ws://127.0.0.1:") {
				t.Fatalf("url = %q", body.URL)
			}
		})
	}
}

func TestGETWithQueryArguments(t *testing.T) {
	emu := Start(t)
	req, err := http.NewRequest(http.MethodGet, emu.APIURL()+"users.info?user="+emu.BotUserID(), nil)
	mustNoErr(t, err)
	req.Header.Set("Authorization", "Bearer "+emu.BotToken())
	resp, err := http.DefaultClient.Do(req)
	mustNoErr(t, err)
	defer resp.Body.Close()
	var body struct{ OK bool }
	mustNoErr(t, json.NewDecoder(resp.Body).Decode(&body))
	if !body.OK {
		t.Fatal("GET users.info failed")
	}
}

package bot

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/url"
	"testing"
)

// A JSON post that reaches no Slack fails as http.Client.Do (and so
// slack-go) fails: a *url.Error naming the call, which classify and the
// logs treat like any other call's.
func TestJSONPostUnreachableFailsAsClientDo(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	apiURL := "http://" + ln.Addr().String() + "/api/"
	ln.Close() // nothing listens there now
	hc := &http.Client{Transport: Transport(httpDefault(), callCounter{}, nil)}
	_, err = NewWebAPI(hc, apiURL, "xoxb-test").postMessage(withPostChannel(context.Background(), "C1"), postBody(nil, 1, "C1", "", "x", sectionOnly("b", "x")))
	req, _ := http.NewRequest(http.MethodPost, apiURL+"chat.postMessage", nil)
	_, want := hc.Do(req)
	var ue *url.Error
	if !errors.As(err, &ue) || ue.Op != "Post" || ue.URL != apiURL+"chat.postMessage" {
		t.Fatalf("post to nowhere: %v, want a *url.Error as http.Client.Do's: %v", err, want)
	}
	if err.Error() != want.Error() {
		t.Errorf("post to nowhere: %q, want %q (http.Client.Do's)", err, want)
	}
}

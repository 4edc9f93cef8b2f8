package bot

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// CallMetrics receives one count per Slack Web API call.
type CallMetrics interface {
	SlackCall(method, err string)
}

// MeteredTransport counts every Web API call by method, and its failures by
// Slack's error code (or HTTP status), in one place for all callers.
func MeteredTransport(next http.RoundTripper, m CallMetrics) http.RoundTripper {
	return &metered{next: next, m: m}
}

type metered struct {
	next http.RoundTripper
	m    CallMetrics
}

func (t *metered) RoundTrip(req *http.Request) (*http.Response, error) {
	method := req.URL.Path[strings.LastIndex(req.URL.Path, "/")+1:]
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		t.m.SlackCall(method, "network")
		return resp, err
	}
	if resp.StatusCode != http.StatusOK {
		t.m.SlackCall(method, "http_"+strconv.Itoa(resp.StatusCode))
		return resp, nil
	}
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || resp.ContentLength > 1<<20 {
		t.m.SlackCall(method, "")
		return resp, nil
	}
	body, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if rerr != nil {
		t.m.SlackCall(method, "network")
		return resp, nil
	}
	var r struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	}
	if json.Unmarshal(body, &r) == nil && !r.OK && r.Error != "" {
		t.m.SlackCall(method, r.Error)
	} else {
		t.m.SlackCall(method, "")
	}
	return resp, nil
}

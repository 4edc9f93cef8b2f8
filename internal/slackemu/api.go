package slackemu

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"unsafe"
)

type tokenKind int

const (
	tokenBot tokenKind = iota
	tokenApp
)

// methodSpec describes one Web API method: its handler (run with s.mu held), the
// token it takes and its rate tier.
type methodSpec struct {
	handle func(*apiRequest) apiResult
	token  tokenKind
	tier   tier
}

func (s *Server) methodTable() map[string]methodSpec {
	bot := func(h func(*apiRequest) apiResult, t tier) methodSpec { return methodSpec{handle: h, tier: t} }
	return map[string]methodSpec{
		"apps.connections.open":        {handle: s.appsConnectionsOpen, token: tokenApp, tier: tier1},
		"auth.test":                    bot(s.authTest, tierAuthTest),
		"chat.postMessage":             bot(s.chatPostMessage, tierPostMessage),
		"chat.postEphemeral":           bot(s.chatPostEphemeral, tier4),
		"chat.update":                  bot(s.chatUpdate, tier3),
		"chat.getPermalink":            bot(s.chatGetPermalink, tier4),
		"conversations.create":         bot(s.conversationsCreate, tier2),
		"conversations.invite":         bot(s.conversationsInvite, tier3),
		"conversations.setTopic":       bot(s.conversationsSetTopic, tier2),
		"conversations.setPurpose":     bot(s.conversationsSetPurpose, tier2),
		"conversations.info":           bot(s.conversationsInfo, tier3),
		"conversations.history":        bot(s.conversationsHistory, tier3),
		"conversations.join":           bot(s.conversationsJoin, tier3),
		"conversations.archive":        bot(s.conversationsArchive, tier2),
		"conversations.members":        bot(s.conversationsMembers, tier4),
		"conversations.list":           bot(s.conversationsList, tier2),
		"conversations.replies":        bot(s.conversationsReplies, tier3),
		"pins.add":                     bot(s.pinsAdd, tier2),
		"reactions.add":                bot(s.reactionsAdd, tier3),
		"bookmarks.add":                bot(s.bookmarksAdd, tier2),
		"bookmarks.list":               bot(s.bookmarksList, tier3),
		"users.info":                   bot(s.usersInfo, tier4),
		"users.lookupByEmail":          bot(s.usersLookupByEmail, tier3),
		"views.open":                   bot(s.viewsOpen, tier4),
		"views.update":                 bot(s.viewsUpdate, tier4),
		"views.push":                   bot(s.viewsPush, tier4),
		"views.publish":                bot(s.viewsPublish, tier4),
		"files.getUploadURLExternal":   bot(s.filesGetUploadURLExternal, tier4),
		"files.completeUploadExternal": bot(s.filesCompleteUploadExternal, tier4),
	}
}

// apiRequest is a decoded Web API request.
type apiRequest struct {
	method      string
	args        map[string]any
	scratch     *sync.Pool // the server's encoding buffers
	headerToken string     // from Authorization: Bearer
	bodyToken   string     // from the form field "token"
	isJSON      bool
	early       *earlyContent // see readContentEarly
	canon       []encodedArg  // JSON form arguments as raw gives them
}

// encodedArg is json.Marshal of an argument the request decoded.
type encodedArg struct {
	key string
	raw json.RawMessage
}

// token is what Slack would authenticate: the header, else the form field. A JSON
// body has no form fields, so a "token" key inside it is not read, as at Slack.
func (r *apiRequest) token() string {
	if r.headerToken != "" {
		return r.headerToken
	}
	return r.bodyToken
}

func (r *apiRequest) has(key string) bool { _, ok := r.args[key]; return ok }

// str returns an argument as a string, whatever its JSON type.
func (r *apiRequest) str(key string) string {
	switch v := r.args[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return strconv.FormatBool(v)
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

func (r *apiRequest) flag(key string) bool {
	v := strings.ToLower(r.str(key))
	return v == "true" || v == "1"
}

// decoded returns a JSON-valued argument the request already decoded (a
// form field that parsed, or a value in a JSON body); raw is then its
// encoding.
func (r *apiRequest) decoded(key string) (any, bool) {
	v, ok := r.args[key]
	if _, isStr := v.(string); !ok || isStr {
		return nil, false
	}
	return v, true
}

// raw returns a JSON-valued argument (given as a JSON string in a form, or as a JSON
// value in a JSON body); ok is false when absent, err when it is not valid JSON.
func (r *apiRequest) raw(key string) (msg json.RawMessage, ok bool, err error) {
	v, ok := r.args[key]
	if !ok {
		return nil, false, nil
	}
	if str, isStr := v.(string); isStr {
		if !json.Valid([]byte(str)) {
			return nil, true, fmt.Errorf("%s is not valid JSON", key)
		}
		return json.RawMessage(str), true, nil
	}
	for _, c := range r.canon {
		if c.key == key {
			return c.raw, true, nil
		}
	}
	b, err := marshalExact(r.scratch, v)
	return b, true, err
}

// apiResult is an answer: a JSON body (or a plain text one) with a status.
type apiResult struct {
	status     int
	retryAfter int // seconds; sets Retry-After when > 0
	body       map[string]any
	text       string // non-JSON body for 5xx faults
}

func success(fields map[string]any) apiResult {
	body := map[string]any{"ok": true}
	for k, v := range fields {
		body[k] = v
	}
	return apiResult{status: http.StatusOK, body: body}
}

func failure(code string) apiResult { return failWith(code, nil) }

func failWith(code string, fields map[string]any) apiResult {
	body := map[string]any{"ok": false, "error": code}
	for k, v := range fields {
		body[k] = v
	}
	return apiResult{status: http.StatusOK, body: body}
}

// isJSONArg says which form fields carry JSON; Call.Args holds them decoded.
func isJSONArg(key string) bool {
	switch key {
	case "blocks", "metadata", "files", "view", "attachments":
		return true
	}
	return false
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	req, parseErr := parseAPIRequest(r, method, &s.scratch)
	at := s.now()
	s.roundTrip(r.Context())
	res := s.answer(r.Context(), r, req, parseErr)
	s.writeResult(w, res, Call{Method: method, Args: req.args, Token: req.token(), At: at})
}

func (s *Server) answer(ctx context.Context, r *http.Request, req *apiRequest, parseErr string) apiResult {
	channel, _ := req.args["channel"].(string)
	f, faulty := s.faults.take(req.method, channel)
	if !faulty {
		return s.answerNormally(req, parseErr)
	}
	if f.AfterEffect {
		real := s.answerNormally(req, parseErr)
		if res, handled := s.applyFault(ctx, f); handled {
			return res
		}
		return real
	}
	if res, handled := s.applyFault(ctx, f); handled {
		return res
	}
	return s.answerNormally(req, parseErr)
}

// answerNormally is the method's real answer, with Slack's checks.
func (s *Server) answerNormally(req *apiRequest, parseErr string) apiResult {
	spec, ok := s.methods[req.method]
	if !ok {
		return failWith("unknown_method", map[string]any{"req_method": req.method})
	}
	if parseErr != "" {
		return failure(parseErr)
	}
	if res, bad := s.authenticate(spec, req); bad {
		return res
	}
	if s.opts.RateLimits {
		limits := []rateKey{{req.method, spec.tier}}
		if req.method == "chat.postMessage" {
			// 1/s per channel, within a workspace-wide limit (RL-doc).
			limits = []rateKey{{req.method + "/" + req.str("channel"), spec.tier}, {req.method, tierPostMessageWorkspace}}
		}
		if wait, limited := s.faults.limit(limits, s.now()); limited {
			return rateLimited(wait)
		}
	}
	readContentEarly(req)
	s.mu.Lock()
	defer s.mu.Unlock()
	return spec.handle(req)
}

// authenticate applies Slack's token rules; it reports true with the error answer
// when the request may not proceed.
func (s *Server) authenticate(spec methodSpec, req *apiRequest) (apiResult, bool) {
	tok := req.token()
	if spec.token == tokenApp {
		// "passing it as a POST parameter will result in an error" (M/apps.connections.open)
		tok = req.headerToken
	}
	switch {
	case tok == "":
		return failure("not_authed"), true
	case tok == s.botToken:
		if spec.token != tokenBot {
			return failure("not_allowed_token_type"), true
		}
	case tok == s.appToken:
		if spec.token != tokenApp {
			return failure("not_allowed_token_type"), true
		}
	default:
		return failure("invalid_auth"), true
	}
	return apiResult{}, false
}

func (s *Server) writeResult(w http.ResponseWriter, res apiResult, call Call) {
	var body []byte
	if res.body != nil {
		body = s.encodeAnswer(res.body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		call.OK, _ = res.body["ok"].(bool)
		call.Error, _ = res.body["error"].(string)
		call.Response = body
	} else {
		body = []byte(res.text)
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		call.Error = http.StatusText(res.status)
	}
	if res.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(res.retryAfter))
	}
	call.Status = res.status
	// With its length announced the answer goes out in one piece, not
	// chunked (net/http chunks what it cannot measure beyond 2 KiB).
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	s.recordCall(call)
	w.WriteHeader(res.status)
	_, _ = w.Write(body)
}

// encodeAnswer is json.Marshal of an answer (nil when it fails, as
// writeResult always had it).
func (s *Server) encodeAnswer(body map[string]any) []byte {
	b, _ := marshalExact(&s.scratch, body)
	return b
}

// parseAPIRequest decodes query, form, multipart or JSON arguments. The second
// result is Slack's error code when the body cannot be read.
func parseAPIRequest(r *http.Request, method string, scratch *sync.Pool) (*apiRequest, string) {
	req := &apiRequest{method: method, args: map[string]any{}, scratch: scratch}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		req.headerToken = strings.TrimSpace(strings.TrimPrefix(h, "Bearer "))
	}
	ctype := mediaType(r.Header.Get("Content-Type"))
	var values url.Values
	switch {
	case r.Method == http.MethodPost && ctype == formType && r.URL.RawQuery == "" && r.Body != nil:
		// What ParseForm does for a form without a query string, minus
		// its copies: the body read into a scratch buffer and decoded
		// once, in place (readForm copies what it keeps).
		buf := scratchBuffer(scratch)
		body, err := readBody((*buf)[:0], r.Body, r.ContentLength)
		*buf = body[:0]
		if err != nil {
			scratch.Put(buf)
			return req, "invalid_form_data"
		}
		err = req.readForm(unsafe.String(unsafe.SliceData(body), len(body)))
		scratch.Put(buf)
		if err != nil {
			req.args, req.bodyToken = map[string]any{}, "" // as ParseForm's error leaves them
			return req, "invalid_form_data"
		}
	case r.Method == http.MethodPost && ctype == "application/json":
		req.isJSON = true
		body, err := readJSONBody(r.Body, r.ContentLength)
		if err != nil {
			return req, "invalid_form_data"
		}
		if len(bytes.TrimSpace(body)) > 0 {
			// The body is never written again, so the decoded strings
			// may share it instead of copying it.
			buf := scratchBuffer(scratch)
			m, canon, grown, ok := decodeBody(unsafe.String(unsafe.SliceData(body), len(body)), (*buf)[:0])
			*buf = grown[:0]
			putScratch(scratch, buf)
			if !ok {
				dec := json.NewDecoder(bytes.NewReader(body))
				dec.UseNumber()
				var obj map[string]any
				if err := dec.Decode(&obj); err != nil {
					return req, "invalid_json"
				}
				m = obj
			}
			// The decoded object is the request's own: its arguments,
			// but for a token in the body, which a JSON call's is not
			// (Slack reads it from the Authorization header only). A
			// body of null decodes to no map at all.
			if m != nil {
				req.args, req.canon = m, canon
				delete(req.args, "token")
			}
		}
		if r.URL.RawQuery != "" {
			values = r.URL.Query()
		}
	case r.Method == http.MethodPost && ctype == "multipart/form-data":
		if err := r.ParseMultipartForm(32 << 20); err != nil {
			return req, "invalid_form_data"
		}
		values = r.Form
	default:
		if err := r.ParseForm(); err != nil {
			return req, "invalid_form_data"
		}
		values = r.Form
	}
	for k, vs := range values {
		if len(vs) == 0 {
			continue
		}
		if k == "token" {
			req.bodyToken = vs[0]
			continue
		}
		if _, dup := req.args[k]; dup {
			continue
		}
		req.args[k] = formValue(k, vs[0])
	}
	return req, ""
}

func formValue(key, v string) any {
	if !isJSONArg(key) {
		return v
	}
	decoded, err := decodeJSONArg(v)
	if err != nil {
		return v
	}
	return decoded
}

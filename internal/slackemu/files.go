package slackemu

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// upload is a file going through Slack's 3-step flow: getUploadURLExternal,
// the POST to upload_url, completeUploadExternal.
type upload struct {
	file      File
	secret    string
	uploaded  bool
	completed bool
}

func (s *Server) filesGetUploadURLExternal(req *apiRequest) apiResult {
	name := req.str("filename")
	length, err := strconv.Atoi(req.str("length"))
	switch {
	case name == "":
		return failure("invalid_arguments")
	case err != nil || length <= 0:
		return failure("missing_argument")
	case len([]rune(req.str("alt_txt"))) > 1000:
		return failure("alt_txt_too_large")
	}
	u := &upload{file: File{ID: s.ws.nextID("F"), Name: name}, secret: randHex(20)}
	s.ws.uploads[u.file.ID] = u
	s.ws.fileOrder = append(s.ws.fileOrder, u.file.ID)
	// slack-go sends the token only to https Slack hosts or the OptionAPIURL host,
	// so the upload URL must share the API's scheme and host:port.
	uploadURL := fmt.Sprintf("%s/upload/v1/%s/%s", s.base, u.file.ID, u.secret)
	return success(map[string]any{"upload_url": uploadURL, "file_id": u.file.ID})
}

// serveUpload receives the file bytes (multipart field "file", or the raw body).
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) {
	at := s.now()
	call := Call{Method: "upload", At: at, Args: map[string]any{}}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		call.Token = strings.TrimPrefix(h, "Bearer ")
	}
	if res, handled := s.fault(r.Context(), "upload"); handled {
		s.writeResult(w, res, call)
		return
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/upload/v1/"), "/")
	if r.Method != http.MethodPost || len(parts) != 2 {
		s.writeResult(w, apiResult{status: http.StatusNotFound, text: "not found\n"}, call)
		return
	}
	call.Args["file_id"] = parts[0]
	content, filename, err := readUploadBody(r)
	if err != nil {
		s.writeResult(w, apiResult{status: http.StatusBadRequest, text: err.Error() + "\n"}, call)
		return
	}
	call.Args["filename"] = filename
	call.Args["length"] = strconv.Itoa(len(content))

	s.mu.Lock()
	u, ok := s.ws.uploads[parts[0]]
	ok = ok && u.secret == parts[1] && !u.completed
	if ok {
		u.file.Content = content
		u.uploaded = true
	}
	s.mu.Unlock()
	if !ok {
		s.writeResult(w, apiResult{status: http.StatusNotFound, text: "not found\n"}, call)
		return
	}
	s.writeResult(w, apiResult{status: http.StatusOK, text: fmt.Sprintf("OK - %d", len(content))}, call)
}

func readUploadBody(r *http.Request) (content []byte, filename string, err error) {
	ctype, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ctype != "multipart/form-data" {
		content, err = io.ReadAll(r.Body)
		return content, "", err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", fmt.Errorf("read multipart upload: %w", err)
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", fmt.Errorf("multipart upload has no \"file\" field")
		}
		if err != nil {
			return nil, "", fmt.Errorf("read multipart upload: %w", err)
		}
		if part.FormName() == "file" {
			content, err = io.ReadAll(part)
			return content, part.FileName(), err
		}
	}
}

func (s *Server) filesCompleteUploadExternal(req *apiRequest) apiResult {
	raw, ok, err := req.raw("files")
	var list []struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	}
	if !ok || err != nil || json.Unmarshal(raw, &list) != nil || len(list) == 0 {
		return failure("invalid_arguments")
	}
	var uploads []*upload
	for _, f := range list {
		u, ok := s.ws.uploads[f.ID]
		if !ok || !u.uploaded || u.completed {
			return failure("file_not_found") // "can only be called once" (M/files.completeUploadExternal)
		}
		uploads = append(uploads, u)
	}
	var targets []*channel
	ids := splitList(req.args["channels"])
	if id := req.str("channel_id"); id != "" {
		ids = append([]string{id}, ids...)
	}
	if len(ids) > 100 {
		return failure("channels_limit_exceeded")
	}
	for _, id := range ids {
		c, code := s.visibleChannel(id)
		switch {
		case code != "":
			return failure(code)
		case c.Archived:
			return failure("is_archived")
		case !c.isMember(s.botUserID):
			return failure("not_in_channel")
		}
		targets = append(targets, c)
	}
	comment := req.str("initial_comment")
	var blocks json.RawMessage
	if comment == "" {
		body, bad := readContent(req, surfaceMessage)
		if bad != nil {
			return *bad
		}
		blocks = body.blocks
	}
	threadTS := req.str("thread_ts")

	summaries := make([]map[string]any, len(list))
	var files []File
	for i, u := range uploads {
		u.completed = true
		u.file.Title = list[i].Title
		if u.file.Title == "" {
			u.file.Title = u.file.Name
		}
		for _, c := range targets {
			u.file.Channels = append(u.file.Channels, c.ID)
		}
		files = append(files, u.file)
		summaries[i] = map[string]any{"id": u.file.ID, "title": u.file.Title}
		s.emit(Change{Kind: ChangeFile, FileID: u.file.ID})
	}
	for _, c := range targets {
		m := &Message{User: s.botUserID, Text: comment, Blocks: blocks, ThreadTS: threadTS}
		for _, f := range files {
			m.Files = append(m.Files, copyFile(f))
		}
		s.postMessage(c, m)
	}
	return success(map[string]any{"files": summaries})
}

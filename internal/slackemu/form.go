package slackemu

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/url"
	"slices"
	"strings"
)

const formType = "application/x-www-form-urlencoded"

// jsonUTF8 is the Content-Type of a JSON post with its charset named, as
// Slack asks and the bot sends it.
const jsonUTF8 = "application/json; charset=utf-8"

// mediaType is mime.ParseMediaType's media type, without parsing the
// header slack-go always sends.
func mediaType(header string) string {
	switch header {
	case formType:
		return formType
	case jsonUTF8:
		return "application/json"
	}
	ctype, _, _ := mime.ParseMediaType(header)
	return ctype
}

// maxFormBytes is net/http's limit on a form body ("http: POST too large").
const maxFormBytes = 10 << 20

// readBody is ParseForm's read of a form body, appended to b: up to
// maxFormBytes, an error beyond. It makes room for the size the request
// announced at once, where io.ReadAll grows a buffer from 512 bytes.
func readBody(b []byte, body io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > maxFormBytes {
		size = 512
	}
	b, err := readRest(slices.Grow(b, int(size)+1), io.LimitReader(body, maxFormBytes+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFormBytes {
		return nil, errors.New("form body too large")
	}
	return b, nil
}

// readJSONBody reads a JSON call's body whole (without a limit, as
// io.ReadAll did) into a buffer of its own, sized at once for the length
// the request announced, where io.ReadAll grows one from 512 bytes.
func readJSONBody(body io.Reader, size int64) ([]byte, error) {
	if size < 0 || size > maxFormBytes {
		return io.ReadAll(body)
	}
	return readRest(make([]byte, 0, size+1), body) // +1: the read that finds the end needs room
}

// readRest appends what is left of body to b, into b's spare room first,
// growing it only when that fills up.
func readRest(b []byte, body io.Reader) ([]byte, error) {
	for {
		n, err := body.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return nil, err
		}
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
	}
}

// readForm fills req.args and req.bodyToken from a form body (copying what
// it keeps out of it) as
// parseAPIRequest's loop over url.Values does (the first value of each
// key, "token" apart), with the form decoded as
// url.ParseQuery decodes it, in one pass and without building url.Values
// first. A form of many fields goes through url.ParseQuery itself, which
// limits their number.
func (req *apiRequest) readForm(body string) error {
	sawToken := false
	take := func(k, v string) { // each a string of its own, not a piece of body
		if k == "token" {
			if !sawToken {
				req.bodyToken, sawToken = v, true
			}
			return
		}
		if _, dup := req.args[k]; !dup {
			req.args[k] = req.formArg(k, v)
		}
	}
	if strings.Count(body, "&") >= manyFormFields {
		values, err := url.ParseQuery(body)
		if err != nil {
			return err
		}
		for k, vs := range values {
			if len(vs) > 0 {
				take(strings.Clone(k), strings.Clone(vs[0]))
			}
		}
		return nil
	}
	for body != "" {
		var pair string
		pair, body, _ = strings.Cut(body, "&")
		if strings.Contains(pair, ";") {
			return errors.New("invalid semicolon separator in query")
		}
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, err := formKey(k)
		if err != nil {
			return err
		}
		if v, err = unescapeForm(v); err != nil {
			return err
		}
		take(k, v)
	}
	return nil
}

// formArg is formValue, and for a JSON argument it keeps what json.Marshal
// gives for the decoded value as well, for raw.
func (req *apiRequest) formArg(key, v string) any {
	if !isJSONArg(key) {
		return v
	}
	buf := scratchBuffer(req.scratch)
	defer putScratch(req.scratch, buf)
	decoded, canon, ok := decodeCanonical(v, (*buf)[:0])
	if !ok {
		return formValue(key, v)
	}
	*buf = canon[:0]
	req.canon = append(req.canon, encodedArg{key, bytes.Clone(canon)})
	return decoded
}

// formKey is unescapeForm of a form's key, without a copy for the keys
// the bot's calls use.
func formKey(k string) (string, error) {
	switch k {
	case "channel":
		return "channel", nil
	case "text":
		return "text", nil
	case "blocks":
		return "blocks", nil
	case "metadata":
		return "metadata", nil
	case "unfurl_links":
		return "unfurl_links", nil
	case "unfurl_media":
		return "unfurl_media", nil
	case "thread_ts":
		return "thread_ts", nil
	case "ts":
		return "ts", nil
	case "token":
		return "token", nil
	case "users":
		return "users", nil
	case "name":
		return "name", nil
	case "is_private":
		return "is_private", nil
	case "topic":
		return "topic", nil
	case "purpose":
		return "purpose", nil
	case "timestamp":
		return "timestamp", nil
	}
	return unescapeForm(k)
}

// manyFormFields is where readForm leaves a form to url.ParseQuery.
const manyFormFields = 1000

// unescapeForm is url.QueryUnescape: "+" is a space, "%XX" a byte, and a
// "%" not followed by two hex digits an error. The result is a string of
// its own, never a piece of s.
func unescapeForm(s string) (string, error) {
	i := 0
	for i < len(s) && s[i] != '%' && s[i] != '+' {
		i++
	}
	if i == len(s) {
		return strings.Clone(s), nil
	}
	var b strings.Builder
	b.Grow(max(0, len(s)-2*strings.Count(s[i:], "%")))
	b.WriteString(s[:i])
	for i < len(s) {
		switch s[i] {
		case '%':
			if i+2 >= len(s) || unhex(s[i+1]) < 0 || unhex(s[i+2]) < 0 {
				return "", url.EscapeError(s[i:min(i+3, len(s))])
			}
			b.WriteByte(byte(unhex(s[i+1])<<4 | unhex(s[i+2])))
			i += 3
		case '+':
			b.WriteByte(' ')
			i++
		default:
			j := i + 1
			for j < len(s) && s[j] != '%' && s[j] != '+' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
		}
	}
	return b.String(), nil
}

// unhex is a hex digit's value, -1 for any other byte.
func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return int(c - 'A' + 10)
	}
	return -1
}

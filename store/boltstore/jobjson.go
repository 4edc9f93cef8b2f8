package boltstore

import (
	"bytes"
	"encoding/json"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// putJob stores j under id, encoded as encoding/json encodes a Job.
func putJob(outbox *bolt.Bucket, id uint64, j Job) error {
	data, err := encodeJob(j)
	if err != nil {
		return err
	}
	return outbox.Put(u64Key(id), data)
}

// encodeJob returns exactly the bytes json.Marshal(j) does, without its
// reflection: a declaration stores eight jobs in bbolt's single writer
// before its ack, and encoding them through reflection was a third of the
// declaration's transaction. What this does not write byte for byte as
// json.Marshal (a string or payload that needs escaping) goes to
// json.Marshal itself.
func encodeJob(j Job) ([]byte, error) {
	if !plainJSON(j.Kind) || !plainJSON(j.Lane) || !plainJSON(j.LastError) {
		return json.Marshal(j)
	}
	b := make([]byte, 0, 160+len(j.Payload)+len(j.LastError)+8*len(j.After))
	b = append(b, `{"id":`...)
	b = strconv.AppendUint(b, j.ID, 10)
	b = append(b, `,"incident":`...)
	b = strconv.AppendUint(b, j.Incident, 10)
	b = appendField(b, "kind", j.Kind)
	if j.Lane != "" {
		b = appendField(b, "lane", j.Lane)
	}
	if len(j.Payload) > 0 {
		b = append(b, `,"payload":`...)
		start := len(b)
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, j.Payload); err != nil {
			return json.Marshal(j) // its error names the field
		}
		b = buf.Bytes()
		if needsHTMLEscape(b[start:]) {
			return json.Marshal(j)
		}
	}
	b = append(b, `,"attempts":`...)
	b = strconv.AppendInt(b, int64(j.Attempts), 10)
	var err error
	if !j.NotBefore.IsZero() {
		b = append(b, `,"not_before":"`...)
		if b, err = j.NotBefore.AppendText(b); err != nil {
			return json.Marshal(j)
		}
		b = append(b, '"')
	}
	b = append(b, `,"created_at":"`...)
	if b, err = j.CreatedAt.AppendText(b); err != nil {
		return json.Marshal(j)
	}
	b = append(b, '"')
	if j.LastError != "" {
		b = appendField(b, "last_error", j.LastError)
	}
	if j.MaybeDone {
		b = append(b, `,"maybe_done":true`...)
	}
	if j.Batch != 0 {
		b = append(b, `,"batch":`...)
		b = strconv.AppendUint(b, j.Batch, 10)
	}
	if len(j.After) > 0 {
		b = append(b, `,"after":[`...)
		for i, id := range j.After {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, id, 10)
		}
		b = append(b, ']')
	}
	if j.Background {
		b = append(b, `,"background":true`...)
	}
	return append(b, '}'), nil
}

// appendField appends ,"name":"value" for a value plainJSON accepts.
func appendField(b []byte, name, value string) []byte {
	b = append(b, `,"`...)
	b = append(b, name...)
	b = append(b, `":"`...)
	b = append(b, value...)
	return append(b, '"')
}

// plainJSON reports whether json.Marshal writes s as it is, in quotes:
// printable ASCII without quotes, backslashes or what it escapes for HTML.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// needsHTMLEscape reports whether json.Marshal would escape some of the
// compacted JSON b further: <, > and & and the line and paragraph
// separators U+2028 and U+2029, inside strings.
func needsHTMLEscape(b []byte) bool {
	return bytes.ContainsAny(b, "<>&\u2028\u2029")
}

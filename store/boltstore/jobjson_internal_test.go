package boltstore

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
	"time"
)

// TestEncodeJobIsJSONMarshal: a job is stored as exactly the bytes
// json.Marshal writes, for every field set or left empty, strings and
// payloads that need escaping, payloads with spaces, times in other zones
// and out of JSON's range, and an invalid payload (refused the same way).
func TestEncodeJobIsJSONMarshal(t *testing.T) {
	at := time.Date(2026, 12, 5, 9, 54, 1, 123456789, time.UTC)
	paris := time.FixedZone("CET", 3600)
	jobs := []Job{
		{},
		{ID: 1, Incident: 7, Kind: "create_channel", CreatedAt: at},
		{ID: 1 << 63, Incident: 1<<64 - 1, Kind: "invite", Payload: json.RawMessage(`{"users":["U1","U2"]}`), CreatedAt: at, Batch: 9, After: []uint64{9}},
		{ID: 12, Incident: 3, Kind: "post", Lane: "webhook:ops", Payload: json.RawMessage(` { "target" : "channel",
			"event": 4 } `), Attempts: 3, NotBefore: at.Add(time.Minute).In(paris), CreatedAt: at.In(paris), LastError: "slack: ratelimited (retry after 30s)", MaybeDone: true, Batch: 10, After: []uint64{10, 11}, Background: true},
		{ID: 2, Kind: "post", Payload: json.RawMessage(`{"text":"a <b> & c \u2028"}`), CreatedAt: at},
		{ID: 2, Kind: "post", Payload: json.RawMessage(`{"text":"a <b> & c` + "\u2028" + `"}`), CreatedAt: at},
		{ID: 3, Kind: "kind with \"quotes\" and \\ and <html>", LastError: "line\nbreak, tab\t, é, \x00, \xff", CreatedAt: at},
		{ID: 4, Kind: "x", Attempts: -1, CreatedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		{ID: 5, Kind: "x", NotBefore: time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), CreatedAt: at},
		{ID: 6, Kind: "x", Payload: json.RawMessage(`{"unterminated":`), CreatedAt: at},
		{ID: 7, Kind: "x", Payload: json.RawMessage(`null`), After: []uint64{}, CreatedAt: at.In(time.FixedZone("", -(9*3600 + 30*60)))},
	}
	rng := rand.New(rand.NewPCG(17, 5))
	kinds := []string{"create_channel", "set_topic", "post_card", "webhook", "a&b", "ü"}
	for range 500 {
		j := Job{
			ID: rng.Uint64(), Incident: rng.Uint64N(1000), Kind: kinds[rng.IntN(len(kinds))], Attempts: rng.IntN(5),
			CreatedAt: at.Add(time.Duration(rng.Int64N(int64(1000 * time.Hour)))), MaybeDone: rng.IntN(2) == 0, Background: rng.IntN(2) == 0,
		}
		if rng.IntN(2) == 0 {
			j.Lane = kinds[rng.IntN(len(kinds))]
		}
		if rng.IntN(2) == 0 {
			j.NotBefore = j.CreatedAt.Add(time.Duration(rng.IntN(1000)) * time.Millisecond)
		}
		if rng.IntN(2) == 0 {
			j.Batch = rng.Uint64N(100)
			for range rng.IntN(3) {
				j.After = append(j.After, rng.Uint64N(100))
			}
		}
		if rng.IntN(2) == 0 {
			j.Payload, _ = json.Marshal(map[string]any{"users": []string{"U1", kinds[rng.IntN(len(kinds))]}, "n": rng.IntN(9)})
		}
		jobs = append(jobs, j)
	}
	for _, j := range jobs {
		want, wantErr := json.Marshal(j)
		got, err := encodeJob(j)
		if (err != nil) != (wantErr != nil) {
			t.Errorf("encodeJob(%+v): error %v, json.Marshal's %v", j, err, wantErr)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("encodeJob(%+v) =\n%s\njson.Marshal =\n%s", j, got, want)
		}
	}
}

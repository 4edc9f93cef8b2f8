package slackemu

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// savedVersion is the format of a saved workspace; Load refuses others.
const savedVersion = 1

// idGap is added to every ID counter on Load. A workspace is saved after its
// changes, so a process that dies between handing out an ID (a channel the
// bot then recorded in its store) and the next save must not hand out that
// ID again to something else after the restart.
const idGap = 1000

// savedWorkspace is the workspace as Save writes it: everything that a
// restarted emulator needs so that IDs and timestamps the bot stored still
// mean the same thing. trigger_ids and response_urls are not kept: Slack lets
// them live for seconds and minutes, and they name the old port.
type savedWorkspace struct {
	Version    int               `json:"version"`
	Users      []User            `json:"users"`
	Channels   []savedChannel    `json:"channels"` // creation order, IMs included
	Ephemerals []Message         `json:"ephemerals"`
	Uploads    []savedUpload     `json:"uploads"`
	Views      []savedView       `json:"views"`
	Counters   map[string]int    `json:"counters"`
	LastMicros int64             `json:"last_micros"`
	IMs        map[string]string `json:"ims"`
}

type savedChannel struct {
	Channel
	Listed         bool      `json:"listed"` // in Channels(); IMs are not
	Created        time.Time `json:"created"`
	TopicCreator   string    `json:"topic_creator,omitempty"`
	TopicSet       time.Time `json:"topic_set"`
	PurposeCreator string    `json:"purpose_creator,omitempty"`
	PurposeSet     time.Time `json:"purpose_set"`
	IMUser         string    `json:"im_user,omitempty"`
	Messages       []Message `json:"messages"`
}

type savedUpload struct {
	File      File   `json:"file"`
	Secret    string `json:"secret"`
	Uploaded  bool   `json:"uploaded"`
	Completed bool   `json:"completed"`
}

type savedView struct {
	ID         string            `json:"id"`
	Hash       string            `json:"hash"`
	TriggerID  string            `json:"trigger_id"`
	User       string            `json:"user"`
	Type       string            `json:"type"`
	RootID     string            `json:"root_id"`
	PreviousID string            `json:"previous_id"`
	Body       map[string]any    `json:"body"`
	Closed     bool              `json:"closed"`
	Errors     map[string]string `json:"errors,omitempty"`
	Rendered   json.RawMessage   `json:"rendered"`
}

// Save writes the workspace (users, channels with their members, messages,
// pins, reactions and bookmarks, ephemerals, files, views, and the counters
// behind IDs and timestamps) to path, atomically: a reader or a crash sees
// the previous file or the new one, never half of one. The file is 0600, as
// it holds private channels' messages.
func (s *Server) Save(path string) error {
	s.mu.Lock()
	raw, err := json.Marshal(s.ws.save())
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("slackemu: save: %w", err)
	}
	return writeFileAtomic(path, raw)
}

// Load replaces the workspace with the one Save wrote to path. Call it
// before anything connects: it emits no changes. The team, the app and the
// bot user keep their fixed IDs; the tokens and the port are new.
func (s *Server) Load(path string) error {
	raw, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("slackemu: load: %w", err)
	}
	var saved savedWorkspace
	if err := json.Unmarshal(raw, &saved); err != nil {
		return fmt.Errorf("slackemu: load %s: %w", path, err)
	}
	if saved.Version != savedVersion {
		return fmt.Errorf("slackemu: load %s: format version %d, this emulator reads %d", path, saved.Version, savedVersion)
	}
	var ws workspace
	ws.setup()
	if err := ws.restore(&saved); err != nil {
		return fmt.Errorf("slackemu: load %s: %w", path, err)
	}
	s.mu.Lock()
	s.ws = ws
	s.mu.Unlock()
	return nil
}

// save needs s.mu.
func (w *workspace) save() *savedWorkspace {
	out := &savedWorkspace{Version: savedVersion, Counters: w.counters, LastMicros: w.lastMicros, IMs: w.ims}
	for _, id := range w.userOrder {
		out.Users = append(out.Users, *w.users[id])
	}
	listed := map[string]bool{}
	for _, id := range w.chanOrder {
		listed[id] = true
		out.Channels = append(out.Channels, saveChannel(w.channels[id], true))
	}
	for _, id := range w.ims {
		if !listed[id] {
			out.Channels = append(out.Channels, saveChannel(w.channels[id], false))
		}
	}
	for _, m := range w.ephemerals {
		out.Ephemerals = append(out.Ephemerals, *m)
	}
	for _, id := range w.fileOrder {
		u := w.uploads[id]
		out.Uploads = append(out.Uploads, savedUpload{File: u.file, Secret: u.secret, Uploaded: u.uploaded, Completed: u.completed})
	}
	for _, id := range w.viewOrder {
		v := w.views[id]
		out.Views = append(out.Views, savedView{
			ID: v.id, Hash: v.hash, TriggerID: v.triggerID, User: v.user, Type: v.typ, RootID: v.rootID,
			PreviousID: v.previousID, Body: v.body, Closed: v.closed, Errors: v.errors, Rendered: v.rendered,
		})
	}
	return out
}

func saveChannel(c *channel, listed bool) savedChannel {
	out := savedChannel{
		Channel: c.Channel, Listed: listed, Created: c.created,
		TopicCreator: c.topicCreator, TopicSet: c.topicSet, PurposeCreator: c.purposeCreator, PurposeSet: c.purposeSet,
		IMUser: c.imUser,
	}
	for _, m := range c.messages {
		out.Messages = append(out.Messages, *m)
	}
	return out
}

func (w *workspace) restore(saved *savedWorkspace) error {
	for _, u := range saved.Users {
		if _, dup := w.users[u.ID]; dup || u.ID == "" {
			return fmt.Errorf("user %q twice or without an ID", u.ID)
		}
		w.users[u.ID] = &u
		w.userOrder = append(w.userOrder, u.ID)
	}
	for _, sc := range saved.Channels {
		if _, dup := w.channels[sc.ID]; dup || sc.ID == "" {
			return fmt.Errorf("channel %q twice or without an ID", sc.ID)
		}
		c := &channel{
			Channel: sc.Channel, created: sc.Created, topicCreator: sc.TopicCreator, topicSet: sc.TopicSet,
			purposeCreator: sc.PurposeCreator, purposeSet: sc.PurposeSet, imUser: sc.IMUser,
		}
		for _, m := range sc.Messages {
			c.messages = append(c.messages, &m)
		}
		w.channels[c.ID] = c
		if sc.Listed {
			w.chanOrder = append(w.chanOrder, c.ID)
		}
	}
	for user, id := range saved.IMs {
		if _, ok := w.channels[id]; !ok {
			return fmt.Errorf("the DM with %s (%s) is missing", user, id)
		}
		w.ims[user] = id
	}
	for _, m := range saved.Ephemerals {
		w.ephemerals = append(w.ephemerals, &m)
	}
	for _, u := range saved.Uploads {
		w.uploads[u.File.ID] = &upload{file: u.File, secret: u.Secret, uploaded: u.Uploaded, completed: u.Completed}
		w.fileOrder = append(w.fileOrder, u.File.ID)
	}
	for _, v := range saved.Views {
		w.views[v.ID] = &view{
			id: v.ID, hash: v.Hash, triggerID: v.TriggerID, user: v.User, typ: v.Type, rootID: v.RootID,
			previousID: v.PreviousID, body: v.Body, closed: v.Closed, errors: v.Errors, rendered: v.Rendered,
		}
		w.viewOrder = append(w.viewOrder, v.ID)
	}
	for k, n := range saved.Counters {
		w.counters[k] = n + idGap
	}
	w.lastMicros = saved.LastMicros
	return nil
}

// writeFileAtomic writes data to a temporary file next to path, syncs it and
// renames it over path, so path always holds a whole file.
func writeFileAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("slackemu: save: %w", err)
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("slackemu: save: %w", err)
	}
	return nil
}

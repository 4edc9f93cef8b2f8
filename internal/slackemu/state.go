package slackemu

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// User is a workspace member.
type User struct {
	ID, Name, RealName, Email string
	IsBot, Deleted            bool // Deleted = deactivated
}

// Bookmark is a link bookmarked in a channel (bookmarks.add).
type Bookmark struct {
	ID, ChannelID, Title, Link, Emoji, Type string
}

// Channel is a conversation as the emulator holds it. IM channels ("D…") are the
// bot's direct messages with one user.
type Channel struct {
	ID, Name, Topic, Purpose, Creator string
	Private, Archived, IM             bool
	Members                           []string // in joining order
	Bookmarks                         []Bookmark
}

// Message is a message a user could see: posted in a channel (Ephemeral false) or
// shown to one user only (Ephemeral true, EphemeralTo that user).
type Message struct {
	Channel, TS, ThreadTS, User, Text string
	Blocks                            json.RawMessage // nil when the message has none
	Metadata                          json.RawMessage // {"event_type","event_payload"} or nil
	Pinned                            bool
	Updates                           int // chat.update / replace_original count
	Files                             []File
	Ephemeral                         bool
	EphemeralTo                       string
	Reactions                         []string // emoji names the bot added
}

// File is an uploaded file (files.getUploadURLExternal + upload + complete).
type File struct {
	ID, Name, Title string
	Content         []byte
	Channels        []string // where it was shared
}

// View is a modal or Home tab the bot opened, pushed or published. View holds the
// view object as the Web API returned it (id, hash, state…). Errors holds the
// response_action "errors" of the last submission that the bot rejected.
type View struct {
	ID, Hash, TriggerID, UserID string
	View                        json.RawMessage
	Closed                      bool
	Type, CallbackID            string // "modal" or "home"
	ExternalID                  string
	RootViewID, PreviousViewID  string
	Errors                      map[string]string
}

// workspace is everything guarded by Server.mu.
type workspace struct {
	users      map[string]*User
	userOrder  []string
	channels   map[string]*channel
	chanOrder  []string
	ims        map[string]string // user ID → IM channel ID
	ephemerals []*Message
	uploads    map[string]*upload
	fileOrder  []string
	views      map[string]*view
	viewOrder  []string
	triggers   map[string]*trigger
	responses  map[string]*responseURL
	lastMicros int64
	counters   map[string]int
}

func (w *workspace) setup() {
	w.users = map[string]*User{}
	w.channels = map[string]*channel{}
	w.ims = map[string]string{}
	w.uploads = map[string]*upload{}
	w.views = map[string]*view{}
	w.triggers = map[string]*trigger{}
	w.responses = map[string]*responseURL{}
	w.counters = map[string]int{}
}

type channel struct {
	Channel
	created        time.Time
	topicCreator   string
	topicSet       time.Time
	purposeCreator string
	purposeSet     time.Time
	imUser         string
	messages       []*Message // ts order, thread replies included
}

func (c *channel) isMember(user string) bool { return slices.Contains(c.Members, user) }

func (c *channel) message(ts string) *Message {
	for _, m := range c.messages {
		if m.TS == ts {
			return m
		}
	}
	return nil
}

func (c *channel) removeMessage(ts string) {
	c.messages = slices.DeleteFunc(c.messages, func(m *Message) bool { return m.TS == ts })
}

// nextID returns prefix followed by 8 digits, unique per prefix.
func (w *workspace) nextID(prefix string) string {
	w.counters[prefix]++
	return fmt.Sprintf("%s%08d", prefix, w.counters[prefix])
}

// nextTS returns a message timestamp "<unix>.<6 digits>" from now, strictly greater
// than every ts handed out before, so it is unique and increasing in every channel.
func (w *workspace) nextTS(now time.Time) string {
	us := now.UnixMicro()
	if us <= w.lastMicros {
		us = w.lastMicros + 1
	}
	w.lastMicros = us
	// fmt.Sprintf("%d.%06d", us/1e6, us%1e6), without fmt's reflection.
	var b [32]byte
	out := strconv.AppendInt(b[:0], us/1e6, 10)
	frac := us % 1e6
	if frac < 0 { // a time before 1970 (only a test's clock)
		return fmt.Sprintf("%d.%06d", us/1e6, frac)
	}
	out = append(out, '.')
	var d [8]byte
	digits := strconv.AppendInt(d[:0], frac, 10)
	for range 6 - len(digits) {
		out = append(out, '0')
	}
	return string(append(out, digits...))
}

// AddUser adds a user, or replaces the user with the same ID, and returns the ID.
// An empty ID is generated ("U…"); an empty Name is derived from RealName or the ID.
func (s *Server) AddUser(u User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if u.ID == "" {
		u.ID = s.ws.nextID("U")
	}
	if u.Name == "" {
		u.Name = strings.ToLower(strings.ReplaceAll(u.RealName, " ", "."))
		if u.Name == "" {
			u.Name = strings.ToLower(u.ID)
		}
	}
	if _, ok := s.ws.users[u.ID]; !ok {
		s.ws.userOrder = append(s.ws.userOrder, u.ID)
	}
	s.ws.users[u.ID] = &u
	s.emit(Change{Kind: ChangeUser, UserID: u.ID})
	return u.ID
}

// User returns the user with that ID.
func (s *Server) User(id string) (User, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.ws.users[id]
	if !ok {
		return User{}, false
	}
	return *u, true
}

// Users returns every user, the bot included, in the order they were added.
func (s *Server) Users() []User {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]User, 0, len(s.ws.userOrder))
	for _, id := range s.ws.userOrder {
		out = append(out, *s.ws.users[id])
	}
	return out
}

// CreateChannel creates a channel directly (no Web API call, no name validation)
// with exactly the given members; the bot is a member only if listed. The creator
// is the first member. It returns the new "C…" ID.
func (s *Server) CreateChannel(name string, private bool, members ...string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	creator := "USLACKBOT"
	if len(members) > 0 {
		creator = members[0]
	}
	c := s.newChannel(name, private, creator)
	for _, m := range members {
		if !c.isMember(m) {
			c.Members = append(c.Members, m)
		}
	}
	return c.ID
}

// newChannel needs s.mu.
func (s *Server) newChannel(name string, private bool, creator string) *channel {
	c := &channel{Channel: Channel{ID: s.ws.nextID("C"), Name: name, Private: private, Creator: creator}, created: s.now()}
	s.ws.channels[c.ID] = c
	s.ws.chanOrder = append(s.ws.chanOrder, c.ID)
	s.emit(Change{Kind: ChangeChannel, Channel: c.ID})
	return c
}

// imChannel returns the bot's IM channel with user, creating it; needs s.mu.
func (s *Server) imChannel(user string) *channel {
	if id, ok := s.ws.ims[user]; ok {
		return s.ws.channels[id]
	}
	c := &channel{Channel: Channel{ID: s.ws.nextID("D"), IM: true, Private: true, Members: []string{user, s.botUserID}}, created: s.now(), imUser: user}
	s.ws.channels[c.ID] = c
	s.ws.ims[user] = c.ID
	return c
}

// DMChannel returns the ID of the bot's direct-message channel with userID
// (created on first use), where chat.postMessage to a user ID lands.
func (s *Server) DMChannel(userID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.imChannel(userID).ID
}

// Channel returns a copy of the channel with that ID (IM channels included).
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ws.channels[id]
	if !ok {
		return Channel{}, false
	}
	return copyChannel(c), true
}

// ChannelByName returns the first non-IM channel with that name, archived or not.
func (s *Server) ChannelByName(name string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range s.ws.chanOrder {
		if c := s.ws.channels[id]; c.Name == name {
			return copyChannel(c), true
		}
	}
	return Channel{}, false
}

// Channels returns every non-IM channel in creation order.
func (s *Server) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.ws.chanOrder))
	for _, id := range s.ws.chanOrder {
		out = append(out, copyChannel(s.ws.channels[id]))
	}
	return out
}

func copyChannel(c *channel) Channel {
	out := c.Channel
	out.Members = slices.Clone(c.Members)
	out.Bookmarks = slices.Clone(c.Bookmarks)
	return out
}

// Messages returns the messages of a channel in ts order, thread replies included
// (ThreadTS set); deleted messages are gone. A user ID stands for the bot's DM
// channel with that user.
func (s *Server) Messages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id, ok := s.ws.ims[channelID]; ok {
		channelID = id
	}
	c, ok := s.ws.channels[channelID]
	if !ok {
		return nil
	}
	out := make([]Message, 0, len(c.messages))
	for _, m := range c.messages {
		out = append(out, copyMessage(m))
	}
	return out
}

// Ephemerals returns, in order, every ephemeral message shown to userID:
// chat.postEphemeral, slash-command ack payloads that were not in_channel, and
// ephemeral response_url replies. A replaced ephemeral shows its latest content.
func (s *Server) Ephemerals(userID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.ws.ephemerals {
		if m.EphemeralTo == userID {
			out = append(out, copyMessage(m))
		}
	}
	return out
}

func copyMessage(m *Message) Message {
	out := *m
	out.Blocks = slices.Clone(m.Blocks)
	out.Metadata = slices.Clone(m.Metadata)
	out.Reactions = slices.Clone(m.Reactions)
	out.Files = make([]File, len(m.Files))
	for i, f := range m.Files {
		out.Files[i] = copyFile(f)
	}
	if len(out.Files) == 0 {
		out.Files = nil
	}
	return out
}

func copyFile(f File) File {
	f.Content = slices.Clone(f.Content)
	f.Channels = slices.Clone(f.Channels)
	return f
}

// Files returns every completed upload in order.
func (s *Server) Files() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, id := range s.ws.fileOrder {
		if u := s.ws.uploads[id]; u.completed {
			out = append(out, copyFile(u.file))
		}
	}
	return out
}

// Views returns every view opened, pushed or published, in creation order.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.ws.viewOrder))
	for _, id := range s.ws.viewOrder {
		out = append(out, s.ws.views[id].export())
	}
	return out
}

// View returns the view with that ID.
func (s *Server) View(id string) (View, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := s.ws.views[id]
	if !ok {
		return View{}, false
	}
	return v.export(), true
}

// postMessage appends a message to c; needs s.mu.
func (s *Server) postMessage(c *channel, m *Message) {
	m.Channel = c.ID
	if m.TS == "" {
		m.TS = s.ws.nextTS(s.now())
	}
	c.messages = append(c.messages, m)
	s.emit(Change{Kind: ChangeMessage, Channel: c.ID, TS: m.TS, UserID: m.User})
}

// addEphemeral records an ephemeral message; needs s.mu.
func (s *Server) addEphemeral(channelID, user string, m *Message) {
	m.Channel = channelID
	m.Ephemeral = true
	m.EphemeralTo = user
	m.TS = s.ws.nextTS(s.now())
	if m.User == "" {
		m.User = s.botUserID
	}
	s.ws.ephemerals = append(s.ws.ephemerals, m)
	s.emit(Change{Kind: ChangeEphemeral, Channel: channelID, TS: m.TS, UserID: user})
}

func (s *Server) ephemeral(user, ts string) *Message {
	for _, m := range s.ws.ephemerals {
		if m.EphemeralTo == user && m.TS == ts {
			return m
		}
	}
	return nil
}

// PostUserMessage posts text in a channel as userID, as if the user typed it, and
// returns its ts (the bot cannot chat.update it). Slack keeps the text as the
// client sent it, escaped (see typed).
func (s *Server) PostUserMessage(channelID, userID, text string) (string, error) {
	return s.postUser("PostUserMessage", channelID, userID, text, false)
}

// PostUserMarkup is PostUserMessage for text already in the form Slack
// stores, markup and all (<!channel> for a typed @channel, a link as
// <https://…|label>); it refuses a form Slack could not have stored.
func (s *Server) PostUserMarkup(channelID, userID, text string) (string, error) {
	if err := checkWire(text); err != nil {
		return "", fmt.Errorf("slackemu: PostUserMarkup: %q: %w", text, err)
	}
	return s.postUser("PostUserMarkup", channelID, userID, text, true)
}

func (s *Server) postUser(op, channelID, userID, text string, wire bool) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.ws.channels[channelID]
	if !ok {
		return "", fmt.Errorf("slackemu: %s: unknown channel %q", op, channelID)
	}
	if !wire {
		text = s.typed(text)
	}
	m := &Message{User: userID, Text: text}
	s.postMessage(c, m)
	return m.TS, nil
}

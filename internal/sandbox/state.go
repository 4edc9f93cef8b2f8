package sandbox

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/incidentbot/incidentbot/internal/slackemu"
)

// Pseudo-channels of the UI: the bot's DM and its App Home tab.
const (
	channelDM   = "dm"
	channelHome = "home"
)

// privateChannelName is what a private channel is called to someone who
// is not in it.
const privateChannelName = "private-channel"

// messageVM is one message as the "message" template shows it.
type messageVM struct {
	Channel, TS         string
	Author, Initials    string
	Color               int
	Bot                 bool
	Time, Stamp         string
	Pinned, Edited      bool
	Ephemeral           bool
	Blocks              []blockVM
	Text                template.HTML
	Files               []fileVM
	Reactions           []string
	Replies             []messageVM
	Shortcuts           []Shortcut
	ReplyWord, ReplyNum string
}

type fileVM struct {
	ID, Name, Title, Size string
}

type channelItem struct {
	ID, Name          string
	Private, Archived bool
	Incident, Current bool
	Latest            string // ts of the newest message, for unread marks
}

type sidebarVM struct {
	Channels, Others []channelItem
	Current          string
	BotName          string
}

type bookmarkVM struct{ Title, Link string }

type headerVM struct {
	Name, Kind     string // Kind: "channel", "private", "dm", "home"
	Topic, Purpose template.HTML
	Members, Pins  int
	Bookmarks      []bookmarkVM
}

type modalVM struct {
	ID, Hash             string
	Title, Submit, Close string
	Blocks               []blockVM
}

// snapshot is everything the UI shows one user, read from the emulator at
// one moment.
type snapshot struct {
	emu     *slackemu.Server
	names   *names
	user    string
	prefix  string // incident channel prefix, "inc-"
	botID   string
	options []Shortcut
}

func (h *handler) snapshot(user string) *snapshot {
	users := h.emu.Users()
	channels := h.emu.Channels()
	for i, c := range channels {
		if c.Private && !slices.Contains(c.Members, user) {
			// Slack names a private channel only to its members; anyone
			// else sees a mention of it as "private-channel", and the
			// name, which carries an incident's title, stays hidden.
			channels[i] = slackemu.Channel{ID: c.ID, Name: privateChannelName, Private: true}
		}
	}
	return &snapshot{
		emu: h.emu, names: newNames(users, channels, h.now()), user: user,
		prefix: h.channelPrefix + "-", botID: h.emu.BotUserID(), options: h.shortcuts,
	}
}

func (s *snapshot) sidebar(current string) sidebarVM {
	vm := sidebarVM{Current: current, BotName: s.names.userName(s.botID)}
	for _, id := range s.names.channelOrder {
		c := s.names.channels[id]
		member := slices.Contains(c.Members, s.user)
		if c.Private && !member {
			continue // Slack does not show private channels to non-members
		}
		item := channelItem{
			ID: c.ID, Name: c.Name, Private: c.Private, Archived: c.Archived,
			Incident: strings.HasPrefix(c.Name, s.prefix), Current: c.ID == current,
		}
		if msgs := s.emu.Messages(c.ID); len(msgs) > 0 {
			item.Latest = msgs[len(msgs)-1].TS
		}
		if member {
			vm.Channels = append(vm.Channels, item)
		} else {
			vm.Others = append(vm.Others, item)
		}
	}
	return vm
}

func (s *snapshot) header(c slackemu.Channel) headerVM {
	vm := headerVM{Name: c.Name, Kind: "channel", Members: len(c.Members)}
	switch {
	case c.IM:
		vm.Kind, vm.Name = "dm", s.names.userName(s.botID)
	case c.Private:
		vm.Kind = "private"
	}
	vm.Topic = s.names.mrkdwn(c.Topic)
	vm.Purpose = s.names.mrkdwn(c.Purpose)
	for _, b := range c.Bookmarks {
		if safeLink(b.Link) {
			vm.Bookmarks = append(vm.Bookmarks, bookmarkVM{Title: emojify(b.Title), Link: b.Link})
		}
	}
	for _, m := range s.emu.Messages(c.ID) {
		if m.Pinned {
			vm.Pins++
		}
	}
	return vm
}

// messages are the channel's messages and the user's ephemerals there, in
// time order, with thread replies under their parent.
func (s *snapshot) messages(channelID string) []messageVM {
	all := s.emu.Messages(channelID)
	for _, e := range s.emu.Ephemerals(s.user) {
		if e.Channel == channelID {
			all = append(all, e)
		}
	}
	slices.SortStableFunc(all, func(a, b slackemu.Message) int { return compareTS(a.TS, b.TS) })
	parents := map[string]bool{}
	for _, m := range all {
		if m.ThreadTS == "" || m.ThreadTS == m.TS {
			parents[m.TS] = true
		}
	}
	var out []messageVM
	index := map[string]int{}
	for _, m := range all {
		vm := s.message(m)
		if m.ThreadTS != "" && m.ThreadTS != m.TS && parents[m.ThreadTS] {
			if i, ok := index[m.ThreadTS]; ok {
				p := &out[i]
				p.Replies = append(p.Replies, vm)
				p.ReplyNum = strconv.Itoa(len(p.Replies))
				p.ReplyWord = "replies"
				if len(p.Replies) == 1 {
					p.ReplyWord = "reply"
				}
				continue
			}
		}
		index[m.TS] = len(out)
		out = append(out, vm)
	}
	return out
}

func (s *snapshot) message(m slackemu.Message) messageVM {
	u := s.names.users[m.User]
	vm := messageVM{
		Channel: m.Channel, TS: m.TS, Author: s.names.userName(m.User), Initials: initials(s.names.userName(m.User)),
		Color: colorOf(m.User), Bot: u.IsBot || m.User == s.botID, Pinned: m.Pinned, Edited: m.Updates > 0,
		Ephemeral: m.Ephemeral,
	}
	if t, ok := tsTime(m.TS); ok {
		vm.Time, vm.Stamp = t.Format("15:04"), t.Format("Monday, 2 January 2006 15:04:05 UTC")
	}
	vm.Blocks = s.names.blocks(m.Blocks, nil)
	if len(vm.Blocks) == 0 {
		vm.Text = s.names.mrkdwn(m.Text)
	}
	for _, f := range m.Files {
		vm.Files = append(vm.Files, fileVM{ID: f.ID, Name: f.Name, Title: f.Title, Size: size(len(f.Content))})
	}
	for _, r := range m.Reactions {
		vm.Reactions = append(vm.Reactions, emojify(":"+r+":"))
	}
	if !m.Ephemeral {
		vm.Shortcuts = s.options
	}
	return vm
}

// modal is the user's open modal: the top of the newest open stack.
func (s *snapshot) modal() *modalVM {
	var top *slackemu.View
	for _, v := range s.emu.Views() {
		if v.Type == "modal" && !v.Closed && v.UserID == s.user {
			top = &v
		}
	}
	if top == nil {
		return nil
	}
	var body obj
	_ = json.Unmarshal(top.View, &body)
	return &modalVM{
		ID: top.ID, Hash: top.Hash,
		Title:  s.names.plain(body.obj("title")),
		Submit: s.names.plain(body.obj("submit")),
		Close:  s.names.plain(body.obj("close")),
		Blocks: s.names.blocks(rawField(top.View, "blocks"), top.Errors),
	}
}

// home is the App Home tab the bot published for the user, if any.
func (s *snapshot) home() ([]blockVM, bool) {
	var home *slackemu.View
	for _, v := range s.emu.Views() {
		if v.Type == "home" && v.UserID == s.user {
			home = &v
		}
	}
	if home == nil {
		return nil, false
	}
	return s.names.blocks(rawField(home.View, "blocks"), nil), true
}

// compareTS orders message timestamps ("seconds.micros") numerically.
func compareTS(a, b string) int {
	as, af, _ := strings.Cut(a, ".")
	bs, bf, _ := strings.Cut(b, ".")
	if len(as) != len(bs) {
		return len(as) - len(bs)
	}
	if c := strings.Compare(as, bs); c != 0 {
		return c
	}
	return strings.Compare(af, bf)
}

func tsTime(ts string) (time.Time, bool) {
	sec, _, _ := strings.Cut(ts, ".")
	n, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.Unix(n, 0).UTC(), true
}

// initials are the avatar's letters: the first letter of the first two words.
func initials(name string) string {
	var out []rune
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		out = append(out, unicode.ToUpper([]rune(w)[0]))
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// colorOf picks one of the stylesheet's eight avatar colours for a user.
func colorOf(id string) int {
	h := fnv.New32a()
	h.Write([]byte(id))
	return int(h.Sum32() % 8)
}

func size(n int) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

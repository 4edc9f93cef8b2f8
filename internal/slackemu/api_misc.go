package slackemu

import (
	"slices"
	"strings"
	"time"
)

const maxBookmarks = 100 // per channel, M/bookmarks.add

func (s *Server) authTest(*apiRequest) apiResult {
	return success(map[string]any{
		"url":     "https://" + s.teamDomain + ".slack.com/",
		"team":    s.teamName,
		"user":    s.ws.users[s.botUserID].Name,
		"team_id": s.teamID, "user_id": s.botUserID, "bot_id": s.botID,
		"is_enterprise_install": false,
	})
}

func (s *Server) usersInfo(req *apiRequest) apiResult {
	u, ok := s.ws.users[req.str("user")]
	if !ok {
		return failure("user_not_found")
	}
	return success(map[string]any{"user": s.userJSON(u)})
}

// usersLookupByEmail answers users_not_found for deactivated users too: "If the
// user has been deactivated, users_not_found will be returned" (M/users.lookupByEmail).
func (s *Server) usersLookupByEmail(req *apiRequest) apiResult {
	email := req.str("email")
	for _, id := range s.ws.userOrder {
		u := s.ws.users[id]
		if email != "" && strings.EqualFold(u.Email, email) && !u.Deleted {
			return success(map[string]any{"user": s.userJSON(u)})
		}
	}
	return failure("users_not_found")
}

func (s *Server) userJSON(u *User) map[string]any {
	profile := map[string]any{
		"real_name": u.RealName, "real_name_normalized": u.RealName,
		"display_name": u.Name, "display_name_normalized": u.Name,
		"email": u.Email, "team": s.teamID,
	}
	out := map[string]any{
		"id": u.ID, "team_id": s.teamID, "name": u.Name, "deleted": u.Deleted,
		"real_name": u.RealName, "tz": "Etc/UTC", "tz_label": "Coordinated Universal Time", "tz_offset": 0,
		"is_bot": u.IsBot, "is_admin": false, "is_owner": false, "is_app_user": false,
		"is_restricted": false, "is_ultra_restricted": false, "profile": profile,
	}
	if u.ID == s.botUserID {
		profile["bot_id"] = s.botID
		profile["api_app_id"] = s.appID
	}
	return out
}

func (s *Server) pinsAdd(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	ts := req.str("timestamp")
	if ts == "" {
		return failure("no_item_specified")
	}
	m := c.message(ts)
	switch {
	case m == nil:
		return failure("message_not_found")
	case m.Pinned:
		return failure("already_pinned")
	}
	m.Pinned = true
	s.emit(Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: ts})
	return success(nil)
}

func (s *Server) reactionsAdd(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	if c.Archived {
		return failure("is_archived")
	}
	name := req.str("name")
	if name == "" || strings.ContainsAny(name, ": ") {
		return failure("invalid_name") // the name goes without colons (M/reactions.add)
	}
	m := c.message(req.str("timestamp"))
	switch {
	case m == nil:
		return failure("message_not_found")
	case slices.Contains(m.Reactions, name):
		return failure("already_reacted")
	}
	m.Reactions = append(m.Reactions, name)
	s.emit(Change{Kind: ChangeMessageUpdated, Channel: c.ID, TS: m.TS})
	return success(nil)
}

func (s *Server) bookmarksAdd(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel_id"))
	if code != "" {
		return failure(code)
	}
	title, typ, link := req.str("title"), req.str("type"), req.str("link")
	switch {
	case title == "":
		return failure("invalid_arguments")
	case typ != "link":
		return failure("invalid_bookmark_type")
	case !strings.HasPrefix(link, "http://") && !strings.HasPrefix(link, "https://"):
		return failure("invalid_link")
	case len(c.Bookmarks) >= maxBookmarks:
		return failure("too_many_bookmarks")
	}
	b := Bookmark{ID: s.ws.nextID("Bk"), ChannelID: c.ID, Title: title, Link: link, Emoji: req.str("emoji"), Type: typ}
	c.Bookmarks = append(c.Bookmarks, b)
	s.emit(Change{Kind: ChangeChannel, Channel: c.ID})
	return success(map[string]any{"bookmark": s.bookmarkJSON(b)})
}

// bookmarksList returns a channel's bookmarks (bookmarks:read).
func (s *Server) bookmarksList(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel_id"))
	if code != "" {
		return failure(code)
	}
	list := []map[string]any{}
	for _, b := range c.Bookmarks {
		list = append(list, s.bookmarkJSON(b))
	}
	return success(map[string]any{"bookmarks": list})
}

func (s *Server) bookmarkJSON(b Bookmark) map[string]any {
	now := s.now().Unix()
	return map[string]any{
		"id": b.ID, "channel_id": b.ChannelID, "title": b.Title, "link": b.Link, "emoji": b.Emoji,
		"icon_url": "", "type": b.Type, "entity_id": "", "date_created": now, "date_updated": now,
		"rank": "U", "last_updated_by_user_id": s.botUserID, "last_updated_by_team_id": s.teamID,
		"shortcut_id": "", "app_id": s.appID,
	}
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

package slackemu

import (
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	maxChannelName  = 80  // M/conversations.create
	maxTopicPurpose = 250 // M/conversations.setTopic, setPurpose
	maxInvitees     = 100 // M/conversations.invite argument table
)

// channelNameError applies M/conversations.create's rules: "Channel names may only
// contain lowercase letters, numbers, hyphens, and underscores, and must be 80
// characters or less"; nothing is auto-fixed. Non-ASCII letters that are not
// upper case count as lowercase letters (undocumented; observed behaviour).
func channelNameError(name string) string {
	if name == "" {
		return "invalid_name_required"
	}
	if utf8.RuneCountInString(name) > maxChannelName {
		return "invalid_name_maxlength"
	}
	punctuationOnly := true
	for _, r := range name {
		switch {
		case r == '-' || r == '_':
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			punctuationOnly = false
		case r > unicode.MaxASCII && (unicode.IsDigit(r) || unicode.IsLetter(r) && !unicode.IsUpper(r) && !unicode.IsTitle(r)):
			punctuationOnly = false
		default:
			return "invalid_name_specials"
		}
	}
	if punctuationOnly {
		return "invalid_name_punctuation"
	}
	return ""
}

func (s *Server) conversationsCreate(req *apiRequest) apiResult {
	name := req.str("name")
	if code := channelNameError(name); code != "" {
		return failure(code)
	}
	for _, id := range s.ws.chanOrder {
		if s.ws.channels[id].Name == name { // archived channels keep their names
			return failure("name_taken")
		}
	}
	c := s.newChannel(name, req.flag("is_private"), s.botUserID)
	c.Members = []string{s.botUserID}
	return success(map[string]any{"channel": s.conversationJSON(c, false)})
}

func (s *Server) conversationsInvite(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	switch {
	case code != "":
		return failure(code)
	case c.IM:
		return failure("method_not_supported_for_channel_type")
	case c.Archived:
		return failure("is_archived")
	case !c.isMember(s.botUserID):
		return failure("not_in_channel")
	}
	users := splitList(req.args["users"])
	if len(users) == 0 {
		return failure("no_user")
	}
	if len(users) > maxInvitees {
		return failure("too_many_users")
	}
	var errs []map[string]any
	var invite []string
	for _, id := range users {
		var reason string
		u, known := s.ws.users[id]
		switch {
		case id == s.botUserID:
			reason = "cant_invite_self"
		case !known:
			reason = "user_not_found"
		case u.Deleted:
			// Slack documents no code for deactivated users; cant_invite is its
			// documented "User cannot be invited to this channel".
			reason = "cant_invite"
		case c.isMember(id):
			reason = "already_in_channel"
		default:
			if !slices.Contains(invite, id) {
				invite = append(invite, id)
			}
			continue
		}
		errs = append(errs, map[string]any{"user": id, "ok": false, "error": reason})
	}
	if len(errs) > 0 {
		// If any invite fails, nobody is invited (M/conversations.invite).
		return failWith(errs[0]["error"].(string), map[string]any{"errors": errs})
	}
	c.Members = append(c.Members, invite...)
	s.emit(Change{Kind: ChangeMembers, Channel: c.ID})
	s.raiseJoined(c, invite, s.botUserID)
	return success(map[string]any{"channel": s.conversationJSON(c, false)})
}

// splitList reads a comma-separated list, or a JSON array of strings.
func splitList(v any) []string {
	var parts []string
	switch v := v.(type) {
	case string:
		parts = strings.Split(v, ",")
	case []any:
		for _, p := range v {
			if s, ok := p.(string); ok {
				parts = append(parts, s)
			}
		}
	}
	var out []string
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Server) conversationsSetTopic(req *apiRequest) apiResult {
	return s.setTopicOrPurpose(req, "topic")
}

func (s *Server) conversationsSetPurpose(req *apiRequest) apiResult {
	return s.setTopicOrPurpose(req, "purpose")
}

func (s *Server) setTopicOrPurpose(req *apiRequest, which string) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	switch {
	case code != "":
		return failure(code)
	case c.Archived:
		return failure("is_archived")
	case !c.isMember(s.botUserID):
		return failure("not_in_channel")
	}
	value := req.str(which)
	if utf8.RuneCountInString(value) > maxTopicPurpose {
		return failure("too_long")
	}
	if which == "topic" {
		c.Topic, c.topicCreator, c.topicSet = value, s.botUserID, s.now()
	} else {
		c.Purpose, c.purposeCreator, c.purposeSet = value, s.botUserID, s.now()
	}
	s.emit(Change{Kind: ChangeChannel, Channel: c.ID})
	return success(map[string]any{"channel": s.conversationJSON(c, false)})
}

func (s *Server) conversationsInfo(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	return success(map[string]any{"channel": s.conversationJSON(c, req.flag("include_num_members"))})
}

// hasScope reports whether the bot token holds scope (Options.Scopes; nil
// grants every scope).
func (s *Server) hasScope(scope string) bool {
	return s.opts.Scopes == nil || slices.Contains(s.opts.Scopes, scope)
}

// missingScope is Slack's answer to a token without the scope a method needs.
func (s *Server) missingScope(needed string) apiResult {
	return failWith("missing_scope", map[string]any{"needed": needed, "provided": strings.Join(s.opts.Scopes, ",")})
}

func (s *Server) conversationsJoin(req *apiRequest) apiResult {
	if !s.hasScope("channels:join") {
		return s.missingScope("channels:join")
	}
	c, ok := s.ws.channels[req.str("channel")]
	switch {
	case !ok:
		return failure("channel_not_found")
	case c.IM || c.Private:
		return failure("method_not_supported_for_channel_type")
	case c.Archived:
		return failure("is_archived")
	case c.isMember(s.botUserID):
		return success(map[string]any{
			"channel":           s.conversationJSON(c, false),
			"warning":           "already_in_channel",
			"response_metadata": map[string]any{"warnings": []string{"already_in_channel"}},
		})
	}
	c.Members = append(c.Members, s.botUserID)
	s.emit(Change{Kind: ChangeMembers, Channel: c.ID})
	return success(map[string]any{"channel": s.conversationJSON(c, false)})
}

func (s *Server) conversationsArchive(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	switch {
	case code != "":
		return failure(code)
	case c.IM:
		return failure("method_not_supported_for_channel_type")
	case c.Archived:
		return failure("already_archived")
	case !c.isMember(s.botUserID):
		return failure("not_in_channel")
	}
	c.Archived = true
	s.emit(Change{Kind: ChangeChannel, Channel: c.ID})
	return success(nil)
}

func (s *Server) conversationsMembers(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	if code != "" {
		return failure(code)
	}
	limit := intArg(req, "limit", 100, 1000)
	start := 0
	if cur := req.str("cursor"); cur != "" {
		v, ok := decodeCursor("offset", cur)
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return failure("invalid_cursor")
		}
		start = min(n, len(c.Members))
	}
	end := min(start+limit, len(c.Members))
	next := ""
	if end < len(c.Members) {
		next = encodeCursor("offset", strconv.Itoa(end))
	}
	return success(map[string]any{
		"members":           append([]string{}, c.Members[start:end]...),
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

func (s *Server) conversationsHistory(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	switch {
	case code != "":
		return failure(code)
	case !c.isMember(s.botUserID):
		return failure("not_in_channel")
	}
	span, bad := readSpan(req)
	if bad != nil {
		return *bad
	}
	upTo := int64(1<<62 - 1)
	if cur := req.str("cursor"); cur != "" {
		v, ok := decodeCursor("next_ts", cur)
		ts, valid := parseTS(v)
		if !ok || !valid {
			return failure("invalid_cursor")
		}
		upTo = ts
	}
	limit := intArg(req, "limit", 100, 999)
	withMetadata := req.flag("include_all_metadata")

	var page []map[string]any
	hasMore, next, pins := false, "", 0
	for i := len(c.messages) - 1; i >= 0; i-- { // newest first
		m := c.messages[i]
		if m.Pinned {
			pins++
		}
		ts, _ := parseTS(m.TS)
		if m.ThreadTS != "" || !span.holds(ts) || ts > upTo || hasMore {
			continue
		}
		if len(page) == limit {
			hasMore, next = true, encodeCursor("next_ts", m.TS)
			continue
		}
		page = append(page, s.messageJSON(c, m, withMetadata))
	}
	if page == nil {
		page = []map[string]any{}
	}
	return success(map[string]any{
		"messages":          page,
		"has_more":          hasMore,
		"pin_count":         pins,
		"response_metadata": map[string]any{"next_cursor": next},
	})
}

// parseTS turns "<unix>.<up to 6 digits>" into microseconds.
func parseTS(ts string) (int64, bool) {
	secs, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(secs, 10, 64)
	if err != nil || len(frac) > 6 {
		return 0, false
	}
	var us int64
	if frac != "" {
		f, err := strconv.ParseInt(frac+strings.Repeat("0", 6-len(frac)), 10, 64)
		if err != nil {
			return 0, false
		}
		us = f
	}
	return s*1e6 + us, true
}

func intArg(req *apiRequest, key string, def, maxVal int) int {
	n, err := strconv.Atoi(req.str(key))
	if err != nil || n <= 0 {
		return def
	}
	return min(n, maxVal)
}

func encodeCursor(kind, v string) string {
	return base64.StdEncoding.EncodeToString([]byte(kind + ":" + v))
}

func decodeCursor(kind, cur string) (string, bool) {
	b, err := base64.StdEncoding.DecodeString(cur)
	if err != nil {
		return "", false
	}
	return strings.CutPrefix(string(b), kind+":")
}

// conversationJSON renders c as Slack's conversation object, seen by the bot.
func (s *Server) conversationJSON(c *channel, withCount bool) map[string]any {
	out := map[string]any{
		"id": c.ID, "created": c.created.Unix(), "is_archived": c.Archived,
		"is_im": c.IM, "is_mpim": false, "is_private": c.Private, "is_group": false,
		"is_shared": false, "is_ext_shared": false, "is_org_shared": false,
		"is_pending_ext_shared": false, "is_read_only": false, "is_general": false, "unlinked": 0,
	}
	if c.IM {
		out["user"] = c.imUser
		out["is_open"] = true
	} else {
		out["name"] = c.Name
		out["name_normalized"] = c.Name
		out["is_channel"] = !c.Private
		out["creator"] = c.Creator
		out["is_member"] = c.isMember(s.botUserID)
		out["topic"] = map[string]any{"value": c.Topic, "creator": c.topicCreator, "last_set": unixOrZero(c.topicSet)}
		out["purpose"] = map[string]any{"value": c.Purpose, "creator": c.purposeCreator, "last_set": unixOrZero(c.purposeSet)}
		out["previous_names"] = []string{}
	}
	if withCount {
		out["num_members"] = len(c.Members)
	}
	return out
}

// conversationsList pages through the channels the bot can see, in creation
// order: public channels, and private ones it is a member of.
func (s *Server) conversationsList(req *apiRequest) apiResult {
	types := map[string]bool{}
	for _, t := range strings.Split(req.str("types"), ",") {
		if t = strings.TrimSpace(t); t != "" {
			types[t] = true
		}
	}
	if len(types) == 0 {
		types["public_channel"] = true
	}
	for t := range types {
		switch t {
		case "public_channel", "private_channel", "im", "mpim":
		default:
			return failure("invalid_types")
		}
	}
	start := 0
	if cur := req.str("cursor"); cur != "" {
		v, ok := decodeCursor("next_index", cur)
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 {
			return failure("invalid_cursor")
		}
		start = n
	}
	limit := intArg(req, "limit", 100, 1000)
	excludeArchived := req.flag("exclude_archived")
	page := []map[string]any{}
	next := ""
	for i := start; i < len(s.ws.chanOrder); i++ {
		c := s.ws.channels[s.ws.chanOrder[i]]
		kind := "public_channel"
		switch {
		case c.IM:
			kind = "im"
		case c.Private:
			kind = "private_channel"
		}
		if !types[kind] || (c.Private && !c.isMember(s.botUserID)) || (excludeArchived && c.Archived) {
			continue
		}
		if len(page) == limit {
			next = encodeCursor("next_index", strconv.Itoa(i))
			break
		}
		page = append(page, s.conversationJSON(c, false))
	}
	return success(map[string]any{"channels": page, "response_metadata": map[string]any{"next_cursor": next}})
}

// conversationsReplies returns a thread, earliest first: its parent, then the
// replies between oldest and latest (M/conversations.replies), limit at a time
// with a cursor. The parent leads the first page whatever the time range [A]:
// callers must not rely on it being there or not.
func (s *Server) conversationsReplies(req *apiRequest) apiResult {
	c, code := s.visibleChannel(req.str("channel"))
	switch {
	case code != "":
		return failure(code)
	case !c.isMember(s.botUserID) && !c.IM:
		return failure("not_in_channel")
	}
	ts := req.str("ts")
	if _, ok := parseTS(ts); !ok {
		return failure("thread_not_found")
	}
	parent := c.message(ts)
	if parent != nil && parent.ThreadTS != "" {
		parent = c.message(parent.ThreadTS) // ts may name a reply: its whole thread
	}
	if parent == nil {
		return failure("thread_not_found")
	}
	span, bad := readSpan(req)
	if bad != nil {
		return *bad
	}
	after := int64(-1) // microseconds of the last reply already returned
	if cur := req.str("cursor"); cur != "" {
		v, ok := decodeCursor("after_ts", cur)
		n, valid := parseTS(v)
		if !ok || !valid {
			return failure("invalid_cursor")
		}
		after = n
	}
	limit := intArg(req, "limit", 1000, 1000)
	withMetadata := req.flag("include_all_metadata")
	page := []map[string]any{}
	if after < 0 {
		page = append(page, s.messageJSON(c, parent, withMetadata))
	}
	hasMore, next := false, ""
	for _, m := range c.messages { // ts order
		us, _ := parseTS(m.TS)
		if m.ThreadTS != parent.TS || m.TS == parent.TS || us <= after || !span.holds(us) {
			continue
		}
		if len(page) >= limit {
			hasMore, next = true, encodeCursor("after_ts", page[len(page)-1]["ts"].(string))
			break
		}
		page = append(page, s.messageJSON(c, m, withMetadata))
	}
	return success(map[string]any{"messages": page, "has_more": hasMore, "response_metadata": map[string]any{"next_cursor": next}})
}

// span is a history time range: oldest and latest in microseconds, ends
// included only with inclusive (M/conversations.history, replies).
type span struct {
	oldest, latest int64
	inclusive      bool
}

func (sp span) holds(us int64) bool {
	return (us > sp.oldest || sp.inclusive && us == sp.oldest) && (us < sp.latest || sp.inclusive && us == sp.latest)
}

// readSpan reads oldest (default 0), latest (default now: everything) and
// inclusive; a non-nil result is the error answer.
func readSpan(req *apiRequest) (span, *apiResult) {
	sp := span{latest: 1<<62 - 1, inclusive: req.flag("inclusive")}
	if v := req.str("latest"); v != "" {
		var ok bool
		if sp.latest, ok = parseTS(v); !ok {
			res := failure("invalid_ts_latest")
			return sp, &res
		}
	}
	if v := req.str("oldest"); v != "" {
		var ok bool
		if sp.oldest, ok = parseTS(v); !ok {
			res := failure("invalid_ts_oldest")
			return sp, &res
		}
	}
	return sp, nil
}

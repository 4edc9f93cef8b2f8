package incident

import (
	"strconv"
	"strings"
	"unicode"
)

// MaxChannelName is Slack's limit on a channel name. Names here are ASCII,
// so characters and bytes agree.
const MaxChannelName = 80

// asciiFold spells a common accented Latin letter (already lower-cased) in
// ASCII, so "Déjà vu" keeps its words instead of becoming "d-j-vu"; it
// returns "" for any other rune. A small table covers the usual titles
// without pulling in a Unicode normaliser.
func asciiFold(r rune) string {
	switch r {
	case 'à', 'á', 'â', 'ã', 'ä', 'å', 'ā', 'ă', 'ą':
		return "a"
	case 'æ':
		return "ae"
	case 'ç', 'ć', 'č':
		return "c"
	case 'ď', 'đ', 'ð':
		return "d"
	case 'è', 'é', 'ê', 'ë', 'ē', 'ė', 'ę', 'ě':
		return "e"
	case 'ğ':
		return "g"
	case 'ì', 'í', 'î', 'ï', 'ī', 'į', 'ı':
		return "i"
	case 'ł', 'ľ':
		return "l"
	case 'ñ', 'ń', 'ň':
		return "n"
	case 'ò', 'ó', 'ô', 'õ', 'ö', 'ø', 'ō', 'ő':
		return "o"
	case 'œ':
		return "oe"
	case 'ř':
		return "r"
	case 'ś', 'š', 'ş', 'ș':
		return "s"
	case 'ß':
		return "ss"
	case 'ť', 'ţ', 'ț':
		return "t"
	case 'þ':
		return "th"
	case 'ù', 'ú', 'û', 'ü', 'ū', 'ů', 'ű', 'ų':
		return "u"
	case 'ý', 'ÿ':
		return "y"
	case 'ź', 'ż', 'ž':
		return "z"
	}
	return ""
}

// Slug turns a title into at most max characters of a-z, 0-9, "-" and "_":
// lower-cased, common accented letters spelled in ASCII, every run of
// anything else (spaces, punctuation, emoji, other scripts) made one "-",
// with no "-" at either end. A title too long is cut at a word boundary
// when one is near. It may return "" (a title of emoji only). Mentions
// stored in the title (<@U…>, <#C…|name>) are left out, or give their
// channel name: a user's ID in a channel name means nothing to a reader.
func Slug(title string, max int) string {
	if max <= 0 {
		return ""
	}
	title = withoutMentions(title)
	var b strings.Builder
	dash := false // a "-" is owed before the next kept character
	put := func(s string) {
		if dash && b.Len() > 0 {
			b.WriteByte('-')
		}
		dash = false
		b.WriteString(s)
	}
	for _, r := range title {
		if b.Len() > max {
			break // enough to fill max; the rest cannot show
		}
		r = unicode.ToLower(r)
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9', r == '_':
			put(string(r))
		default:
			if f := asciiFold(r); f != "" {
				put(f)
			} else {
				dash = true
			}
		}
	}
	s := b.String()
	if len(s) > max {
		cut := s[:max]
		// Prefer ending on a whole word, unless that would waste over half
		// the room.
		if s[max] != '-' {
			if i := strings.LastIndexByte(cut, '-'); i > max/2 {
				cut = cut[:i]
			}
		}
		s = cut
	}
	return strings.TrimRight(s, "-")
}

// withoutMentions drops the user and channel mentions a stored title
// carries (<@U123>, <#C123>), keeping a channel mention's name
// (<#C123|general> gives "general").
func withoutMentions(title string) string {
	if !strings.Contains(title, "<@") && !strings.Contains(title, "<#") {
		return title
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(title, '<')
		if i < 0 {
			break
		}
		end := strings.IndexByte(title[i:], '>')
		if end < 0 || i+1 >= len(title) || (title[i+1] != '@' && title[i+1] != '#') {
			b.WriteString(title[:i+1])
			title = title[i+1:]
			continue
		}
		b.WriteString(title[:i])
		inner := title[i+1 : i+end]
		if _, name, ok := strings.Cut(inner, "|"); ok && inner[0] == '#' {
			b.WriteString(" " + name + " ")
		} else {
			b.WriteByte(' ')
		}
		title = title[i+end+1:]
	}
	b.WriteString(title)
	return b.String()
}

// ChannelName is the channel for incident n: "<prefix>-<n>-<slug of
// title>", at most 80 characters. The slug is cut to fit, never the prefix
// or the number; an empty slug gives "<prefix>-<n>". prefix is expected to
// be a valid channel name of a few characters (the configuration checks it).
func ChannelName(prefix string, n uint64, title string) string {
	base := prefix + "-" + strconv.FormatUint(n, 10)
	slug := Slug(title, MaxChannelName-len(base)-1)
	if slug == "" {
		return base
	}
	return base + "-" + slug
}

// ChannelNameWithSuffix is the name to try when base is taken: attempt 2
// gives base+"-2", and so on, with the end of base cut (and any "-" left
// dangling there) so that the whole stays within 80 characters. Attempts
// below 2 give base itself.
func ChannelNameWithSuffix(base string, attempt int) string {
	if attempt < 2 {
		return base
	}
	suffix := "-" + strconv.Itoa(attempt)
	if keep := MaxChannelName - len(suffix); len(base) > keep {
		base = strings.TrimRight(base[:keep], "-")
	}
	return base + suffix
}

// ValidChannelName reports whether Slack accepts name for a new channel as
// this bot generates them: 1 to 80 characters of a-z, 0-9, "-" and "_",
// with at least one letter or digit (Slack rejects punctuation only).
func ValidChannelName(name string) bool {
	if name == "" || len(name) > MaxChannelName {
		return false
	}
	alnum := false
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			alnum = true
		case c == '-' || c == '_':
		default:
			return false
		}
	}
	return alnum
}

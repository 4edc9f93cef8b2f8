package incident

import (
	"strings"
	"unicode"
)

// ResolveRole finds the role a user means by word: a role ID, a role's
// name, the initials of its name ("IC"), or an unambiguous prefix of its ID
// or name, all case-insensitive. An exact ID, name or initials wins over a
// prefix, so "comms" is the comms role although "Communications Lead" also
// starts with it, while "comm" (commander? comms?) is refused as ambiguous.
// The error is EINVALID and lists what would work.
func (s Settings) ResolveRole(word string) (Role, error) {
	w := strings.TrimSpace(word)
	if w == "" {
		return Role{}, Errorf(EINVALID, "say which role: one of %s", s.roleList())
	}
	if r, ok := s.Role(w); ok {
		return r, nil
	}
	var exact, prefixed []Role
	for _, r := range s.Roles {
		switch {
		case strings.EqualFold(r.Name, w), len(w) >= 2 && strings.EqualFold(initials(r.Name), w):
			exact = append(exact, r)
		case hasPrefixFold(r.ID, w), hasPrefixFold(r.Name, w):
			prefixed = append(prefixed, r)
		}
	}
	for _, candidates := range [][]Role{exact, prefixed} {
		switch len(candidates) {
		case 0:
			continue
		case 1:
			return candidates[0], nil
		default:
			ids := make([]string, len(candidates))
			for i, r := range candidates {
				ids[i] = "`" + r.ID + "`"
			}
			return Role{}, Errorf(EINVALID, "%q could be %s; type more of it, or the role's ID", clipWord(w), strings.Join(ids, " or "))
		}
	}
	return Role{}, Errorf(EINVALID, "%q is not a role; use one of %s", clipWord(w), s.roleList())
}

// RoleName is the configured name of role id, or the ID itself when the
// role has no name or is no longer configured.
func (s Settings) RoleName(id string) string {
	if r, ok := s.Role(id); ok && r.Name != "" {
		return r.Name
	}
	return id
}

// roleList names every role for an error message: "`commander` (Incident
// Commander), `comms` (Communications Lead), …".
func (s Settings) roleList() string {
	parts := make([]string, len(s.Roles))
	for i, r := range s.Roles {
		parts[i] = "`" + r.ID + "`"
		if r.Name != "" && !strings.EqualFold(r.Name, r.ID) {
			parts[i] += " (" + r.Name + ")"
		}
	}
	return strings.Join(parts, ", ")
}

// initials are the first letters of a name's words: "IC" for "Incident
// Commander".
func initials(name string) string {
	var b strings.Builder
	for _, f := range strings.FieldsFunc(name, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		for _, r := range f {
			b.WriteRune(r)
			break
		}
	}
	return b.String()
}

func hasPrefixFold(s, prefix string) bool {
	return strings.HasPrefix(strings.ToLower(s), strings.ToLower(prefix))
}

// clipWord keeps an error message short when it quotes what was typed.
func clipWord(s string) string {
	r := []rune(s)
	if len(r) > 30 {
		return string(r[:30]) + "…"
	}
	return s
}

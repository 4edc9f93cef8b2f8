package slackemu

import (
	"fmt"
	"regexp"
	"strings"
)

// Text a user types reaches apps the way Slack stores it: "&", "<" and ">"
// are control characters of Slack's markup, so the client sends them as
// &amp; &lt; &gt;, and the slash command's text, a message's text in
// conversations.history and in a message shortcut's payload all carry that
// escaped form (FMT-doc, "Escaping text"; a message's text is what its
// author's client sent). A
// person or channel the user picks from the composer's autocomplete is not
// text: it arrives as markup, <@U123|name> or <#C123|name>, which for a
// slash command is what "Escape channels, users, and links sent to your
// app" (should_escape in the manifest) turns on.
//
// What Slack does NOT escape: the values of a modal's inputs
// (plain_text_input and the rest) arrive in view_submission exactly as
// typed, so SubmitView passes them through.

// pickedMention is the markup a picked user or channel becomes.
var pickedMention = regexp.MustCompile(`<([@#])([UWCG][A-Z0-9]{2,20})(\|[^<>]*)?>`)

// typed turns text as a user types it into what Slack sends apps: & < >
// escaped, except a user or channel mention of this workspace written as
// markup (<@U…>, <@U…|name>, <#C…>, <#C…|name>), which stands for one the
// user picked from the autocomplete. Markup that is not such a mention
// (<!channel>, a link) is text the user typed, and is escaped; to send
// Slack's markup for those, use the wire form (SlashCommand.Escaped,
// PostUserMarkup). The caller holds s.mu.
func (s *Server) typed(text string) string {
	if !strings.ContainsAny(text, "&<>") {
		return text
	}
	var b strings.Builder
	b.Grow(len(text) + 16)
	for len(text) > 0 {
		loc := pickedMention.FindStringSubmatchIndex(text)
		if loc == nil || !s.knownMention(text[loc[2]:loc[3]], text[loc[4]:loc[5]]) {
			end := len(text)
			if loc != nil {
				end = loc[1] // escape up to and including an unknown one
			}
			b.WriteString(escapeTyped(text[:end]))
			text = text[end:]
			continue
		}
		b.WriteString(escapeTyped(text[:loc[0]]))
		b.WriteString(text[loc[0]:loc[1]])
		text = text[loc[1]:]
	}
	return b.String()
}

func (s *Server) knownMention(sigil, id string) bool {
	if sigil == "@" {
		_, ok := s.ws.users[id]
		return ok
	}
	_, ok := s.ws.channels[id]
	return ok
}

var typedEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func escapeTyped(s string) string { return typedEscaper.Replace(s) }

// wireMarkup is one <…> sequence of Slack's markup: a mention, a special
// mention (<!here>, <!subteam^…>, <!date^…|…>) or a link.
var wireMarkup = regexp.MustCompile(`^<(?:[@#!]|https?://|mailto:)[^<>]*>`)

// wireEntity is one of the three entities Slack escapes with.
var wireEntity = regexp.MustCompile(`^&(?:amp|lt|gt);`)

// checkWire refuses text that Slack could not have sent: a bare "&" that
// starts none of &amp; &lt; &gt;, a "<" that opens no markup, or a stray
// ">". A test that hands the emulator the wire form must get it right, or
// it would test a bot against input Slack never produces.
func checkWire(text string) error {
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '&':
			if !wireEntity.MatchString(text[i:]) {
				return fmt.Errorf("bare & at byte %d: Slack sends &amp; for a typed &", i)
			}
		case '<':
			m := wireMarkup.FindString(text[i:])
			if m == "" {
				return fmt.Errorf("< at byte %d opens no markup: Slack sends &lt; for a typed <", i)
			}
			i += len(m) - 1
		case '>':
			return fmt.Errorf("stray > at byte %d: Slack sends &gt; for a typed >", i)
		}
	}
	return nil
}

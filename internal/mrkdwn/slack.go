package mrkdwn

import (
	"regexp"
	"strings"
)

// slackMarkup matches one <…> sequence of Slack's message markup: a user or
// channel mention, a special mention, or a link.
var slackMarkup = regexp.MustCompile(`<((?:[@#!]|https?://|mailto:)[^<>]*)>`)

var slackEntities = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&")

// FromSlack turns text as Slack delivers it in a slash command (escaped,
// with mentions, channels and links as <…> markup) into the plain text the
// user typed, the form incidentbot stores: user and channel mentions become
// the canonical <@U…> and <#C…|name> (shown as live mentions again by
// LiveMentions), special mentions become their plain words (@here, which
// Neutralize defangs), links become "label (url)", and &amp; &lt; &gt;
// become the characters.
func FromSlack(s string) string {
	if strings.IndexByte(s, '<') >= 0 {
		s = slackMarkup.ReplaceAllStringFunc(s, func(m string) string {
			target, label, hasLabel := strings.Cut(m[1:len(m)-1], "|")
			switch {
			case strings.HasPrefix(target, "@") && userID.MatchString(target[1:]):
				return "<" + target + ">"
			case strings.HasPrefix(target, "#") && channelID.MatchString(target[1:]):
				if hasLabel && channelName.MatchString(label) {
					return "<" + target + "|" + label + ">"
				}
				return "<" + target + ">"
			case strings.HasPrefix(target, "!"):
				if hasLabel && label != "" {
					return label
				}
				if sub, ok := strings.CutPrefix(target[1:], "subteam^"); ok {
					return "@" + sub
				}
				return "@" + target[1:]
			case hasLabel && label != "":
				return label + " (" + target + ")"
			default:
				return target
			}
		})
	}
	if strings.IndexByte(s, '&') >= 0 {
		s = slackEntities.Replace(s)
	}
	return s
}

var (
	userID      = regexp.MustCompile(`^[UW][A-Z0-9]{2,20}$`)
	channelID   = regexp.MustCompile(`^[CG][A-Z0-9]{2,20}$`)
	channelName = regexp.MustCompile(`^[a-z0-9_-]{1,80}$`)
	// escapedMention is a user or channel mention after Escape.
	escapedMention = regexp.MustCompile(`&lt;(@[UW][A-Z0-9]{2,20}|#[CG][A-Z0-9]{2,20}(?:\|[a-z0-9_-]{1,80})?)&gt;`)
)

// LiveMentions turns escaped user and channel mentions (&lt;@U123&gt;,
// &lt;#C123&gt;) in Neutralize'd text back into live ones. They notify
// only the person named, which the author meant; special mentions
// (<!channel>…) and links stay inert.
func LiveMentions(s string) string {
	if !strings.Contains(s, "&lt;") {
		return s
	}
	return escapedMention.ReplaceAllString(s, "<$1>")
}

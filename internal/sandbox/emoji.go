package sandbox

import (
	"regexp"
	"strings"
)

// emoji maps the shortcodes Slack turns into pictures. The table holds the ones
// an incident bot plausibly uses, and every one the bot sends (a test reads
// them from templates/, bot/ and commands/); any other ":name:" stays as
// typed, as Slack shows a shortcode it does not know.
var emoji = map[string]string{
	"+1": "👍", "-1": "👎", "alarm_clock": "⏰", "ambulance": "🚑", "arrow_right": "➡️",
	"arrows_counterclockwise": "🔄", "bangbang": "‼️", "test_tube": "🧪", "file_cabinet": "🗄️", "bar_chart": "📊", "bell": "🔔", "black_circle": "⚫",
	"blue_circle": "🔵", "book": "📖",
	"books": "📚", "boom": "💥", "bulb": "💡", "bust_in_silhouette": "👤",
	"busts_in_silhouette": "👥", "calendar": "📅", "chart_with_downwards_trend": "📉",
	"chart_with_upwards_trend": "📈", "checkered_flag": "🏁", "clipboard": "📋",
	"construction": "🚧", "dart": "🎯", "exclamation": "❗", "eyes": "👀", "fire": "🔥",
	"gear": "⚙️", "hammer_and_wrench": "🛠️", "heart": "❤️", "heavy_check_mark": "✔️",
	"hourglass": "⌛", "hourglass_flowing_sand": "⏳", "information_source": "ℹ️",
	"large_blue_circle": "🔵", "large_green_circle": "🟢", "large_orange_circle": "🟠",
	"large_yellow_circle": "🟡", "link": "🔗", "lock": "🔒", "loudspeaker": "📢",
	"mag": "🔍", "mega": "📣", "memo": "📝", "no_entry": "⛔", "page_facing_up": "📄",
	"pencil": "📝", "point_right": "👉", "pray": "🙏", "pushpin": "📌", "question": "❓",
	"raised_hands": "🙌", "red_circle": "🔴", "robot_face": "🤖", "rocket": "🚀",
	"rotating_light": "🚨", "sleeping": "😴", "slightly_smiling_face": "🙂", "smile": "😄",
	"sos": "🆘", "speech_balloon": "💬", "star": "⭐", "stopwatch": "⏱️", "tada": "🎉",
	"thumbsdown": "👎", "thumbsup": "👍", "unlock": "🔓", "warning": "⚠️", "wave": "👋",
	"white_check_mark": "✅", "white_circle": "⚪", "wrench": "🔧", "x": "❌", "zzz": "💤",
}

var shortcode = regexp.MustCompile(`:([a-z0-9_+\-]+):`)

// emojify replaces the shortcodes it knows with their pictures.
func emojify(s string) string {
	if !strings.Contains(s, ":") {
		return s
	}
	return shortcode.ReplaceAllStringFunc(s, func(m string) string {
		if e, ok := emoji[m[1:len(m)-1]]; ok {
			return e
		}
		return m
	})
}

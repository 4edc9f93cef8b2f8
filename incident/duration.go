package incident

import (
	"strconv"
	"strings"
	"time"
)

// DurationStyle says how FormatDuration spells a duration. Each place that
// shows one keeps the spelling its readers have always seen, so the styles
// differ in small ways that are part of what users see.
type DurationStyle int

const (
	// DurationValue is what time.ParseDuration reads back, for form
	// options and button values: "15m", "1h", "1h30m", "45s"; "0s" for
	// zero or less.
	DurationValue DurationStyle = iota
	// DurationShort is for timeline texts: "20s", "45m", "1h", "1h 30m".
	// Seconds show only under a minute, zero minutes not at all.
	DurationShort
	// DurationClock is for ages and elapsed times in messages: "30s",
	// "42m", "1h 0m", "26h 5m". Hours always come with their minutes.
	DurationClock
	// DurationPrecise is for the postmortem and statistics: "45s",
	// "12m 30s", "1h 5m", "2d 3h 0m"; seconds show under an hour, and a
	// negative duration is spelled as its length.
	DurationPrecise
	// DurationWords is for people choosing a time: "15 minutes", "1 hour",
	// "90 minutes", in the largest unit that measures it exactly.
	DurationWords
	// DurationAge is how long ago something was: whole days from two days
	// on ("7 days"), else as DurationShort.
	DurationAge
)

// spelling is how the unit styles (short, clock, precise) spell a duration.
type spelling struct {
	// days counts days apart from hours.
	days bool
	// secondsUnder shows seconds only for durations shorter than this.
	secondsUnder time.Duration
	// zeroMinutes keeps "0m" after hours.
	zeroMinutes bool
}

var spellings = map[DurationStyle]spelling{
	DurationShort:   {secondsUnder: time.Minute},
	DurationClock:   {secondsUnder: time.Minute, zeroMinutes: true},
	DurationPrecise: {days: true, secondsUnder: time.Hour, zeroMinutes: true},
}

const day = 24 * time.Hour

// FormatDuration spells d in style (see DurationStyle).
func FormatDuration(d time.Duration, style DurationStyle) string {
	switch style {
	case DurationValue:
		return durationValue(d)
	case DurationWords:
		return durationWords(d)
	case DurationAge:
		if d >= 2*day {
			return count(d/day) + " days"
		}
		style = DurationShort
	}
	sp, ok := spellings[style]
	if !ok {
		return d.String()
	}
	d = d.Round(time.Second)
	if style == DurationPrecise && d < 0 {
		d = -d
	}
	if d < time.Minute { // also every negative duration left
		return count(d/time.Second) + "s"
	}
	withSeconds := d < sp.secondsUnder
	units := []struct {
		size time.Duration
		sym  string
	}{{day, "d"}, {time.Hour, "h"}, {time.Minute, "m"}, {time.Second, "s"}}
	if !sp.days {
		units = units[1:]
	}
	var parts []string
	for _, u := range units {
		if u.size == time.Second && !withSeconds {
			break
		}
		n := d / u.size
		d -= n * u.size
		switch {
		case n == 0 && len(parts) == 0:
			continue // leading units that are zero
		case n == 0 && u.size == time.Second, n == 0 && u.size == time.Minute && !sp.zeroMinutes:
			continue // trailing zeros that the style leaves out
		}
		parts = append(parts, count(n)+u.sym)
	}
	return strings.Join(parts, " ")
}

// durationValue spells d for time.ParseDuration; see DurationValue.
func durationValue(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d%time.Hour == 0:
		return count(d/time.Hour) + "h"
	case d%time.Minute == 0 && d > time.Hour:
		return count(d/time.Hour) + "h" + count((d%time.Hour)/time.Minute) + "m"
	case d%time.Minute == 0:
		return count(d/time.Minute) + "m"
	default:
		return d.String()
	}
}

// durationWords spells d in words; see DurationWords.
func durationWords(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return plural(d/time.Hour, "hour")
	case d%time.Minute == 0:
		return plural(d/time.Minute, "minute")
	default:
		return plural(d.Round(time.Second)/time.Second, "second")
	}
}

func plural(n time.Duration, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return count(n) + " " + unit + "s"
}

// count spells a whole number of units. It runs for every entry of a long
// timeline, so it is strconv, not fmt.
func count(n time.Duration) string { return strconv.FormatInt(int64(n), 10) }

package incident

// A drill is a practice incident: it runs the whole flow, but is marked as a
// drill wherever people see it, announced only where drills are announced,
// never pages anyone and is left out of statistics.

// DrillMarker is the word a drill's channel name carries right after its
// number ("inc-7-drill-db-failover"). Slack allows only a-z, 0-9, "-" and "_"
// in channel names, so the DrillLabel shown everywhere else cannot be used
// there.
const DrillMarker = "drill"

// DrillLabel marks a drill in headers and messages.
const DrillLabel = "🧪 DRILL"

// ChannelNameFor is the channel name for inc: ChannelName, with DrillMarker
// in front of the title's slug for a drill, so even a drill whose title is
// all emoji says so. It stays within 80 characters like ChannelName.
func (i *Incident) ChannelNameFor(prefix string) string {
	if i.Drill {
		return ChannelName(prefix, i.Number, DrillMarker+" "+i.Title)
	}
	return ChannelName(prefix, i.Number, i.Title)
}

// Pages reports whether inc may page people outside Slack (an on-call
// integration): never for a drill, which must not wake anyone up.
func (i *Incident) Pages() bool { return !i.Drill }

// Announcements names where incidents are announced.
type Announcements struct {
	// Channel receives real incidents' announcements; "" = none.
	Channel string
	// Drills receives drills' announcements; "" = drills are announced
	// nowhere.
	Drills string
}

// ChannelFor is where inc's announcement and its thread go, "" for
// nowhere. A drill never goes to the announce channel: people there would
// take it for a real incident.
func (a Announcements) ChannelFor(inc *Incident) string {
	if inc.Drill {
		return a.Drills
	}
	return a.Channel
}

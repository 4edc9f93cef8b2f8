package app_test

import (
	"encoding/json"
	"testing"
)

// cardControl is one interactive block of the summary card.
type cardControl struct {
	blockID, actionID, initialUser string
}

// cardControls are the card's pickers and buttons, in order, as Slack
// holds the card now.
func (w *world) cardControls() []cardControl {
	w.t.Helper()
	inc := w.incident(1)
	for _, m := range w.emu.Messages(inc.ChannelID) {
		if m.TS != inc.CardTS {
			continue
		}
		var blocks []struct {
			BlockID   string `json:"block_id"`
			Accessory *struct {
				ActionID    string `json:"action_id"`
				InitialUser string `json:"initial_user"`
			} `json:"accessory"`
			Elements []struct {
				ActionID string `json:"action_id"`
			} `json:"elements"`
		}
		if err := json.Unmarshal(m.Blocks, &blocks); err != nil {
			w.t.Fatal(err)
		}
		var out []cardControl
		for _, b := range blocks {
			if b.Accessory != nil {
				out = append(out, cardControl{b.BlockID, b.Accessory.ActionID, b.Accessory.InitialUser})
			}
			for _, e := range b.Elements {
				if e.ActionID != "" {
					out = append(out, cardControl{blockID: b.BlockID, actionID: e.ActionID})
				}
			}
		}
		return out
	}
	w.t.Fatal("no card")
	return nil
}

// A refused pick leaves the picker showing the real holder on the picker's
// own screen: Slack clients keep a select's local choice while its block_id
// stays the same, so the redrawn card has new block_ids, and the same
// action_ids.
func TestRefusedPickShowsTheRealHolderAgain(t *testing.T) {
	t.Parallel()
	w, ch := roleWorld(t)
	m := w.roleMark(1)
	w.rolePick(bob, "comms", carol)
	w.assertAssigned(m, "comms", carol, bob, "")
	w.idle()
	before := w.cardControls()

	w.rolePick(bob, "comms", robot)
	w.rolePickAnswer(bob, "@deploybot is a bot")
	w.idle()
	after := w.cardControls()
	if len(after) != len(before) {
		t.Fatalf("the card's controls went from %+v to %+v", before, after)
	}
	for i, c := range after {
		if c.actionID != before[i].actionID {
			t.Errorf("action_id %q became %q", before[i].actionID, c.actionID)
		}
		if c.blockID == before[i].blockID {
			t.Errorf("%s kept its block_id %q through the redraw", c.actionID, c.blockID)
		}
		if c.actionID == "role:comms" && c.initialUser != carol {
			t.Errorf("the comms picker's initial_user is %q, want %s", c.initialUser, carol)
		}
	}
	if shown, _ := w.emu.ShownUser(bob, ch.ID, w.incident(1).CardTS, "role:comms"); shown != carol {
		t.Fatalf("bob's screen shows %q in the comms picker, want the holder %s", shown, carol)
	}
	for _, p := range w.emu.Problems() {
		t.Errorf("Slack would have complained: %+v", p)
	}

	// The redrawn card's pickers still work: routing ignores block_ids.
	m = w.roleMark(1)
	w.rolePick(bob, "comms", dana)
	w.assertAssigned(m, "comms", dana, bob, carol)
}

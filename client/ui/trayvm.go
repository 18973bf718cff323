package ui

import (
	"slices"
	"strings"

	"github.com/vaihde/vaihde/client/phone"
)

// TrayState is what the tray icon's dot says about the registration.
type TrayState int

// Tray states, one dot colour each.
const (
	TrayOffline       TrayState = iota // grey: logged out, or the server does not answer
	TrayConnecting                     // amber: registering
	TrayRegistered                     // green: calls can be made and received
	TrayWrongPassword                  // red: the server refused the credentials (or another failure)
)

// Tray menu item IDs (TrayItem.ID).
const (
	TrayItemShow   = "show"
	TrayItemStatus = "status"
	TrayItemMissed = "missed"
	TrayItemQuit   = "quit"
)

// TrayItem is one entry of the tray menu; "" ID is a separator.
type TrayItem struct {
	ID       string
	Label    string
	Disabled bool // shown for information only (the status line)
}

// TrayView is everything the tray shows: the icon (State and Missed), the tooltip and the menu.
type TrayView struct {
	State   TrayState
	Missed  int
	Tooltip string
	Items   []TrayItem
}

// TrayVM is the tray's view-model: it follows the engine's snapshots, counts the incoming
// calls that ended unanswered since the user last opened the call log, and says what the tray
// shows. It knows nothing of Fyne; tests drive it directly. Not safe for concurrent use: the
// UI calls it on the Fyne goroutine.
type TrayVM struct {
	tr     Strings
	status Status
	state  TrayState
	missed int
	// ringing holds the incoming calls seen unanswered; counted the ones already counted, so
	// the brief "Ended" snapshots that follow do not count a call twice.
	ringing map[string]bool
	counted map[string]bool
}

// NewTrayVM returns a tray model showing "logged out" and no missed calls.
func NewTrayVM(tr Strings) *TrayVM {
	return &TrayVM{tr: tr, status: StatusOf(phone.Snapshot{}, tr), ringing: map[string]bool{}, counted: map[string]bool{}}
}

// TrayStateOf maps the registration state to the tray's four dots.
func TrayStateOf(r phone.RegState) TrayState {
	switch r {
	case phone.Registered:
		return TrayRegistered
	case phone.Connecting:
		return TrayConnecting
	case phone.WrongPassword, phone.RegFailed:
		return TrayWrongPassword
	}
	return TrayOffline // LoggedOut, Unreachable
}

// Update takes a new snapshot; it reports whether what the tray shows changed.
func (t *TrayVM) Update(s phone.Snapshot) bool {
	before := t.View()
	if s.Reg == phone.LoggedOut && t.state != TrayOffline {
		t.missed = 0 // logged out: the next user's calls are not this one's
	}
	t.status = StatusOf(s, t.tr)
	t.state = TrayStateOf(s.Reg)
	present := map[string]bool{}
	for _, c := range s.Calls {
		if c.Direction != phone.IncomingCall {
			continue
		}
		present[c.ID] = true
		switch {
		case c.State == phone.Incoming:
			t.ringing[c.ID] = true
		case c.State == phone.Ended && c.AnsweredAt.IsZero() && t.ringing[c.ID]:
			delete(t.ringing, c.ID)
			// Rejected by the user is a decision, not a missed call.
			if c.EndReason != "Rejected" && !t.counted[c.ID] {
				t.counted[c.ID] = true
				t.missed++
			}
		default: // answered (or held): no longer ringing
			delete(t.ringing, c.ID)
		}
	}
	for id := range t.ringing {
		if !present[id] { // gone without an Ended snapshot in between: it was not answered
			delete(t.ringing, id)
			if !t.counted[id] {
				t.counted[id] = true
				t.missed++
			}
		}
	}
	for id := range t.counted {
		if !present[id] {
			delete(t.counted, id) // the engine forgot it: nothing can count it again
		}
	}
	after := t.View()
	return !sameTray(before, after)
}

// Missed is the number of missed calls since the call log was last opened (or the login).
func (t *TrayVM) Missed() int { return t.missed }

// ResetMissed is called when the user opens the call log; it reports whether the count changed.
func (t *TrayVM) ResetMissed() bool {
	changed := t.missed != 0
	t.missed = 0
	return changed
}

// View says what the tray shows now.
func (t *TrayVM) View() TrayView {
	tr := t.tr
	status := t.status.Text
	if t.status.Detail != "" {
		status += " (" + t.status.Detail + ")"
	}
	v := TrayView{State: t.state, Missed: t.missed}
	tip := []string{tr.T(KAppName) + ": " + status}
	v.Items = []TrayItem{{ID: TrayItemShow, Label: tr.T(KTrayShow)}, {}, {ID: TrayItemStatus, Label: status, Disabled: true}}
	if m := MissedText(t.missed, tr); m != "" {
		tip = append(tip, m)
		v.Items = append(v.Items, TrayItem{ID: TrayItemMissed, Label: m})
	}
	v.Items = append(v.Items, TrayItem{}, TrayItem{ID: TrayItemQuit, Label: tr.T(KTrayQuit)})
	v.Tooltip = strings.Join(tip, " · ")
	return v
}

// MissedText is "3 missed calls"; "" for none.
func MissedText(n int, tr Strings) string {
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return tr.T(KTrayMissedOne)
	}
	return tr.F(KTrayMissedMany, n)
}

func sameTray(a, b TrayView) bool {
	return a.State == b.State && a.Missed == b.Missed && a.Tooltip == b.Tooltip && slices.Equal(a.Items, b.Items)
}

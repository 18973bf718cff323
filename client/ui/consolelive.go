package ui

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// This file keeps what the console events of /api/events say (OP-1): the organisation's
// parked calls ("parked") for the switchboard, and how many callers are camped on a colleague
// ("campon") for that colleague's call panel and for the operators' directory. No Fyne.

// SwitchParked is the console route of parked calls (*agent.Board); the "parked" events
// keep the list current after the first load.
type SwitchParked interface {
	Parked(ctx context.Context) ([]api.ParkedCall, error)
}

// SwitchParkedRow is one parked call as the switchboard lists it.
type SwitchParkedRow struct {
	Slot        int
	Text        string // "Slot 1 · Matti +358401234567 · 2:05 · parked by Bertta Berg (1002) · dial 9891"
	Retrieve    string // the number that retrieves it, "9891"
	RingingBack bool
}

// consoleLive is the latest word of the console events. The zero value is ready.
type consoleLive struct {
	mu     sync.Mutex
	parked []api.ParkedCall
	campOn map[int64]int // user ID → callers camped on them
}

// handle takes one event; true when it changed what is shown.
func (c *consoleLive) handle(ev api.Event) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case ev.Type == api.EventParked && ev.Parked != nil:
		c.parked = slices.Clone(ev.Parked.Parked)
		return true
	case ev.Type == api.EventCampOn && ev.CampOn != nil:
		if c.campOn == nil {
			c.campOn = map[int64]int{}
		}
		if ev.CampOn.Waiting <= 0 {
			delete(c.campOn, ev.CampOn.UserID)
		} else {
			c.campOn[ev.CampOn.UserID] = ev.CampOn.Waiting
		}
		return true
	}
	return false
}

func (c *consoleLive) setParked(p []api.ParkedCall) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.parked = slices.Clone(p)
}

// forget drops userID's count; true when there was one.
func (c *consoleLive) forget(userID int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, had := c.campOn[userID]
	delete(c.campOn, userID)
	return had
}

func (c *consoleLive) waitingFor(userID int64) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.campOn[userID]
}

// parkedRows are the parked calls by slot, with how long each has been parked at now.
func (c *consoleLive) parkedRows(tr Strings, now time.Time) []SwitchParkedRow {
	c.mu.Lock()
	calls := slices.Clone(c.parked)
	c.mu.Unlock()
	slices.SortFunc(calls, func(a, b api.ParkedCall) int { return a.Slot - b.Slot })
	var out []SwitchParkedRow
	for _, p := range calls {
		who := p.Number
		if p.Name != "" {
			who = p.Name + " " + p.Number
		}
		text := tr.F(KSwParkedLine, p.Slot, who, FormatWait(now.Sub(p.Since).Seconds()))
		if p.ParkedBy != "" {
			by := p.ParkedBy
			if p.ParkedByName != "" {
				by = tr.F(KSwColleague, p.ParkedByName, p.ParkedBy)
			}
			text += " · " + tr.F(KSwParkedBy, by)
		}
		if p.RingingBack {
			text += " · " + tr.T(KSwParkedRinging)
		}
		if p.Retrieve != "" {
			text += " · " + tr.F(KSwParkedRetrieve, p.Retrieve)
		}
		out = append(out, SwitchParkedRow{Slot: p.Slot, Text: text, Retrieve: p.Retrieve, RingingBack: p.RingingBack})
	}
	return out
}

// campOnText is the call panel's line for n callers camped on the user; "" for none.
func campOnText(n int, tr Strings) string {
	switch {
	case n <= 0:
		return ""
	case n == 1:
		return tr.T(KCampOnOne)
	}
	return tr.F(KCampOnMany, n)
}

// HandleEvent takes an event of /api/events ("parked", "campon"); true when the switchboard
// shows something new.
func (s *SwitchboardVM) HandleEvent(ev api.Event) bool { return s.live.handle(ev) }

// RefreshParked loads the parked calls, when the console offers them (the events keep them
// current afterwards).
func (s *SwitchboardVM) RefreshParked(ctx context.Context) error {
	s.mu.Lock()
	c, ok := s.console.(SwitchParked)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	p, err := c.Parked(ctx)
	if err != nil {
		return fmt.Errorf("parked calls: %w", err)
	}
	s.live.setParked(p)
	return nil
}

// HandleEvent takes an event of /api/events: "campon" for this user makes the call panel say
// that callers wait. A new stream ("hello") forgets the count: the server begins each stream
// with the current one when callers wait. True when the view changed.
func (m *Model) HandleEvent(ev api.Event) bool {
	m.mu.Lock()
	me := m.snap.Profile.ID
	m.mu.Unlock()
	switch {
	case ev.Type == api.EventHello:
		return m.live.forget(me)
	case ev.Type != api.EventCampOn || ev.CampOn == nil:
		return false
	}
	return me != 0 && ev.CampOn.UserID == me && m.live.handle(ev)
}

// eventSource is the people model's event stream (*people.Book).
type eventSource interface {
	OnEvent(fn func(api.Event)) (cancel func())
}

// consoleEvent takes one event of the stream for the call panel and the switchboard.
func (u *UI) consoleEvent(ev api.Event) {
	mine := u.model.HandleEvent(ev)
	sw := u.sw.vm.HandleEvent(ev)
	if mine || sw {
		u.do(u.render)
	}
}

// withCampOn adds the camp-on line to the status bar's detail: where the eye already is.
func withCampOn(st Status, campOn string) Status {
	switch {
	case campOn == "":
	case st.Detail == "":
		st.Detail = campOn
	default:
		st.Detail += " · " + campOn
	}
	return st
}

package ui

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/search"
)

// This file is the view-model of the switchboard (OP-1, OP-2): the operator's queues with
// their waiting callers, the queue call offered now, the directory with busy lamps and
// highlighted search hits, the selected colleague's presence before a transfer, and every
// action behind a keyboard shortcut. It has no Fyne dependency: tests drive it by key names.

// SwitchAction is one thing the operator can do from the keyboard.
type SwitchAction string

// Switchboard actions.
const (
	SwHelp     SwitchAction = "help"      // show or hide the shortcut overlay
	SwSearch   SwitchAction = "search"    // focus the directory search
	SwNumber   SwitchAction = "number"    // focus the number field
	SwAnswer   SwitchAction = "answer"    // answer the ringing (offered) call
	SwHangup   SwitchAction = "hangup"    // hang up the call, or turn a ringing one away
	SwHold     SwitchAction = "hold"      // hold or resume the call
	SwBlind    SwitchAction = "blind"     // transfer the call to the target at once
	SwAnnounce SwitchAction = "announce"  // hold the call and call the target first
	SwComplete SwitchAction = "complete"  // connect the held caller to the consulted target
	SwBack     SwitchAction = "back"      // end the consultation and go back to the caller
	SwDial     SwitchAction = "dial"      // call the target
	SwUp       SwitchAction = "up"        // select the previous directory hit
	SwDown     SwitchAction = "down"      // select the next directory hit
	SwClear    SwitchAction = "clear"     // close the help, else clear the focused field
	SwQueue    SwitchAction = "queue"     // log in to or out of operator queue n
	SwPark     SwitchAction = "park"      // park the call in a system slot (CALL-7)
	SwCampOn   SwitchAction = "campon"    // camp the caller on the selected busy colleague (OP-1)
	SwRetrieve SwitchAction = "retrieve"  // retrieve a parked call
	SwNight    SwitchAction = "night"     // switch night mode of operator queue 1 (GRP-7)
	SwPickup   SwitchAction = "pickup"    // pick up the selected colleague's ringing call
	SwToVM     SwitchAction = "voicemail" // transfer the caller to the selected colleague's voicemail
	SwTake     SwitchAction = "take"      // answer waiting caller n of operator queue 1 out of turn
)

// KeyBinding binds one key name (as the window reports it: "F2", "Ctrl+F", "Up") to an
// action; Queue is the 1-based queue of SwQueue.
type KeyBinding struct {
	Key    string
	Action SwitchAction
	Queue  int
	Help   Key
}

// SwitchboardKeys is the keymap: the one table of every switchboard shortcut. The view
// registers each key on the window and the help overlay lists them. F-keys and Ctrl
// combinations work while a text field has the focus, so the operator never has to leave
// the keyboard or the field they type in.
var SwitchboardKeys = []KeyBinding{
	{Key: "F1", Action: SwHelp, Help: KSwKeyHelp},
	{Key: "F2", Action: SwAnswer, Help: KSwKeyAnswer},
	{Key: "F3", Action: SwSearch, Help: KSwKeySearch},
	{Key: "Ctrl+F", Action: SwSearch, Help: KSwKeySearch},
	{Key: "F4", Action: SwHangup, Help: KSwKeyHangup},
	{Key: "F5", Action: SwHold, Help: KSwKeyHold},
	{Key: "F6", Action: SwBlind, Help: KSwKeyBlind},
	{Key: "F7", Action: SwAnnounce, Help: KSwKeyAnnounce},
	{Key: "F8", Action: SwComplete, Help: KSwKeyComplete},
	{Key: "F9", Action: SwBack, Help: KSwKeyBack},
	{Key: "Ctrl+D", Action: SwDial, Help: KSwKeyDial},
	{Key: "Ctrl+L", Action: SwNumber, Help: KSwKeyNumber},
	{Key: "Ctrl+P", Action: SwPark, Help: KSwKeyPark},
	{Key: "Ctrl+K", Action: SwCampOn, Help: KSwKeyCampOn},
	{Key: "Ctrl+R", Action: SwRetrieve, Help: KSwKeyRetrieve},
	{Key: "Ctrl+N", Action: SwNight, Help: KSwKeyNight},
	{Key: "Ctrl+G", Action: SwPickup, Help: KSwKeyPickup},
	{Key: "Ctrl+M", Action: SwToVM, Help: KSwKeyVoicemail},
	{Key: "Ctrl+T", Action: SwTake, Help: KSwKeyTake},
	{Key: "Up", Action: SwUp, Help: KSwKeyUp},
	{Key: "Down", Action: SwDown, Help: KSwKeyDown},
	{Key: "Escape", Action: SwClear, Help: KSwKeyClear},
	{Key: "Ctrl+1", Action: SwQueue, Queue: 1, Help: KSwKeyQueue},
	{Key: "Ctrl+2", Action: SwQueue, Queue: 2},
	{Key: "Ctrl+3", Action: SwQueue, Queue: 3},
	{Key: "Ctrl+4", Action: SwQueue, Queue: 4},
	{Key: "Ctrl+5", Action: SwQueue, Queue: 5},
	{Key: "Ctrl+6", Action: SwQueue, Queue: 6},
	{Key: "Ctrl+7", Action: SwQueue, Queue: 7},
	{Key: "Ctrl+8", Action: SwQueue, Queue: 8},
	{Key: "Ctrl+9", Action: SwQueue, Queue: 9},
}

// HelpRow is one line of the shortcut overlay.
type HelpRow struct{ Keys, Text string }

// SwitchboardHelp lists the keymap for the overlay: keys of one action on one line, the
// queue keys as one range.
func SwitchboardHelp(tr Strings) []HelpRow {
	var rows []HelpRow
	index := map[Key]int{}
	for _, b := range SwitchboardKeys {
		if b.Help == "" {
			continue // Ctrl+2…9: shown with Ctrl+1
		}
		keys := b.Key
		if b.Action == SwQueue {
			keys = "Ctrl+1…9"
		}
		if i, ok := index[b.Help]; ok {
			rows[i].Keys += ", " + keys
			continue
		}
		index[b.Help] = len(rows)
		rows = append(rows, HelpRow{Keys: keys, Text: tr.T(b.Help)})
	}
	return rows
}

// Focus targets of the switchboard's text fields.
const (
	SwFocusNone   = ""
	SwFocusSearch = "search"
	SwFocusNumber = "number"
)

// TextPart is a piece of a shown text; Hit marks the part a search term matched.
type TextPart struct {
	Text string
	Hit  bool
}

// SwitchQueueRow is one operator queue.
type SwitchQueueRow struct {
	// Callers are the waiting callers in serving order ("1. +358401111111 · 0:40"), and Night
	// whether the queue is closed: from the console routes (RefreshWaiting).
	Callers  []string
	Night    bool
	ID       int64
	Name     string
	Number   string
	Waiting  int
	Detail   string // "8010 · 3 waiting"
	LoggedIn bool
	Button   string // Log in / Log out
	Key      string // its shortcut, "Ctrl+1"
}

// SwitchRow is one colleague of the switchboard directory.
type SwitchRow struct {
	Extension string
	Name      []TextPart // with the search hits marked
	Ext       []TextPart
	Presence  PresenceView
	Lamp      Tone // busy lamp: OK free, Warn ringing or away, Error on a call, Neutral offline
	Selected  bool
	CampOn    string // "2 camped on": callers waiting for this colleague; "" none
}

// SwitchTarget is where a transfer or call goes: the selected colleague or the typed number.
type SwitchTarget struct {
	Number string // normalised: an extension or E.164
	Text   string // "Bertta Berg (1002)", "+358401234567"
	// Colleague is set for a colleague: their presence, shown before transferring.
	Colleague *SwitchRow
	// Forwarding is where the colleague's calls go ("All calls forwarded to 040…"); "" not
	// loaded yet (LoadForwarding).
	Forwarding string
}

// SwitchboardPanel is everything the switchboard shows, from one look at the models.
type SwitchboardPanel struct {
	Visible  bool // the user has the operator role
	Queues   []SwitchQueueRow
	Waiting  string // "3 callers waiting"
	Offer    string // the queue call ringing or connected now: "Vaihde — +358401234567"
	Ringing  bool   // it is still ringing
	Calls    View   // the phone's calls (focus, held, incoming, consultation)
	Query    string
	Number   string
	Focus    string // SwFocusSearch, SwFocusNumber or SwFocusNone
	Hits     []SwitchRow
	Target   *SwitchTarget
	NumError string // the number field holds no number
	Help     bool
	HelpRows []HelpRow
	Message  string // what the last action did
	Error    string // why the last action failed
	// Parked are the organisation's parked calls by slot (live from the "parked" events);
	// NoParked says there are none.
	Parked   []SwitchParkedRow
	NoParked string
	// Announced transfer: consultation is supported by client/phone through ui.Model.
	CanAnswer, CanHangup, CanHold, CanBlind, CanAnnounce, CanComplete, CanBack, CanDial bool
}

// Errors of switchboard actions.
var (
	ErrNoTarget    = errors.New("no colleague selected and no number typed")
	ErrNoOperQueue = errors.New("no such operator queue")
	ErrNoConsole   = errors.New("the server's switchboard console is not available")
	ErrUnknownKey  = errors.New("no action on that key")
)

// SwitchboardVM is the switchboard's state (what is typed, selected, focused) over the call
// model, the directory and the agent desk. Safe for concurrent use.
type SwitchboardVM struct {
	calls  *Model
	people people.Model
	agent  agent.Model
	tr     Strings
	now    func() time.Time
	// Country is the organisation's E.164 country code for national numbers ("358").
	country string
	// run does a request to the server; tests run it inline, the view off the Fyne goroutine.
	run func(func(ctx context.Context))

	mu        sync.Mutex
	query     string
	num       string
	focus     string
	selected  int // index into the hits; -1: none
	help      bool
	msg, err  string
	consult   string // the target of the consultation under way
	console   SwitchConsole
	waitingBy map[int64]api.QueueWaiting // the console's last look at each queue
	fwdBy     map[string]api.ColleagueForwarding
	live      consoleLive // parked calls and camp-ons from the events (consolelive.go)
}

// SwitchConsole is the server's console routes for the operator's queues (*agent.Board).
type SwitchConsole interface {
	Waiting(ctx context.Context, queueID int64) (api.QueueWaiting, error)
	SetNight(ctx context.Context, queueID int64, night bool) (api.QueueWaiting, error)
	Forwarding(ctx context.Context, ext string) (api.ColleagueForwarding, error)
	Take(ctx context.Context, queueID, callerID int64) (api.QueueWaiting, error)
}

// SetConsole gives the switchboard the console routes: waiting callers and night mode.
func (s *SwitchboardVM) SetConsole(c SwitchConsole) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.console = c
}

// RefreshWaiting loads the waiting callers of every operator queue.
func (s *SwitchboardVM) RefreshWaiting(ctx context.Context) error {
	s.mu.Lock()
	c := s.console
	s.mu.Unlock()
	if c == nil {
		return nil
	}
	var first error
	for _, q := range s.agent.Snapshot().View.Queues {
		w, err := c.Waiting(ctx, q.ID)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("queue %s: %w", q.Number, err)
			}
			continue
		}
		s.setWaiting(w)
	}
	return first
}

// LoadForwarding fetches a colleague's forwarding for the target line (the view calls it when
// the selected colleague changes; the operator sees it before transferring).
func (s *SwitchboardVM) LoadForwarding(ctx context.Context, ext string) error {
	s.mu.Lock()
	c := s.console
	s.mu.Unlock()
	if c == nil || ext == "" {
		return nil
	}
	f, err := c.Forwarding(ctx, ext)
	if err != nil {
		return fmt.Errorf("forwarding of %s: %w", ext, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fwdBy == nil {
		s.fwdBy = map[string]api.ColleagueForwarding{}
	}
	s.fwdBy[ext] = f
	return nil
}

// forwardingText says where a colleague's calls go, in the operator's words.
func forwardingText(f api.ColleagueForwarding, tr Strings) string {
	target := func(t string) string {
		switch t {
		case "", api.ForwardVoicemail:
			return tr.T(KSwFwdVoicemail)
		case api.ForwardNone:
			return tr.T(KSwFwdRing)
		}
		return t
	}
	if f.Immediate != "" {
		return tr.F(KSwFwdAll, f.Immediate)
	}
	secs := f.RingTimeSeconds
	if secs == 0 {
		secs = 20
	}
	line := tr.F(KSwFwdRules, target(f.Busy), secs, target(f.NoAnswer))
	if f.Activity != "" {
		line = tr.F(KSwFwdActivity, target(f.Activity)) + " · " + line
	}
	return line
}

func (s *SwitchboardVM) setWaiting(w api.QueueWaiting) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.waitingBy == nil {
		s.waitingBy = map[int64]api.QueueWaiting{}
	}
	s.waitingBy[w.QueueID] = w
}

// NewSwitchboardVM returns the switchboard over calls, the directory and the agent desk.
// run executes server requests (nil: inline with a 15 s timeout).
func NewSwitchboardVM(calls *Model, p people.Model, a agent.Model, tr Strings, now func() time.Time,
	country string, run func(func(ctx context.Context))) *SwitchboardVM {
	if now == nil {
		now = time.Now
	}
	if country == "" {
		country = "358"
	}
	if run == nil {
		run = func(f func(ctx context.Context)) {
			ctx, cancel := context.WithTimeout(context.Background(), agentActionTimeout)
			defer cancel()
			f(ctx)
		}
	}
	return &SwitchboardVM{calls: calls, people: p, agent: a, tr: tr, now: now, country: country,
		run: run, selected: -1, focus: SwFocusSearch}
}

// SetQuery is the search field's text; the first hit is selected.
func (s *SwitchboardVM) SetQuery(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if q == s.query {
		return
	}
	s.query = q
	s.selected = -1
	if strings.TrimSpace(q) != "" {
		s.selected = 0
	}
}

// SetNumber is the number field's text (typed or pasted in any form).
func (s *SwitchboardVM) SetNumber(n string) {
	s.mu.Lock()
	s.num = n
	s.mu.Unlock()
}

// Type adds text to the focused field, as typing does.
func (s *SwitchboardVM) Type(text string) {
	s.mu.Lock()
	focus, q, n := s.focus, s.query, s.num
	s.mu.Unlock()
	switch focus {
	case SwFocusNumber:
		s.SetNumber(n + text)
	default:
		s.SetQuery(q + text)
	}
}

// SetFocus follows a click into a field.
func (s *SwitchboardVM) SetFocus(f string) {
	s.mu.Lock()
	s.focus = f
	s.mu.Unlock()
}

// Select selects hit i of the directory (a click).
func (s *SwitchboardVM) Select(i int) {
	s.mu.Lock()
	s.selected = i
	s.mu.Unlock()
}

// ActionOf returns the binding of a key name; ok false when the key does nothing.
func ActionOf(key string) (KeyBinding, bool) {
	for _, b := range SwitchboardKeys {
		if strings.EqualFold(b.Key, key) {
			return b, true
		}
	}
	return KeyBinding{}, false
}

// HandleKey does what the key is bound to. The outcome is also kept for the panel (Message
// or Error), so a key press is never silent.
func (s *SwitchboardVM) HandleKey(key string) error {
	b, ok := ActionOf(key)
	if !ok {
		return fmt.Errorf("key %q: %w", key, ErrUnknownKey)
	}
	msg, err := s.do(b)
	s.mu.Lock()
	s.msg, s.err = msg, ""
	if err != nil {
		s.msg, s.err = "", err.Error()
	}
	s.mu.Unlock()
	return err
}

func (s *SwitchboardVM) do(b KeyBinding) (string, error) {
	tr := s.tr
	switch b.Action {
	case SwHelp:
		s.mu.Lock()
		s.help = !s.help
		s.mu.Unlock()
		return "", nil
	case SwSearch, SwNumber:
		s.mu.Lock()
		s.focus, s.help = SwFocusSearch, false
		if b.Action == SwNumber {
			s.focus = SwFocusNumber
		}
		s.mu.Unlock()
		return "", nil
	case SwClear:
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case s.help:
			s.help = false
		case s.focus == SwFocusNumber:
			s.num = ""
		default:
			s.query, s.selected = "", -1
		}
		return "", nil
	case SwUp, SwDown:
		n := len(s.hits(s.Query()))
		s.mu.Lock()
		defer s.mu.Unlock()
		if n == 0 {
			s.selected = -1
			return "", nil
		}
		d := 1
		if b.Action == SwUp {
			d = -1
		}
		s.selected = min(max(s.selected+d, 0), n-1)
		return "", nil
	case SwAnswer:
		if err := s.calls.AnswerFirst(); err != nil {
			return "", fmt.Errorf("%s: %w", tr.T(KSwNothingToAnswer), err)
		}
		return tr.T(KSwAnswered), nil
	case SwHangup:
		if err := s.calls.HangupFocus(); err != nil {
			return "", err
		}
		return tr.T(KSwHungUp), nil
	case SwHold:
		v := s.calls.View()
		if v.Focus == nil || !v.Focus.CanHold {
			return "", ErrNoCall
		}
		return "", s.calls.ToggleHold(v.Focus.ID)
	case SwBlind, SwAnnounce:
		v, t, err := s.transferable()
		if err != nil {
			return "", err
		}
		if b.Action == SwBlind {
			if err := s.calls.BlindTransfer(v.Focus.ID, t.Number); err != nil {
				return "", err
			}
			return tr.F(KSwTransferred, t.Text), nil
		}
		var err2 error
		s.run(func(ctx context.Context) { err2 = s.calls.StartConsultation(ctx, v.Focus.ID, t.Number) })
		if err2 != nil {
			return "", err2
		}
		s.mu.Lock()
		s.consult = t.Text
		s.mu.Unlock()
		return tr.F(KSwConsulting, t.Text), nil
	case SwPark:
		v := s.calls.View()
		if v.Focus == nil || !v.Focus.CanTransfer {
			return "", ErrNoCall
		}
		if err := s.calls.BlindTransfer(v.Focus.ID, ParkCode); err != nil {
			return "", err
		}
		return tr.T(KSwParked), nil
	case SwCampOn:
		return s.toColleagueService(CampOnCode, KSwNotColleague, KSwCampedOn)
	case SwPickup:
		// The selected colleague's call (990<ext>); no colleague: any call ringing in my groups.
		code, what := PickupCode, tr.T(KSwKeyPickup)
		if t, err := s.target(); err == nil && t.Colleague != nil && t.Colleague.Extension != "" {
			code, what = PickupCode+t.Colleague.Extension, t.Text
		}
		var err error
		s.run(func(ctx context.Context) { _, err = s.calls.Dial(ctx, code) })
		if err != nil {
			return "", err
		}
		return tr.F(KSwPickingUp, what), nil
	case SwToVM:
		return s.toColleagueService(VoicemailCode, KSwNeedColleague, KSwToVoicemail)
	case SwTake:
		// The caller's place in operator queue 1's list, typed in the number field.
		qs := s.agent.Snapshot().View.Queues
		if len(qs) == 0 {
			return "", fmt.Errorf("queue 1: %w", ErrNoOperQueue)
		}
		n, err := strconv.Atoi(strings.TrimSpace(s.numberText()))
		s.mu.Lock()
		c := s.console
		callers := s.waitingBy[qs[0].ID].Callers
		s.mu.Unlock()
		if c == nil {
			return "", ErrNoConsole
		}
		if err != nil || n < 1 || n > len(callers) {
			return "", errors.New(tr.F(KSwNoSuchCaller, len(callers)))
		}
		chosen := callers[n-1]
		var w api.QueueWaiting
		s.run(func(ctx context.Context) { w, err = c.Take(ctx, qs[0].ID, chosen.ID) })
		if err != nil {
			return "", err
		}
		s.setWaiting(w)
		s.SetNumber("")
		return tr.F(KSwTaken, callerLine(chosen, tr)), nil
	case SwRetrieve:
		slot := strings.TrimSpace(s.numberText())
		if slot != "" && !isSlot(slot) {
			slot = ""
		}
		var err error
		s.run(func(ctx context.Context) { _, err = s.calls.Dial(ctx, RetrieveCode+slot) })
		if err != nil {
			return "", err
		}
		return tr.F(KSwRetrieving, slot), nil
	case SwNight:
		qs := s.agent.Snapshot().View.Queues
		s.mu.Lock()
		c := s.console
		var night bool
		if len(qs) > 0 {
			night = s.waitingBy[qs[0].ID].NightManual
		}
		s.mu.Unlock()
		if len(qs) == 0 {
			return "", fmt.Errorf("queue 1: %w", ErrNoOperQueue)
		}
		if c == nil {
			return "", ErrNoConsole
		}
		var w api.QueueWaiting
		var err error
		s.run(func(ctx context.Context) { w, err = c.SetNight(ctx, qs[0].ID, !night) })
		if err != nil {
			return "", err
		}
		s.setWaiting(w)
		if w.NightManual {
			return tr.F(KSwNightOn, qs[0].Name), nil
		}
		return tr.F(KSwNightOff, qs[0].Name), nil
	case SwComplete:
		if err := s.calls.CompleteTransfer(); err != nil {
			return "", err
		}
		return tr.T(KSwCompleted), nil
	case SwBack:
		if s.calls.View().Transfer == nil {
			return "", ErrNoCall
		}
		return tr.T(KSwBackToCaller), s.calls.CancelConsultation()
	case SwDial:
		t, err := s.target()
		if err != nil {
			return "", err
		}
		var err2 error
		s.run(func(ctx context.Context) { _, err2 = s.calls.Dial(ctx, t.Number) })
		if err2 != nil {
			return "", err2
		}
		return tr.F(KSwCalling, t.Text), nil
	case SwQueue:
		qs := s.agent.Snapshot().View.Queues
		if b.Queue < 1 || b.Queue > len(qs) {
			return "", fmt.Errorf("queue %d: %w", b.Queue, ErrNoOperQueue)
		}
		q := qs[b.Queue-1]
		var err error
		s.run(func(ctx context.Context) { err = s.agent.Login(ctx, q.ID, !q.LoggedIn) })
		if err != nil {
			return "", err
		}
		if q.LoggedIn {
			return tr.F(KSwLoggedOut, q.Name), nil
		}
		return tr.F(KSwLoggedIn, q.Name), nil
	}
	return "", fmt.Errorf("action %q: %w", b.Action, ErrUnknownKey)
}

// transferable is the call in the panel and the target of its transfer; an error when there
// is no call to transfer or no target.
func (s *SwitchboardVM) transferable() (View, SwitchTarget, error) {
	v := s.calls.View()
	if v.Focus == nil || !v.Focus.CanTransfer {
		return v, SwitchTarget{}, ErrNoCall
	}
	t, err := s.target()
	return v, t, err
}

// toColleagueService transfers the call to a server service of the selected colleague
// (prefix + extension: camp-on, voicemail); a typed outside number is refused with need.
func (s *SwitchboardVM) toColleagueService(prefix string, need, done Key) (string, error) {
	v, t, err := s.transferable()
	if err != nil {
		return "", err
	}
	if t.Colleague == nil || t.Colleague.Extension == "" {
		return "", errors.New(s.tr.T(need))
	}
	if err := s.calls.BlindTransfer(v.Focus.ID, prefix+t.Colleague.Extension); err != nil {
		return "", err
	}
	return s.tr.F(done, t.Text), nil
}

// Query is the search text.
func (s *SwitchboardVM) Query() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.query
}

// ParseNumber normalises a typed or pasted number ("+358 40 123 4567", "040-1234567",
// "(09) 123 456", "tel:+358401234567") to an extension or E.164 number.
func ParseNumber(raw, country string) (string, error) {
	n, err := number.Parse(raw, country)
	if err != nil {
		return "", err
	}
	return n.Value, nil
}

// hits are the colleagues matching q (all of them for an empty query), the user excluded.
func (s *SwitchboardVM) hits(q string) []people.Colleague {
	me := s.calls.Snapshot().Profile.Extension
	all := s.people.Filter(q)
	out := all[:0:0]
	for _, c := range all {
		if me != "" && c.Extension == me {
			continue
		}
		out = append(out, c)
	}
	return out
}

// target is the transfer or call target: the typed number wins over the selection, as the
// operator typed it last.
func (s *SwitchboardVM) target() (SwitchTarget, error) {
	p := s.Panel()
	if p.NumError != "" {
		return SwitchTarget{}, errors.New(p.NumError)
	}
	if p.Target == nil {
		return SwitchTarget{}, ErrNoTarget
	}
	return *p.Target, nil
}

// Lamp is a colleague's busy lamp at a glance.
func Lamp(p api.Presence) Tone {
	switch {
	case !p.Online && p.Phone == "":
		return ToneNeutral
	case presence.PhoneState(p.Phone) == presence.PhoneOnCall || presence.PhoneState(p.Phone) == presence.PhoneDialing:
		return ToneError
	case presence.PhoneState(p.Phone) == presence.PhoneRinging || !p.Green:
		return ToneWarn
	}
	return ToneOK
}

// Highlight splits text into parts, marking where a word of text begins with one of the
// search terms (the matching rule of shared/search: case- and accent-insensitive prefixes
// of words).
func Highlight(text, query string) []TextPart {
	terms := search.Terms(query)
	if len(terms) == 0 || text == "" {
		return []TextPart{{Text: text}}
	}
	hit := make([]bool, len(text))
	prevWord := false
	for i, r := range text {
		w := r == '+' || unicode.IsLetter(r) || unicode.IsDigit(r)
		if w && !prevWord {
			for _, t := range terms {
				if end := prefixEnd(text[i:], t); end > 0 {
					for j := i; j < i+end; j++ {
						hit[j] = true
					}
				}
			}
		}
		prevWord = w
	}
	var parts []TextPart
	start := 0
	for i := 1; i <= len(text); i++ {
		if i == len(text) || hit[i] != hit[start] {
			if i < len(text) && !utf8.RuneStart(text[i]) {
				continue
			}
			parts = append(parts, TextPart{Text: text[start:i], Hit: hit[start]})
			start = i
		}
	}
	return parts
}

// prefixEnd is the byte length of the shortest prefix of s whose fold begins with the
// folded term t, 0 when s does not begin with t.
func prefixEnd(s, t string) int {
	var folded strings.Builder
	for i, r := range s {
		folded.WriteString(search.Fold(string(r)))
		f := folded.String()
		if len(f) >= len(t) {
			if strings.HasPrefix(f, t) {
				return i + utf8.RuneLen(r)
			}
			return 0
		}
		if !strings.HasPrefix(t, f) {
			return 0
		}
	}
	return 0
}

// Panel computes what the switchboard shows now.
func (s *SwitchboardVM) Panel() SwitchboardPanel {
	tr, now := s.tr, s.now()
	ps := s.calls.Snapshot()
	as := s.agent.Snapshot()
	pp := s.people.Snapshot()
	s.mu.Lock()
	query, num, focus, sel, help, msg, errText := s.query, s.num, s.focus, s.selected, s.help, s.msg, s.err
	waitingBy := maps.Clone(s.waitingBy)
	fwdBy := maps.Clone(s.fwdBy)
	s.mu.Unlock()

	p := SwitchboardPanel{Visible: ps.Profile.Operator, Query: query, Number: num, Focus: focus,
		Help: help, Message: msg, Error: errText}
	if help {
		p.HelpRows = SwitchboardHelp(tr)
	}
	waiting := 0
	for i, q := range as.View.Queues {
		r := SwitchQueueRow{ID: q.ID, Name: q.Name, Number: q.Number, Waiting: q.Waiting,
			LoggedIn: q.LoggedIn, Detail: q.Number, Button: tr.T(KAgentLogIn)}
		if q.Waiting > 0 {
			r.Detail += " · " + tr.F(KAgentQueueWaiting, q.Waiting)
		}
		if w, ok := waitingBy[q.ID]; ok {
			r.Night = w.Night
			if w.Night {
				r.Detail += " · " + tr.T(KSwNight)
			}
			for _, c := range w.Callers {
				r.Callers = append(r.Callers, callerLine(c, tr))
			}
		}
		if q.LoggedIn {
			r.Button = tr.T(KAgentLogOut)
		}
		if i < 9 {
			r.Key = fmt.Sprintf("Ctrl+%d", i+1)
		}
		waiting += q.Waiting
		p.Queues = append(p.Queues, r)
	}
	p.Waiting = tr.F(KSwWaiting, waiting)
	if waiting == 1 {
		p.Waiting = tr.T(KSwOneWaiting)
	}
	if waiting == 0 {
		p.Waiting = tr.T(KSwNoneWaiting)
	}

	p.Calls = s.calls.View()
	v := p.Calls
	if o := as.View.Offer; o != nil {
		p.Offer = tr.F(KGroupCall, o.Queue, o.Caller)
	} else if len(v.Incoming) > 0 && v.Incoming[0].Group != "" {
		p.Offer = v.Incoming[0].Group
	} else if v.Focus != nil && v.Focus.Group != "" {
		p.Offer = v.Focus.Group
	}
	p.Ringing = len(v.Incoming) > 0 && v.Focus == nil

	hits := s.hits(query)
	if sel >= len(hits) {
		sel = len(hits) - 1
	}
	for i, c := range hits {
		r := SwitchRow{Extension: c.Extension, Name: Highlight(c.Name, query), Ext: Highlight(c.Extension, query),
			Presence: PresenceViewOf(c.Presence, pp.Activities, tr, now), Lamp: Lamp(c.Presence), Selected: i == sel}
		if n := s.live.waitingFor(c.UserID); n > 0 {
			r.CampOn = tr.F(KSwCampedOnCount, n)
		}
		p.Hits = append(p.Hits, r)
		if r.Selected {
			row := r
			p.Target = &SwitchTarget{Number: c.Extension, Text: tr.F(KSwColleague, c.Name, c.Extension), Colleague: &row}
		}
	}
	if strings.TrimSpace(num) != "" {
		n, err := ParseNumber(num, s.country)
		if err != nil {
			p.NumError, p.Target = tr.F(KSwBadNumber, num), nil
		} else {
			p.Target = &SwitchTarget{Number: n, Text: n}
			for i := range p.Hits {
				if p.Hits[i].Extension == n {
					row := p.Hits[i]
					p.Target.Colleague = &row
				}
			}
		}
	}
	if p.Target != nil && p.Target.Colleague != nil {
		if f, ok := fwdBy[p.Target.Colleague.Extension]; ok {
			p.Target.Forwarding = forwardingText(f, tr)
		}
	}
	callUp := v.Focus != nil && !v.Focus.Ended
	p.CanAnswer = len(v.Incoming) > 0
	p.CanHangup = (v.Focus != nil && v.Focus.CanHangup) || len(v.Incoming) > 0
	p.CanHold = callUp && v.Focus.CanHold
	p.CanBlind = callUp && v.Focus.CanTransfer && p.Target != nil && v.Transfer == nil
	p.CanAnnounce = p.CanBlind
	p.CanComplete = v.Transfer != nil && v.Transfer.CanComplete
	p.CanBack = v.Transfer != nil
	p.CanDial = p.Target != nil && v.Focus == nil
	p.Parked = s.live.parkedRows(tr, now)
	if len(p.Parked) == 0 {
		p.NoParked = tr.T(KSwNoParked)
	}
	return p
}

// The server's feature codes the switchboard uses (README: call park, camp-on).
const (
	ParkCode      = "988" // transfer here: the first free system park slot
	RetrieveCode  = "989" // dial with a slot (or alone: the call parked longest)
	CampOnCode    = "982" // transfer to 982<extension>: wait for that colleague
	PickupCode    = "990" // dial 990<extension>: pick up that colleague's ringing call; alone: my groups'
	VoicemailCode = "981" // transfer to 981<extension>: straight to that colleague's voicemail
)

// isSlot reports whether s is a park slot number, 1–99.
func isSlot(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 1 && n <= 99 && strconv.Itoa(n) == s
}

// numberText is the number field as typed.
func (s *SwitchboardVM) numberText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.num
}

// callerLine is one waiting caller as the console lists it.
func callerLine(c api.QueueCaller, tr Strings) string {
	who := c.Caller
	if c.Name != "" {
		who = c.Name + " " + c.Caller
	}
	secs := int(c.WaitSec)
	line := fmt.Sprintf("%d. %s · %d:%02d", c.Position, who, secs/60, secs%60)
	if c.Callback {
		line += " · " + tr.T(KSwCallback)
	}
	if c.Ringing {
		line += " · " + tr.T(KSwRingingAgent)
	}
	return line
}

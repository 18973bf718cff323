package ui

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/vaihde/vaihde/client/phone"
)

// Tone is the colour family of a status: the widgets map it to theme colours.
type Tone int

// Tones.
const (
	ToneNeutral Tone = iota // grey: logged out
	ToneOK                  // green: registered
	ToneWarn                // amber: connecting
	ToneError               // red: cannot make calls
)

// Status is the registration state in plain words.
type Status struct {
	Text   string
	Detail string // extra words (e.g. "connection refused"); may be empty
	Tone   Tone
}

// CallView is what the call panel and the banners show for one call.
type CallView struct {
	ID       string
	Title    string // the name if known, else the number
	Subtitle string // the number when Title is a name
	State    string // "Connected", "On hold", "Busy", …
	Timer    string // "02:15" once answered; empty before
	Incoming bool   // ringing towards us, not answered yet
	Waiting  bool   // incoming while another call is up (call waiting)
	Answered bool
	Ended    bool
	Muted    bool
	Held     bool // held by us
	// Emergency: an outgoing call to 112 or an organisation emergency number (CALL-10).
	Emergency bool
	Encrypted bool // SRTP: shown next to the state
	// Group: a call through a queue or hunt group, "Asiakaspalvelu — +358401234567"; Callback
	// is the callback request's text ("Callback request: …"). Both "" for a direct call.
	Group    string
	Callback string

	CanHangup   bool
	CanHold     bool
	CanMute     bool
	CanDTMF     bool
	CanTransfer bool
	HoldLabel   string
	MuteLabel   string
}

// TransferView describes an attended transfer in progress: the original call is on hold while
// the user talks to the transfer target.
type TransferView struct {
	OriginalID  string
	ConsultID   string
	Text        string // "Consulting 1003 before transfer"
	CanComplete bool   // the target has answered
}

// EmergencyView is the prominent reminder during an emergency call.
type EmergencyView struct {
	Title string // "State your location"
	Hint  string // what to tell: address, floor, landmarks
}

// View is everything the main window shows, computed from one snapshot.
type View struct {
	Status   Status
	Identity string     // who is logged in: "Anna Virtanen · 1001"
	Focus    *CallView  // the call in the call panel; nil when idle
	Others   []CallView // other calls that are not ringing towards us (held calls)
	Incoming []CallView // unanswered incoming calls, oldest first
	Transfer *TransferView
	// Emergency is the "State your location" reminder shown as long as an emergency call
	// lasts (CALL-10); nil otherwise.
	Emergency    *EmergencyView
	CanDial      bool // the dial pad's Call button is enabled
	TimerRunning bool // some call is answered: the timer needs a tick each second
	// CampOn says callers an operator camped on this user wait: "1 caller waiting for you
	// (camp-on)"; "" when none.
	CampOn string
	// DialText is what a tel:/sip: link put in the number field; DialSeq counts such links, so
	// the field is filled once per link and what the user types afterwards stays.
	DialText string
	DialSeq  uint64
}

// Model is the view-model: it keeps the latest snapshot, computes the View and turns user
// actions into Controller calls. It knows nothing of Fyne, so tests drive it directly. Safe for
// concurrent use.
type Model struct {
	ctrl phone.Controller
	tr   Strings
	now  func() time.Time

	mu       sync.Mutex
	snap     phone.Snapshot
	consult  *consultPair
	live     consoleLive // camp-on waiters for this user (consolelive.go)
	dialText string
	dialSeq  uint64
}

type consultPair struct{ original, consult string }

// ErrNoCall is returned by actions that need a call when there is none.
var ErrNoCall = errors.New("no such call")

// ErrEmptyNumber is returned by Dial and transfers without a number.
var ErrEmptyNumber = errors.New("no number given")

// NewModel returns a model over ctrl; now is the clock (time.Now when nil).
func NewModel(ctrl phone.Controller, tr Strings, now func() time.Time) *Model {
	if now == nil {
		now = time.Now
	}
	return &Model{ctrl: ctrl, tr: tr, now: now, snap: ctrl.Snapshot()}
}

// Update stores a new snapshot.
func (m *Model) Update(s phone.Snapshot) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.snap = s
	if m.consult != nil {
		o, c := findCall(s, m.consult.original), findCall(s, m.consult.consult)
		if o == nil || c == nil || o.State == phone.Ended || c.State == phone.Ended {
			m.consult = nil // one leg is gone: nothing left to transfer
		}
	}
}

// Snapshot returns the latest snapshot.
func (m *Model) Snapshot() phone.Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

// StatusOf turns the registration state into plain words and a colour.
func StatusOf(s phone.Snapshot, tr Strings) Status {
	switch s.Reg {
	case phone.Registered:
		return Status{Text: tr.T(KRegRegistered), Tone: ToneOK}
	case phone.Connecting:
		return Status{Text: tr.T(KRegConnecting), Detail: s.RegDetail, Tone: ToneWarn}
	case phone.WrongPassword:
		return Status{Text: tr.T(KRegWrongPassword), Tone: ToneError}
	case phone.Unreachable:
		return Status{Text: tr.T(KRegUnreachable), Detail: s.RegDetail, Tone: ToneError}
	case phone.RegFailed:
		return Status{Text: tr.T(KRegFailed), Detail: s.RegDetail, Tone: ToneError}
	default:
		return Status{Text: tr.T(KRegLoggedOut), Tone: ToneNeutral}
	}
}

// FormatDuration renders a call timer: "02:15", or "1:02:15" from one hour on.
func FormatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	s := int(d / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%02d:%02d", s/60, s%60)
}

// View computes what to show now.
func (m *Model) View() View {
	m.mu.Lock()
	v := buildView(m.snap, m.consult, m.now(), m.tr)
	id := m.snap.Profile.ID
	v.DialText, v.DialSeq = m.dialText, m.dialSeq
	m.mu.Unlock()
	v.CampOn = campOnText(m.live.waitingFor(id), m.tr)
	return v
}

func buildView(s phone.Snapshot, consult *consultPair, now time.Time, tr Strings) View {
	v := View{Status: StatusOf(s, tr), Identity: identity(s)}
	busy := false // some call other than an unanswered incoming one exists
	for _, c := range s.Calls {
		if c.State != phone.Incoming && c.State != phone.Ended {
			busy = true
		}
	}
	var focus *phone.Call
	rank := func(c *phone.Call) int {
		switch c.State {
		case phone.Active:
			return 4
		case phone.Dialling, phone.Ringing:
			return 3
		case phone.OnHold:
			return 2
		case phone.Ended:
			return 1
		}
		return 0
	}
	for i := range s.Calls {
		c := &s.Calls[i]
		if emergency(*c, s) && v.Emergency == nil {
			v.Emergency = &EmergencyView{Title: tr.T(KEmergencyLocation), Hint: tr.T(KEmergencyHint)}
		}
		if c.State == phone.Incoming {
			cv := callView(*c, now, tr)
			cv.Waiting = busy
			if busy {
				cv.State = tr.T(KStateWaiting)
			}
			v.Incoming = append(v.Incoming, cv)
			continue
		}
		if c.State == phone.Ended && busy {
			continue // a finished call is shown only while nothing else goes on
		}
		// Later calls win ties: the newest held call is the one to come back to.
		if focus == nil || rank(c) >= rank(focus) {
			focus = c
		}
		if !c.AnsweredAt.IsZero() && c.State != phone.Ended {
			v.TimerRunning = true
		}
	}
	if focus != nil {
		cv := callView(*focus, now, tr)
		cv.Emergency = emergency(*focus, s)
		v.Focus = &cv
		for _, c := range s.Calls {
			if c.ID != focus.ID && c.State != phone.Incoming && c.State != phone.Ended {
				v.Others = append(v.Others, callView(c, now, tr))
			}
		}
	}
	if consult != nil {
		o, c := findCall(s, consult.original), findCall(s, consult.consult)
		if o != nil && c != nil {
			v.Transfer = &TransferView{
				OriginalID:  o.ID,
				ConsultID:   c.ID,
				Text:        tr.F(KConsulting, displayName(*c, tr)),
				CanComplete: c.State == phone.Active || c.State == phone.OnHold,
			}
			if v.Focus != nil && v.Focus.ID == c.ID {
				v.Focus.CanTransfer = false // the Complete button replaces it
			}
		}
	}
	v.CanDial = s.Reg == phone.Registered && !busy
	return v
}

// emergency reports whether c is an emergency call that still lasts: from dialling until it
// ends, held or not.
func emergency(c phone.Call, s phone.Snapshot) bool {
	return c.Direction == phone.Outgoing && c.State != phone.Ended && phone.IsEmergency(c.Remote, s.Profile)
}

func identity(s phone.Snapshot) string {
	p := s.Profile
	switch {
	case p.Name != "" && p.Extension != "":
		return p.Name + " · " + p.Extension
	case p.Name != "":
		return p.Name
	case p.Extension != "":
		return p.Extension
	}
	return s.Account.User
}

func displayName(c phone.Call, tr Strings) string {
	switch {
	case c.RemoteName != "":
		return c.RemoteName
	case c.Remote != "":
		return c.Remote
	}
	return tr.T(KUnknownCaller)
}

func callView(c phone.Call, now time.Time, tr Strings) CallView {
	cv := CallView{
		ID:        c.ID,
		Title:     displayName(c, tr),
		Incoming:  c.State == phone.Incoming,
		Answered:  !c.AnsweredAt.IsZero(),
		Ended:     c.State == phone.Ended,
		Muted:     c.Muted,
		Held:      c.State == phone.OnHold,
		Encrypted: c.Encrypted && c.State != phone.Ended,
	}
	if c.RemoteName != "" && c.Remote != "" {
		cv.Subtitle = c.Remote
	}
	cv.Group = groupLine(c, tr)
	if cv.Group != "" {
		cv.Subtitle = "" // the number is in the group line
	}
	if c.Group.Callback != "" {
		cv.Callback = tr.F(KGroupCallback, c.Group.Callback)
	}
	switch c.State {
	case phone.Dialling:
		cv.State = tr.T(KStateDialling)
	case phone.Ringing:
		cv.State = tr.T(KStateRinging)
	case phone.Incoming:
		cv.State = tr.T(KStateIncoming)
	case phone.Active:
		cv.State = tr.T(KStateActive)
		if c.RemoteHold {
			cv.State = tr.T(KStateRemoteHold)
		}
	case phone.OnHold:
		cv.State = tr.T(KStateOnHold)
	case phone.Ended:
		cv.State = c.EndReason
		if cv.State == "" {
			cv.State = tr.T(KStateEnded)
		}
	}
	if cv.Answered {
		end := now
		if cv.Ended && !c.EndedAt.IsZero() {
			end = c.EndedAt
		}
		cv.Timer = FormatDuration(end.Sub(c.AnsweredAt))
	}
	up := c.State == phone.Active || c.State == phone.OnHold
	cv.CanHangup = !cv.Ended
	cv.CanHold = up
	cv.CanMute = up
	cv.CanDTMF = c.State == phone.Active
	cv.CanTransfer = up
	cv.HoldLabel = tr.T(KHold)
	if cv.Held {
		cv.HoldLabel = tr.T(KResume)
	}
	cv.MuteLabel = tr.T(KMute)
	if c.Muted {
		cv.MuteLabel = tr.T(KUnmute)
	}
	return cv
}

func findCall(s phone.Snapshot, id string) *phone.Call {
	for i := range s.Calls {
		if s.Calls[i].ID == id {
			return &s.Calls[i]
		}
	}
	return nil
}

// CleanNumber makes what the user typed or pasted dialable: it drops spaces, dashes, dots and
// brackets from phone numbers ("040 123 4567" → "0401234567"). Anything with letters (a SIP
// address) is only trimmed.
func CleanNumber(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(strings.TrimPrefix(s, "tel:"), "callto:")
	for _, r := range s {
		if unicode.IsLetter(r) || r == '@' {
			return s
		}
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsDigit(r) || r == '+' || r == '*' || r == '#' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// SetDialNumber puts number (from a tel:, callto: or sip: link) in the number field. It
// does not dial: the user sees the number and presses Call.
func (m *Model) SetDialNumber(number string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dialText = CleanNumber(number)
	m.dialSeq++
}

// Dial calls number after cleaning it.
func (m *Model) Dial(ctx context.Context, number string) (string, error) {
	n := CleanNumber(number)
	if n == "" {
		return "", ErrEmptyNumber
	}
	return m.ctrl.Dial(ctx, n)
}

func (m *Model) call(id string) (phone.Call, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := findCall(m.snap, id)
	if c == nil {
		return phone.Call{}, fmt.Errorf("call %q: %w", id, ErrNoCall)
	}
	return *c, nil
}

// Answer answers an incoming call (the engine holds the active one).
func (m *Model) Answer(id string) error { return m.ctrl.Answer(id) }

// Reject turns an incoming call away.
func (m *Model) Reject(id string) error { return m.ctrl.Reject(id) }

// Hangup ends a call in whatever state it is.
func (m *Model) Hangup(id string) error { return m.ctrl.Hangup(id) }

// ToggleHold holds an active call or resumes a held one.
func (m *Model) ToggleHold(id string) error {
	c, err := m.call(id)
	if err != nil {
		return err
	}
	return m.ctrl.Hold(id, c.State != phone.OnHold)
}

// ToggleMute mutes or unmutes the microphone for a call.
func (m *Model) ToggleMute(id string) error {
	c, err := m.call(id)
	if err != nil {
		return err
	}
	return m.ctrl.Mute(id, !c.Muted)
}

// SendDTMF sends one keypad key during a call.
func (m *Model) SendDTMF(id string, key rune) error {
	if !strings.ContainsRune("0123456789*#ABCD", key) {
		return fmt.Errorf("dtmf key %q: not a keypad key", key)
	}
	return m.ctrl.SendDTMF(id, key)
}

// BlindTransfer sends the call to target without talking to them first.
func (m *Model) BlindTransfer(id, target string) error {
	t := CleanNumber(target)
	if t == "" {
		return ErrEmptyNumber
	}
	return m.ctrl.BlindTransfer(id, t)
}

// StartConsultation begins an attended transfer: the call is held and target is called; the
// user then completes (or cancels) the transfer.
func (m *Model) StartConsultation(ctx context.Context, id, target string) error {
	t := CleanNumber(target)
	if t == "" {
		return ErrEmptyNumber
	}
	c, err := m.call(id)
	if err != nil {
		return err
	}
	if c.State == phone.Active {
		if err := m.ctrl.Hold(id, true); err != nil {
			return fmt.Errorf("hold before consultation: %w", err)
		}
	}
	cid, err := m.ctrl.Dial(ctx, t)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.consult = &consultPair{original: id, consult: cid}
	m.mu.Unlock()
	return nil
}

// CompleteTransfer connects the held caller to the consulted party.
func (m *Model) CompleteTransfer() error {
	m.mu.Lock()
	p := m.consult
	m.mu.Unlock()
	if p == nil {
		return fmt.Errorf("complete transfer: %w", ErrNoCall)
	}
	if err := m.ctrl.AttendedTransfer(p.original, p.consult); err != nil {
		return err
	}
	m.mu.Lock()
	m.consult = nil
	m.mu.Unlock()
	return nil
}

// CancelConsultation hangs up the consultation call and resumes the original call.
func (m *Model) CancelConsultation() error {
	m.mu.Lock()
	p := m.consult
	m.consult = nil
	m.mu.Unlock()
	if p == nil {
		return nil
	}
	err := m.ctrl.Hangup(p.consult)
	if herr := m.ctrl.Hold(p.original, false); herr != nil && err == nil {
		err = herr
	}
	return err
}

// AnswerFirst answers the oldest ringing incoming call (keyboard shortcut).
func (m *Model) AnswerFirst() error {
	v := m.View()
	if len(v.Incoming) == 0 {
		return ErrNoCall
	}
	return m.ctrl.Answer(v.Incoming[0].ID)
}

// HangupFocus hangs up the call in the call panel, or rejects a ringing call when no other
// call is up (keyboard shortcut).
func (m *Model) HangupFocus() error {
	v := m.View()
	if v.Focus != nil && v.Focus.CanHangup {
		return m.ctrl.Hangup(v.Focus.ID)
	}
	if len(v.Incoming) > 0 {
		return m.ctrl.Reject(v.Incoming[0].ID)
	}
	return ErrNoCall
}

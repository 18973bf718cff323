package ui

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
)

// statusBar is the always-visible line with the registration state and a colour dot.
type statusBar struct {
	dot      *canvas.Circle
	text     *widget.Label
	detail   *widget.Label
	identity *widget.Label
	root     fyne.CanvasObject
	tone     Tone
}

func newStatusBar() *statusBar {
	b := &statusBar{
		dot:      canvas.NewCircle(toneColor(ToneNeutral)),
		text:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		detail:   widget.NewLabel(""),
		identity: widget.NewLabel(""),
	}
	b.detail.SizeName = theme.SizeNameCaptionText
	b.detail.Truncation = fyne.TextTruncateEllipsis
	b.identity.SizeName = theme.SizeNameCaptionText
	b.identity.Alignment = fyne.TextAlignTrailing
	dot := container.NewCenter(container.NewGridWrap(fyne.NewSize(12, 12), b.dot))
	left := container.NewHBox(dot, b.text)
	b.root = container.NewBorder(nil, nil, left, b.identity, b.detail)
	return b
}

func (b *statusBar) set(s Status, identity string) {
	b.tone = s.Tone
	b.dot.FillColor = toneColor(s.Tone)
	b.dot.Refresh()
	b.text.SetText(s.Text)
	switch s.Tone {
	case ToneError:
		b.text.Importance = widget.DangerImportance
	case ToneWarn:
		b.text.Importance = widget.WarningImportance
	default:
		b.text.Importance = widget.MediumImportance
	}
	b.text.Refresh()
	b.detail.SetText(s.Detail)
	b.identity.SetText(identity)
}

func toneColor(t Tone) color.Color {
	v := fyne.CurrentApp().Settings().ThemeVariant()
	th := fyne.CurrentApp().Settings().Theme()
	switch t {
	case ToneOK:
		return th.Color(theme.ColorNameSuccess, v)
	case ToneWarn:
		return th.Color(theme.ColorNameWarning, v)
	case ToneError:
		return th.Color(theme.ColorNameError, v)
	}
	return th.Color(theme.ColorNameDisabled, v)
}

// numberEntry is the number field: Enter dials, and the answer/hang-up shortcuts work while it
// has the keyboard focus (a focused entry would otherwise swallow them).
//
// A focused Fyne entry animates its cursor, which repaints the whole window many times a
// second: left focused, it was most of the Softphone's idle CPU use. So the field reports focus
// and typing (onActivity), and the UI takes the focus away after a quiet while; keys typed
// then still reach it through the window (see typedRune and typedKey).
type numberEntry struct {
	widget.Entry
	shortcuts  map[string]func()
	onActivity func()
}

func newNumberEntry() *numberEntry {
	e := &numberEntry{shortcuts: map[string]func(){}}
	e.ExtendBaseWidget(e)
	return e
}

func (e *numberEntry) activity() {
	if e.onActivity != nil {
		e.onActivity()
	}
}

// FocusGained starts the countdown to giving the focus up.
func (e *numberEntry) FocusGained() {
	e.Entry.FocusGained()
	e.activity()
}

// TypedRune types r and restarts the countdown.
func (e *numberEntry) TypedRune(r rune) {
	e.Entry.TypedRune(r)
	e.activity()
}

// TypedKey handles k and restarts the countdown.
func (e *numberEntry) TypedKey(k *fyne.KeyEvent) {
	e.Entry.TypedKey(k)
	e.activity()
}

func (e *numberEntry) TypedShortcut(s fyne.Shortcut) {
	if fn, ok := e.shortcuts[s.ShortcutName()]; ok {
		fn()
		return
	}
	e.Entry.TypedShortcut(s)
}

// phoneView is the Phone tab: dial pad when idle, the call panel during calls.
type phoneView struct {
	u *UI

	root     *fyne.Container
	banners  *fyne.Container
	idle     fyne.CanvasObject
	callArea *fyne.Container
	scroll   *container.Scroll
	top      *fyne.Container // status, message and banners above the tabs

	number     *numberEntry
	callButton *widget.Button
	smsButton  *widget.Button

	// Call panel widgets, rebuilt when the call changes.
	focusID     string
	dialSeq     uint64 // the last link put in the number field (View.DialSeq)
	title       *widget.Label
	subtitle    *widget.Label
	group       *widget.Label // the queue or hunt group of a group call; nil otherwise
	callback    *widget.Label // its callback text; nil otherwise
	state       *widget.Label
	timer       *canvas.Text
	muteButton  *widget.Button
	holdButton  *widget.Button
	keypadBtn   *widget.Button
	xferButton  *widget.Button
	hangup      *widget.Button
	completeBtn *widget.Button
	cancelXfer  *widget.Button
	xferLabel   *widget.Label
	xferBox     *fyne.Container
	dtmfPad     *fyne.Container
	dtmfShown   bool
	dtmfButtons map[rune]*widget.Button
	others      *fyne.Container
	otherTimers map[string]*widget.Label
	// The "State your location" reminder of an emergency call (CALL-10); nil without one.
	emergency      *fyne.Container
	emergencyTitle *canvas.Text
	// Answer/Reject buttons of the in-app banners by call ID (tests tap them).
	answerButtons map[string]*widget.Button
	rejectButtons map[string]*widget.Button

	// Transfer dialog.
	xferDialog  dialog.Dialog
	xferEntry   *widget.Entry
	xferBlind   *widget.Button
	xferConsult *widget.Button
}

func themed(r fyne.Resource) fyne.Resource { return theme.NewThemedResource(r) }

func (u *UI) buildMain() {
	tr := u.tr
	u.status = newStatusBar()
	u.message = widget.NewLabel("")
	u.message.Importance = widget.DangerImportance
	u.message.Wrapping = fyne.TextWrapWord
	u.message.Hide()
	u.phone = newPhoneView(u)
	u.calls = newCallLogView(u)
	u.prefs = newSettingsView(u)
	u.pres = newPresenceBar(u)
	u.dir = newColleaguesView(u)
	u.cons = newContactsView(u)
	u.chat = newChatView(u)
	u.vm = newVoicemailView(u)
	u.agentBar = newAgentBar(u)
	u.agent = newAgentView(u)
	// Added to the tabs (after Phone) by renderAgent once the user turns out to be an agent;
	// an icon only, so that the other tabs still fit (the agent bar above also opens it, and
	// the tab's heading says what it is).
	u.agentTab = container.NewTabItemWithIcon("", theme.ListIcon(), u.agent.root)
	u.msgBanner = container.NewVBox()
	u.chatTab = container.NewTabItemWithIcon(tr.T(KTabChat), theme.MailComposeIcon(), u.chat.root)
	u.vmTab = container.NewTabItemWithIcon("", voicemailIcon, u.vm.root)
	// Order as in tabOrder.
	u.tabs = container.NewAppTabs(
		container.NewTabItemWithIcon(tr.T(KTabPhone), themed(assets.Dialpad), u.phone.root),
		container.NewTabItemWithIcon(tr.T(KTabColleagues), theme.AccountIcon(), u.dir.root),
		container.NewTabItemWithIcon(tr.T(KTabContacts), theme.StorageIcon(), u.cons.root),
		u.chatTab,
		u.vmTab,
		// Icons only: six titled tabs do not fit the window's width.
		container.NewTabItemWithIcon("", theme.HistoryIcon(), u.calls.root),
		container.NewTabItemWithIcon("", theme.SettingsIcon(), u.prefs.root),
	)
	u.tabs.OnSelected = func(t *container.TabItem) {
		u.activity()
		if t.Content == u.calls.root {
			u.calls.reload()
			u.callLogOpened()
		}
		if t.Content == u.prefs.root {
			u.prefs.refreshAccount()
			u.rescanAudio()
		}
	}
	top := container.NewVBox(container.NewPadded(u.status.root), u.pres.root, u.agentBar.root, u.message, widget.NewSeparator(),
		u.phone.banners, u.msgBanner)
	u.phone.top = top
	u.centre = container.NewStack(u.tabs)
	u.mainView = container.NewBorder(top, nil, nil, nil, u.centre)
}

func newPhoneView(u *UI) *phoneView {
	tr := u.tr
	p := &phoneView{u: u, answerButtons: map[string]*widget.Button{}, rejectButtons: map[string]*widget.Button{},
		otherTimers: map[string]*widget.Label{}, dtmfButtons: map[rune]*widget.Button{}}
	p.banners = container.NewVBox()

	p.number = newNumberEntry()
	p.number.SetPlaceHolder(tr.T(KNumberHint))
	p.number.OnSubmitted = func(string) { p.dial() }
	p.number.onActivity = u.numberActivity
	p.number.shortcuts[ShortcutAnswer.ShortcutName()] = u.answerShortcut
	p.number.shortcuts[ShortcutHangup.ShortcutName()] = u.hangupShortcut
	back := widget.NewButtonWithIcon("", themed(assets.Backspace), func() {
		t := []rune(p.number.Text)
		if len(t) > 0 {
			p.number.SetText(string(t[:len(t)-1]))
		}
	})
	back.Importance = widget.LowImportance
	p.callButton = widget.NewButtonWithIcon(tr.T(KCall), themed(assets.Call), p.dial)
	p.callButton.Importance = widget.SuccessImportance
	// SMS to the typed number (SMS-1: from a contact or a number).
	p.smsButton = widget.NewButtonWithIcon("", theme.MailSendIcon(), func() { u.openSMS(CleanNumber(p.number.Text), "") })

	pad := dialPad(func(r rune) {
		p.number.TypedRune(r)
		u.win.Canvas().Focus(p.number)
	}, nil)
	numberRow := container.NewCenter(container.NewGridWrap(fyne.NewSize(padSize().Width, p.number.MinSize().Height),
		container.NewBorder(nil, nil, nil, back, p.number)))
	idle := container.NewVBox(
		layout.NewSpacer(),
		numberRow,
		container.NewCenter(pad),
		container.NewCenter(container.NewGridWrap(fyne.NewSize(padSize().Width, 48),
			container.NewBorder(nil, nil, nil, p.smsButton, p.callButton))),
		layout.NewSpacer(),
	)
	p.idle = container.NewPadded(idle)
	p.callArea = container.NewVBox()
	p.scroll = container.NewVScroll(container.NewPadded(p.callArea))
	p.root = container.NewStack(p.idle, p.scroll)
	p.callArea.Hide()
	return p
}

// keys of a telephone keypad with their letters.
var keypad = []struct {
	key     rune
	letters string
}{
	{'1', ""}, {'2', "ABC"}, {'3', "DEF"},
	{'4', "GHI"}, {'5', "JKL"}, {'6', "MNO"},
	{'7', "PQRS"}, {'8', "TUV"}, {'9', "WXYZ"},
	{'*', ""}, {'0', "+"}, {'#', ""},
}

// Dial pad geometry: a 3×4 grid of fixed-size keys.
const (
	keyWidth  = 96
	keyHeight = 52
)

// padSize is the size of a whole dial pad.
func padSize() fyne.Size {
	return fyne.NewSize(3*keyWidth+2*theme.Padding(), 4*keyHeight+3*theme.Padding())
}

// dialPad builds a 3×4 keypad; buttons, when non-nil, receives each key's button.
func dialPad(press func(rune), buttons map[rune]*widget.Button) *fyne.Container {
	objs := make([]fyne.CanvasObject, 0, len(keypad))
	for _, k := range keypad {
		b := widget.NewButton(string(k.key), func() { press(k.key) })
		if buttons != nil {
			buttons[k.key] = b
		}
		objs = append(objs, b)
	}
	// A one-cell GridWrap pins the grid to its size, even inside a Center.
	return container.NewGridWrap(padSize(), container.NewGridWithColumns(3, objs...))
}

// typedRune handles keys typed while no widget has the focus: during an answered call the
// keypad keys are sent as DTMF, as on a desk phone.
// With no call, number keys typed on the Phone tab go to the number field (which gives up the
// focus when left alone, see numberEntry).
func (p *phoneView) typedRune(r rune) {
	v := p.u.model.View()
	if v.Focus == nil {
		if p.idleTyping() && strings.ContainsRune("0123456789*#+", r) {
			p.u.win.Canvas().Focus(p.number)
			p.number.TypedRune(r)
		}
		return
	}
	if !v.Focus.CanDTMF || !strings.ContainsRune("0123456789*#", r) {
		return
	}
	p.u.act(p.u.model.SendDTMF(v.Focus.ID, r))
}

// typedKey handles Backspace and Enter typed while no widget has the focus: with no call, on
// the Phone tab, they edit or dial the number field.
func (p *phoneView) typedKey(k *fyne.KeyEvent) {
	switch k.Name {
	case fyne.KeyBackspace, fyne.KeyReturn, fyne.KeyEnter:
	default:
		return
	}
	if p.u.model.View().Focus != nil || !p.idleTyping() {
		return
	}
	p.u.win.Canvas().Focus(p.number)
	p.number.TypedKey(k)
}

// idleTyping reports whether the dial pad is on screen to receive typed keys.
func (p *phoneView) idleTyping() bool {
	return p.u.onMain && p.u.tabs.SelectedIndex() == 0 && p.number.Visible() && p.idle.Visible()
}

func (p *phoneView) dial() {
	u := p.u
	n := p.number.Text
	if strings.TrimSpace(n) == "" {
		return
	}
	if _, err := u.model.Dial(u.ctx, n); err != nil {
		u.showError(u.tr.F(KErrDial, err))
		return
	}
	u.clearError()
	p.number.SetText("")
}

// render shows the dial pad or the call panel for v.
func (p *phoneView) render(v View) {
	if v.DialSeq != p.dialSeq {
		p.dialSeq = v.DialSeq
		p.number.SetText(v.DialText)
		// Tests of the installed packages read this line to see what the field shows.
		p.u.log.Info("dial field filled", "number", p.number.Text)
	}
	if v.CanDial {
		p.callButton.Enable()
	} else {
		p.callButton.Disable()
	}
	c := p.u.win.Canvas()
	if v.Focus == nil {
		back := p.focusID != ""
		p.focusID = ""
		p.dtmfShown = false
		p.callArea.Hide()
		p.idle.Show()
		p.scroll.Refresh()
		if back && c.Focused() == nil && p.u.onMain {
			c.Focus(p.number) // ready for the next number
		}
		return
	}
	if c.Focused() == p.number {
		// The number field is hidden during a call: keys typed now are DTMF (see typedRune).
		c.Unfocus()
	}
	if v.Focus.ID != p.focusID {
		p.dtmfShown = false
	}
	p.focusID = v.Focus.ID
	p.buildCallPanel(v)
	p.idle.Hide()
	p.callArea.Show()
	p.scroll.Refresh()
}

// tick updates only the timer texts.
func (p *phoneView) tick(v View) {
	if v.Focus != nil && p.timer != nil && v.Focus.ID == p.focusID {
		p.timer.Text = v.Focus.Timer
		p.timer.Refresh()
	}
	for _, o := range v.Others {
		if l, ok := p.otherTimers[o.ID]; ok {
			l.SetText(otherLine(o))
		}
	}
}

func otherLine(o CallView) string {
	s := o.State
	if o.Timer != "" {
		s += " · " + o.Timer
	}
	return s
}

func (p *phoneView) buildCallPanel(v View) {
	u, tr, c := p.u, p.u.tr, v.Focus

	p.title = widget.NewLabelWithStyle(c.Title, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	p.title.SizeName = theme.SizeNameHeadingText
	p.title.Truncation = fyne.TextTruncateEllipsis
	p.subtitle = widget.NewLabelWithStyle(c.Subtitle, fyne.TextAlignCenter, fyne.TextStyle{})
	state := c.State
	if c.Muted {
		state += " · " + tr.T(KStateMuted)
	}
	if c.Encrypted {
		state += " · " + tr.T(KCallEncrypted)
	}
	p.state = widget.NewLabelWithStyle(state, fyne.TextAlignCenter, fyne.TextStyle{})
	if c.Ended {
		p.state.Importance = widget.DangerImportance
	}
	p.timer = canvas.NewText(c.Timer, theme.Color(theme.ColorNameForeground))
	p.timer.TextSize = 28
	p.timer.TextStyle = fyne.TextStyle{Monospace: true}
	p.timer.Alignment = fyne.TextAlignCenter

	avatar := canvas.NewImageFromResource(theme.AccountIcon())
	avatar.FillMode = canvas.ImageFillContain
	avatar.SetMinSize(fyne.NewSize(64, 64))

	head := container.NewVBox(container.NewCenter(avatar))
	p.group, p.callback = nil, nil
	if c.Group != "" {
		// The queue or hunt group the call came through stays visible during the call.
		p.group = widget.NewLabelWithStyle(c.Group, fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
		p.group.Importance = widget.HighImportance
		p.group.Truncation = fyne.TextTruncateEllipsis
		head.Add(p.group)
	}
	head.Add(p.title)
	if c.Subtitle != "" {
		head.Add(p.subtitle)
	}
	if c.Callback != "" {
		p.callback = widget.NewLabelWithStyle(c.Callback, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
		p.callback.Wrapping = fyne.TextWrapWord
		head.Add(p.callback)
	}
	head.Add(p.state)
	if c.Timer != "" {
		head.Add(p.timer)
	}

	muteIcon := themed(assets.Mic)
	if c.Muted {
		muteIcon = themed(assets.MicOff)
	}
	p.muteButton = widget.NewButtonWithIcon(c.MuteLabel, muteIcon, func() { u.act(u.model.ToggleMute(c.ID)) })
	holdIcon := theme.MediaPauseIcon()
	if c.Held {
		holdIcon = theme.MediaPlayIcon()
	}
	p.holdButton = widget.NewButtonWithIcon(c.HoldLabel, holdIcon, func() { u.act(u.model.ToggleHold(c.ID)) })
	p.keypadBtn = widget.NewButtonWithIcon(tr.T(KKeypad), themed(assets.Dialpad), func() {
		p.dtmfShown = !p.dtmfShown
		p.showDTMF()
	})
	p.xferButton = widget.NewButtonWithIcon(tr.T(KTransfer), themed(assets.Transfer), func() { p.openTransfer(c.ID) })
	if c.Muted || c.Held {
		if c.Muted {
			p.muteButton.Importance = widget.HighImportance
		}
		if c.Held {
			p.holdButton.Importance = widget.HighImportance
		}
	}
	setEnabled(p.muteButton, c.CanMute)
	setEnabled(p.holdButton, c.CanHold)
	setEnabled(p.keypadBtn, c.CanDTMF)
	setEnabled(p.xferButton, c.CanTransfer)
	controls := container.NewGridWithColumns(2, p.muteButton, p.holdButton, p.keypadBtn, p.xferButton)

	p.dtmfButtons = map[rune]*widget.Button{}
	p.dtmfPad = container.NewCenter(dialPad(func(r rune) { u.act(u.model.SendDTMF(c.ID, r)) }, p.dtmfButtons))
	p.showDTMF()

	p.hangup = widget.NewButtonWithIcon(tr.T(KHangup), themed(assets.CallEnd), func() { u.act(u.model.Hangup(c.ID)) })
	p.hangup.Importance = widget.DangerImportance
	setEnabled(p.hangup, c.CanHangup)

	// Attended transfer in progress.
	p.xferBox = container.NewVBox()
	if t := v.Transfer; t != nil {
		p.xferLabel = widget.NewLabelWithStyle(t.Text, fyne.TextAlignCenter, fyne.TextStyle{Italic: true})
		p.xferLabel.Wrapping = fyne.TextWrapWord
		p.completeBtn = widget.NewButtonWithIcon(tr.T(KTransferComplete), themed(assets.Transfer), func() {
			u.act(u.model.CompleteTransfer())
		})
		p.completeBtn.Importance = widget.HighImportance
		setEnabled(p.completeBtn, t.CanComplete)
		p.cancelXfer = widget.NewButton(tr.T(KTransferCancel), func() { u.act(u.model.CancelConsultation()) })
		p.xferBox.Add(p.xferLabel)
		p.xferBox.Add(container.NewGridWithColumns(2, p.cancelXfer, p.completeBtn))
	} else {
		p.completeBtn, p.cancelXfer, p.xferLabel = nil, nil, nil
	}

	// Other (held) calls.
	p.others = container.NewVBox()
	p.otherTimers = map[string]*widget.Label{}
	if len(v.Others) > 0 {
		p.others.Add(widget.NewLabelWithStyle(tr.T(KHeldCalls), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}))
		for _, o := range v.Others {
			line := widget.NewLabel(otherLine(o))
			line.SizeName = theme.SizeNameCaptionText
			p.otherTimers[o.ID] = line
			name := widget.NewLabelWithStyle(o.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
			id := o.ID
			swap := widget.NewButtonWithIcon(tr.T(KSwap), theme.MediaPlayIcon(), func() { u.act(u.model.ctrl.Hold(id, false)) })
			setEnabled(swap, o.Held)
			end := widget.NewButtonWithIcon("", themed(assets.CallEnd), func() { u.act(u.model.Hangup(id)) })
			end.Importance = widget.DangerImportance
			p.others.Add(container.NewBorder(nil, nil, nil, container.NewCenter(container.NewHBox(swap, end)), container.NewVBox(name, line)))
		}
	}

	p.emergency, p.emergencyTitle = nil, nil
	var top fyne.CanvasObject = layout.NewSpacer()
	if e := v.Emergency; e != nil {
		p.emergency, p.emergencyTitle = emergencyBanner(e)
		top = p.emergency
	}

	p.callArea.Objects = []fyne.CanvasObject{
		top,
		head,
		widget.NewSeparator(),
		controls,
		p.dtmfPad,
		p.xferBox,
		container.NewGridWrap(fyne.NewSize(0, 0)), // keeps VBox spacing even when empty
		p.hangup,
		p.others,
		layout.NewSpacer(),
	}
	p.callArea.Refresh()
}

// emergencyBanner is the reminder of an emergency call: large white text on the error colour,
// above everything else in the call panel, so that it is seen at a glance.
func emergencyBanner(e *EmergencyView) (*fyne.Container, *canvas.Text) {
	bg := canvas.NewRectangle(theme.Color(theme.ColorNameError))
	bg.CornerRadius = theme.InputRadiusSize()
	fg := theme.Color(theme.ColorNameForegroundOnError)
	title := canvas.NewText(e.Title, fg)
	title.TextSize = theme.TextHeadingSize() * 4 / 3 // fits "Uppge var du befinner dig" in the window
	title.TextStyle = fyne.TextStyle{Bold: true}
	title.Alignment = fyne.TextAlignCenter
	hint := canvas.NewText(e.Hint, fg)
	hint.TextSize = theme.TextSize()
	hint.Alignment = fyne.TextAlignCenter
	icon := widget.NewIcon(theme.NewColoredResource(theme.WarningIcon(), theme.ColorNameForegroundOnError))
	body := container.NewVBox(container.NewCenter(container.NewHBox(icon, title)), hint)
	return container.NewStack(bg, container.NewPadded(container.NewPadded(body))), title
}

func (p *phoneView) showDTMF() {
	if p.dtmfPad == nil {
		return
	}
	if p.dtmfShown {
		p.dtmfPad.Show()
	} else {
		p.dtmfPad.Hide()
	}
	if p.scroll != nil {
		p.scroll.Refresh() // the panel's height changed
	}
}

func setEnabled(w fyne.Disableable, on bool) {
	if on {
		w.Enable()
	} else {
		w.Disable()
	}
}

// openTransfer asks for the target: "Transfer now" (blind) or "Call first" (attended).
func (p *phoneView) openTransfer(callID string) {
	u, tr := p.u, p.u.tr
	p.xferEntry = widget.NewEntry()
	p.xferEntry.SetPlaceHolder(tr.T(KTransferHint))
	var d dialog.Dialog
	p.xferBlind = widget.NewButtonWithIcon(tr.T(KTransferBlind), themed(assets.Transfer), func() {
		if err := u.model.BlindTransfer(callID, p.xferEntry.Text); err != nil {
			u.act(err)
			return
		}
		u.clearError()
		d.Hide()
	})
	p.xferBlind.Importance = widget.HighImportance
	p.xferConsult = widget.NewButtonWithIcon(tr.T(KTransferConsult), themed(assets.Call), func() {
		if err := u.model.StartConsultation(u.ctx, callID, p.xferEntry.Text); err != nil {
			u.act(err)
			return
		}
		u.clearError()
		d.Hide()
		u.render() // the consultation pair is known only now
	})
	p.xferEntry.OnSubmitted = func(string) { p.xferBlind.OnTapped() }
	body := container.NewVBox(p.xferEntry, container.NewGridWithColumns(2, p.xferConsult, p.xferBlind))
	d = dialog.NewCustom(tr.T(KTransferTitle), tr.T(KCancel), body, u.win)
	d.Resize(fyne.NewSize(360, 0))
	p.xferDialog = d
	d.Show()
	u.win.Canvas().Focus(p.xferEntry)
}

// Package ui owns the Softphone's windows and widgets (Fyne): the login screen, the main window
// with the registration status, dial pad, call panel, incoming-call banners, call log and
// settings, and the people features: the user's own presence (always visible, one click to
// change), the Colleagues directory with search as you type, Contacts, Chat with unread counts
// and new-message banners, and sending SMS; the Voicemail tab (messages new first marked, play
// through the chosen headset, call back, delete, the new-message count as the tab's badge) and
// the "Forwarding and voicemail" screen opened from it and from Settings (immediate, busy, no
// answer with ring time, unreachable, a route per activity, office hours, voicemail options,
// PIN, the VIP numbers that bypass the away notice); for customer-service agents the Queues
// tab and the always-visible agent line (log in/out per queue, pause with a reason, the
// wrap-up countdown), and the group's name, caller and callback text on queue and hunt-group
// calls. The view-models (Model and View for calls, peoplevm.go for people, voicemailvm.go
// and officehours.go for voicemail and forwarding, agentvm.go for the agent view,
// switchboardvm.go for the operators' switchboard with its keymap, supervisorvm.go for the
// supervisors' queue statistics) turn
// snapshots into what is shown and user actions into calls of phone.Controller, people.Model,
// voicemail.Model and agent.Model; they have no Fyne dependency and are tested without a
// window.
//
// Threading: the engine and the people model deliver snapshots on their own goroutines; they
// reach widgets only through fyne.Do (UI.do). Every other method of UI must be called on the
// Fyne goroutine unless its comment says otherwise.
package ui

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/client/voicemail"
)

// AudioDevices lists the sound devices the user can pick in Settings → Audio. Names are those
// the audio backend opens devices by.
type AudioDevices interface {
	Inputs() []string
	Outputs() []string
}

// AudioRescanner is implemented by AudioDevices that can look for devices plugged in since the
// last scan. Scanning is slow (PortAudio re-initialises), so the UI asks for it when Settings is
// shown, off the Fyne goroutine; the backend reports a changed list through DevicesChanged.
type AudioRescanner interface {
	Rescan()
}

// Ringer plays the ring tone on the chosen ringing device. Both methods must return at once.
type Ringer interface {
	// StartRing starts ringing: the full ring tone, or one short beep for call waiting.
	StartRing(callWaiting bool)
	// StopRing stops any ringing.
	StopRing()
}

// Options wire the UI to the engine and the rest of the Softphone.
type Options struct {
	Controller phone.Controller // required
	// People is the live model of colleagues, contacts and chat (client/people); nil shows
	// empty tabs.
	People people.Model
	// Voicemail is the user's mailbox and call routing (client/voicemail); nil shows an empty
	// Voicemail tab.
	Voicemail voicemail.Model
	// Agent is the user's customer-service agent state (client/agent); nil shows no agent
	// view. The view appears only for users with the agent role.
	Agent agent.Model
	// Supervision is the supervisor's queue statistics (client/agent.Board); nil shows no
	// supervisor view. The switchboard (operators) needs no option: it uses the models above.
	Supervision agent.Supervision
	// Country is the organisation's E.164 country code for pasted national numbers ("358"
	// when empty).
	Country  string
	Settings *settings.Store // required
	Audio    AudioDevices    // nil: only "System default" is offered
	Ringer   Ringer          // nil: no ring tone
	// OnAudioChange is called (on the Fyne goroutine) after the user picks a device or a ring
	// volume, with the saved choices.
	OnAudioChange func(settings.Audio)
	// Prefill fills the login form (from command-line flags); when it is complete the UI logs
	// in at once.
	Prefill phone.Account
	Logger  *slog.Logger
	Now     func() time.Time
	// OnActivity is called (on the Fyne goroutine) whenever the user types or clicks in the
	// window; idle detection falls back to it where the platform cannot tell.
	OnActivity func()
	// MediaKeys listens for headset and keyboard media keys (client/mediakeys) from Start on:
	// play/pause answers or hangs up.
	MediaKeys bool
}

// Shortcuts answer and hang up from anywhere in the main window.
var (
	ShortcutAnswer = &desktop.CustomShortcut{KeyName: fyne.KeyA, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
	ShortcutHangup = &desktop.CustomShortcut{KeyName: fyne.KeyH, Modifier: fyne.KeyModifierShortcutDefault | fyne.KeyModifierShift}
)

// UI is the Softphone's user interface.
type UI struct {
	ctx    context.Context
	app    fyne.App
	win    fyne.Window
	o      Options
	tr     Strings
	model  *Model
	log    *slog.Logger
	cancel func() // unsubscribes from the engine

	st settings.Settings // the remembered settings (Fyne goroutine only)

	// do runs a function on the Fyne goroutine (fyne.Do); tests that drive the UI with real
	// goroutines replace it with a queue they drain themselves.
	do func(func())
	// goAsync runs slow work (the call log fetch) off the Fyne goroutine; tests replace it.
	goAsync func(func())
	// accountOp runs Login and Logout, which talk to the server, in order on one goroutine of
	// their own so the window never freezes; tests replace it.
	accountOp func(func())
	ops       chan func()
	// tickEvery is the call-timer (and wrap-up countdown) period; 0 disables the ticker (tests call tick directly).
	tickEvery time.Duration
	// blurAfter is how long the number field keeps the keyboard focus without being typed in
	// (its blinking cursor repaints the window); 0 keeps it for good (tests).
	blurAfter    time.Duration
	blurTimer    *time.Timer // guarded by timerMu
	numberActive time.Time   // last focus or typing in the number field (Fyne goroutine)

	loggingIn  bool // a login from the login screen awaits its first result
	onMain     bool // the main view (not the login view) is shown
	foreground bool

	// Login view.
	loginView   fyne.CanvasObject
	loginServer *widget.Entry
	loginUser   *widget.Entry
	loginPass   *widget.Entry
	loginSecure *widget.Check // TLS and encrypted calls
	loginButton *widget.Button
	loginMsg    *widget.Label

	// Main view.
	mainView fyne.CanvasObject
	tabs     *container.AppTabs
	status   *statusBar
	message  *widget.Label
	phone    *phoneView
	calls    *callLogView
	prefs    *settingsView
	centre   *fyne.Container // the tabs, or the presence panel while it is open

	// People.
	pcancel    func() // unsubscribes from the people model
	peopleSnap people.Snapshot
	pres       *presenceBar
	presPanel  *presencePanel // nil when closed
	dir        *colleaguesView
	cons       *contactsView
	chat       *chatView
	chatTab    *container.TabItem
	msgBanner  *fyne.Container
	msgOpen    *widget.Button // the banner's Open button (tests)
	contactDlg *contactForm   // the last contact dialog (tests)
	smsDlg     *smsForm       // the last SMS dialog (tests)

	// Voicemail.
	vmCancel func() // unsubscribes from the mailbox
	vm       *voicemailView
	vmTab    *container.TabItem
	fwd      *forwardingView // the last forwarding screen opened (tests)

	// Customer-service agent (only for agents).
	agentCancel  func()
	agentSnap    agent.Snapshot
	agentBar     *agentBar
	agent        *agentView
	agentTab     *container.TabItem
	agentTicking bool // wrap-up counts down: the ticker runs

	// Switchboard (operators) and supervisor view (supervisors); their tabs show by role.
	sw        *switchboardView
	swLanded  bool // the operator has been shown the switchboard since the login
	swTab     *container.TabItem
	sup       *supervisorView
	supTab    *container.TabItem
	supCancel func()
	evCancel  func() // stops the console events (consolelive.go)

	// Incoming calls.
	ringing     []string // IDs of the incoming calls the ringer was started for
	popup       fyne.Window
	popupShown  bool
	popupBanner *fyne.Container

	timerMu     sync.Mutex
	timerCancel context.CancelFunc

	hadCalls     bool
	hadEmergency bool // an emergency call was going on at the last render
	lastReg      phone.RegState

	tray *trayView // tray icon, close to tray, media keys (tray.go)
}

// New builds the UI's window. Call Start to show it.
func New(ctx context.Context, a fyne.App, o Options) *UI {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.People == nil {
		o.People = noPeople{}
	}
	if o.Voicemail == nil {
		o.Voicemail = noVoicemail{}
	}
	if o.Agent == nil {
		o.Agent = noAgent{}
	}
	st, err := o.Settings.Load()
	if err != nil {
		o.Logger.Warn("settings unreadable, starting fresh", "path", o.Settings.Path(), "err", err)
	}
	tr := NewStrings(st.Language)
	u := &UI{
		ctx:        ctx,
		app:        a,
		o:          o,
		tr:         tr,
		st:         st,
		log:        o.Logger,
		model:      NewModel(o.Controller, tr, o.Now),
		goAsync:    func(f func()) { go f() },
		do:         fyne.Do,
		ops:        make(chan func(), 8),
		tickEvery:  time.Second,
		blurAfter:  15 * time.Second,
		foreground: true,
	}
	u.accountOp = func(f func()) {
		select {
		case u.ops <- f:
		case <-ctx.Done():
		}
	}
	go u.runOps()
	a.SetIcon(assets.AppIcon)
	a.Settings().SetTheme(Theme())
	u.win = a.NewWindow(tr.T(KAppName))
	u.win.SetIcon(assets.AppIcon)
	u.win.Resize(fyne.NewSize(540, 720))
	u.buildLogin()
	u.buildMain()
	u.sw = newSwitchboardView(u, NewSwitchboardVM(u.model, o.People, o.Agent, tr, o.Now, o.Country,
		func(f func(ctx context.Context)) {
			ctx, cancel := context.WithTimeout(u.ctx, agentActionTimeout)
			defer cancel()
			f(ctx)
		}))
	u.swTab = container.NewTabItemWithIcon(tr.T(KSwTitle), theme.GridIcon(), u.sw.root)
	if c, ok := o.Supervision.(SwitchConsole); ok { // *agent.Board: the console routes
		u.sw.vm.SetConsole(c)
	}
	if o.Supervision != nil {
		u.sup = newSupervisorView(u, NewSupervisorVM(o.Supervision, tr))
		u.supTab = container.NewTabItemWithIcon("", theme.InfoIcon(), u.sup.root)
	}
	u.switchboardShortcuts()
	prevSelected := u.tabs.OnSelected
	u.tabs.OnSelected = func(t *container.TabItem) {
		if prevSelected != nil {
			prevSelected(t)
		}
		switch { // poll when shown; events keep the tabs live meanwhile
		case u.sup != nil && t == u.supTab:
			u.sup.refresh()
		case t == u.swTab:
			u.sw.focused = "" // give the field the VM says has the focus the keyboard again
			u.sw.refreshWaiting(true)
		}
	}
	u.win.Canvas().SetOnTypedRune(func(r rune) {
		u.activity()
		if u.onMain {
			u.phone.typedRune(r)
		}
	})
	u.win.Canvas().SetOnTypedKey(func(k *fyne.KeyEvent) {
		u.activity()
		if u.switchboardShown() && u.sw.key(string(k.Name)) {
			return
		}
		if u.onMain {
			u.phone.typedKey(k)
		}
	})
	u.win.Canvas().AddShortcut(ShortcutAnswer, func(fyne.Shortcut) { u.answerShortcut() })
	u.win.Canvas().AddShortcut(ShortcutHangup, func(fyne.Shortcut) { u.hangupShortcut() })
	u.setupTray()
	a.Lifecycle().SetOnEnteredForeground(func() { u.foreground = true; u.tray.shown(); u.render() })
	a.Lifecycle().SetOnExitedForeground(func() { u.foreground = false })
	return u
}

// runOps runs account operations in order until the UI's context ends.
func (u *UI) runOps() {
	for {
		select {
		case <-u.ctx.Done():
			return
		case f := <-u.ops:
			f()
		}
	}
}

// login starts logging in off the Fyne goroutine; a failure to even start is reported through
// failed (on the Fyne goroutine).
func (u *UI) login(acc phone.Account, failed func(error)) {
	u.accountOp(func() {
		if err := u.o.Controller.Login(u.ctx, acc); err != nil {
			u.do(func() { failed(err) })
		}
	})
}

// account is a login with the remembered transport and media encryption.
func (u *UI) account(server, apiURL, user, password string) phone.Account {
	return phone.Account{Server: server, APIURL: apiURL, User: user, Password: password,
		Transport: u.st.Transport, SRTP: u.st.SRTP}
}

// logoutEngine logs the engine out off the Fyne goroutine.
func (u *UI) logoutEngine() {
	u.accountOp(func() {
		if err := u.o.Controller.Logout(u.ctx); err != nil {
			u.log.Warn("logout failed", "err", err)
		}
	})
}

// Window is the main window.
func (u *UI) Window() fyne.Window { return u.win }

// Start shows the login screen or, with a remembered account, the main window while logging
// in automatically, and starts following the engine.
func (u *UI) Start() {
	u.model.Update(u.o.Controller.Snapshot())
	u.renderTray(u.model.Snapshot())
	if u.o.MediaKeys {
		u.startMediaKeys()
	}
	u.cancel = u.o.Controller.Subscribe(func(s phone.Snapshot) {
		u.do(func() {
			u.model.Update(s)
			u.render()
		})
	})
	u.pcancel = u.o.People.Subscribe(func(s people.Snapshot) {
		u.do(func() { u.renderPeople(s) })
	})
	u.vmCancel = u.o.Voicemail.Subscribe(func(s voicemail.Snapshot) {
		u.do(func() { u.renderVoicemail(s) })
	})
	u.agentCancel = u.o.Agent.Subscribe(func(s agent.Snapshot) {
		u.do(func() {
			u.agentSnap = s
			u.renderAgent()
			u.renderRoleTabs()
		})
	})
	if u.o.Supervision != nil {
		u.supCancel = u.o.Supervision.Subscribe(func(agent.BoardSnapshot) { u.do(u.renderRoleTabs) })
	}
	// Console events (people.Book's stream): camp-on waiters and parked calls.
	if es, ok := u.o.People.(eventSource); ok {
		u.evCancel = es.OnEvent(u.consoleEvent)
	}
	p := u.o.Prefill
	switch {
	case p.Server != "" && p.User != "" && p.Password != "":
		u.fillLogin(p.Server, p.User, p.Password)
		u.showLogin()
		u.submitLogin()
	case u.st.CanAutoLogin():
		u.showMain()
		acc := u.account(u.st.Server, u.st.APIURL, u.st.User, u.st.Password)
		u.login(acc, func(err error) { u.showError(u.tr.F(KErrAction, err)) })
	default:
		u.fillLogin(firstNonEmpty(p.Server, u.st.Server), firstNonEmpty(p.User, u.st.User), p.Password)
		u.showLogin()
	}
	u.win.Show()
}

// Close stops following the engine and stops the call timer and any ringing.
func (u *UI) Close() {
	if u.cancel != nil {
		u.cancel()
		u.cancel = nil
	}
	if u.pcancel != nil {
		u.pcancel()
		u.pcancel = nil
	}
	if u.vmCancel != nil {
		u.vmCancel()
		u.vmCancel = nil
	}
	if u.agentCancel != nil {
		u.agentCancel()
		u.agentCancel = nil
	}
	if u.supCancel != nil {
		u.supCancel()
		u.supCancel = nil
	}
	if u.evCancel != nil {
		u.evCancel()
		u.evCancel = nil
	}
	u.o.Voicemail.Stop()
	if err := u.tray.keys.Close(); err != nil {
		u.log.Debug("media keys close", "err", err)
	}
	u.stopTimer()
	if u.o.Ringer != nil {
		u.o.Ringer.StopRing()
	}
	if u.popup != nil {
		u.popup.Hide()
	}
}

// rescanAudio asks the audio backend, when it can, to look for newly plugged-in devices.
func (u *UI) rescanAudio() {
	if r, ok := u.o.Audio.(AudioRescanner); ok {
		u.goAsync(r.Rescan)
	}
}

// DevicesChanged refreshes the audio device lists; safe to call from any goroutine.
func (u *UI) DevicesChanged() {
	u.do(func() { u.prefs.refreshDevices() })
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// render brings every widget up to date with the model.
func (u *UI) render() {
	s := u.model.Snapshot()
	v := u.model.View()
	u.loginProgress(s)
	u.renderTray(s)
	u.status.set(withCampOn(v.Status, v.CampOn), v.Identity)
	u.phone.render(v)
	u.renderIncoming(v)
	u.renderAgent() // the profile says whether the user is an agent; it also runs the ticker
	u.renderRoleTabs()
	if v.Emergency != nil && !u.hadEmergency && u.onMain && u.presPanel == nil {
		// The location reminder is in the call panel: bring it up wherever the call was dialled from.
		u.tabs.SelectIndex(0)
	}
	u.hadEmergency = v.Emergency != nil
	has := slices.ContainsFunc(s.Calls, func(c phone.Call) bool { return c.State != phone.Ended })
	if u.hadCalls && !has && u.onMain {
		u.calls.reload() // a call just finished: it belongs in the log now
	}
	u.hadCalls = has
	if s.Reg == phone.Registered && u.lastReg != phone.Registered && u.onMain {
		u.calls.reload() // the log needs the login's API token
	}
	u.lastReg = s.Reg
}

// tick updates the call timers; runs once a second only while a call is answered.
func (u *UI) tick() {
	u.phone.tick(u.model.View())
	if u.agentTicking {
		u.renderAgent() // the wrap-up countdown
	}
}

func (u *UI) updateTimer(running bool) {
	u.timerMu.Lock()
	defer u.timerMu.Unlock()
	if !running || u.tickEvery <= 0 {
		if u.timerCancel != nil {
			u.timerCancel()
			u.timerCancel = nil
		}
		return
	}
	if u.timerCancel != nil {
		return
	}
	ctx, cancel := context.WithCancel(u.ctx)
	u.timerCancel = cancel
	every := u.tickEvery
	go func() {
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				u.do(u.tick)
			}
		}
	}()
}

func (u *UI) stopTimer() {
	u.updateTimer(false)
	u.timerMu.Lock()
	defer u.timerMu.Unlock()
	if u.blurTimer != nil {
		u.blurTimer.Stop()
	}
}

// numberActivity (re)starts the countdown after which the number field gives up the focus.
// Called on the Fyne goroutine.
func (u *UI) numberActivity() {
	if u.blurAfter <= 0 {
		return
	}
	u.numberActive = time.Now()
	u.timerMu.Lock()
	defer u.timerMu.Unlock()
	if u.blurTimer == nil {
		u.blurTimer = time.AfterFunc(u.blurAfter, func() { u.do(u.blurNumber) })
		return
	}
	u.blurTimer.Reset(u.blurAfter)
}

// blurNumber takes the focus from the number field once it has been left alone for blurAfter,
// which stops its cursor animation; an early timer (reset meanwhile) does nothing.
func (u *UI) blurNumber() {
	if time.Since(u.numberActive) < u.blurAfter-50*time.Millisecond {
		return
	}
	if c := u.win.Canvas(); c.Focused() == u.phone.number {
		c.Unfocus()
	}
}

// timerRunning reports whether the once-a-second ticker is running (tests).
func (u *UI) timerRunning() bool {
	u.timerMu.Lock()
	defer u.timerMu.Unlock()
	return u.timerCancel != nil
}

// showError shows a short message under the status line until the next action.
func (u *UI) showError(msg string) {
	u.message.SetText(msg)
	u.message.Show()
}

func (u *UI) clearError() {
	u.message.SetText("")
	u.message.Hide()
}

// activity reports the user's input to the idle detection.
func (u *UI) activity() {
	if u.o.OnActivity != nil {
		u.o.OnActivity()
	}
}

// act runs a Controller action and reports its failure in plain words.
func (u *UI) act(err error) {
	u.activity() // every action is the user's click or key
	if err != nil && !errors.Is(err, ErrNoCall) {
		u.log.Warn("phone action failed", "err", err)
		u.showError(u.tr.F(KErrAction, err))
		return
	}
	u.clearError()
}

func (u *UI) answerShortcut() {
	if err := u.model.AnswerFirst(); !errors.Is(err, ErrNoCall) {
		u.act(err)
	}
}

func (u *UI) hangupShortcut() {
	if err := u.model.HangupFocus(); !errors.Is(err, ErrNoCall) {
		u.act(err)
	}
}

// showMain switches the window to the main view.
func (u *UI) showMain() {
	u.onMain = true
	// Fyne does not take the focus from a widget of the old content (the login form's entry
	// would keep animating its cursor, repainting the window for good): drop it first.
	u.win.Canvas().Unfocus()
	u.win.SetContent(u.mainView)
	if u.presPanel != nil {
		u.closePresencePanel()
	}
	u.tabs.SelectIndex(0)
	u.prefs.refreshAccount()
	u.render()
	if u.switchboardShownIn() {
		// An operator's landing tab: the switchboard (OnSelected reloads it), its search field
		// focused at once.
		u.tabs.Select(u.swTab)
		u.sw.render()
	} else {
		u.win.Canvas().Focus(u.phone.number)
	}
	u.calls.reload()
}

// showLogin switches the window to the login view.
func (u *UI) showLogin() {
	u.onMain = false
	u.win.Canvas().Unfocus()
	u.win.SetContent(u.loginView)
	if u.loginServer.Text == "" {
		u.win.Canvas().Focus(u.loginServer)
	} else if u.loginUser.Text == "" {
		u.win.Canvas().Focus(u.loginUser)
	} else {
		u.win.Canvas().Focus(u.loginPass)
	}
}

// logout forgets the password and returns to the login screen (seed 000: Tools → Settings →
// Log out).
func (u *UI) logout() {
	u.logoutEngine()
	u.o.Voicemail.Reset()
	u.o.Agent.Reset()
	u.st.Password = ""
	u.saveSettings()
	u.calls.set(nil, nil)
	u.fillLogin(u.st.Server, u.st.User, "")
	u.loginMsg.SetText("")
	u.showLogin()
}

func (u *UI) saveSettings() {
	if err := u.o.Settings.Save(u.st); err != nil {
		u.log.Error("save settings", "path", u.o.Settings.Path(), "err", err)
		u.showError(u.tr.F(KErrSettings, err))
	}
}

// Notify shows a short message under the status line (e.g. an audio device fell back to the
// default); safe to call from any goroutine.
func (u *UI) Notify(msg string) {
	u.do(func() { u.showError(msg) })
}

// Tabs of the main window, for SelectTab.
const (
	TabPhone      = "phone"
	TabColleagues = "colleagues"
	TabContacts   = "contacts"
	TabChat       = "chat"
	TabVoicemail  = "voicemail"
	TabCallLog    = "log"
	TabSettings   = "settings"
	TabAgent      = "agent" // Queues: only for agents, after Phone
)

// tabOrder is the order of the main window's tabs without the agent tab.
var tabOrder = []string{TabPhone, TabColleagues, TabContacts, TabChat, TabVoicemail, TabCallLog, TabSettings}

// SelectTab shows one of the main window's tabs (for screenshots and tel: links); unknown
// names, and the agent tab for a user who is no agent, are ignored.
func (u *UI) SelectTab(name string) {
	if name == TabAgent {
		if slices.Contains(u.tabs.Items, u.agentTab) {
			u.tabs.Select(u.agentTab)
		}
		return
	}
	if n := slices.Index(tabOrder, name); n >= 0 {
		if n > 0 && slices.Contains(u.tabs.Items, u.agentTab) {
			n++ // the agent tab sits after Phone
		}
		u.tabs.SelectIndex(n)
	}
}

// OpenLink puts number (from a tel:, callto: or sip: link) in the Phone tab's number field
// without dialling and raises the window. Before login the number waits in the model and
// appears in the field once the main window shows.
func (u *UI) OpenLink(number string) {
	u.model.SetDialNumber(number)
	if u.onMain && u.presPanel == nil && u.model.View().Focus == nil {
		u.SelectTab(TabPhone)
	}
	u.render()
	u.win.Show()
	u.win.RequestFocus()
}

// ShowPresencePanel opens the own-presence panel (screenshots).
func (u *UI) ShowPresencePanel() {
	if u.presPanel == nil {
		u.openPresencePanel()
	}
}

// SearchColleagues shows the Colleagues tab with query typed in its search field
// (screenshots).
func (u *UI) SearchColleagues(query string) {
	u.SelectTab(TabColleagues)
	u.dir.search.SetText(query)
}

// OpenChat shows the conversation with an extension (screenshots, tests).
func (u *UI) OpenChat(ext string) { u.openChat(ext) }

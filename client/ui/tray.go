package ui

import (
	"errors"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver/desktop"

	"github.com/vaihde/vaihde/client/mediakeys"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/voicemail"
	"github.com/vaihde/vaihde/shared/api"
)

// trayView renders the TrayVM into the system tray (Fyne's desktop.App: a StatusNotifierItem
// on Linux, a notification-area icon on Windows, a menu-bar item on macOS) and owns the
// window's close-to-tray behaviour and the media keys. Fyne goroutine only.
type trayView struct {
	vm   *TrayVM
	desk desktop.App // nil: the driver has no tray (tests, mobile)
	// host reports whether something shows the tray (on Linux a StatusNotifierWatcher on the
	// session bus): without one, hiding the window would leave the user nothing to click.
	host func() bool
	// bus reports whether the session bus answers (trayBusReachable); asked once, at the first
	// apply. Without it the tray is not touched.
	bus        func() bool
	busChecked bool
	busUp      bool
	setTooltip func(string) // the icon's tooltip (fyne.io/systray; Fyne has no API for it)
	last       *TrayView
	hidden     bool // the window was closed to the tray
	windowed   bool // SetSystemTrayWindow was called (left click shows the window)

	keys   *mediakeys.Keys // nil: no media keys
	active bool            // a call rings or lasts (told to the keys)

	vmNotified voicemailSeen
}

// setupTray creates the tray model and takes over the window's close button.
func (u *UI) setupTray() {
	u.tray = &trayView{vm: NewTrayVM(u.tr), host: trayHostPresent, bus: trayBusReachable, setTooltip: setTrayTooltip}
	if d, ok := u.app.(desktop.App); ok {
		u.tray.desk = d
	} else { // no tray: nothing to keep running in
		u.prefs.keepInTray.Hide()
		u.prefs.keepInTrayHint.Hide()
	}
	u.win.SetCloseIntercept(u.closeWindow)
}

// hasTray reports whether closing the window can hide it to the tray.
func (u *UI) hasTray() bool { return u.tray.usable() && u.tray.host() }

// usable reports whether the app has a tray and the session bus it needs answers.
func (t *trayView) usable() bool {
	if t.desk == nil {
		return false
	}
	if !t.busChecked {
		t.busChecked, t.busUp = true, t.bus()
	}
	return t.busUp
}

// closeWindow hides the window to the tray when the user wants that and a tray is shown;
// otherwise it quits.
func (u *UI) closeWindow() {
	if u.hasTray() && u.st.KeepInTray() {
		u.win.Hide()
		u.tray.hidden = true
		u.foreground = false
		return
	}
	u.quit()
}

// quit ends the Softphone: the engine unregisters when run returns (main's deferred Close).
func (u *UI) quit() {
	u.Close()
	u.app.Quit()
}

// showWindow brings the window back from the tray.
func (u *UI) showWindow() {
	u.tray.hidden = false
	u.win.Show()
	u.win.RequestFocus()
}

// shown is called when one of the app's windows gets the focus.
func (t *trayView) shown() { t.hidden = false }

// renderTray brings the tray up to date with a snapshot; it only talks to the tray when what it
// shows changed.
func (u *UI) renderTray(s phone.Snapshot) {
	t := u.tray
	changed := t.vm.Update(s)
	if u.callLogVisible() && t.vm.ResetMissed() {
		changed = true // the user sees the missed call in the log already
	}
	if changed || t.last == nil {
		t.apply(u)
	}
	active := slices.ContainsFunc(s.Calls, func(c phone.Call) bool { return c.State != phone.Ended })
	if active != t.active {
		t.active = active
		t.keys.SetActive(active)
	}
}

// callLogVisible reports whether the user looks at the call log.
func (u *UI) callLogVisible() bool {
	return u.onMain && !u.tray.hidden && u.foreground && u.tabs.Selected() != nil && u.tabs.Selected().Content == u.calls.root
}

// callLogOpened resets the missed-call count (the call log tab was selected).
func (u *UI) callLogOpened() {
	if u.tray.vm.ResetMissed() {
		u.tray.apply(u)
	}
}

// apply shows the model's view in the tray.
func (t *trayView) apply(u *UI) {
	v := t.vm.View()
	t.last = &v
	if !t.usable() {
		return
	}
	t.desk.SetSystemTrayIcon(TrayIcon(v.State, v.Missed))
	t.setTooltip(v.Tooltip)
	t.desk.SetSystemTrayMenu(u.trayMenu(v))
	if !t.windowed && t.host() {
		// A left click on the icon shows the window; Fyne then hides instead of closing, but
		// whether to hide is the user's setting: take the close button back.
		t.windowed = true
		t.desk.SetSystemTrayWindow(u.win)
		u.win.SetCloseIntercept(u.closeWindow)
	}
}

// trayMenu builds the tray menu from the view.
func (u *UI) trayMenu(v TrayView) *fyne.Menu {
	items := make([]*fyne.MenuItem, 0, len(v.Items))
	for _, it := range v.Items {
		var mi *fyne.MenuItem
		switch it.ID {
		case "":
			mi = fyne.NewMenuItemSeparator()
		case TrayItemShow:
			mi = fyne.NewMenuItem(it.Label, u.showWindow)
		case TrayItemMissed:
			mi = fyne.NewMenuItem(it.Label, func() {
				u.showWindow()
				if u.onMain {
					u.SelectTab(TabCallLog) // its OnSelected resets the count
				}
			})
		case TrayItemQuit:
			mi = fyne.NewMenuItem(it.Label, u.quit)
			mi.IsQuit = true // Fyne adds no Quit of its own
		default:
			mi = fyne.NewMenuItem(it.Label, nil)
		}
		mi.Disabled = it.Disabled
		items = append(items, mi)
	}
	return fyne.NewMenu(u.tr.T(KAppName), items...)
}

// TrayView is what the tray shows now (tests, screenshots).
func (u *UI) TrayView() TrayView { return u.tray.vm.View() }

// ---- Media keys ----------------------------------------------------------------------------

// startMediaKeys listens for headset and keyboard media keys (client/mediakeys) until Close.
func (u *UI) startMediaKeys() {
	keys, err := mediakeys.Start(u.ctx, mediakeys.Options{
		Logger:   u.log,
		OnAction: func(a mediakeys.Action) { u.do(func() { u.mediaKey(a) }) },
	})
	if err != nil {
		u.log.Info("no media keys", "err", err)
		return
	}
	u.tray.keys = keys
}

// mediaKey answers or hangs up as the key means (mediakeys.Dispatch).
func (u *UI) mediaKey(a mediakeys.Action) {
	u.log.Info("media key", "key", a)
	err := mediakeys.Dispatch(a, u.model)
	if errors.Is(err, mediakeys.ErrNothingToDo) || errors.Is(err, ErrNoCall) {
		return
	}
	u.act(err)
}

// Ringing implements mediakeys.CallControl: an incoming call rings.
func (m *Model) Ringing() bool { return len(m.View().Incoming) > 0 }

var _ mediakeys.CallControl = (*Model)(nil)

// ---- Voicemail notifications ---------------------------------------------------------------

// voicemailSeen remembers the messages already announced, so each new one notifies once; the
// messages there at login are not announced.
type voicemailSeen struct {
	primed bool
	seen   map[int64]bool
}

// fresh returns the unheard messages of s not seen before.
func (v *voicemailSeen) fresh(s voicemail.Snapshot) []api.Voicemail {
	if !s.Loaded {
		if len(s.Messages) == 0 { // logged out (Reset): the next login starts afresh
			v.primed, v.seen = false, nil
		}
		return nil
	}
	if v.seen == nil {
		v.seen = map[int64]bool{}
	}
	var out []api.Voicemail
	for _, m := range s.Messages {
		if !v.seen[m.ID] && v.primed && !m.Heard {
			out = append(out, m)
		}
		v.seen[m.ID] = true
	}
	v.primed = true
	return out
}

// notifyVoicemail sends a desktop notification per new voicemail, unless the user is looking
// at the Voicemail tab.
func (u *UI) notifyVoicemail(s voicemail.Snapshot) {
	fresh := u.tray.vmNotified.fresh(s)
	if len(fresh) == 0 {
		return
	}
	if u.onMain && !u.tray.hidden && u.foreground && u.tabs.Selected() == u.vmTab {
		return
	}
	for _, m := range fresh {
		from := m.CallerName
		if from == "" {
			from = m.Caller
		}
		if from == "" {
			from = u.tr.T(KUnknownCaller)
		}
		u.app.SendNotification(fyne.NewNotification(u.tr.T(KNotifyVoicemail), u.tr.F(KVoicemailFrom, from)))
	}
}

package ui

import (
	"cmp"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
)

// settingsView is the Settings tab: audio devices (seed 000: headset for talking, headset or
// computer speaker for ringing), ring volume, language and the account with Log out.
type settingsView struct {
	u    *UI
	root fyne.CanvasObject

	mic, speaker, ringer *widget.Select
	// alsoRing is a second device ringing with ringer (the headset and the speaker at once).
	alsoRing *widget.Select
	// option label → device name, per chooser; alsoRingNames has no entry for "no other device"
	micNames, speakerNames, ringerNames, alsoRingNames map[string]string
	volume                                             *widget.Slider
	language                                           *widget.Select
	account                                            *widget.Label
	passwordWhere                                      *widget.Label // where the password is kept
	logout                                             *widget.Button
	forwarding                                         *widget.Button // opens the forwarding and voicemail screen
	transport                                          *widget.Select // SIP transport: UDP, TCP, TLS
	srtp                                               *widget.Check  // encrypt calls (SRTP)
	keepInTray                                         *widget.Check  // close to tray (tray.go); hidden without a tray
	keepInTrayHint                                     *widget.Label
	updating                                           bool // set while options are replaced: ignore OnChanged
}

func newSettingsView(u *UI) *settingsView {
	tr := u.tr
	v := &settingsView{u: u}
	v.mic = widget.NewSelect(nil, func(string) { v.changed() })
	v.speaker = widget.NewSelect(nil, func(string) { v.changed() })
	v.ringer = widget.NewSelect(nil, func(string) { v.changed() })
	v.alsoRing = widget.NewSelect(nil, func(string) { v.changed() })
	v.volume = widget.NewSlider(0, 100)
	v.volume.Step = 5
	v.volume.OnChangeEnded = func(float64) { v.changed() }
	audio := section(tr.T(KSettingsAudio),
		label(tr.T(KMicrophone)), v.mic,
		label(tr.T(KSpeaker)), v.speaker,
		label(tr.T(KRinger)), v.ringer, hint(tr.T(KRingerHint)),
		label(tr.T(KAlsoRing)), v.alsoRing, hint(tr.T(KAlsoRingHint)),
		label(tr.T(KRingVolume)), v.volume,
	)

	names := make([]string, len(Languages))
	for i, l := range Languages {
		names[i] = l.Name
	}
	v.language = widget.NewSelect(names, func(name string) {
		if v.updating {
			return
		}
		for _, l := range Languages {
			if l.Name == name && l.Code != u.st.Language {
				u.st.Language = l.Code
				u.saveSettings()
			}
		}
	})
	v.keepInTray = widget.NewCheck(tr.T(KKeepInTray), func(on bool) {
		if on != u.st.KeepInTray() {
			u.st.SetKeepInTray(on)
			u.saveSettings()
		}
	})
	v.keepInTray.SetChecked(u.st.KeepInTray())
	v.keepInTrayHint = hint(tr.T(KKeepInTrayHint))
	general := section(tr.T(KSettingsGeneral),
		label(tr.T(KLanguage)), v.language, hint(tr.T(KLanguageHint)),
		v.keepInTray, v.keepInTrayHint,
		label(tr.T(KShortcuts)), hint(tr.T(KShortcutsText)),
	)

	security := v.buildSecurity()

	v.account = widget.NewLabel("")
	v.account.Truncation = fyne.TextTruncateEllipsis
	v.logout = widget.NewButtonWithIcon(tr.T(KLogOutButton), theme.LogoutIcon(), u.logout)
	v.logout.Importance = widget.DangerImportance
	v.passwordWhere = hint("")
	account := section(tr.T(KSettingsAccount), v.account, hint(tr.T(KPasswordNote)), v.passwordWhere,
		container.NewHBox(v.logout))

	v.forwarding = widget.NewButtonWithIcon(tr.T(KFwdOpen), theme.MailForwardIcon(), u.openForwarding)
	routing := section(tr.T(KFwdTitle), hint(tr.T(KFwdSettingsHint)), container.NewHBox(v.forwarding))

	v.root = container.NewVScroll(container.NewPadded(container.NewVBox(routing, widget.NewSeparator(), audio, widget.NewSeparator(),
		general, widget.NewSeparator(), security, widget.NewSeparator(), account)))
	v.refreshDevices()
	return v
}

// transportChoices are the SIP transports offered, with their labels' keys ("" = as is).
var transportChoices = []struct {
	value string
	label Key
}{{"udp", ""}, {"tcp", ""}, {"tls", KTransportTLS}}

func (v *settingsView) transportLabel(value string) string {
	for _, c := range transportChoices {
		if c.value == value {
			if c.label != "" {
				return v.u.tr.T(c.label)
			}
			return strings.ToUpper(c.value)
		}
	}
	return "UDP"
}

// buildSecurity is the Security section: the SIP transport and "Encrypt calls (SRTP)", which
// needs TLS (keys sent in the clear would protect nothing), so choosing it selects TLS.
func (v *settingsView) buildSecurity() fyne.CanvasObject {
	u, tr := v.u, v.u.tr
	labels := make([]string, len(transportChoices))
	for i, c := range transportChoices {
		labels[i] = v.transportLabel(c.value)
	}
	v.transport = widget.NewSelect(labels, func(label string) {
		if v.updating {
			return
		}
		for _, c := range transportChoices {
			if v.transportLabel(c.value) == label {
				v.setSecurity(c.value, u.st.SRTP && c.value == phone.TransportTLS)
			}
		}
	})
	v.srtp = widget.NewCheck(tr.T(KSRTP), func(on bool) {
		if v.updating {
			return
		}
		tp := cmp.Or(u.st.Transport, phone.TransportUDP)
		if on {
			tp = phone.TransportTLS
		}
		v.setSecurity(tp, on)
	})
	v.refreshSecurity()
	return section(tr.T(KSettingsSecurity), label(tr.T(KTransport)), v.transport, v.srtp, hint(tr.T(KSecurityHint)))
}

// setSecurity remembers the transport and SRTP choice for the next login.
func (v *settingsView) setSecurity(transport string, srtp bool) {
	u := v.u
	if transport == phone.TransportUDP {
		transport = "" // the default
	}
	if u.st.Transport != transport || u.st.SRTP != srtp {
		u.st.Transport, u.st.SRTP = transport, srtp
		u.saveSettings()
	}
	v.refreshSecurity()
}

func (v *settingsView) refreshSecurity() {
	v.updating = true
	defer func() { v.updating = false }()
	v.transport.SetSelected(v.transportLabel(cmp.Or(v.u.st.Transport, phone.TransportUDP)))
	v.srtp.SetChecked(v.u.st.SRTP)
}

// section is a titled group of settings.
func section(title string, objs ...fyne.CanvasObject) fyne.CanvasObject {
	t := widget.NewLabelWithStyle(title, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	t.SizeName = theme.SizeNameSubHeadingText
	return container.NewVBox(append([]fyne.CanvasObject{t}, objs...)...)
}

// hint is small explanatory text; long texts carry their own line breaks, because wrapped
// labels in scrolled boxes are laid out before their width is known.
func hint(s string) *widget.Label {
	l := widget.NewLabel(s)
	l.SizeName = theme.SizeNameCaptionText
	return l
}

func label(s string) *widget.Label {
	return widget.NewLabelWithStyle(s, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
}

// options builds a chooser's labels: "System default", the devices, and the remembered device
// marked "(not connected)" when it is missing, so that a choice is never silently lost.
func (v *settingsView) options(devices []string, chosen string) ([]string, map[string]string, string) {
	tr := v.u.tr
	def := tr.T(KSystemDefault)
	opts := []string{def}
	names := map[string]string{def: ""}
	selected := def
	for _, d := range devices {
		if _, dup := names[d]; dup || d == "" {
			continue
		}
		opts = append(opts, d)
		names[d] = d
		if d == chosen {
			selected = d
		}
	}
	if chosen != "" && selected == def {
		l := tr.F(KDeviceMissing, chosen)
		opts = append(opts, l)
		names[l] = chosen
		selected = l
	}
	return opts, names, selected
}

// refreshDevices re-reads the device lists (devices plugged in or out) and the saved choices.
func (v *settingsView) refreshDevices() {
	var ins, outs []string
	if v.u.o.Audio != nil {
		ins, outs = v.u.o.Audio.Inputs(), v.u.o.Audio.Outputs()
	}
	a := v.u.st.Audio
	v.updating = true
	defer func() { v.updating = false }()
	var sel string
	v.mic.Options, v.micNames, sel = v.options(ins, a.Microphone)
	v.mic.SetSelected(sel)
	v.speaker.Options, v.speakerNames, sel = v.options(outs, a.Speaker)
	v.speaker.SetSelected(sel)
	v.ringer.Options, v.ringerNames, sel = v.options(outs, a.Ringer)
	v.ringer.SetSelected(sel)
	v.refreshAlsoRing(outs, a.AlsoRing)
	v.volume.SetValue(a.Volume() * 100)
	for _, l := range Languages {
		if l.Code == v.u.tr.Lang() {
			v.language.SetSelected(l.Name)
		}
	}
}

// changed saves the audio choices and tells the engine.
func (v *settingsView) changed() {
	if v.updating {
		return
	}
	u := v.u
	a := settings.Audio{
		Microphone: v.micNames[v.mic.Selected],
		Speaker:    v.speakerNames[v.speaker.Selected],
		Ringer:     v.ringerNames[v.ringer.Selected],
	}
	if d, ok := v.alsoRingNames[v.alsoRing.Selected]; ok {
		a.AlsoRing = []string{d}
	}
	a.SetVolume(v.volume.Value / 100)
	if sameAudio(a, u.st.Audio) {
		return
	}
	u.st.Audio = a
	u.saveSettings()
	if u.o.OnAudioChange != nil {
		u.o.OnAudioChange(a)
	}
}

// refreshAlsoRing fills the second ring device's chooser: "No other device" first, then the
// same choices as the ringing device. Only the first remembered extra device is shown.
func (v *settingsView) refreshAlsoRing(outs, chosen []string) {
	off := v.u.tr.T(KAlsoRingOff)
	want, on := "", len(chosen) > 0
	if on {
		want = chosen[0]
	}
	opts, names, sel := v.options(outs, want)
	v.alsoRing.Options = append([]string{off}, opts...)
	v.alsoRingNames = names
	if !on {
		sel = off
	}
	v.alsoRing.SetSelected(sel)
}

func sameAudio(a, b settings.Audio) bool {
	return a.Microphone == b.Microphone && a.Speaker == b.Speaker && a.Ringer == b.Ringer &&
		slices.Equal(a.AlsoRing, b.AlsoRing) && a.Volume() == b.Volume()
}

func (v *settingsView) refreshAccount() {
	s := v.u.model.Snapshot()
	user, server := s.Account.User, s.Account.Server
	if user == "" {
		user, server = v.u.st.User, v.u.st.Server
	}
	if id := identity(s); id != "" && id != user {
		user = id
	}
	v.account.SetText(v.u.tr.F(KLoggedInAs, user, server))
	if w := PasswordWhere(v.u.o.Settings, v.u.tr); w != "" {
		v.passwordWhere.SetText(w)
		v.passwordWhere.Show()
	} else {
		v.passwordWhere.Hide()
	}
}

// PasswordWhere says in the user's language where the remembered password is kept, or ""
// when none is.
func PasswordWhere(st *settings.Store, tr Strings) string {
	switch st.PasswordLocation() {
	case settings.InKeychain:
		return tr.T(KPasswordKeychain)
	case settings.InFile:
		return tr.F(KPasswordFile, st.PasswordFile())
	}
	return ""
}

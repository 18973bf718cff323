package ui

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
	"github.com/vaihde/vaihde/client/phone"
)

// buildLogin makes the first-run screen (seed 000): server address, user name (ext@domain, a
// phone number in any form, or a bare extension) and password.
func (u *UI) buildLogin() {
	tr := u.tr
	u.loginServer = widget.NewEntry()
	u.loginServer.SetPlaceHolder(tr.T(KServerHint))
	u.loginUser = widget.NewEntry()
	u.loginUser.SetPlaceHolder(tr.T(KUserHint))
	u.loginPass = widget.NewPasswordEntry()
	u.loginServer.OnSubmitted = func(string) { u.win.Canvas().Focus(u.loginUser) }
	u.loginUser.OnSubmitted = func(string) { u.win.Canvas().Focus(u.loginPass) }
	u.loginPass.OnSubmitted = func(string) { u.submitLogin() }
	u.loginSecure = widget.NewCheck(tr.T(KLoginSecure), nil)
	u.loginButton = widget.NewButtonWithIcon(tr.T(KLogIn), theme.LoginIcon(), u.submitLogin)
	u.loginButton.Importance = widget.HighImportance
	u.loginMsg = widget.NewLabel("")
	u.loginMsg.Alignment = fyne.TextAlignCenter

	logo := canvas.NewImageFromResource(assets.AppIcon)
	logo.FillMode = canvas.ImageFillContain
	logo.SetMinSize(fyne.NewSize(72, 72))
	title := widget.NewLabelWithStyle(tr.T(KLoginTitle), fyne.TextAlignCenter, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	intro := widget.NewLabel(tr.T(KLoginIntro))
	intro.Alignment = fyne.TextAlignCenter

	field := func(k Key, e *widget.Entry) fyne.CanvasObject {
		l := widget.NewLabelWithStyle(tr.T(k), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		return container.NewVBox(l, e)
	}
	form := container.NewVBox(
		field(KServer, u.loginServer),
		field(KUser, u.loginUser),
		field(KPassword, u.loginPass),
		u.loginSecure,
		layout.NewSpacer(),
		u.loginButton,
		u.loginMsg,
	)
	card := container.NewVBox(container.NewCenter(logo), title, intro, widget.NewSeparator(), form)
	u.loginView = container.NewPadded(container.NewBorder(nil, nil, nil, nil,
		container.NewVScroll(container.NewPadded(container.NewVBox(layout.NewSpacer(), card, layout.NewSpacer())))))
}

func (u *UI) fillLogin(server, user, pass string) {
	u.loginServer.SetText(server)
	u.loginUser.SetText(user)
	u.loginPass.SetText(pass)
	u.loginSecure.SetChecked(u.st.Transport == phone.TransportTLS && u.st.SRTP)
}

// applyLoginSecurity takes the login form's "Secure connection" box into the settings: on
// means TLS with encrypted calls; off leaves a TCP choice alone and turns TLS off.
func (u *UI) applyLoginSecurity() {
	switch {
	case u.loginSecure.Checked:
		u.st.Transport, u.st.SRTP = phone.TransportTLS, true
	case u.st.Transport == phone.TransportTLS || u.st.SRTP:
		u.st.Transport, u.st.SRTP = "", false
	}
	u.prefs.refreshSecurity()
}

// submitLogin starts logging in with what the form says; the outcome arrives as a snapshot.
func (u *UI) submitLogin() {
	server := strings.TrimSpace(u.loginServer.Text)
	user := strings.TrimSpace(u.loginUser.Text)
	pass := u.loginPass.Text
	if server == "" || user == "" || pass == "" {
		u.setLoginMessage(u.tr.T(KFillAll), widget.DangerImportance)
		return
	}
	if msg := LoginFieldError(user, u.tr); msg != "" {
		u.setLoginMessage(msg, widget.DangerImportance)
		u.win.Canvas().Focus(u.loginUser)
		return
	}
	u.applyLoginSecurity()
	u.loggingIn = true
	u.loginButton.Disable()
	u.setLoginMessage(u.tr.T(KLoggingIn), widget.MediumImportance)
	acc := u.account(server, u.apiURLFor(server), user, pass)
	u.login(acc, func(err error) {
		u.loggingIn = false
		u.loginButton.Enable()
		u.setLoginMessage(u.tr.F(KErrAction, err), widget.DangerImportance)
	})
}

// apiURLFor is the API address to use with server: the one given with the prefilled account
// or remembered with this server, else none (the engine derives it).
func (u *UI) apiURLFor(server string) string {
	switch {
	case u.o.Prefill.APIURL != "" && u.o.Prefill.Server == server:
		return u.o.Prefill.APIURL
	case u.st.APIURL != "" && u.st.Server == server:
		return u.st.APIURL
	}
	return ""
}

func (u *UI) setLoginMessage(text string, imp widget.Importance) {
	u.loginMsg.Importance = imp
	u.loginMsg.SetText(text)
}

// loginProgress follows a login started from the login screen: on success the account is
// remembered and the main window shown; on failure the login screen says why.
func (u *UI) loginProgress(s phone.Snapshot) {
	if !u.loggingIn {
		return
	}
	switch s.Reg {
	case phone.Registered:
		u.loggingIn = false
		u.loginButton.Enable()
		u.loginMsg.SetText("")
		u.st.Server = strings.TrimSpace(u.loginServer.Text)
		u.st.User = strings.TrimSpace(u.loginUser.Text)
		u.st.Password = u.loginPass.Text
		u.st.APIURL = u.apiURLFor(u.st.Server)
		u.saveSettings()
		u.log.Info("password remembered", "where", u.o.Settings.PasswordLocation().String())
		u.showMain()
	case phone.WrongPassword, phone.Unreachable, phone.RegFailed:
		u.loggingIn = false
		u.loginButton.Enable()
		st := StatusOf(s, u.tr)
		msg := st.Text
		if st.Detail != "" {
			msg += " (" + st.Detail + ")"
		}
		u.setLoginMessage(msg, widget.DangerImportance)
		// Stop the engine retrying in the background: the user corrects the form instead.
		u.logoutEngine()
		if s.Reg == phone.WrongPassword {
			u.win.Canvas().Focus(u.loginPass)
		}
	}
}

// LoginFieldError says in the user's language what is wrong with the login field, or "" when
// phone.ParseLogin accepts it.
func LoginFieldError(user string, tr Strings) string {
	_, err := phone.ParseLogin(user)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, phone.ErrLoginDomain):
		return tr.T(KErrLoginDomain)
	}
	return tr.T(KErrLoginUser)
}

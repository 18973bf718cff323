package ui

import (
	"image/color"
	"slices"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
)

// renderIncoming shows a banner per ringing call inside the main window, which never takes the
// keyboard focus from the number field, and drives the ringer: the full ring when idle, a short
// beep for call waiting. When the Softphone is not the foreground app, a small separate window
// and a notification also appear, so the call is seen over other applications.
func (u *UI) renderIncoming(v View) {
	p := u.phone
	p.answerButtons = map[string]*widget.Button{}
	p.rejectButtons = map[string]*widget.Button{}
	objs := make([]fyne.CanvasObject, 0, len(v.Incoming))
	for _, c := range v.Incoming {
		objs = append(objs, u.banner(c, p.answerButtons, p.rejectButtons))
	}
	p.banners.Objects = objs
	p.banners.Refresh()
	if p.top != nil {
		p.top.Refresh() // the banners' height changed: lay out the window again
		u.mainView.Refresh()
	}

	ids := make([]string, 0, len(v.Incoming))
	var newest *CallView
	for i, c := range v.Incoming {
		ids = append(ids, c.ID)
		if !slices.Contains(u.ringing, c.ID) {
			newest = &v.Incoming[i]
		}
	}
	if len(ids) == 0 {
		if len(u.ringing) > 0 && u.o.Ringer != nil {
			u.o.Ringer.StopRing()
		}
		u.ringing = nil
		u.hidePopup()
		return
	}
	if newest != nil {
		if u.o.Ringer != nil {
			u.o.Ringer.StartRing(newest.Waiting)
		}
		if !u.foreground {
			u.app.SendNotification(fyne.NewNotification(u.tr.T(KNotifyIncoming), newest.Title))
		}
	}
	u.ringing = ids
	if !u.foreground || u.popupShown {
		u.showPopup(v)
	}
}

// banner is one incoming call with Answer and Reject.
func (u *UI) banner(c CallView, answers, rejects map[string]*widget.Button) fyne.CanvasObject {
	tr := u.tr
	text := tr.F(KIncomingFrom, c.Title)
	if c.Waiting {
		text = tr.F(KCallWaitingFrom, c.Title)
	}
	title := widget.NewLabelWithStyle(text, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.Truncation = fyne.TextTruncateEllipsis
	info := container.NewVBox(title)
	if c.Group != "" {
		// A queue or hunt-group call: which group and who, before the name.
		g := widget.NewLabelWithStyle(c.Group, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		g.Importance = widget.HighImportance
		g.Truncation = fyne.TextTruncateEllipsis
		info.Add(g)
	}
	if c.Subtitle != "" {
		sub := widget.NewLabel(c.Subtitle)
		info.Add(sub)
	}
	if c.Callback != "" {
		cb := widget.NewLabelWithStyle(c.Callback, fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
		cb.Wrapping = fyne.TextWrapWord
		info.Add(cb)
	}
	id := c.ID
	answer := widget.NewButtonWithIcon(tr.T(KAnswer), themed(assets.Call), func() { u.act(u.model.Answer(id)) })
	answer.Importance = widget.SuccessImportance
	reject := widget.NewButtonWithIcon(tr.T(KReject), themed(assets.CallEnd), func() { u.act(u.model.Reject(id)) })
	reject.Importance = widget.DangerImportance
	answers[id], rejects[id] = answer, reject

	icon := widget.NewIcon(themed(assets.CallReceived))
	bg := canvas.NewRectangle(bannerColor())
	bg.CornerRadius = theme.InputRadiusSize() * 2
	body := container.NewVBox(container.NewBorder(nil, nil, icon, nil, info), container.NewGridWithColumns(2, reject, answer))
	return container.NewPadded(container.NewStack(bg, container.NewPadded(body)))
}

func bannerColor() color.Color {
	s := fyne.CurrentApp().Settings()
	c := s.Theme().Color(theme.ColorNamePrimary, s.ThemeVariant())
	r, g, b, _ := c.RGBA()
	return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x38}
}

// showPopup shows (or updates) the small incoming-call window.
func (u *UI) showPopup(v View) {
	if u.popup == nil {
		u.popup = u.app.NewWindow(u.tr.T(KNotifyIncoming))
		u.popup.SetIcon(assets.AppIcon)
		u.popup.SetFixedSize(true)
		// Closing the small window only hides it: a closed Fyne window cannot be shown again.
		u.popup.SetCloseIntercept(func() { u.hidePopup() })
		u.popupBanner = container.NewVBox()
		u.popup.SetContent(u.popupBanner)
	}
	answers, rejects := map[string]*widget.Button{}, map[string]*widget.Button{}
	objs := make([]fyne.CanvasObject, 0, len(v.Incoming))
	for _, c := range v.Incoming {
		objs = append(objs, u.banner(c, answers, rejects))
	}
	u.popupBanner.Objects = objs
	u.popupBanner.Refresh()
	u.popup.Resize(fyne.NewSize(340, 0))
	if !u.popupShown {
		u.popupShown = true
		u.popup.Show()
	}
}

func (u *UI) hidePopup() {
	if u.popup != nil && u.popupShown {
		u.popup.Hide()
	}
	u.popupShown = false
}

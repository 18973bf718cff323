package ui

import (
	"context"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

// presenceColor is the colour of a presence dot: green or red, faded when dim.
func presenceColor(green, known, dim bool) color.Color {
	t := ToneError
	if green {
		t = ToneOK
	}
	if !known {
		t = ToneNeutral
	}
	c := toneColor(t)
	if dim {
		r, g, b, _ := c.RGBA()
		return color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x60}
	}
	return c
}

func newDot(size float32) (*canvas.Circle, fyne.CanvasObject) {
	d := canvas.NewCircle(toneColor(ToneNeutral))
	return d, container.NewCenter(container.NewGridWrap(fyne.NewSize(size, size), d))
}

// tapArea makes its content clickable (the own-presence line).
type tapArea struct {
	widget.BaseWidget
	content fyne.CanvasObject
	onTap   func()
}

func newTapArea(content fyne.CanvasObject, onTap func()) *tapArea {
	t := &tapArea{content: content, onTap: onTap}
	t.ExtendBaseWidget(t)
	return t
}

func (t *tapArea) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(t.content) }

// Tapped implements fyne.Tappable.
func (t *tapArea) Tapped(*fyne.PointEvent) {
	if t.onTap != nil {
		t.onTap()
	}
}

// Cursor implements desktop.Cursorable.
func (t *tapArea) Cursor() desktop.Cursor { return desktop.PointerCursor }

// presenceBar is the always-visible own presence under the registration status.
type presenceBar struct {
	dot    *canvas.Circle
	text   *widget.Label
	note   *widget.Label
	button *widget.Button
	root   fyne.CanvasObject
}

func newPresenceBar(u *UI) *presenceBar {
	b := &presenceBar{
		text: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		note: widget.NewLabel(""),
	}
	var dotBox fyne.CanvasObject
	b.dot, dotBox = newDot(12)
	b.note.SizeName = theme.SizeNameCaptionText
	b.note.Truncation = fyne.TextTruncateEllipsis
	b.note.TextStyle = fyne.TextStyle{Italic: true}
	b.button = widget.NewButtonWithIcon("", theme.MenuDropDownIcon(), func() { u.togglePresencePanel() })
	b.button.Importance = widget.LowImportance
	row := container.NewBorder(nil, nil, container.NewHBox(dotBox, b.text), b.button, b.note)
	b.root = newTapArea(row, func() { u.togglePresencePanel() })
	return b
}

func (b *presenceBar) set(v PresenceView) {
	b.dot.FillColor = presenceColor(v.Green, v.Known, false)
	b.dot.Refresh()
	b.text.SetText(v.Line())
	b.note.SetText(v.Note)
}

// presencePanel edits the user's own presence: activity, role, end time and note. It replaces
// the tabs while open so it is one click away and never hides behind another window.
type presencePanel struct {
	u       *UI
	form    PresenceForm
	acts    []api.Activity
	root    fyne.CanvasObject
	actBtns map[int]*widget.Button
	role    *widget.Select
	roles   []int
	quick   map[string]*widget.Button
	chosen  *widget.Label
	custom  *widget.Entry
	note    *widget.Entry
	counter *widget.Label
	errText *widget.Label
	save    *widget.Button
	cancel  *widget.Button
	saving  bool
}

func newPresencePanel(u *UI) *presencePanel {
	tr := u.tr
	s := u.o.People.Snapshot()
	now := u.now()
	p := &presencePanel{u: u, form: FormOf(s.Me), acts: s.Activities, actBtns: map[int]*widget.Button{},
		quick: map[string]*widget.Button{}}
	if len(p.acts) == 0 {
		for _, a := range presence.DefaultActivities() {
			p.acts = append(p.acts, api.Activity{Number: a.Number, Name: a.Names.In(tr.Lang()),
				NameFI: a.Names.FI, NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green})
		}
	}

	acts := container.NewGridWithColumns(2)
	for _, a := range p.acts {
		n := a.Number
		dot, dotBox := newDot(10)
		dot.FillColor = presenceColor(a.Green, true, false)
		btn := widget.NewButton(activityName(a.Number, a.Name, p.acts, tr.Lang()), func() { p.pickActivity(n) })
		btn.Alignment = widget.ButtonAlignLeading
		p.actBtns[n] = btn
		acts.Add(container.NewBorder(nil, nil, dotBox, nil, btn))
	}

	var roleNames []string
	for _, r := range presence.Roles {
		p.roles = append(p.roles, int(r))
		roleNames = append(roleNames, RoleName(int(r), tr))
	}
	p.role = widget.NewSelect(roleNames, func(string) {
		if i := p.role.SelectedIndex(); i >= 0 {
			p.form.Role = p.roles[i]
		}
	})
	roleBox := container.NewVBox(label(tr.T(KRole)), p.role)
	if p.form.Role == 0 {
		roleBox.Hide() // the organisation hides roles
	} else {
		for i, r := range p.roles {
			if r == p.form.Role {
				p.role.SetSelectedIndex(i)
			}
		}
	}

	quick := container.NewGridWithColumns(3)
	for _, c := range QuickUntil(now, tr) {
		c := c
		btn := widget.NewButton(c.Label, func() { p.pickUntil(c.At) })
		p.quick[c.Label] = btn
		quick.Add(btn)
	}
	p.chosen = widget.NewLabel("")
	p.custom = widget.NewEntry()
	p.custom.SetPlaceHolder(tr.T(KEndTimeHint))
	p.custom.OnChanged = func(s string) {
		p.form.Custom = s
		p.errText.Hide()
		if t, err := ParseUntil(s, p.u.now(), tr); err == nil && !t.IsZero() {
			p.chosen.SetText(tr.F(KEndTimeChosen, FormatUntil(t, p.u.now(), tr)))
		}
	}
	p.custom.OnSubmitted = func(string) { p.checkCustom() }

	p.note = widget.NewMultiLineEntry()
	p.note.SetPlaceHolder(tr.T(KNoteHint))
	p.note.Wrapping = fyne.TextWrapWord
	p.note.SetMinRowsVisible(2)
	p.counter = widget.NewLabel("")
	p.counter.SizeName = theme.SizeNameCaptionText
	p.counter.Alignment = fyne.TextAlignTrailing
	p.note.OnChanged = func(s string) {
		p.form.Note = s
		p.showCounter()
	}
	p.note.SetText(p.form.Note)

	p.errText = widget.NewLabel("")
	p.errText.Importance = widget.DangerImportance
	p.errText.Wrapping = fyne.TextWrapWord
	p.errText.Hide()
	p.save = widget.NewButtonWithIcon(tr.T(KSave), theme.ConfirmIcon(), p.submit)
	p.save.Importance = widget.HighImportance
	p.cancel = widget.NewButtonWithIcon(tr.T(KCancel), theme.CancelIcon(), func() { u.closePresencePanel() })

	title := widget.NewLabelWithStyle(tr.T(KPresenceTitle), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	body := container.NewVBox(
		title,
		label(tr.T(KActivity)), acts,
		roleBox,
		label(tr.T(KEndTime)), quick, p.custom, p.chosen,
		label(tr.T(KNote)), p.note, p.counter,
		p.errText,
	)
	buttons := container.NewGridWithColumns(2, p.cancel, p.save)
	p.root = container.NewBorder(nil, container.NewPadded(buttons), nil, nil, container.NewVScroll(container.NewPadded(body)))
	p.pickActivity(p.form.Activity)
	p.showChosen()
	p.showCounter()
	return p
}

func (p *presencePanel) pickActivity(n int) {
	p.form.Activity = n
	for num, b := range p.actBtns {
		if num == n {
			b.Importance = widget.HighImportance
		} else {
			b.Importance = widget.MediumImportance
		}
		b.Refresh()
	}
	p.errText.Hide()
}

func (p *presencePanel) pickUntil(at time.Time) {
	p.form.Until = at
	p.form.Custom = ""
	p.custom.SetText("")
	p.errText.Hide()
	p.showChosen()
}

func (p *presencePanel) showChosen() {
	tr := p.u.tr
	if p.form.Until.IsZero() {
		p.chosen.SetText(tr.F(KEndTimeChosen, tr.T(KUntilNone)))
		return
	}
	p.chosen.SetText(tr.F(KEndTimeChosen, FormatUntil(p.form.Until, p.u.now(), tr)))
}

func (p *presencePanel) showCounter() {
	text, over := NoteCounter(p.form.Note)
	p.counter.SetText(text)
	if over {
		p.counter.Importance = widget.DangerImportance
	} else {
		p.counter.Importance = widget.LowImportance
	}
	p.counter.Refresh()
}

// checkCustom validates a typed end time at once and shows what is wrong.
func (p *presencePanel) checkCustom() bool {
	if _, err := ParseUntil(p.form.Custom, p.u.now(), p.u.tr); err != nil {
		p.showErr(err.Error())
		return false
	}
	return true
}

func (p *presencePanel) showErr(msg string) {
	p.errText.SetText(msg)
	p.errText.Show()
}

// submit checks the form and saves it off the Fyne goroutine; the panel closes on success and
// shows the server's refusal otherwise.
func (p *presencePanel) submit() {
	if p.saving {
		return
	}
	u := p.u
	upd, err := p.form.Update(p.acts, u.now(), u.tr)
	if err != nil {
		p.showErr(err.Error())
		return
	}
	p.saving = true
	p.save.SetText(u.tr.T(KSaving))
	p.save.Disable()
	p.errText.Hide()
	model := u.o.People
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
		defer cancel()
		err := model.SetPresence(ctx, upd)
		u.do(func() {
			p.saving = false
			p.save.SetText(u.tr.T(KSave))
			p.save.Enable()
			if err != nil {
				u.log.Warn("set presence", "err", err)
				p.showErr(u.tr.F(KErrAction, err))
				return
			}
			u.closePresencePanel()
		})
	})
}

// togglePresencePanel opens or closes the presence panel.
func (u *UI) togglePresencePanel() {
	u.activity()
	if u.presPanel != nil {
		u.closePresencePanel()
		return
	}
	u.openPresencePanel()
}

func (u *UI) openPresencePanel() {
	u.presPanel = newPresencePanel(u)
	u.centre.Objects = []fyne.CanvasObject{u.presPanel.root}
	u.centre.Refresh()
}

func (u *UI) closePresencePanel() {
	u.presPanel = nil
	u.centre.Objects = []fyne.CanvasObject{u.tabs}
	u.centre.Refresh()
}

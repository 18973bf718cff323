package ui

import (
	"context"
	"errors"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
	"github.com/vaihde/vaihde/client/voicemail"
)

// playTimeout bounds downloading a message before it plays.
const playTimeout = 60 * time.Second

// voicemailIcon is Material Design's "voicemail" icon (Apache License 2.0, like assets/icons).
var voicemailIcon = theme.NewThemedResource(fyne.NewStaticResource("voicemail.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24"><path fill="#000000" d="M18.5 6C15.46 6 13 8.46 13 11.5c0 1.33.47 2.55 1.26 3.5H9.74c.79-.95 1.26-2.17 1.26-3.5C11 8.46 8.54 6 5.5 6S0 8.46 0 11.5 2.46 17 5.5 17h13c3.04 0 5.5-2.46 5.5-5.5S21.54 6 18.5 6zm-13 9C3.57 15 2 13.43 2 11.5S3.57 8 5.5 8 9 9.57 9 11.5 7.43 15 5.5 15zm13 0c-1.93 0-3.5-1.57-3.5-3.5S16.57 8 18.5 8 22 9.57 22 11.5 20.43 15 18.5 15z"/></svg>`)))

// voicemailView is the Voicemail tab (VM-6 in the Softphone): the messages newest first, new
// ones bold with a dot, each with its length, Play/Stop, Call back and Delete.
type voicemailView struct {
	u       *UI
	root    fyne.CanvasObject
	list    *fyne.Container
	empty   *widget.Label
	counts  *widget.Label
	errText *widget.Label
	fwd     *widget.Button // opens the forwarding and voicemail settings
	rows    []*vmRow       // as shown, for tests
	snap    voicemail.Snapshot
	shown   []VoicemailRow
	// modelErr is the model's error being shown ("" none).
	modelErr string

	delDlg     dialog.Dialog
	delConfirm *widget.Button // the confirmation's Delete button (tests)
}

// vmRow is the widgets of one message.
type vmRow struct {
	VoicemailRow
	root     fyne.CanvasObject
	title    *widget.Label
	detail   *widget.Label
	play     *widget.Button
	callBack *widget.Button
	del      *widget.Button
}

func newVoicemailView(u *UI) *voicemailView {
	tr := u.tr
	v := &voicemailView{u: u}
	v.list = container.NewVBox()
	v.empty = widget.NewLabel(tr.T(KVMEmpty))
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.counts = widget.NewLabel("")
	v.counts.SizeName = theme.SizeNameCaptionText
	v.errText = widget.NewLabel("")
	v.errText.Importance = widget.DangerImportance
	v.errText.Wrapping = fyne.TextWrapWord
	v.errText.Hide()
	refresh := widget.NewButtonWithIcon(tr.T(KLogRefresh), theme.ViewRefreshIcon(), v.reload)
	refresh.Importance = widget.LowImportance
	v.fwd = widget.NewButtonWithIcon(tr.T(KVMSettingsButton), theme.SettingsIcon(), u.openForwarding)
	v.fwd.Importance = widget.LowImportance
	// The tab is only an icon: a heading says what it is, with the counts.
	title := widget.NewLabelWithStyle(tr.T(KTabVoicemail), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	top := container.NewVBox(container.NewBorder(nil, nil, title, container.NewCenter(v.counts)), v.errText, widget.NewSeparator())
	bottom := container.NewBorder(nil, nil, refresh, v.fwd)
	body := container.NewStack(container.NewVScroll(v.list), container.NewCenter(v.empty))
	v.root = container.NewBorder(top, bottom, nil, nil, body)
	return v
}

// render shows a new snapshot of the mailbox; rows are rebuilt only when what they show changed.
func (v *voicemailView) render(s voicemail.Snapshot) {
	v.snap = s
	now := v.u.now()
	rows := make([]VoicemailRow, len(s.Messages))
	for i, m := range s.Messages {
		rows[i] = VoicemailRowOf(m, s, v.u.tr, now)
	}
	v.counts.SetText(v.u.tr.F(KVMCounts, s.Counts.New, s.Counts.Old))
	// The model's own errors (a failed background reload, a sound device that failed) show
	// until they clear.
	msg := s.Error
	if msg == "" && s.PlayError != "" {
		msg = v.u.tr.F(KVMErrPlay, s.PlayError)
	}
	if msg != v.modelErr {
		v.modelErr = msg
		if msg == "" {
			v.showErr(nil)
		} else {
			v.showErr(errors.New(msg))
		}
	}
	if s.Loaded && len(rows) == 0 {
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	if slices.Equal(rows, v.shown) {
		return
	}
	v.shown = rows
	v.rows = v.rows[:0]
	objs := make([]fyne.CanvasObject, 0, 2*len(rows))
	for i, r := range rows {
		if i > 0 {
			objs = append(objs, widget.NewSeparator())
		}
		row := v.newRow(r)
		v.rows = append(v.rows, row)
		objs = append(objs, row.root)
	}
	v.list.Objects = objs
	v.list.Refresh()
}

func (v *voicemailView) newRow(r VoicemailRow) *vmRow {
	tr := v.u.tr
	row := &vmRow{VoicemailRow: r}
	row.title = widget.NewLabelWithStyle(r.Title, fyne.TextAlignLeading, fyne.TextStyle{Bold: r.New})
	row.title.Truncation = fyne.TextTruncateEllipsis
	detail := r.When
	if r.Number != "" {
		detail = r.Number + " · " + detail
	}
	if r.New {
		detail = tr.T(KVMNew) + " · " + detail
	}
	row.detail = widget.NewLabel(detail)
	row.detail.SizeName = theme.SizeNameCaptionText
	row.detail.Truncation = fyne.TextTruncateEllipsis
	length := widget.NewLabel(r.Length)

	icon := theme.MediaPlayIcon()
	if r.Playing {
		icon = theme.MediaStopIcon()
	}
	id := r.ID
	row.play = widget.NewButtonWithIcon(r.Play, icon, func() { v.play(id) })
	if r.Playing {
		row.play.Importance = widget.HighImportance
	}
	if r.Play == tr.T(KVMLoading) {
		row.play.Disable()
	}
	number := r.CallBack
	row.callBack = iconButton(themed(assets.Call), func() { v.u.callNumber(number) })
	setEnabled(row.callBack, number != "")
	row.del = iconButton(theme.DeleteIcon(), func() { v.confirmDelete(id) })

	// The new-message dot keeps its space on heard rows too, so names line up.
	dot := canvas.NewCircle(theme.Color(theme.ColorNamePrimary))
	if !r.New {
		dot.FillColor = theme.Color(theme.ColorNameBackground)
	}
	dotBox := container.NewCenter(container.NewGridWrap(fyne.NewSize(10, 10), dot))
	buttons := container.NewHBox(container.NewCenter(length), container.NewCenter(row.play), row.callBack, row.del)
	row.root = container.NewBorder(nil, nil, dotBox, buttons, container.NewVBox(row.title, row.detail))
	return row
}

// reload asks the server for the list again.
func (v *voicemailView) reload() {
	u := v.u
	u.activity()
	model := u.o.Voicemail
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		err := model.Refresh(ctx)
		u.do(func() { v.showErr(err) })
	})
}

// play starts or stops a message; downloading runs off the Fyne goroutine.
func (v *voicemailView) play(id int64) {
	u := v.u
	u.activity()
	model := u.o.Voicemail
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, playTimeout)
		defer cancel()
		err := model.Play(ctx, id)
		u.do(func() {
			if err != nil {
				u.log.Warn("voicemail playback", "id", id, "err", err)
				v.showErr(errors.New(u.tr.F(KVMErrPlay, err)))
				return
			}
			v.showErr(nil)
		})
	})
}

func (v *voicemailView) showErr(err error) {
	if err == nil {
		v.errText.Hide()
		return
	}
	v.errText.SetText(err.Error())
	v.errText.Show()
}

// confirmDelete asks before deleting a message.
func (v *voicemailView) confirmDelete(id int64) {
	u, tr := v.u, v.u.tr
	u.activity()
	i := slices.IndexFunc(v.shown, func(r VoicemailRow) bool { return r.ID == id })
	if i < 0 {
		return
	}
	text := widget.NewLabel(tr.F(KVMDeleteConfirm, v.shown[i].Title))
	text.Wrapping = fyne.TextWrapWord
	cancel := widget.NewButton(tr.T(KCancel), nil)
	v.delConfirm = widget.NewButtonWithIcon(tr.T(KDelete), theme.DeleteIcon(), nil)
	v.delConfirm.Importance = widget.DangerImportance
	d := dialog.NewCustomWithoutButtons(tr.T(KVMDeleteTitle), container.NewVBox(text,
		container.NewCenter(container.NewHBox(cancel, v.delConfirm))), u.win)
	cancel.OnTapped = d.Hide
	v.delConfirm.OnTapped = func() {
		d.Hide()
		model := u.o.Voicemail
		u.goAsync(func() {
			ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
			defer cancel()
			err := model.Delete(ctx, id)
			u.do(func() { v.showErr(err) })
		})
	}
	v.delDlg = d
	d.Resize(fyne.NewSize(360, d.MinSize().Height))
	d.Show()
}

// renderVoicemail brings the Voicemail tab and its badge up to date.
func (u *UI) renderVoicemail(s voicemail.Snapshot) {
	u.vm.render(s)
	u.notifyVoicemail(s)
	if title := VoicemailTabTitle(s.Counts.New); u.vmTab.Text != title {
		u.vmTab.Text = title
		u.tabs.Refresh()
	}
}

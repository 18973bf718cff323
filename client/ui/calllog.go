package ui

import (
	"context"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/assets"
	"github.com/vaihde/vaihde/shared/api"
)

// callLogLimit is how many calls the log tab shows.
const callLogLimit = 100

// callLogView is the Call log tab (CALL-13): direction, peer, time, duration, missed calls in
// red, and a call-back button per row.
type callLogView struct {
	u       *UI
	root    fyne.CanvasObject
	list    *widget.List
	empty   *widget.Label
	entries []api.CallEntry
	loading bool
}

func newCallLogView(u *UI) *callLogView {
	v := &callLogView{u: u}
	v.empty = widget.NewLabel(u.tr.T(KLogEmpty))
	v.empty.Alignment = fyne.TextAlignCenter
	v.empty.Importance = widget.LowImportance
	v.list = widget.NewList(
		func() int { return len(v.entries) },
		v.newRow,
		func(id widget.ListItemID, o fyne.CanvasObject) { v.updateRow(id, o) },
	)
	v.list.OnSelected = func(widget.ListItemID) { v.list.UnselectAll() }
	refresh := widget.NewButtonWithIcon(u.tr.T(KLogRefresh), theme.ViewRefreshIcon(), v.reload)
	refresh.Importance = widget.LowImportance
	v.root = container.NewBorder(nil, container.NewHBox(refresh), nil, nil, container.NewStack(v.list, v.empty))
	return v
}

// logRow is the template of one call-log row.
type logRow struct {
	icon     *widget.Icon
	peer     *widget.Label
	when     *widget.Label
	duration *widget.Label
	callBack *widget.Button
}

func (v *callLogView) newRow() fyne.CanvasObject {
	r := &logRow{
		icon:     widget.NewIcon(themed(assets.CallReceived)),
		peer:     widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		when:     widget.NewLabel(""),
		duration: widget.NewLabel(""),
		callBack: widget.NewButtonWithIcon("", themed(assets.Call), nil),
	}
	r.peer.Truncation = fyne.TextTruncateEllipsis
	r.callBack.Importance = widget.LowImportance
	r.when.SizeName = theme.SizeNameCaptionText
	r.duration.Alignment = fyne.TextAlignTrailing
	// Fixed width: the row's layout is computed once for the template, before texts are set.
	dur := container.NewGridWrap(fyne.NewSize(80, r.duration.MinSize().Height), r.duration)
	c := container.NewBorder(nil, nil, r.icon, container.NewHBox(container.NewCenter(dur), r.callBack),
		container.NewVBox(r.peer, r.when))
	b := &rowBox{content: c, row: r}
	b.ExtendBaseWidget(b)
	return b
}

// rowBox is one call-log row: a widget that carries its parts so UpdateItem can reach them.
type rowBox struct {
	widget.BaseWidget
	content fyne.CanvasObject
	row     *logRow
}

func (b *rowBox) CreateRenderer() fyne.WidgetRenderer { return widget.NewSimpleRenderer(b.content) }

func (v *callLogView) updateRow(id widget.ListItemID, o fyne.CanvasObject) {
	if id < 0 || id >= len(v.entries) {
		return
	}
	e := v.entries[id]
	r := o.(*rowBox).row
	tr := v.u.tr
	peer := e.PeerName
	if peer == "" {
		peer = e.Peer
	} else if e.Peer != "" {
		peer += " · " + e.Peer
	}
	r.peer.SetText(peer)
	missed := e.Direction == "in" && e.Outcome == "missed"
	switch {
	case missed:
		r.icon.SetResource(theme.NewErrorThemedResource(assets.CallMissed))
		r.peer.Importance = widget.DangerImportance
	case e.Direction == "in":
		r.icon.SetResource(themed(assets.CallReceived))
		r.peer.Importance = widget.MediumImportance
	default:
		r.icon.SetResource(themed(assets.CallMade))
		r.peer.Importance = widget.MediumImportance
	}
	r.peer.Refresh()
	when := formatWhen(e.StartedAt.Local(), v.u.now())
	if missed {
		when = tr.T(KLogMissed) + " · " + when
	}
	r.when.SetText(when)
	if e.Seconds > 0 {
		r.duration.SetText(FormatDuration(time.Duration(e.Seconds) * time.Second))
	} else {
		r.duration.SetText("")
	}
	number := e.Peer
	r.callBack.OnTapped = func() { v.u.callBack(number) }
	setEnabled(r.callBack, number != "")
}

func (u *UI) now() time.Time {
	if u.o.Now != nil {
		return u.o.Now()
	}
	return time.Now()
}

// formatWhen shows today's calls by time, this year's by day and month, older ones in full.
func formatWhen(t, now time.Time) string {
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return t.Format("15:04")
	case t.Year() == now.Year():
		return t.Format("2.1. 15:04")
	}
	return t.Format("2.1.2006 15:04")
}

// reload fetches the log off the Fyne goroutine.
func (v *callLogView) reload() {
	if v.loading {
		return
	}
	v.loading = true
	u := v.u
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, 10*time.Second)
		defer cancel()
		entries, err := u.o.Controller.CallLog(ctx, callLogLimit)
		u.do(func() {
			v.loading = false
			v.set(entries, err)
		})
	})
}

func (v *callLogView) set(entries []api.CallEntry, err error) {
	if err != nil {
		v.u.log.Warn("call log", "err", err)
		if len(v.entries) == 0 {
			v.empty.SetText(v.u.tr.T(KLogUnavailable))
			v.empty.Show()
		}
		return
	}
	v.entries = entries
	if len(entries) == 0 {
		v.empty.SetText(v.u.tr.T(KLogEmpty))
		v.empty.Show()
	} else {
		v.empty.Hide()
	}
	v.list.Refresh()
}

// callBack dials a number from the call log and shows the Phone tab.
func (u *UI) callBack(number string) {
	u.tabs.SelectIndex(0)
	if _, err := u.model.Dial(u.ctx, number); err != nil {
		u.showError(u.tr.F(KErrDial, err))
		return
	}
	u.clearError()
}

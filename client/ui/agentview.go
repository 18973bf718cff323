package ui

import (
	"context"
	"slices"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/client/agent"
)

// agentActionTimeout bounds one login, logout, pause or resume request.
const agentActionTimeout = 15 * time.Second

// agentBar is the always-visible agent state under the own presence, for agents only: a dot in
// the state's colour, the state (with the wrap-up countdown) and how many queues the user is
// logged in to. Clicking it opens the Queues tab.
type agentBar struct {
	dot     *canvas.Circle
	text    *widget.Label
	summary *widget.Label
	root    fyne.CanvasObject
}

func newAgentBar(u *UI) *agentBar {
	b := &agentBar{text: widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		summary: widget.NewLabel("")}
	var dotBox fyne.CanvasObject
	b.dot, dotBox = newDot(12)
	b.text.Truncation = fyne.TextTruncateEllipsis
	b.summary.SizeName = theme.SizeNameCaptionText
	line := container.NewBorder(nil, nil, dotBox, b.summary, b.text)
	b.root = newTapArea(container.NewPadded(line), func() { u.SelectTab(TabAgent) })
	b.root.Hide()
	return b
}

func (b *agentBar) set(a AgentPanel) {
	if !a.Visible {
		b.root.Hide()
		return
	}
	b.dot.FillColor = toneColor(a.Tone)
	b.dot.Refresh()
	b.text.SetText(a.Bar)
	b.summary.SetText(a.Summary)
	b.root.Show()
}

// agentView is the Queues tab: the state in large letters with the wrap-up countdown, the
// queue call now (and its callback text), pause with a reason or resume, and every queue with
// its own Log in / Log out button.
type agentView struct {
	u         *UI
	dot       *canvas.Circle
	state     *widget.Label
	countdown *canvas.Text
	offer     *widget.Label
	callback  *widget.Label
	reason    *widget.SelectEntry
	pause     *widget.Button
	resume    *widget.Button
	summary   *widget.Label
	list      *fyne.Container
	empty     *widget.Label
	errText   *widget.Label
	buttons   map[int64]*widget.Button // per queue (tests)
	shown     []AgentQueueRow
	root      fyne.CanvasObject
}

func newAgentView(u *UI) *agentView {
	tr := u.tr
	v := &agentView{u: u, buttons: map[int64]*widget.Button{}}
	var dotBox fyne.CanvasObject
	v.dot, dotBox = newDot(16)
	v.state = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.state.SizeName = theme.SizeNameSubHeadingText
	v.state.Wrapping = fyne.TextWrapWord
	v.countdown = canvas.NewText("", theme.Color(theme.ColorNameForeground))
	v.countdown.TextSize = 28
	v.countdown.TextStyle = fyne.TextStyle{Monospace: true}
	v.countdown.Alignment = fyne.TextAlignCenter
	v.countdown.Hide()
	v.offer = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.offer.Wrapping = fyne.TextWrapWord
	v.offer.Hide()
	v.callback = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Italic: true})
	v.callback.Wrapping = fyne.TextWrapWord
	v.callback.Hide()

	v.reason = widget.NewSelectEntry(PauseReasons(tr))
	v.reason.SetPlaceHolder(tr.T(KAgentReasonHint))
	v.reason.OnSubmitted = func(string) { v.doPause() }
	v.pause = widget.NewButtonWithIcon(tr.T(KAgentPause), theme.MediaPauseIcon(), v.doPause)
	v.resume = widget.NewButtonWithIcon(tr.T(KAgentResume), theme.MediaPlayIcon(), v.doResume)
	v.resume.Importance = widget.HighImportance
	hint := widget.NewLabel(tr.T(KAgentPauseHint))
	hint.SizeName = theme.SizeNameCaptionText
	hint.Wrapping = fyne.TextWrapWord
	pauseRow := container.NewBorder(nil, nil, nil, container.NewHBox(v.pause, v.resume), v.reason)

	title := widget.NewLabelWithStyle(tr.T(KAgentTitle), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	v.summary = widget.NewLabel("")
	v.summary.SizeName = theme.SizeNameCaptionText
	v.errText = widget.NewLabel("")
	v.errText.Importance = widget.DangerImportance
	v.errText.Wrapping = fyne.TextWrapWord
	v.errText.Hide()
	v.list = container.NewVBox()
	v.empty = widget.NewLabel("")
	v.empty.Importance = widget.LowImportance
	v.empty.Hide()
	queues := widget.NewLabelWithStyle(tr.T(KAgentQueues), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})

	head := container.NewVBox(
		container.NewBorder(nil, nil, title, container.NewCenter(v.summary)),
		widget.NewSeparator(),
		container.NewBorder(nil, nil, dotBox, nil, v.state),
		v.countdown,
		v.offer,
		v.callback,
		widget.NewLabelWithStyle(tr.T(KAgentReason), fyne.TextAlignLeading, fyne.TextStyle{}),
		pauseRow,
		hint,
		v.errText,
		widget.NewSeparator(),
		queues,
	)
	v.root = container.NewBorder(head, nil, nil, nil, container.NewVScroll(container.NewVBox(v.empty, v.list)))
	return v
}

// render shows a: the state widgets every time (the countdown moves), the queue rows only
// when what they show changed.
func (v *agentView) render(a AgentPanel) {
	v.dot.FillColor = toneColor(a.Tone)
	v.dot.Refresh()
	v.state.SetText(a.State)
	if a.Countdown != "" {
		v.countdown.Text = a.Countdown
		v.countdown.Show()
		v.countdown.Refresh()
	} else {
		v.countdown.Hide()
	}
	setText(v.offer, a.Offer)
	setText(v.callback, a.Callback)
	v.summary.SetText(a.Summary)
	setEnabled(v.pause, a.CanPause)
	if a.Paused {
		v.pause.Hide()
		v.resume.Show()
	} else {
		v.resume.Hide()
		v.pause.Show()
	}
	setEnabled(v.resume, a.CanResume)
	setText(v.errText, a.Error)
	setText(v.empty, a.Empty)
	if slices.Equal(a.Queues, v.shown) {
		return
	}
	v.shown = a.Queues
	v.buttons = map[int64]*widget.Button{}
	objs := make([]fyne.CanvasObject, 0, 2*len(a.Queues))
	for i, q := range a.Queues {
		if i > 0 {
			objs = append(objs, widget.NewSeparator())
		}
		objs = append(objs, v.row(q))
	}
	v.list.Objects = objs
	v.list.Refresh()
}

func (v *agentView) row(q AgentQueueRow) fyne.CanvasObject {
	dot, dotBox := newDot(10)
	dot.FillColor = presenceColor(q.LoggedIn, true, !q.LoggedIn)
	if !q.LoggedIn {
		dot.FillColor = toneColor(ToneNeutral)
	}
	name := widget.NewLabelWithStyle(q.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	name.Truncation = fyne.TextTruncateEllipsis
	detail := widget.NewLabel(q.Detail)
	detail.SizeName = theme.SizeNameCaptionText
	id, in := q.ID, !q.LoggedIn
	b := widget.NewButton(q.Button, func() { v.login(id, in) })
	if !q.LoggedIn {
		b.Importance = widget.HighImportance
	}
	setEnabled(b, !q.Busy)
	v.buttons[q.ID] = b
	return container.NewBorder(nil, nil, dotBox, container.NewCenter(b), container.NewVBox(name, detail))
}

func setText(l *widget.Label, s string) {
	l.SetText(s)
	if s == "" {
		l.Hide()
	} else {
		l.Show()
	}
}

// run does one agent request off the Fyne goroutine; a failure shows under the status line
// (the model also keeps it for the tab).
func (v *agentView) run(f func(ctx context.Context, m agent.Model) error) {
	u := v.u
	u.activity()
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, agentActionTimeout)
		defer cancel()
		if err := f(ctx, u.o.Agent); err != nil {
			u.log.Warn("agent action failed", "err", err)
			u.do(func() { u.showError(u.tr.F(KErrAgent, err)) })
			return
		}
		u.do(u.clearError)
	})
}

func (v *agentView) login(queueID int64, in bool) {
	v.run(func(ctx context.Context, m agent.Model) error { return m.Login(ctx, queueID, in) })
}

func (v *agentView) doPause() {
	reason := v.reason.Text
	v.run(func(ctx context.Context, m agent.Model) error { return m.Pause(ctx, reason) })
}

func (v *agentView) doResume() {
	v.run(func(ctx context.Context, m agent.Model) error { return m.Resume(ctx) })
}

// renderAgent brings the agent bar and the Queues tab up to date with the latest agent
// snapshot, the login profile and the clock; the tab is there only for agents.
func (u *UI) renderAgent() {
	a := AgentPanelOf(u.agentSnap, u.model.Snapshot().Profile, u.tr, u.now())
	u.agentBar.set(a)
	u.agent.render(a)
	has := slices.Contains(u.tabs.Items, u.agentTab)
	switch {
	case a.Visible && !has:
		items := slices.Insert(slices.Clone(u.tabs.Items), 1, u.agentTab) // after Phone
		sel := u.tabs.Selected()
		u.tabs.SetItems(items)
		if sel != nil {
			u.tabs.Select(sel)
		}
	case !a.Visible && has:
		if u.tabs.Selected() == u.agentTab {
			u.tabs.SelectIndex(0)
		}
		u.tabs.Remove(u.agentTab)
	}
	u.agentTicking = a.Ticking
	u.updateTimer(u.model.View().TimerRunning || a.Ticking)
	if u.phone.top != nil {
		u.phone.top.Refresh()
	}
}

package ui

import (
	"context"
	"strconv"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// supervisorView renders the SupervisorVM: per queue its figures in a grid and its agents
// with their state lamp, answered count and a Log in / Log out button.
type supervisorView struct {
	u    *UI
	vm   *SupervisorVM
	list *fyne.Container
	err  *widget.Label
	root fyne.CanvasObject
}

func newSupervisorView(u *UI, vm *SupervisorVM) *supervisorView {
	tr := u.tr
	v := &supervisorView{u: u, vm: vm, list: container.NewVBox(), err: widget.NewLabel("")}
	v.err.Importance = widget.DangerImportance
	title := widget.NewLabelWithStyle(tr.T(KSupTitle), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	title.SizeName = theme.SizeNameSubHeadingText
	refresh := widget.NewButtonWithIcon(tr.T(KSupRefresh), theme.ViewRefreshIcon(), v.refresh)
	v.root = container.NewBorder(container.NewVBox(container.NewBorder(nil, nil, title, refresh), v.err), nil, nil, nil,
		container.NewVScroll(v.list))
	return v
}

// refresh polls the statistics off the Fyne goroutine, the user's own queues included.
func (v *supervisorView) refresh() {
	u := v.u
	var ids []int64
	for _, q := range u.agentSnap.View.Queues {
		ids = append(ids, q.ID)
	}
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, agentActionTimeout)
		defer cancel()
		v.vm.board.Watch(ids...)
		if err := v.vm.Refresh(ctx); err != nil {
			u.log.Info("queue statistics not loaded", "err", err)
		}
		u.do(v.render)
	})
}

func (v *supervisorView) toggle(queueID, userID int64) {
	u := v.u
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, agentActionTimeout)
		defer cancel()
		if err := v.vm.ToggleAgent(ctx, queueID, userID); err != nil {
			u.log.Warn("agent login by supervisor failed", "err", err)
		}
		u.do(v.render)
	})
}

func (v *supervisorView) render() {
	p := v.vm.Panel(v.u.model.Snapshot().Profile)
	setText(v.err, p.Error)
	var objs []fyne.CanvasObject
	if p.Empty != "" {
		objs = append(objs, widget.NewLabel(p.Empty))
	}
	for _, q := range p.Queues {
		name := widget.NewLabelWithStyle(q.Name, fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
		grid := container.NewGridWithColumns(4)
		for _, s := range q.Stats {
			l := widget.NewLabel(s.Label)
			l.SizeName = theme.SizeNameCaptionText
			val := widget.NewLabelWithStyle(s.Value, fyne.TextAlignLeading, fyne.TextStyle{Bold: true, Monospace: true})
			grid.Add(container.NewVBox(l, val))
		}
		agents := container.NewVBox()
		for _, a := range q.Agents {
			dot, box := newDot(10)
			dot.FillColor = toneColor(a.Tone)
			qid, uid := q.ID, a.UserID
			b := widget.NewButton(a.Button, func() { v.toggle(qid, uid) })
			setEnabled(b, !a.Busy)
			agents.Add(container.NewBorder(nil, nil, box, b,
				widget.NewLabel(a.Name+" · "+a.State+" · "+v.u.tr.F(KSupAgentCalls, a.Answered))))
		}
		objs = append(objs, name, grid, widget.NewLabel(v.u.tr.T(KSupAgents)+" ("+strconv.Itoa(len(q.Agents))+")"),
			agents, widget.NewSeparator())
	}
	v.list.Objects = objs
	v.list.Refresh()
}

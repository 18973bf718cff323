package ui

import (
	"context"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// keyEntry is an entry that hands the switchboard's shortcuts to the switchboard instead of
// swallowing them, so every key works while the operator types.
type keyEntry struct {
	widget.Entry
	onKey   func(name string) bool // true: the key was a shortcut
	onFocus func()
}

func newKeyEntry(onKey func(string) bool, onFocus func()) *keyEntry {
	e := &keyEntry{onKey: onKey, onFocus: onFocus}
	e.ExtendBaseWidget(e)
	return e
}

// TypedKey implements fyne.Focusable.
func (e *keyEntry) TypedKey(k *fyne.KeyEvent) {
	if e.onKey != nil && e.onKey(string(k.Name)) {
		return
	}
	e.Entry.TypedKey(k)
}

// TypedShortcut implements fyne.Shortcutable.
func (e *keyEntry) TypedShortcut(s fyne.Shortcut) {
	if name, ok := shortcutName(s); ok && e.onKey != nil && e.onKey(name) {
		return
	}
	e.Entry.TypedShortcut(s)
}

// FocusGained implements fyne.Focusable.
func (e *keyEntry) FocusGained() {
	e.Entry.FocusGained()
	if e.onFocus != nil {
		e.onFocus()
	}
}

// shortcutName is the keymap's name of a Ctrl shortcut: "Ctrl+F".
func shortcutName(s fyne.Shortcut) (string, bool) {
	c, ok := s.(*desktop.CustomShortcut)
	if !ok || c.Modifier != fyne.KeyModifierShortcutDefault {
		return "", false
	}
	return "Ctrl+" + string(c.KeyName), true
}

// switchboardView renders the SwitchboardVM: queues, the offered call, the call state,
// search and number fields, the directory with busy lamps and highlighted hits, the target's
// presence, the action buttons with their keys, and the help overlay.
type switchboardView struct {
	u *UI
	// waitingSeen is the waiting count of the last render; a change reloads the callers.
	waitingSeen int
	fwdExt      string // the colleague whose forwarding was asked for last
	vm          *SwitchboardVM
	queues      *fyne.Container
	waiting     *widget.Label
	offer       *widget.Label
	call        *widget.Label
	message     *widget.Label
	errText     *widget.Label
	search      *keyEntry
	number      *keyEntry
	hits        *fyne.Container
	target      *widget.Label
	buttons     map[SwitchAction]*widget.Button
	help        *widget.PopUp
	helpBox     *fyne.Container
	focused     string // the focus last applied
	root        fyne.CanvasObject
	box         *fyne.Container // root: re-laid out when the head's rows change
	rendered    SwitchboardPanel
	parked      *widget.Label // the parked calls, live from the "parked" events
}

func newSwitchboardView(u *UI, vm *SwitchboardVM) *switchboardView {
	tr := u.tr
	v := &switchboardView{u: u, vm: vm, buttons: map[SwitchAction]*widget.Button{}}
	bold := fyne.TextStyle{Bold: true}
	v.queues = container.NewVBox()
	v.waiting = widget.NewLabelWithStyle("", fyne.TextAlignLeading, bold)
	v.offer = widget.NewLabelWithStyle("", fyne.TextAlignLeading, bold)
	v.offer.SizeName = theme.SizeNameSubHeadingText
	v.offer.Wrapping = fyne.TextWrapWord
	v.call = widget.NewLabel("")
	v.message = widget.NewLabel("")
	v.message.Importance = widget.SuccessImportance
	v.errText = widget.NewLabel("")
	v.errText.Importance = widget.DangerImportance
	v.search = newKeyEntry(v.key, func() { vm.SetFocus(SwFocusSearch); v.focused = SwFocusSearch })
	v.search.SetPlaceHolder(tr.T(KSwSearchHint))
	v.search.OnChanged = func(s string) { vm.SetQuery(s); v.render() }
	v.number = newKeyEntry(v.key, func() { vm.SetFocus(SwFocusNumber); v.focused = SwFocusNumber })
	v.number.SetPlaceHolder(tr.T(KSwNumberHint))
	v.number.OnChanged = func(s string) { vm.SetNumber(s); v.render() }
	v.hits = container.NewVBox()
	v.parked = widget.NewLabel("")
	v.parked.SizeName = theme.SizeNameCaptionText
	v.target = widget.NewLabel("")
	v.target.Wrapping = fyne.TextWrapWord
	var btns []fyne.CanvasObject
	for _, a := range []struct {
		act SwitchAction
		key Key
		k   string
	}{{SwAnswer, KAnswer, "F2"}, {SwHangup, KHangup, "F4"}, {SwHold, KHold, "F5"}, {SwBlind, KTransferBlind, "F6"},
		{SwAnnounce, KTransferConsult, "F7"}, {SwComplete, KTransferComplete, "F8"}, {SwBack, KTransferCancel, "F9"}} {
		name := a.k
		b := widget.NewButton(tr.T(a.key)+" "+a.k, func() { v.key(name) })
		v.buttons[a.act] = b
		btns = append(btns, b)
	}
	v.helpBox = container.NewVBox()
	title := widget.NewLabelWithStyle(tr.T(KSwTitle), fyne.TextAlignLeading, bold)
	title.SizeName = theme.SizeNameSubHeadingText
	helpBtn := widget.NewButtonWithIcon("F1", theme.HelpIcon(), func() { v.key("F1") })
	head := container.NewVBox(
		container.NewBorder(nil, nil, title, helpBtn, v.waiting),
		v.queues, widget.NewSeparator(), v.offer, v.call, container.NewGridWithColumns(4, btns...),
		v.message, v.errText, widget.NewLabelWithStyle(tr.T(KSwParkedTitle), fyne.TextAlignLeading, bold), v.parked,
		widget.NewSeparator(), container.NewGridWithColumns(2, v.search, v.number), v.target)
	v.box = container.NewBorder(head, nil, nil, nil, container.NewVScroll(v.hits))
	v.root = v.box
	return v
}

// key runs the action of a key name; false when the key is not a shortcut. Actions that
// reach the engine or the server run off the Fyne goroutine.
func (v *switchboardView) key(name string) bool {
	b, ok := ActionOf(name)
	if !ok {
		return false
	}
	u := v.u
	u.activity()
	switch b.Action {
	case SwHelp, SwSearch, SwNumber, SwUp, SwDown, SwClear:
		_ = v.vm.HandleKey(name)
		v.render()
	default:
		// The panel as the operator saw it when pressing the key, for the log.
		target, phone := "", ""
		if p := v.vm.Panel(); p.Target != nil {
			target = p.Target.Number
			if c := p.Target.Colleague; c != nil {
				phone = c.Presence.Phone
			}
		}
		u.goAsync(func() {
			if err := v.vm.HandleKey(name); err != nil {
				u.log.Info("switchboard action failed", "key", name, "target", target, "target_phone", phone, "err", err)
			} else {
				u.log.Info("switchboard action", "key", name, "action", string(b.Action), "target", target,
					"target_phone", phone, "message", v.vm.Panel().Message)
			}
			u.do(v.render)
		})
	}
	return true
}

func parts(ps []TextPart) []widget.RichTextSegment {
	var segs []widget.RichTextSegment
	for _, p := range ps {
		st := widget.RichTextStyleInline
		if p.Hit {
			st = widget.RichTextStyleStrong
			st.ColorName = theme.ColorNamePrimary
		}
		segs = append(segs, &widget.TextSegment{Text: p.Text, Style: st})
	}
	return segs
}

// render shows the VM's panel now.
func (v *switchboardView) render() {
	p := v.vm.Panel()
	v.rendered = p
	tr := v.u.tr
	v.waiting.SetText(p.Waiting)
	objs := make([]fyne.CanvasObject, 0, len(p.Queues))
	for _, q := range p.Queues {
		dot, box := newDot(10)
		dot.FillColor = toneColor(ToneNeutral)
		if q.LoggedIn {
			dot.FillColor = toneColor(ToneOK)
		}
		key := q.Key
		b := widget.NewButton(q.Button+" "+key, func() { v.key(key) })
		objs = append(objs, container.NewBorder(nil, nil, box, b,
			widget.NewLabel(q.Name+" · "+q.Detail)))
		for _, c := range q.Callers {
			l := widget.NewLabel("    " + c)
			l.SizeName = theme.SizeNameCaptionText
			objs = append(objs, l)
		}
	}
	// The agent events carry the waiting counts: when they change, ask for the callers.
	if total := waitingTotal(p); total != v.waitingSeen {
		v.waitingSeen = total
		v.refreshWaiting(false) // the parked calls follow their own events
	}
	v.queues.Objects = objs
	v.queues.Refresh()
	setText(v.offer, p.Offer)
	call := ""
	if f := p.Calls.Focus; f != nil {
		call = strings.TrimSpace(f.Title + " · " + f.State + " " + f.Timer)
	} else if len(p.Calls.Incoming) > 0 {
		call = p.Calls.Incoming[0].Title + " · " + p.Calls.Incoming[0].State
	}
	if t := p.Calls.Transfer; t != nil {
		call += "\n" + t.Text
	}
	setText(v.call, call)
	setText(v.message, p.Message)
	setText(v.errText, p.Error)
	parkedText := p.NoParked
	for i, pc := range p.Parked {
		if i > 0 {
			parkedText += "\n"
		}
		parkedText += pc.Text
	}
	setText(v.parked, parkedText)
	if v.search.Text != p.Query {
		v.search.SetText(p.Query)
	}
	if v.number.Text != p.Number {
		v.number.SetText(p.Number)
	}
	en := map[SwitchAction]bool{SwAnswer: p.CanAnswer, SwHangup: p.CanHangup, SwHold: p.CanHold, SwBlind: p.CanBlind,
		SwAnnounce: p.CanAnnounce, SwComplete: p.CanComplete, SwBack: p.CanBack}
	for a, b := range v.buttons {
		setEnabled(b, en[a])
	}
	tgt := ""
	switch {
	case p.NumError != "":
		tgt = p.NumError
	case p.Target != nil:
		tgt = tr.F(KSwTarget, p.Target.Text)
		if c := p.Target.Colleague; c != nil {
			line := c.Presence.Line()
			if c.Presence.Phone != "" {
				line += " · " + c.Presence.Phone
			} else {
				line += " · " + tr.T(KSwIdle)
			}
			tgt += "\n" + line
			if c.Presence.Note != "" {
				tgt += "\n" + tr.F(KSwNote, c.Presence.Note)
			}
			if p.Target.Forwarding != "" {
				tgt += "\n" + p.Target.Forwarding
			}
			v.loadForwarding(c.Extension)
		}
	}
	setText(v.target, tgt)
	rows := make([]fyne.CanvasObject, 0, len(p.Hits))
	for i, h := range p.Hits {
		if i == 50 {
			break // the search narrows a long directory
		}
		dot, box := newDot(12)
		dot.FillColor = toneColor(h.Lamp)
		name := widget.NewRichText(append(parts(h.Name), &widget.TextSegment{Text: "  ", Style: widget.RichTextStyleInline})...)
		name.Segments = append(name.Segments, parts(h.Ext)...)
		info := h.Presence.Line()
		if h.Presence.Phone != "" {
			info += " · " + h.Presence.Phone
		}
		if h.CampOn != "" {
			info += " · " + h.CampOn
		}
		detail := widget.NewLabel(info)
		detail.SizeName = theme.SizeNameCaptionText
		row := fyne.CanvasObject(container.NewBorder(nil, nil, box, detail, name))
		if h.Selected {
			row = container.NewStack(widget.NewCard("", "", nil), row)
			row = container.NewBorder(nil, nil, widget.NewIcon(theme.NavigateNextIcon()), nil, row)
		}
		rows = append(rows, row)
	}
	if len(p.Hits) == 0 && p.Query != "" {
		rows = append(rows, widget.NewLabel(tr.T(KSwNoHits)))
	}
	v.hits.Objects = rows
	v.hits.Refresh()
	v.box.Refresh()
	v.renderHelp(p)
	if p.Focus != v.focused && v.u.switchboardShown() {
		v.focused = p.Focus
		switch p.Focus {
		case SwFocusSearch:
			v.u.win.Canvas().Focus(v.search)
		case SwFocusNumber:
			v.u.win.Canvas().Focus(v.number)
		}
	}
}

func (v *switchboardView) renderHelp(p SwitchboardPanel) {
	if !p.Help {
		if v.help != nil {
			v.help.Hide()
			v.help = nil
		}
		return
	}
	if v.help != nil {
		return
	}
	tr := v.u.tr
	grid := container.New(newFormLikeLayout())
	for _, r := range p.HelpRows {
		grid.Add(widget.NewLabelWithStyle(r.Keys, fyne.TextAlignTrailing, fyne.TextStyle{Monospace: true, Bold: true}))
		grid.Add(widget.NewLabel(r.Text))
	}
	title := widget.NewLabelWithStyle(tr.T(KSwHelpTitle), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	content := container.NewVBox(title, grid, widget.NewLabel(tr.T(KSwHelpHint)))
	v.help = widget.NewModalPopUp(content, v.u.win.Canvas())
	v.help.Show()
}

// newFormLikeLayout lays out key / text pairs in two columns.
func newFormLikeLayout() fyne.Layout { return &twoCols{} }

type twoCols struct{}

func (twoCols) MinSize(objs []fyne.CanvasObject) fyne.Size {
	var w0, w1, h float32
	for i := 0; i+1 < len(objs); i += 2 {
		a, b := objs[i].MinSize(), objs[i+1].MinSize()
		w0, w1 = max(w0, a.Width), max(w1, b.Width)
		h += max(a.Height, b.Height)
	}
	return fyne.NewSize(w0+w1+theme.Padding(), h)
}

func (twoCols) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	var w0 float32
	for i := 0; i+1 < len(objs); i += 2 {
		w0 = max(w0, objs[i].MinSize().Width)
	}
	var y float32
	for i := 0; i+1 < len(objs); i += 2 {
		h := max(objs[i].MinSize().Height, objs[i+1].MinSize().Height)
		objs[i].Move(fyne.NewPos(0, y))
		objs[i].Resize(fyne.NewSize(w0, h))
		objs[i+1].Move(fyne.NewPos(w0+theme.Padding(), y))
		objs[i+1].Resize(fyne.NewSize(size.Width-w0-theme.Padding(), h))
		y += h
	}
}

// switchboardShortcuts registers the keymap's Ctrl shortcuts on the window canvas (the
// F-keys arrive through the canvas's typed keys or a field's TypedKey).
func (u *UI) switchboardShortcuts() {
	for _, b := range SwitchboardKeys {
		name, ok := strings.CutPrefix(b.Key, "Ctrl+")
		if !ok {
			continue
		}
		key := b.Key
		u.win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyName(name), Modifier: fyne.KeyModifierShortcutDefault},
			func(fyne.Shortcut) {
				if u.switchboardShown() {
					u.sw.key(key)
				}
			})
	}
}

// switchboardShownIn reports whether the switchboard tab is among the tabs.
func (u *UI) switchboardShownIn() bool {
	for _, t := range u.tabs.Items {
		if t == u.swTab {
			return true
		}
	}
	return false
}

// switchboardShown reports whether the switchboard tab is the one on screen.
func (u *UI) switchboardShown() bool {
	return u.sw != nil && u.onMain && u.tabs.Selected() == u.swTab
}

// renderRoleTabs shows the switchboard for operators and the supervisor view for
// supervisors, right after the Phone tab.
func (u *UI) renderRoleTabs() {
	p := u.model.Snapshot().Profile
	u.showTab(u.swTab, p.Operator)
	u.showTab(u.supTab, p.Supervisor)
	if u.sw != nil && p.Operator {
		u.sw.render()
	}
	if u.sup != nil && p.Supervisor {
		u.sup.render()
	}
}

func (u *UI) showTab(t *container.TabItem, on bool) {
	if t == nil {
		return
	}
	has := false
	for _, it := range u.tabs.Items {
		has = has || it == t
	}
	switch {
	case on && !has:
		sel := u.tabs.Selected()
		items := append([]*container.TabItem{u.tabs.Items[0], t}, u.tabs.Items[1:]...)
		u.tabs.SetItems(items)
		switch {
		case t == u.swTab && !u.swLanded:
			// An operator lands on the switchboard once per login: the company's calls come
			// first, and every key of the keymap works at once.
			u.swLanded = true
			u.tabs.Select(t)
		case sel != nil:
			u.tabs.Select(sel)
		}
	case !on && has:
		if t == u.swTab {
			u.swLanded = false
		}
		if u.tabs.Selected() == t {
			u.tabs.SelectIndex(0)
		}
		u.tabs.Remove(t)
	}
}

// loadForwarding fetches the selected colleague's forwarding once per selection, off the
// Fyne goroutine, and shows it when it arrives.
func (v *switchboardView) loadForwarding(ext string) {
	if ext == v.fwdExt {
		return
	}
	v.fwdExt = ext
	u := v.u
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, agentActionTimeout)
		defer cancel()
		if err := v.vm.LoadForwarding(ctx, ext); err != nil {
			u.log.Info("colleague forwarding not loaded", "err", err)
			return
		}
		u.do(v.render)
	})
}

// refreshWaiting loads the operator queues' waiting callers, and with parked the parked calls
// too (when the tab is shown; the "parked" events keep them current), off the Fyne goroutine.
func (v *switchboardView) refreshWaiting(parked bool) {
	u := v.u
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, agentActionTimeout)
		defer cancel()
		if err := v.vm.RefreshWaiting(ctx); err != nil {
			u.log.Info("queue callers not loaded", "err", err)
		}
		if parked {
			if err := v.vm.RefreshParked(ctx); err != nil {
				u.log.Info("parked calls not loaded", "err", err)
			}
		}
		u.do(v.render)
	})
}

// waitingTotal is the callers waiting in the panel's queues, as the agent view counts them.
func waitingTotal(p SwitchboardPanel) int {
	n := 0
	for _, q := range p.Queues {
		n += q.Waiting
	}
	return n
}

package ui

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"github.com/vaihde/vaihde/shared/api"
)

// routeWidgets are one "Voicemail / No forwarding / Number" choice with its number field,
// shown only for Number.
type routeWidgets struct {
	sel     *widget.Select
	num     *widget.Entry
	box     *fyne.Container // sel and num side by side
	choices []RouteChoice   // of sel.Options, in order
	label   func(RouteChoice) string
}

// forwardingView is the "Forwarding and voicemail" screen (ROUTE-1…3, PRES-5, VM-3…5,
// AWAY-1), a dialog opened from the Voicemail and Settings tabs: immediate forward, busy / no
// answer with ring time / unreachable, a route per activity, office hours (days Monday
// first, start and end in 15-minute steps, where calls go outside them), the voicemail
// options, the PIN and the VIP numbers that bypass the away notice. Save sends both forms;
// the server's refusal is shown as it is.
type forwardingView struct {
	u    *UI
	dlg  dialog.Dialog
	root fyne.CanvasObject
	form ForwardingForm
	acts []api.Activity

	immOn        *widget.Check
	immNum       *widget.Entry
	busy, noAns  *routeWidgets
	unreach      *routeWidgets
	ring         *widget.Select
	actRoutes    map[int]*routeWidgets
	actBox       *fyne.Container
	hoursOn      *widget.Check
	days         [7]*widget.Check // Monday first
	start, end   *widget.Select
	outside      *routeWidgets
	vmOn         *widget.Check
	notify       *widget.Select
	notifyValues []string
	emailTo      *widget.Label
	announce     *widget.Check
	custService  *widget.Entry
	bypass       *widget.Check
	greeting     *widget.Label
	pinState     *widget.Label
	pin          *widget.Entry
	pinBtn       *widget.Button
	pinMsg       *widget.Label
	vips         *widget.Label
	errText      *widget.Label
	saved        *widget.Label
	save         *widget.Button
	close        *widget.Button
	loaded       bool
	scroll       *container.Scroll
}

// numberField is a short one-line field. Without its own scroller: numbers fit, and nested
// scrollers inside the screen's scroll leak text below it when painted by Fyne's software
// renderer (the screenshots).
func numberField(hint string) *widget.Entry {
	e := widget.NewEntry()
	e.Scroll = fyne.ScrollNone
	e.SetPlaceHolder(hint)
	return e
}

func (u *UI) newRouteWidgets(choices []RouteChoice) *routeWidgets {
	r := &routeWidgets{choices: slices.Clone(choices), num: numberField(u.tr.T(KFwdNumberHint)), label: u.routeLabel}
	opts := make([]string, len(choices))
	for i, c := range choices {
		opts[i] = u.routeLabel(c)
	}
	r.sel = widget.NewSelect(opts, func(string) { r.sync() })
	r.box = container.NewGridWithColumns(2, r.sel, r.num)
	r.sel.SetSelectedIndex(0)
	return r
}

func (u *UI) routeLabel(c RouteChoice) string {
	switch c {
	case RouteVoicemail:
		return u.tr.T(KFwdVoicemail)
	case RouteNone:
		return u.tr.T(KFwdNone)
	case RouteNumber:
		return u.tr.T(KFwdNumber)
	}
	return u.tr.T(KFwdDefault)
}

// sync shows the number field only for Number.
func (r *routeWidgets) sync() {
	if r.box == nil {
		return
	}
	if r.field().Choice == RouteNumber {
		r.num.Show()
	} else {
		r.num.Hide()
	}
	r.box.Refresh() // the grid lays out visible cells only
}

func (r *routeWidgets) set(f RouteField) {
	i := slices.Index(r.choices, f.Choice)
	if i < 0 { // set elsewhere (the web) to a choice this row does not offer: keep it
		r.choices = append(r.choices, f.Choice)
		r.sel.Options = append(r.sel.Options, r.label(f.Choice))
		i = len(r.choices) - 1
	}
	r.sel.SetSelectedIndex(i)
	r.num.SetText(f.Number)
	r.sync()
}

func (r *routeWidgets) setEnabled(on bool) {
	setEnabled(r.sel, on)
	setEnabled(r.num, on)
}

func (r *routeWidgets) field() RouteField {
	i := r.sel.SelectedIndex()
	if i < 0 || i >= len(r.choices) {
		return RouteField{Choice: r.choices[0]}
	}
	return RouteField{Choice: r.choices[i], Number: r.num.Text}
}

var conditionChoices = []RouteChoice{RouteVoicemail, RouteNone, RouteNumber}
var activityChoices = []RouteChoice{RouteDefault, RouteVoicemail, RouteNumber}

// openForwarding opens the forwarding and voicemail screen and loads it from the server.
func (u *UI) openForwarding() {
	u.activity()
	tr := u.tr
	v := &forwardingView{u: u, actRoutes: map[int]*routeWidgets{}}
	v.immNum = numberField(tr.T(KFwdNumberHint))
	v.immOn = widget.NewCheck(tr.T(KFwdImmediate), func(on bool) { setEnabled(v.immNum, on) })
	v.immNum.Disable()
	v.busy = u.newRouteWidgets(conditionChoices)
	v.noAns = u.newRouteWidgets(conditionChoices)
	v.unreach = u.newRouteWidgets(conditionChoices)
	ringOpts := make([]string, len(RingTimes))
	for i, s := range RingTimes {
		ringOpts[i] = tr.F(KFwdSeconds, s)
	}
	v.ring = widget.NewSelect(ringOpts, nil)
	v.ring.SetSelectedIndex(slices.Index(RingTimes, DefaultRingTime))
	v.actBox = container.NewVBox()
	dayBox := container.NewGridWithColumns(len(v.days))
	for i, k := range dayKeys {
		v.days[i] = widget.NewCheck(tr.T(k), nil)
		dayBox.Add(v.days[i])
	}
	v.start = widget.NewSelect(ClockTimes(false), nil)
	v.end = widget.NewSelect(ClockTimes(true), nil)
	v.outside = u.newRouteWidgets(conditionChoices)
	v.hoursOn = widget.NewCheck(tr.T(KFwdHoursOn), func(on bool) { v.enableHours(on) })
	v.fillHours(DefaultOfficeHours())

	v.vmOn = widget.NewCheck(tr.T(KVMEnabled), nil)
	v.notifyValues = []string{api.NotifySMS, api.NotifyEmail, api.NotifyBoth}
	v.notify = widget.NewSelect([]string{tr.T(KVMNotifySMS), tr.T(KVMNotifyEmail), tr.T(KVMNotifyBoth)}, nil)
	v.notify.SetSelectedIndex(0)
	v.emailTo = hint("")
	v.announce = widget.NewCheck(tr.T(KVMAnnounce), nil)
	v.custService = numberField(tr.T(KVMCustomerHint))
	v.bypass = widget.NewCheck(tr.T(KVMOfferBypass), nil)
	v.greeting = hint("")
	v.pinState = hint("")
	v.pin = widget.NewPasswordEntry()
	v.pin.Scroll = fyne.ScrollNone
	v.pin.SetPlaceHolder(tr.T(KVMPINHint))
	v.pinBtn = widget.NewButton(tr.T(KVMChangePIN), v.changePIN)
	v.pinMsg = widget.NewLabel("")
	v.pinMsg.Hide()
	v.vips = widget.NewLabel("")

	v.errText = widget.NewLabel("")
	v.errText.Importance = widget.DangerImportance
	v.errText.Wrapping = fyne.TextWrapWord
	v.errText.Hide()
	v.saved = widget.NewLabelWithStyle(tr.T(KFwdSaved), fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	v.saved.Importance = widget.SuccessImportance
	v.saved.Hide()
	v.save = widget.NewButtonWithIcon(tr.T(KSave), theme.ConfirmIcon(), v.submit)
	v.save.Importance = widget.HighImportance
	v.save.Disable() // until loaded
	v.close = widget.NewButton(tr.T(KClose), nil)

	form := container.NewVBox(
		section(tr.T(KFwdImmediateTitle), container.NewBorder(nil, nil, v.immOn, nil, v.immNum), hint(tr.T(KFwdImmediateHint))),
		widget.NewSeparator(),
		section(tr.T(KFwdConditional), container.New(layout.NewFormLayout(),
			widget.NewLabel(tr.T(KFwdBusy)), v.busy.box,
			widget.NewLabel(tr.T(KFwdNoAnswer)), v.noAns.box,
			widget.NewLabel(tr.T(KFwdRingTime)), container.NewGridWithColumns(2, v.ring),
			widget.NewLabel(tr.T(KFwdUnreachable)), v.unreach.box)),
		widget.NewSeparator(),
		section(tr.T(KFwdActivities), hint(tr.T(KFwdActivitiesHint)), v.actBox),
		widget.NewSeparator(),
		section(tr.T(KFwdHours), v.hoursOn, hint(tr.T(KFwdHoursHint)), dayBox,
			container.New(layout.NewFormLayout(),
				widget.NewLabel(tr.T(KFwdTime)), container.NewHBox(v.start, widget.NewLabel("–"), v.end),
				widget.NewLabel(tr.T(KFwdOutside)), v.outside.box)),
		widget.NewSeparator(),
		section(tr.T(KTabVoicemail), v.vmOn,
			container.NewBorder(nil, nil, widget.NewLabel(tr.T(KVMNotify)), nil, v.notify), v.emailTo,
			v.announce,
			label(tr.T(KVMCustomerService)), v.custService,
			v.bypass, v.greeting),
		widget.NewSeparator(),
		section(tr.T(KVMPIN), v.pinState, container.NewBorder(nil, nil, nil, v.pinBtn, v.pin), v.pinMsg),
		widget.NewSeparator(),
		section(tr.T(KFwdAway), widget.NewLabel(tr.T(KFwdVIPs)), v.vips, hint(tr.T(KFwdVIPHint))),
	)
	buttons := container.NewHBox(v.saved, layout.NewSpacer(), v.close, v.save)
	v.scroll = container.NewVScroll(container.NewPadded(form))
	v.root = container.NewBorder(nil, container.NewVBox(widget.NewSeparator(), v.errText, buttons), nil, nil, v.scroll)
	v.dlg = dialog.NewCustomWithoutButtons(tr.T(KFwdTitle), v.root, u.win)
	v.close.OnTapped = v.dlg.Hide
	size := u.win.Canvas().Size()
	v.dlg.Resize(fyne.NewSize(min(size.Width-16, 620), size.Height-24))
	u.fwd = v
	v.setActivities(u.peopleSnap.Activities)
	v.dlg.Show()
	v.load()
}

// ShowForwarding opens the forwarding and voicemail settings (screenshots); end scrolls it to
// its last part (voicemail options, PIN, away notice).
func (u *UI) ShowForwarding(end bool) {
	u.openForwarding()
	if end {
		u.fwd.scroll.ScrollToBottom()
	}
}

// forwardingActivities gives an open forwarding screen the organisation's activities when they
// arrive or change (the screen may open before the people model has loaded).
func (u *UI) forwardingActivities(acts []api.Activity) {
	v := u.fwd
	if v == nil || slices.Equal(v.acts, acts) {
		return
	}
	v.keep()
	v.setActivities(acts)
}

// keep remembers the activity choices made so far, so rebuilding the rows does not lose them.
func (v *forwardingView) keep() {
	if !v.loaded {
		return
	}
	for n, r := range v.actRoutes {
		v.form.Activities[n] = r.field()
	}
}

// setActivities builds a row per activity of the organisation.
func (v *forwardingView) setActivities(acts []api.Activity) {
	v.acts = slices.Clone(acts)
	v.actRoutes = map[int]*routeWidgets{}
	grid := container.New(layout.NewFormLayout())
	for _, a := range acts {
		r := v.u.newRouteWidgets(activityChoices)
		v.actRoutes[a.Number] = r
		grid.Add(widget.NewLabel(activityName(a.Number, a.Name, acts, v.u.tr.Lang())))
		grid.Add(r.box)
	}
	objs := []fyne.CanvasObject{grid}
	if len(acts) == 0 {
		objs = []fyne.CanvasObject{hint(v.u.tr.T(KFwdNoActivities))}
	}
	v.actBox.Objects = objs
	v.actBox.Refresh()
	if v.loaded {
		v.fillActivities()
	}
}

// load reads both forms from the server off the Fyne goroutine.
func (v *forwardingView) load() {
	u := v.u
	model := u.o.Voicemail
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		f, err := model.Forwarding(ctx)
		var s api.VoicemailSettings
		if err == nil {
			s, err = model.Settings(ctx)
		}
		u.do(func() {
			if err != nil {
				v.showErr(u.tr.F(KErrFwdUnavailable, err))
				return
			}
			v.fill(NewForwardingForm(f, s))
			v.save.Enable()
		})
	})
}

// fill shows a form.
func (v *forwardingView) fill(ff ForwardingForm) {
	tr := v.u.tr
	v.form, v.loaded = ff, true
	v.immOn.SetChecked(ff.ImmediateOn)
	v.immNum.SetText(ff.Immediate)
	setEnabled(v.immNum, ff.ImmediateOn)
	v.busy.set(ff.Busy)
	v.noAns.set(ff.NoAnswer)
	v.unreach.set(ff.Unreachable)
	v.ring.Options = v.ring.Options[:len(RingTimes)]
	i := slices.Index(RingTimes, ff.RingSeconds)
	if i < 0 { // a time the list does not offer (set elsewhere): offer it too, last
		v.ring.Options = append(v.ring.Options, tr.F(KFwdSeconds, ff.RingSeconds))
		i = len(RingTimes)
	}
	v.ring.SetSelectedIndex(i)
	v.fillActivities()
	v.fillHours(ff.Hours)
	v.vmOn.SetChecked(ff.VM.Enabled)
	v.notify.SetSelectedIndex(max(slices.Index(v.notifyValues, ff.VM.Notify), 0))
	if ff.VM.Email != "" {
		v.emailTo.SetText(tr.F(KVMEmailTo, ff.VM.Email))
		v.emailTo.Show()
	} else {
		v.emailTo.Hide()
	}
	v.announce.SetChecked(ff.VM.AnnounceActivity)
	v.custService.SetText(ff.VM.CustomerService)
	v.bypass.SetChecked(ff.VM.OfferBypass)
	if ff.VM.HasGreeting {
		v.greeting.SetText(tr.T(KVMGreeting))
	} else {
		v.greeting.SetText(tr.T(KVMGreetingDefault))
	}
	if ff.VM.HasPIN {
		v.pinState.SetText(tr.T(KVMPINSet))
	} else {
		v.pinState.SetText(tr.T(KVMPINNotSet))
	}
	if len(ff.VIPs) == 0 {
		v.vips.SetText(tr.T(KFwdNoVIPs))
		v.vips.Importance = widget.LowImportance
	} else {
		v.vips.SetText(strings.Join(ff.VIPs, "\n"))
		v.vips.Importance = widget.MediumImportance
	}
	v.vips.Refresh()
}

func (v *forwardingView) fillActivities() {
	for n, r := range v.actRoutes {
		f, ok := v.form.Activities[n]
		if !ok {
			f = RouteField{Choice: RouteDefault}
		}
		r.set(f)
	}
}

// fillHours shows office hours; the widgets keep them while switched off.
func (v *forwardingView) fillHours(h OfficeHoursForm) {
	for i, d := range v.days {
		d.SetChecked(h.Days[i])
	}
	selectTime(v.start, ClockTimes(false), h.Start)
	selectTime(v.end, ClockTimes(true), h.End)
	v.outside.set(h.Outside)
	v.hoursOn.SetChecked(h.On)
	v.enableHours(h.On)
}

// enableHours lets the office hours be edited only while they are in use.
func (v *forwardingView) enableHours(on bool) {
	for _, d := range v.days {
		setEnabled(d, on)
	}
	setEnabled(v.start, on)
	setEnabled(v.end, on)
	v.outside.setEnabled(on)
}

// selectTime selects t among the 15-minute steps; a time between them (set elsewhere) is
// offered too, last, so saving does not change it.
func selectTime(sel *widget.Select, steps []string, t string) {
	sel.Options = steps
	if t != "" && !slices.Contains(steps, t) {
		sel.Options = append(slices.Clone(steps), t)
	}
	sel.SetSelected(t)
}

// read collects the form from the widgets.
func (v *forwardingView) read() ForwardingForm {
	ff := v.form
	ff.ImmediateOn = v.immOn.Checked
	ff.Immediate = v.immNum.Text
	ff.Busy, ff.NoAnswer, ff.Unreachable = v.busy.field(), v.noAns.field(), v.unreach.field()
	if i := v.ring.SelectedIndex(); i >= 0 && i < len(RingTimes) {
		ff.RingSeconds = RingTimes[i]
	}
	acts := map[int]RouteField{}
	for n, r := range v.actRoutes {
		acts[n] = r.field()
	}
	ff.Activities = acts
	ff.Hours = OfficeHoursForm{On: v.hoursOn.Checked, Start: v.start.Selected, End: v.end.Selected,
		Outside: v.outside.field()}
	for i, d := range v.days {
		ff.Hours.Days[i] = d.Checked
	}
	ff.VM.Enabled = v.vmOn.Checked
	if i := v.notify.SelectedIndex(); i >= 0 {
		ff.VM.Notify = v.notifyValues[i]
	}
	ff.VM.AnnounceActivity = v.announce.Checked
	ff.VM.CustomerService = v.custService.Text
	ff.VM.OfferBypass = v.bypass.Checked
	return ff
}

func (v *forwardingView) showErr(msg string) {
	v.saved.Hide()
	if msg == "" {
		v.errText.Hide()
		return
	}
	v.errText.SetText(msg)
	v.errText.Show()
}

// submit saves the forwarding, then the voicemail options; the first refusal is shown with
// the server's words.
func (v *forwardingView) submit() {
	u := v.u
	u.activity()
	ff := v.read()
	f, err := ff.Forwarding(v.acts, u.tr)
	if err != nil {
		v.showErr(err.Error())
		return
	}
	s := ff.Settings()
	v.showErr("")
	v.save.Disable()
	model := u.o.Voicemail
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		gotF, err := model.SaveForwarding(ctx, f)
		var gotS api.VoicemailSettings
		if err == nil {
			gotS, err = model.SaveSettings(ctx, s)
		}
		u.do(func() {
			v.save.Enable()
			if err != nil {
				v.showErr(err.Error())
				return
			}
			v.fill(NewForwardingForm(gotF, gotS))
			v.saved.Show()
		})
	})
}

// changePIN sets a new mailbox PIN.
func (v *forwardingView) changePIN() {
	u := v.u
	u.activity()
	pin := strings.TrimSpace(v.pin.Text)
	if !api.ValidPIN(pin) {
		v.pinResult(fmt.Errorf("%s", u.tr.T(KErrVMPIN)))
		return
	}
	v.pinBtn.Disable()
	model := u.o.Voicemail
	u.goAsync(func() {
		ctx, cancel := context.WithTimeout(u.ctx, peopleTimeout)
		defer cancel()
		err := model.SetPIN(ctx, pin)
		u.do(func() {
			v.pinBtn.Enable()
			v.pinResult(err)
			if err == nil {
				v.pin.SetText("")
				v.form.VM.HasPIN = true
				v.pinState.SetText(u.tr.T(KVMPINSet))
			}
		})
	})
}

func (v *forwardingView) pinResult(err error) {
	if err != nil {
		v.pinMsg.SetText(err.Error())
		v.pinMsg.Importance = widget.DangerImportance
	} else {
		v.pinMsg.SetText(v.u.tr.T(KVMPINChanged))
		v.pinMsg.Importance = widget.SuccessImportance
	}
	v.pinMsg.Refresh()
	v.pinMsg.Show()
}

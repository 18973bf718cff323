package ui

import (
	"reflect"
	"slices"
	"testing"

	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/shared/api"
)

func TestOfficeHoursFromServer(t *testing.T) {
	weekdays := [7]bool{true, true, true, true, true}
	tests := map[string]struct {
		in   *api.OfficeHours
		want OfficeHoursForm
	}{
		"none: defaults, off": {nil, OfficeHoursForm{Days: weekdays, Start: "08:00", End: "16:00", Outside: RouteField{Choice: RouteVoicemail}}},
		"weekdays to voicemail": {&api.OfficeHours{Days: []int{1, 2, 3, 4, 5}, Start: "08:00", End: "16:30", Outside: "voicemail"},
			OfficeHoursForm{On: true, Days: weekdays, Start: "08:00", End: "16:30", Outside: RouteField{Choice: RouteVoicemail}}},
		"weekend, Sunday is last": {&api.OfficeHours{Days: []int{0, 6}, Start: "10:00", End: "14:00", Outside: "none"},
			OfficeHoursForm{On: true, Days: [7]bool{5: true, 6: true}, Start: "10:00", End: "14:00", Outside: RouteField{Choice: RouteNone}}},
		"number outside, unknown days ignored": {&api.OfficeHours{Days: []int{7, -1, 3}, Start: "07:10", End: "24:00", Outside: "+358401234567"},
			OfficeHoursForm{On: true, Days: [7]bool{2: true}, Start: "07:10", End: "24:00", Outside: RouteField{RouteNumber, "+358401234567"}}},
		"empty outside is voicemail": {&api.OfficeHours{Days: []int{}, Start: "08:00", End: "09:00"},
			OfficeHoursForm{On: true, Start: "08:00", End: "09:00", Outside: RouteField{Choice: RouteVoicemail}}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := officeHoursOf(tc.in); got != tc.want {
				t.Fatalf("got  %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestOfficeHoursRequest(t *testing.T) {
	on := func(days [7]bool, out RouteField) OfficeHoursForm {
		return OfficeHoursForm{On: true, Days: days, Start: "08:00", End: "16:00", Outside: out}
	}
	vm := RouteField{Choice: RouteVoicemail}
	tests := map[string]struct {
		in      OfficeHoursForm
		want    *api.OfficeHours
		wantErr string
	}{
		"off sends none": {DefaultOfficeHours(), nil, ""},
		"defaults when on": {on([7]bool{true, true, true, true, true}, vm),
			&api.OfficeHours{Days: []int{1, 2, 3, 4, 5}, Start: "08:00", End: "16:00", Outside: "voicemail"}, ""},
		"Sunday is 0, sorted first": {on([7]bool{0: true, 6: true}, RouteField{Choice: RouteNone}),
			&api.OfficeHours{Days: []int{0, 1}, Start: "08:00", End: "16:00", Outside: "none"}, ""},
		"number cleaned": {on([7]bool{4: true}, RouteField{RouteNumber, " 040 555 1234 "}),
			&api.OfficeHours{Days: []int{5}, Start: "08:00", End: "16:00", Outside: "0405551234"}, ""},
		"no day":       {on([7]bool{}, vm), nil, "Office hours: choose at least one day."},
		"empty number": {on([7]bool{true}, RouteField{Choice: RouteNumber}), nil, "Outside office hours: enter a number."},
	}
	tr := NewStrings("en")
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := tc.in.request(tr)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			if got == nil {
				return
			}
			// What the server answers reads back into a form that sends the same again.
			if again, err := officeHoursOf(got).request(tr); err != nil || !reflect.DeepEqual(again, got) {
				t.Fatalf("round trip: %+v, %v; want %+v", again, err, got)
			}
		})
	}
	// Through the whole form: off sends no office hours, on sends them.
	ff := NewForwardingForm(api.Forwarding{}, api.VoicemailSettings{})
	if f, err := ff.Forwarding(nil, tr); err != nil || f.Hours != nil {
		t.Fatalf("off: %+v, %v", f.Hours, err)
	}
	ff.Hours.On = true
	if f, err := ff.Forwarding(nil, tr); err != nil || f.Hours == nil || !slices.Equal(f.Hours.Days, []int{1, 2, 3, 4, 5}) {
		t.Fatalf("on: %+v, %v", f.Hours, err)
	}
}

func TestClockTimes(t *testing.T) {
	start, end := ClockTimes(false), ClockTimes(true)
	if len(start) != 96 || start[0] != "00:00" || start[33] != "08:15" || start[95] != "23:45" {
		t.Fatalf("start times %v", start)
	}
	if len(end) != 96 || end[0] != "00:15" || end[95] != "24:00" || !slices.Contains(end, "16:00") {
		t.Fatalf("end times %v", end)
	}
	for _, key := range dayKeys {
		if NewStrings("fi").T(key) == string(key) || NewStrings("sv").T(key) == NewStrings("en").T(key) {
			t.Errorf("day %s not translated", key)
		}
	}
}

// TestForwardingOfficeHoursRoundTrip checks office hours on → defaults → edit → save → the
// server has them → reopen shows them; the server's refusal shown; off removes them.
func TestForwardingOfficeHoursRoundTrip(t *testing.T) {
	r := newVMRig(t)
	u := r.u
	u.openForwarding()
	r.drain()
	v := u.fwd
	if v.hoursOn.Checked || !v.start.Disabled() || !v.days[0].Disabled() || !v.outside.sel.Disabled() {
		t.Fatal("office hours are in use or editable before being switched on")
	}
	test.Tap(v.hoursOn)
	if v.start.Disabled() || v.days[6].Disabled() || v.outside.sel.Disabled() {
		t.Fatal("checking Use office hours did not make them editable")
	}
	var days [7]bool
	for i, d := range v.days {
		days[i] = d.Checked
	}
	if days != [7]bool{true, true, true, true, true} || v.start.Selected != "08:00" || v.end.Selected != "16:00" ||
		v.outside.sel.Selected != "Voicemail" || v.outside.num.Visible() {
		t.Fatalf("defaults: days %v, %s–%s, outside %q", days, v.start.Selected, v.end.Selected, v.outside.sel.Selected)
	}
	if v.days[0].Text != "Mon" || v.days[6].Text != "Sun" {
		t.Fatalf("week shown as %q … %q, want Monday first", v.days[0].Text, v.days[6].Text)
	}

	test.Tap(v.days[4]) // Friday off
	test.Tap(v.days[6]) // Sunday on
	v.start.SetSelected("07:30")
	v.end.SetSelected("15:45")
	v.outside.sel.SetSelected("Number")
	test.Type(v.outside.num, "040 555 1234")
	test.Tap(v.save)
	r.drain()
	if !v.saved.Visible() || v.errText.Visible() {
		t.Fatalf("not saved: %q", v.errText.Text)
	}
	r.srv.Lock()
	h := r.srv.Forwarding.Hours
	r.srv.Unlock()
	want := &api.OfficeHours{Days: []int{0, 1, 2, 3, 4}, Start: "07:30", End: "15:45", Outside: "+358405551234"}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("server office hours %+v, want %+v", h, want)
	}

	v.dlg.Hide()
	u.openForwarding()
	r.drain()
	v = u.fwd
	for i, d := range v.days {
		days[i] = d.Checked
	}
	if !v.hoursOn.Checked || v.start.Disabled() || days != [7]bool{true, true, true, true, false, false, true} ||
		v.start.Selected != "07:30" || v.end.Selected != "15:45" || v.outside.num.Text != "+358405551234" {
		t.Fatalf("reopened: on %v, days %v, %s–%s, outside %q", v.hoursOn.Checked, days, v.start.Selected, v.end.Selected, v.outside.num.Text)
	}

	// The server's refusal in its words; a week without days is caught before sending.
	v.end.SetSelected("07:00")
	test.Tap(v.save)
	r.drain()
	if !v.errText.Visible() || v.errText.Text != "office hours: end must be after start" || v.saved.Visible() {
		t.Fatalf("refusal shown as %q", v.errText.Text)
	}
	v.end.SetSelected("15:45")
	for _, d := range v.days {
		d.SetChecked(false)
	}
	puts := r.srv.Saw("PUT /api/forwarding")
	test.Tap(v.save)
	if v.errText.Text != "Office hours: choose at least one day." || r.srv.Saw("PUT /api/forwarding") != puts {
		t.Fatalf("no days: %q", v.errText.Text)
	}

	// Off: the server has none, and the form shows them off, at the defaults again.
	v.days[0].SetChecked(true)
	test.Tap(v.hoursOn)
	test.Tap(v.save)
	r.drain()
	r.srv.Lock()
	h = r.srv.Forwarding.Hours
	r.srv.Unlock()
	if h != nil || !v.saved.Visible() {
		t.Fatalf("office hours after switching off: %+v (%q)", h, v.errText.Text)
	}
	if v.hoursOn.Checked || !v.start.Disabled() || v.start.Selected != "08:00" {
		t.Fatalf("after save: on %v, start %q", v.hoursOn.Checked, v.start.Selected)
	}
}

// TestForwardingKeepsOfficeHoursSetElsewhere checks that a time between the 15-minute steps
// (set on the web) is shown and saved unchanged, and that saving other rows keeps the hours.
func TestForwardingKeepsOfficeHoursSetElsewhere(t *testing.T) {
	r := newVMRig(t)
	set := &api.OfficeHours{Days: []int{1, 3}, Start: "08:10", End: "17:05", Outside: "none"}
	r.srv.Lock()
	r.srv.Forwarding.Hours = set
	r.srv.Unlock()
	r.u.openForwarding()
	r.drain()
	v := r.u.fwd
	if !v.hoursOn.Checked || v.start.Selected != "08:10" || v.end.Selected != "17:05" || v.outside.sel.Selected != "No forwarding" ||
		!v.days[0].Checked || !v.days[2].Checked || v.days[1].Checked {
		t.Fatalf("shown: %s–%s, outside %q", v.start.Selected, v.end.Selected, v.outside.sel.Selected)
	}
	v.ring.SetSelected("30 s")
	test.Tap(v.save)
	r.drain()
	r.srv.Lock()
	h := r.srv.Forwarding.Hours
	r.srv.Unlock()
	if !reflect.DeepEqual(h, set) {
		t.Fatalf("saving changed the office hours: %+v", h)
	}
}

package ui

import (
	"fmt"
	"slices"

	"github.com/vaihde/vaihde/shared/api"
)

// OfficeHoursForm is the office hours part of the forwarding screen (ROUTE-3): outside them,
// calls to the user's company number go to Outside. Days are Monday first, as the week is
// shown in Finland and Sweden; the API numbers them from Sunday (0).
type OfficeHoursForm struct {
	On         bool    // "Use office hours"; off sends no office hours
	Days       [7]bool // Monday … Sunday
	Start, End string  // "HH:MM", 24-hour
	Outside    RouteField
}

// DefaultOfficeHours are shown (off) when the user has none, so checking the box starts from
// Monday–Friday 08:00–16:00 with voicemail outside.
func DefaultOfficeHours() OfficeHoursForm {
	return OfficeHoursForm{Days: [7]bool{true, true, true, true, true}, Start: "08:00", End: "16:00",
		Outside: RouteField{Choice: RouteVoicemail}}
}

// apiDay is the API's weekday (0 = Sunday) of day i of the form (0 = Monday).
func apiDay(i int) int { return (i + 1) % 7 }

// formDay is the form's day (0 = Monday) of the API's weekday d (0 = Sunday).
func formDay(d int) int { return (d + 6) % 7 }

// officeHoursOf reads the server's office hours; nil gives the defaults, switched off.
// Weekdays the API does not define are ignored.
func officeHoursOf(h *api.OfficeHours) OfficeHoursForm {
	if h == nil {
		return DefaultOfficeHours()
	}
	f := OfficeHoursForm{On: true, Start: h.Start, End: h.End, Outside: routeOf(h.Outside, RouteVoicemail)}
	for _, d := range h.Days {
		if d >= 0 && d <= 6 {
			f.Days[formDay(d)] = true
		}
	}
	return f
}

// request is the api.OfficeHours of the form: nil when off. Days are sorted by the API's
// numbering. The times are the server's to judge (it answers 400 with the reason); a week
// without days and an empty number are caught here.
func (h OfficeHoursForm) request(tr Strings) (*api.OfficeHours, error) {
	if !h.On {
		return nil, nil
	}
	out := &api.OfficeHours{Days: []int{}, Start: h.Start, End: h.End}
	for i, on := range h.Days {
		if on {
			out.Days = append(out.Days, apiDay(i))
		}
	}
	slices.Sort(out.Days)
	if len(out.Days) == 0 {
		return nil, fmt.Errorf("%s", tr.T(KErrFwdNoDays))
	}
	t, err := h.Outside.target(tr.T(KFwdOutside), tr)
	if err != nil {
		return nil, err
	}
	out.Outside = t
	return out, nil
}

// dayKeys name the days of the form, Monday first.
var dayKeys = [7]Key{KFwdMon, KFwdTue, KFwdWed, KFwdThu, KFwdFri, KFwdSat, KFwdSun}

// ClockTimes are the times offered for office hours in 15-minute steps: start from "00:00"
// to "23:45", end from "00:15" to "24:00" (the end of the day).
func ClockTimes(end bool) []string {
	out := make([]string, 0, 24*4)
	first := 0
	if end {
		first = 15
	}
	for m := first; m < 24*60+first; m += 15 {
		out = append(out, fmt.Sprintf("%02d:%02d", m/60, m%60))
	}
	return out
}

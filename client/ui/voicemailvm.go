package ui

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vaihde/vaihde/client/voicemail"
	"github.com/vaihde/vaihde/shared/api"
)

// VoicemailTabTitle is the Voicemail tab's title: the tab is an icon (seven titled tabs do
// not fit the window), and the count of new messages beside it is the message-waiting badge.
func VoicemailTabTitle(newCount int) string {
	if newCount <= 0 {
		return ""
	}
	return strconv.Itoa(newCount)
}

// VoicemailRow is one message as the Voicemail tab shows it.
type VoicemailRow struct {
	ID       int64
	Title    string // the caller's name, else the number, else "Unknown caller"
	Number   string // the number under the name; "" when it is the title or withheld
	When     string // received, like the call log: "9:30", "20.11. 9:30"
	Length   string // m:ss
	New      bool   // not heard yet: bold, with a dot
	Play     string // the play button's label: Play, Stop or Loading…
	Playing  bool
	CallBack string // the number to call back; "" when withheld
}

// VoicemailLength formats a message's length as m:ss, rounded to the nearest second; any
// message of some length shows at least 0:01.
func VoicemailLength(ms int64) string {
	s := (ms + 500) / 1000
	if ms > 0 && s == 0 {
		s = 1
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// VoicemailRowOf renders one message of snapshot s.
func VoicemailRowOf(v api.Voicemail, s voicemail.Snapshot, tr Strings, now time.Time) VoicemailRow {
	r := VoicemailRow{ID: v.ID, New: !v.Heard, CallBack: v.Caller, Length: VoicemailLength(v.DurationMS),
		When: formatWhen(v.ReceivedAt.Local(), now)}
	switch {
	case v.CallerName != "":
		r.Title, r.Number = v.CallerName, v.Caller
	case v.Caller != "":
		r.Title = v.Caller
	default:
		r.Title = tr.T(KUnknownCaller)
	}
	switch v.Kind {
	case "recording":
		r.When = tr.T(KVMRecording) + " · " + r.When
	case "fax":
		r.When = tr.T(KVMFax) + " · " + r.When
	}
	switch {
	case s.Fetching == v.ID:
		r.Play = tr.T(KVMLoading)
	case s.Playing == v.ID:
		r.Play, r.Playing = tr.T(KVMStop), true
	default:
		r.Play = tr.T(KVMPlay)
	}
	return r
}

// Route choices of a forwarding condition or an activity.
type RouteChoice int

const (
	RouteDefault   RouteChoice = iota // activities only: no rule of their own
	RouteVoicemail                    // to the user's voicemail
	RouteNone                         // no forwarding: busy / unavailable to the caller
	RouteNumber                       // to the number in RouteField.Number
)

// RouteField is one "Voicemail / No forwarding / Number" choice of the form.
type RouteField struct {
	Choice RouteChoice
	Number string
}

// routeOf reads a target of api.Forwarding; empty means empty (voicemail for the conditions,
// default for activities).
func routeOf(target string, empty RouteChoice) RouteField {
	switch target {
	case "":
		return RouteField{Choice: empty}
	case api.ForwardVoicemail:
		return RouteField{Choice: RouteVoicemail}
	case api.ForwardNone:
		return RouteField{Choice: RouteNone}
	}
	return RouteField{Choice: RouteNumber, Number: target}
}

// target is the api.Forwarding value of the choice; what a number means is the server's to
// judge (it answers 400 with the reason), but an empty number is caught here.
func (r RouteField) target(what string, tr Strings) (string, error) {
	switch r.Choice {
	case RouteVoicemail:
		return api.ForwardVoicemail, nil
	case RouteNone:
		return api.ForwardNone, nil
	case RouteNumber:
		n := CleanNumber(r.Number)
		if n == "" {
			return "", fmt.Errorf("%s", tr.F(KErrFwdNumber, what))
		}
		return n, nil
	}
	return "", nil
}

// RingTimes are the ring times offered, in seconds (ROUTE-2: 5–120).
var RingTimes = []int{5, 10, 15, 20, 25, 30, 40, 50, 60, 90, 120}

// DefaultRingTime is the server's ring time when none is set.
const DefaultRingTime = 20

// ForwardingForm is the state of the forwarding and voicemail settings screen, without
// widgets: built from the server's answers, edited by the screen, turned back into requests.
type ForwardingForm struct {
	ImmediateOn bool
	Immediate   string // kept while the switch is off, so turning it on again restores it
	Busy        RouteField
	NoAnswer    RouteField
	Unreachable RouteField
	RingSeconds int
	Activities  map[int]RouteField // by activity number; missing = RouteDefault
	Hours       OfficeHoursForm    // kept while switched off, like Immediate
	VIPs        []string           // read-only
	VM          api.VoicemailSettings
}

// NewForwardingForm fills the form from the server's settings.
func NewForwardingForm(f api.Forwarding, s api.VoicemailSettings) ForwardingForm {
	ff := ForwardingForm{
		ImmediateOn: f.Immediate != "",
		Immediate:   f.Immediate,
		Busy:        routeOf(f.Busy, RouteVoicemail),
		NoAnswer:    routeOf(f.NoAnswer, RouteVoicemail),
		Unreachable: routeOf(f.Unreachable, RouteVoicemail),
		RingSeconds: f.RingTimeSeconds,
		Activities:  map[int]RouteField{},
		Hours:       officeHoursOf(f.Hours),
		VIPs:        slices.Clone(f.VIPs),
		VM:          s,
	}
	if ff.RingSeconds == 0 {
		ff.RingSeconds = DefaultRingTime
	}
	if ff.VM.Notify == "" {
		ff.VM.Notify = api.NotifySMS
	}
	for _, a := range f.Activities {
		ff.Activities[a.Activity] = routeOf(a.Target, RouteDefault)
	}
	return ff
}

// Forwarding is the request of the form. acts names the activities in errors; activities
// left on Default are not sent.
func (ff ForwardingForm) Forwarding(acts []api.Activity, tr Strings) (api.Forwarding, error) {
	var f api.Forwarding
	var err error
	if ff.ImmediateOn {
		if f.Immediate = CleanNumber(ff.Immediate); f.Immediate == "" {
			return f, fmt.Errorf("%s", tr.F(KErrFwdNumber, tr.T(KFwdImmediate)))
		}
	}
	if f.Busy, err = ff.Busy.target(tr.T(KFwdBusy), tr); err != nil {
		return f, err
	}
	if f.NoAnswer, err = ff.NoAnswer.target(tr.T(KFwdNoAnswer), tr); err != nil {
		return f, err
	}
	if f.Unreachable, err = ff.Unreachable.target(tr.T(KFwdUnreachable), tr); err != nil {
		return f, err
	}
	f.RingTimeSeconds = ff.RingSeconds
	nums := make([]int, 0, len(ff.Activities))
	for n := range ff.Activities {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		r := ff.Activities[n]
		if r.Choice == RouteDefault {
			continue
		}
		t, err := r.target(activityName(n, "", acts, tr.Lang()), tr)
		if err != nil {
			return f, err
		}
		f.Activities = append(f.Activities, api.ActivityRoute{Activity: n, Target: t})
	}
	if f.Hours, err = ff.Hours.request(tr); err != nil {
		return f, err
	}
	return f, nil
}

// Settings is the voicemail options request of the form.
func (ff ForwardingForm) Settings() api.VoicemailSettings {
	s := ff.VM
	s.CustomerService = strings.TrimSpace(s.CustomerService)
	return s
}

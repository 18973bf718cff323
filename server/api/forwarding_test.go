package api

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

func TestForwardingRoundTrip(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	u := e.accts["1002"]
	tok := e.login(t, "1002")

	var f shared.Forwarding
	code, body := e.do(t, "GET", "/api/forwarding", tok, nil)
	wantJSON(t, "defaults", code, body, 200, &f)
	if f.Immediate != "" || f.Busy != "voicemail" || f.NoAnswer != "voicemail" || f.Unreachable != "voicemail" ||
		f.RingTimeSeconds != 0 || f.Activities == nil || len(f.Activities) != 0 || f.VIPs != nil {
		t.Fatalf("defaults %s", body)
	}

	req := shared.Forwarding{Immediate: "040 123 4567", Busy: "1003", NoAnswer: "none", RingTimeSeconds: 30,
		Unreachable: "", Activities: []shared.ActivityRoute{
			{Activity: sharedpresence.Meeting, Target: "+46 8 123 456 78"},
			{Activity: sharedpresence.Lunch, Target: "voicemail"},
		}, VIPs: []string{"+358400000000"},
		Hours: &shared.OfficeHours{Days: []int{5, 1, 2}, Start: "08:00", End: "16:30", Outside: "1003"}}
	code, body = e.do(t, "PUT", "/api/forwarding", tok, req)
	wantJSON(t, "put", code, body, 200, &f)
	want := shared.Forwarding{Immediate: "+358401234567", Busy: "1003", NoAnswer: "none", RingTimeSeconds: 30,
		Unreachable: "voicemail", Activities: []shared.ActivityRoute{
			{Activity: sharedpresence.Lunch, Target: "voicemail"},
			{Activity: sharedpresence.Meeting, Target: "+46812345678"},
		}, Hours: &shared.OfficeHours{Days: []int{1, 2, 5}, Start: "08:00", End: "16:30", Outside: "1003"}}
	if !equalForwarding(f, want) {
		t.Fatalf("put answered %+v, want %+v", f, want)
	}
	code, body = e.do(t, "GET", "/api/forwarding", tok, nil)
	wantJSON(t, "get", code, body, 200, &f)
	if !equalForwarding(f, want) {
		t.Fatalf("get %+v, want %+v", f, want)
	}
	// What the call router reads: voicemail as "", the rest normalised.
	rec, err := e.st.Forwarding(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantActs := map[int]string{sharedpresence.Lunch: "", sharedpresence.Meeting: "+46812345678"}
	if rec.Immediate != "+358401234567" || rec.Busy != "1003" || rec.NoAnswer != store.ForwardNone || rec.Unreachable != "" ||
		rec.RingTime != 30*time.Second || !maps.Equal(rec.Activities, wantActs) ||
		rec.Hours == nil || rec.Hours.Start != 8*60 || rec.Hours.End != 16*60+30 || !rec.Hours.Days[time.Friday] || rec.Hours.Days[time.Sunday] {
		t.Fatalf("stored %+v", rec)
	}

	// Clearing: the immediate forward off, the default ring time, no activity routes.
	code, body = e.do(t, "PUT", "/api/forwarding", tok, shared.Forwarding{Busy: "VoiceMail"})
	f = shared.Forwarding{}
	wantJSON(t, "clear", code, body, 200, &f)
	if !equalForwarding(f, shared.Forwarding{Busy: "voicemail", NoAnswer: "voicemail", Unreachable: "voicemail"}) {
		t.Fatalf("cleared %+v", f)
	}
	if rec, _ := e.st.Forwarding(ctx, u.ID); rec.Immediate != "" || rec.RingTime != 0 || rec.Ring() != store.DefaultRingTime || len(rec.Activities) != 0 || rec.Hours != nil {
		t.Fatalf("stored after clear %+v", rec)
	}
}

func equalForwarding(a, b shared.Forwarding) bool {
	return a.Immediate == b.Immediate && a.Busy == b.Busy && a.NoAnswer == b.NoAnswer && a.Unreachable == b.Unreachable &&
		a.RingTimeSeconds == b.RingTimeSeconds && slices.Equal(a.Activities, b.Activities) && slices.Equal(a.VIPs, b.VIPs) &&
		(a.Hours == nil) == (b.Hours == nil) && (a.Hours == nil || (slices.Equal(a.Hours.Days, b.Hours.Days) &&
		a.Hours.Start == b.Hours.Start && a.Hours.End == b.Hours.End && a.Hours.Outside == b.Hours.Outside))
}

func TestForwardingBadInput(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	tok := e.login(t, "1001") // company +358912341001, mobile +358401231001
	tests := []struct {
		name string
		body any
		want string
	}{
		{"busy letters", shared.Forwarding{Busy: "reception"}, "busy: not a phone number"},
		{"busy service code", shared.Forwarding{Busy: "*21#"}, "busy: not a phone number"},
		{"busy no such extension", shared.Forwarding{Busy: "1234"}, "busy: no such extension 1234"},
		{"no answer too short", shared.Forwarding{NoAnswer: "12"}, "no answer: not a phone number"},
		{"unreachable no such extension", shared.Forwarding{Unreachable: "9999"}, "unreachable: no such extension 9999"},
		{"immediate voicemail", shared.Forwarding{Immediate: "voicemail"}, "immediate: not a phone number"},
		{"immediate none", shared.Forwarding{Immediate: "none"}, "immediate: not a phone number"},
		{"immediate service code", shared.Forwarding{Immediate: "#31#"}, "immediate: not a phone number"},
		{"ring time too short", shared.Forwarding{RingTimeSeconds: 4}, "ring time must be 5–120 seconds"},
		{"ring time too long", shared.Forwarding{RingTimeSeconds: 121}, "ring time must be 5–120 seconds"},
		{"ring time negative", shared.Forwarding{RingTimeSeconds: -20}, "ring time must be 5–120 seconds"},
		{"unknown activity", shared.Forwarding{Activities: []shared.ActivityRoute{{Activity: 42, Target: "1002"}}}, "unknown activity 42"},
		{"activity zero", shared.Forwarding{Activities: []shared.ActivityRoute{{Activity: 0}}}, "unknown activity 0"},
		{"activity twice", shared.Forwarding{Activities: []shared.ActivityRoute{{Activity: 3, Target: "1002"}, {Activity: 3}}}, "activity 3 listed twice"},
		{"activity bad target", shared.Forwarding{Activities: []shared.ActivityRoute{{Activity: 4, Target: "boss"}}}, "activity 4: not a phone number"},
		{"own extension", shared.Forwarding{Immediate: "1001"}, "immediate: forwarding to yourself"},
		{"own mobile, national form", shared.Forwarding{Busy: "040 123 1001"}, "busy: forwarding to yourself"},
		{"own company number", shared.Forwarding{NoAnswer: "+358 9 1234 1001"}, "no answer: forwarding to yourself"},
		{"own number for an activity", shared.Forwarding{Activities: []shared.ActivityRoute{{Activity: 4, Target: "00358401231001"}}}, "activity 4: forwarding to yourself"},
		{"office hours end before start", shared.Forwarding{Hours: &shared.OfficeHours{Days: []int{1}, Start: "16:00", End: "08:00"}}, "office hours: end must be after start"},
		{"office hours bad time", shared.Forwarding{Hours: &shared.OfficeHours{Start: "25:00", End: "26:00"}}, `office hours: bad time "25:00"`},
		{"office hours sloppy time", shared.Forwarding{Hours: &shared.OfficeHours{Start: "8:00", End: "16:00"}}, `office hours: bad time "8:00"`},
		{"office hours bad day", shared.Forwarding{Hours: &shared.OfficeHours{Days: []int{7}, Start: "08:00", End: "16:00"}}, "office hours: bad day 7"},
		{"office hours bad target", shared.Forwarding{Hours: &shared.OfficeHours{Start: "08:00", End: "16:00", Outside: "boss"}}, "office hours: not a phone number"},
		{"invalid JSON", `{"busy":`, "invalid JSON"},
		{"wrong type", `{"ring_seconds":"20"}`, "invalid JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := e.do(t, "PUT", "/api/forwarding", tok, tc.body)
			wantError(t, tc.name, code, body, 400, tc.want)
		})
	}
	// Nothing was applied.
	rec, err := e.st.Forwarding(ctx, e.accts["1001"].ID)
	if err != nil {
		t.Fatal(err)
	}
	if rec.Immediate != "" || rec.Busy != "" || rec.NoAnswer != "" || rec.Unreachable != "" || rec.RingTime != 0 || len(rec.Activities) != 0 {
		t.Fatalf("a refused change was applied: %+v", rec)
	}
}

// TestForwardingVIPs: the numbers that pass the away notice come from the user's personal VIP
// contacts, a colleague's by extension and both numbers, without duplicates; other users'
// and non-VIP contacts do not count.
func TestForwardingVIPs(t *testing.T) {
	e := newEnv(t, nil)
	aino, emma := e.accts["1001"], e.accts["1005"]
	tok := e.login(t, "1001")
	for _, c := range []shared.Contact{
		{UserID: emma.ID, VIP: true},                                  // a colleague
		{Name: "Emma (mobile)", Mobile: emma.MobileNumber, VIP: true}, // the same number again
		{Name: "Not VIP", Mobile: "+358409999999"},
	} {
		if code, body := e.do(t, "POST", "/api/contacts", tok, c); code != 200 {
			t.Fatalf("contact: %d %s", code, body)
		}
	}
	// Another user's VIP contact is not Aino's.
	if code, body := e.do(t, "POST", "/api/contacts", e.login(t, "1002"), shared.Contact{Name: "Other", Mobile: "+358408888888", VIP: true}); code != 200 {
		t.Fatalf("contact: %d %s", code, body)
	}
	var f shared.Forwarding
	code, body := e.do(t, "GET", "/api/forwarding", tok, nil)
	wantJSON(t, "aino", code, body, 200, &f)
	// The demo seeds Aino's VIP customer Kaisa Järvelä (+358501234567).
	want := []string{"+358501234567", emma.CompanyNumber, emma.MobileNumber, "1005"}
	slices.Sort(want)
	if !slices.Equal(f.VIPs, want) {
		t.Fatalf("VIPs %v, want %v (aino %s)", f.VIPs, want, aino.Extension)
	}
	f = shared.Forwarding{} // vips is omitted when empty
	code, body = e.do(t, "GET", "/api/forwarding", e.login(t, "1003"), nil)
	wantJSON(t, "no VIPs", code, body, 200, &f)
	if len(f.VIPs) != 0 {
		t.Fatalf("1003's VIPs %v", f.VIPs)
	}
}

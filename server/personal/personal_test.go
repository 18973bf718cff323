package personal

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/server/voicemail"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// states is a presence fake: the test sets each user's state.
type states map[int64]presence.State

func (s states) Get(_ context.Context, id int64) (presence.State, error) {
	st, ok := s[id]
	if !ok {
		return presence.State{Activity: sharedpresence.Available, Green: true}, nil
	}
	return st, nil
}

type brokenPresence struct{}

func (brokenPresence) Get(context.Context, int64) (presence.State, error) {
	return presence.State{}, errors.New("hub down")
}

type silentVoice struct{}

func (silentVoice) Clips(_ string, keys ...string) ([]mediaapp.Clip, error) {
	out := make([]mediaapp.Clip, len(keys))
	for i, k := range keys {
		out[i] = mediaapp.Clip{Name: k}
	}
	return out, nil
}

type env struct {
	st    *sqlite.Store
	org   store.Org
	users map[string]store.User
}

func newEnv(t testing.TB) env {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "v.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, _, err := demo.Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	e := env{st: st, org: org, users: map[string]store.User{}}
	for _, ext := range []string{"1001", "1002", "1003"} {
		u, err := st.UserByExtension(ctx, org.ID, ext)
		if err != nil {
			t.Fatal(err)
		}
		e.users[ext] = u
	}
	return e
}

func (e env) router(t testing.TB, p Presence) *Router {
	mb, err := voicemail.New(voicemail.Config{Root: t.TempDir(), Store: e.st})
	if err != nil {
		t.Fatal(err)
	}
	return New(Deps{Store: e.st, Presence: p, Voicemail: &voicemail.DepositDeps{Mailbox: mb, Store: e.st, Voice: silentVoice{}}})
}

func (e env) call(callee, caller string, stage routing.Stage) b2bua.PersonalCall {
	c := b2bua.PersonalCall{Org: e.org, Callee: e.users[callee], Stage: stage}
	if u, ok := e.users[caller]; ok {
		c.Caller, c.CallerNumber, c.CallerName = u, u.Extension, u.Name
	} else {
		c.CallerNumber = caller
	}
	return c
}

// TestDivertAwayNoticeVIP (AWAY-1): with the away-notice role and a red activity, a caller gets
// the announcement unless one of the caller's numbers is on the user's VIP list — also a
// colleague saved as an outside contact by mobile number, and an outside caller by number.
func TestDivertAwayNoticeVIP(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	a := e.users["1001"]
	away := states{a.ID: {UserID: a.ID, Activity: sharedpresence.Away, Role: sharedpresence.RoleAwayNotice}}
	r := e.router(t, away)

	if d := r.Divert(ctx, e.call("1001", "1003", routing.Arriving)); d.Action.Kind != routing.Announce || d.Flow == nil {
		t.Fatalf("1003 before VIP: %v (flow %v)", d.Action, d.Flow != nil)
	}
	// 1003 saved as an outside contact by its mobile number, marked VIP.
	if _, err := e.st.CreateContact(ctx, store.Contact{OrgID: e.org.ID, OwnerID: a.ID, Name: "Sofia", Mobile: e.users["1003"].MobileNumber, VIP: true}); err != nil {
		t.Fatal(err)
	}
	// 1002 saved as a colleague contact, not VIP.
	if _, err := e.st.CreateContact(ctx, store.Contact{OrgID: e.org.ID, OwnerID: a.ID, UserID: e.users["1002"].ID, Name: "Mikko"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		caller string
		want   routing.ActionKind
	}{
		{"1003", routing.Ring},          // VIP by the mobile number of an outside contact
		{"1002", routing.Announce},      // a contact, but not VIP
		{"+358501234567", routing.Ring}, // demo VIP Kaisa Järvelä calling from outside
		{"+358409999999", routing.Announce},
		{"", routing.Announce}, // withheld number
	}
	for _, tt := range tests {
		if d := r.Divert(ctx, e.call("1001", tt.caller, routing.Arriving)); d.Action.Kind != tt.want {
			t.Errorf("caller %q: %v (%s), want %v", tt.caller, d.Action.Kind, d.Action.Reason, tt.want)
		}
	}
	// A colleague contact marked VIP passes by user.
	if _, err := e.st.CreateContact(ctx, store.Contact{OrgID: e.org.ID, OwnerID: a.ID, UserID: e.users["1002"].ID, Name: "Mikko", VIP: true}); err != nil {
		t.Fatal(err)
	}
	if d := r.Divert(ctx, e.call("1001", "1002", routing.Arriving)); d.Action.Kind != routing.Ring {
		t.Errorf("1002 as VIP colleague: %v", d.Action)
	}
}

// TestDivertFacts: forwarding and voicemail settings from the store and presence reach the
// decision, and the flows are built only when the server can speak.
func TestDivertFacts(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.users["1002"]
	meeting := states{b.ID: {UserID: b.ID, Activity: sharedpresence.Meeting}}
	r := e.router(t, meeting)

	d := r.Divert(ctx, e.call("1002", "1001", routing.Arriving))
	if d.Action.Kind != routing.ToVoicemail || !d.Action.Diverted || d.Flow == nil {
		t.Fatalf("in a meeting: %+v", d.Action)
	}
	c := e.call("1002", "1001", routing.Arriving)
	c.Via = routing.ViaMobile
	if d := r.Divert(ctx, c); d.Action.Kind != routing.Ring {
		t.Fatalf("mobile in a meeting: %+v", d.Action)
	}
	if err := e.st.PutForwarding(ctx, store.Forwarding{UserID: b.ID, NoAnswer: "1003", RingTime: 30 * time.Second,
		Activities: map[int]string{sharedpresence.Meeting: "1001"}}); err != nil {
		t.Fatal(err)
	}
	if d := r.Divert(ctx, e.call("1002", "1003", routing.Arriving)); d.Action.Kind != routing.Forward || d.Action.Number != "1001" {
		t.Fatalf("activity routing: %+v", d.Action)
	}
	r = e.router(t, states{})
	if d := r.Divert(ctx, e.call("1002", "1003", routing.Arriving)); d.Action.Kind != routing.Ring || d.Action.RingTime != 30*time.Second {
		t.Fatalf("available: %+v", d.Action)
	}
	if d := r.Divert(ctx, e.call("1002", "1003", routing.NoAnswer)); d.Action.Kind != routing.Forward || d.Action.Number != "1003" {
		t.Fatalf("no answer: %+v", d.Action)
	}
	if d := r.Divert(ctx, e.call("1002", "1003", routing.Busy)); d.Action.Kind != routing.ToVoicemail || d.Flow == nil {
		t.Fatalf("busy: %+v", d.Action)
	}
	// VM-5: no voicemail, so busy fails.
	vs := store.DefaultVoicemailSettings(b.ID)
	vs.Enabled = false
	if err := e.st.PutVoicemailSettings(ctx, vs); err != nil {
		t.Fatal(err)
	}
	if d := r.Divert(ctx, e.call("1002", "1003", routing.Busy)); d.Action.Kind != routing.Fail || d.Flow != nil {
		t.Fatalf("busy without voicemail: %+v", d.Action)
	}

	// Without prompts the server cannot answer: unreachable fails instead of a silent mailbox.
	mute := New(Deps{Store: e.st, Presence: states{}})
	if d := mute.Divert(ctx, e.call("1003", "1001", routing.Unreachable)); d.Flow != nil || d.Action.Kind != routing.Fail {
		t.Fatalf("no voice: %+v flow %v", d.Action, d.Flow != nil)
	}
	// A presence that cannot be read counts as available: the call rings.
	if d := New(Deps{Store: e.st, Presence: brokenPresence{}}).Divert(ctx, e.call("1003", "1001", routing.Arriving)); d.Action.Kind != routing.Ring {
		t.Fatalf("broken presence: %+v", d.Action)
	}
}

func TestRedPresence(t *testing.T) {
	until := time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
	p := RedPresence{Presence: states{1: {Activity: 4, Until: until}, 2: {Activity: 1, Green: true}}}
	if a, u, ok := p.Red(context.Background(), 1); !ok || a != 4 || !u.Equal(until) {
		t.Fatalf("red: %d %v %v", a, u, ok)
	}
	if _, _, ok := p.Red(context.Background(), 2); ok {
		t.Fatal("green activity reported red")
	}
	if _, _, ok := (RedPresence{Presence: brokenPresence{}}).Red(context.Background(), 1); ok {
		t.Fatal("unreadable presence reported red")
	}
}

// BenchmarkDivert: the cost personal routing adds to every call for a user (forwarding,
// voicemail settings and presence read from SQLite and the hub fake, then Decide).
func BenchmarkDivert(b *testing.B) {
	e := newEnv(b)
	ctx := context.Background()
	u := e.users["1002"]
	if err := e.st.PutForwarding(ctx, store.Forwarding{UserID: u.ID, NoAnswer: "1003"}); err != nil {
		b.Fatal(err)
	}
	r := e.router(b, states{u.ID: {UserID: u.ID, Activity: sharedpresence.Available, Green: true}})
	c := e.call("1002", "1001", routing.Arriving)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if d := r.Divert(ctx, c); d.Action.Kind != routing.Ring {
			b.Fatal(d.Action)
		}
	}
}

// TestDivertOfficeHours (ROUTE-3): outside the office hours kept in the user's time zone, a call
// to the company number goes to the "outside" target; inside them it rings.
func TestDivertOfficeHours(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	b := e.users["1002"]
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		helsinki = time.FixedZone("EET", 2*3600)
	}
	hours := &store.OfficeHours{Start: 8 * 60, End: 16*60 + 30, Outside: "1003"}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = true
	}
	if err := e.st.PutForwarding(ctx, store.Forwarding{UserID: b.ID, Hours: hours}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		at   time.Time
		want routing.ActionKind
	}{
		{"Wednesday 10:00", time.Date(2026, 11, 25, 10, 0, 0, 0, helsinki), routing.Ring},
		{"Wednesday 16:29", time.Date(2026, 11, 25, 16, 29, 0, 0, helsinki), routing.Ring},
		{"Wednesday 16:30", time.Date(2026, 11, 25, 16, 30, 0, 0, helsinki), routing.Forward},
		{"Wednesday 07:59", time.Date(2026, 11, 25, 7, 59, 0, 0, helsinki), routing.Forward},
		{"Saturday 10:00", time.Date(2026, 11, 28, 10, 0, 0, 0, helsinki), routing.Forward},
		// 07:00 UTC is 09:00 in Helsinki: office time although the clock reads UTC.
		{"Wednesday 07:00 UTC", time.Date(2026, 11, 25, 7, 0, 0, 0, time.UTC), routing.Ring},
	}
	for _, tt := range tests {
		r := New(Deps{Store: e.st, Presence: states{}, Now: func() time.Time { return tt.at }, Location: helsinki})
		d := r.Divert(ctx, e.call("1002", "1001", routing.Arriving))
		if d.Action.Kind != tt.want || (tt.want == routing.Forward && d.Action.Number != "1003") {
			t.Errorf("%s: %v %q (%s), want %v", tt.name, d.Action.Kind, d.Action.Number, d.Action.Reason, tt.want)
		}
	}
}

// TestDivertOfficeHoursOrgTimeZone: without an override, office hours are kept in the callee's
// organisation's time zone (Org.Location, Europe/Helsinki when unset), whatever the server's
// zone; the clock is injected in UTC.
func TestDivertOfficeHoursOrgTimeZone(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	hours := &store.OfficeHours{Start: 8 * 60, End: 16 * 60, Outside: "1003"}
	for d := time.Monday; d <= time.Friday; d++ {
		hours.Days[d] = true
	}
	if err := e.st.PutForwarding(ctx, store.Forwarding{UserID: e.users["1002"].ID, Hours: hours}); err != nil {
		t.Fatal(err)
	}
	utc := func(h int) time.Time { return time.Date(2026, 11, 25, h, 0, 0, 0, time.UTC) } // a Wednesday
	tests := []struct {
		name, zone string
		at         time.Time
		want       routing.ActionKind
	}{
		{"unset zone: 07:00 UTC is 09:00 in Helsinki", "", utc(7), routing.Ring},
		{"unset zone: 14:00 UTC is 16:00 in Helsinki", "", utc(14), routing.Forward},
		{"New York: 12:00 UTC is 07:00 there", "America/New_York", utc(12), routing.Forward},
		{"New York: 14:00 UTC is 09:00 there", "America/New_York", utc(14), routing.Ring},
		{"Tokyo: 23:00 UTC is Thursday 08:00 there", "Asia/Tokyo", utc(23), routing.Ring},
		{"Tokyo: 07:00 UTC is 16:00 there", "Asia/Tokyo", utc(7), routing.Forward},
	}
	for _, tt := range tests {
		c := e.call("1002", "1001", routing.Arriving)
		c.Org.TimeZone = tt.zone
		r := New(Deps{Store: e.st, Presence: states{}, Now: func() time.Time { return tt.at }})
		d := r.Divert(ctx, c)
		if d.Action.Kind != tt.want {
			t.Errorf("%s: %v (%s), want %v", tt.name, d.Action.Kind, d.Action.Reason, tt.want)
		}
	}
}

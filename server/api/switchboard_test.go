package api

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// fakeParked is call park's list by organisation.
type fakeParked map[int64][]shared.ParkedCall

func (f fakeParked) Parked(orgID int64) []shared.ParkedCall { return f[orgID] }

// TestSwitchboardParked: a user sees their own organisation's parked calls, never another's
// (an empty list, not null), and a server without park answers 501.
func TestSwitchboardParked(t *testing.T) {
	a := newAdminEnv(t)
	since := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	want := shared.ParkedCall{Slot: 3, Number: "+358401112222", ParkedBy: "1002", ParkedByName: "Bob",
		Since: since, Retrieve: "9893"}
	a.s.deps.Parked = fakeParked{a.demo.ID: {want}}
	token := a.demoUser
	for _, tc := range []struct {
		name  string
		token string
		want  int
	}{
		{"own organisation", token, 1},
		{"other organisation", a.acmeUser, 0},
	} {
		res, body := get(t, a.url+"/api/switchboard/parked", tc.token)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", tc.name, res.StatusCode, body)
		}
		var got shared.ParkedCalls
		if err := json.Unmarshal(body, &got); err != nil || got.Parked == nil {
			t.Fatalf("%s: %s: %v (want a list)", tc.name, body, err)
		}
		if len(got.Parked) != tc.want || (tc.want == 1 && got.Parked[0] != want) {
			t.Fatalf("%s: parked %+v, want %d", tc.name, got.Parked, tc.want)
		}
	}
	if res, _ := get(t, a.url+"/api/switchboard/parked", ""); res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("without a token: %d, want 401", res.StatusCode)
	}
}

func TestSwitchboardParkedWithoutPark(t *testing.T) {
	a := newAdminEnv(t)
	if res, _ := get(t, a.url+"/api/switchboard/parked", a.demoUser); res.StatusCode != http.StatusNotImplemented {
		t.Fatalf("without park: %d, want 501", res.StatusCode)
	}
}

// TestSwitchboardForwarding: an operator (and an admin) sees a colleague's forwarding before a
// transfer, with the rule of the colleague's current activity; a plain colleague does not (the
// targets can be private numbers), and another organisation's admin never finds the user.
func TestSwitchboardForwarding(t *testing.T) {
	a := newAdminEnv(t)
	ctx := context.Background()
	erik, err := a.st.UserByExtension(ctx, a.demo.ID, "1006")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.PutForwarding(ctx, store.Forwarding{UserID: erik.ID, Immediate: "+358401234567", Busy: "1002",
		RingTime: 25 * time.Second}); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{"operator": a.login(t, "1009"), "admin": a.demoAdmin, "colleague": a.demoUser,
		"acme": a.acmeAdmin}
	for _, tc := range []struct {
		who, ext string
		want     int
	}{
		{"operator", "1006", 200}, {"admin", "1006", 200}, {"colleague", "1006", 403},
		{"acme", "1006", 404}, {"operator", "1999", 404}, {"", "1006", 401},
	} {
		res, body := get(t, a.url+"/api/switchboard/forwarding/"+tc.ext, tokens[tc.who])
		if res.StatusCode != tc.want {
			t.Fatalf("%s GET forwarding of %s: %d %s, want %d", tc.who, tc.ext, res.StatusCode, body, tc.want)
		}
		if tc.want != 200 {
			continue
		}
		var got shared.ColleagueForwarding
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatal(err)
		}
		want := shared.ColleagueForwarding{Extension: "1006", Immediate: "+358401234567", Busy: "1002", NoAnswer: shared.ForwardVoicemail, RingTimeSeconds: 25}
		if got != want {
			t.Fatalf("%s: forwarding %+v, want %+v", tc.who, got, want)
		}
	}
}

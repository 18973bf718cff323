package api

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

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

package provision

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

func TestGroupNumber(t *testing.T) {
	o := store.Org{CountryCode: "358", VoicemailNumber: "8050", EmergencyNumbers: "8099"}
	tests := []struct{ in, want, err string }{
		{"8000", "8000", ""},
		{" 8001 ", "8001", ""},
		{"09 1234 500", "+35891234500", ""},
		{"+358 9 1234 500", "+35891234500", ""},
		{"8050", "", "service or emergency"},
		{"8099", "", "service or emergency"},
		{"8100", "", "test number"},
		{"2001", "", "test number"},
		{"*21#", "", "test number"},
		{"", "", "test number"},
	}
	for _, tc := range tests {
		got, err := GroupNumber(tc.in, o)
		if tc.err == "" && (err != nil || got != tc.want) || tc.err != "" && (err == nil || !IsInput(err) || !strings.Contains(err.Error(), tc.err)) {
			t.Errorf("GroupNumber(%q) = %q, %v; want %q, %q", tc.in, got, err, tc.want, tc.err)
		}
	}
}

// TestCheckNormalises: what the checks answer is what the store keeps — skills 1–3, a hunt
// group's default mode, a menu key to its own number as replay, targets in E.164, hours
// without Outside, every device as none chosen.
func TestCheckNormalises(t *testing.T) {
	ctx := context.Background()
	s, st := newService(t)
	o := acme(t, s)
	o.AgentLicences = 1
	if err := st.UpdateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	u, _ := st.UserByExtension(ctx, o.ID, "2001")
	u.Agent = true
	if err := st.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	q, err := CheckQueue(ctx, st, o, store.Queue{Name: " Tuki ", Number: "8000", NoAgentsTarget: "040 555 1234",
		Members: []store.QueueMember{{UserID: u.ID}}, Devices: store.Devices{Softphone: true, Desk: true, Mobile: true},
		Hours: &store.OfficeHours{Days: [7]bool{1: true}, Start: 60, End: 120, Outside: "2001"}, RingTime: 15 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if q.Name != "Tuki" || q.OrgID != o.ID || q.Members[0].Skill != 3 || q.NoAgentsTarget != "+358405551234" ||
		!q.Devices.All() || q.Hours.Outside != "" {
		t.Fatalf("CheckQueue = %+v", q)
	}
	h, err := CheckHuntGroup(ctx, st, o, store.HuntGroup{Name: "H", Number: "8001", Members: []int64{u.ID}, AfterTarget: "8000"})
	if err == nil {
		t.Fatalf("a target that is no group yet: %+v", h)
	}
	if _, err := st.CreateQueue(ctx, q); err != nil {
		t.Fatal(err)
	}
	h, err = CheckHuntGroup(ctx, st, o, store.HuntGroup{Name: "H", Number: "8001", Members: []int64{u.ID}, AfterTarget: "8000"})
	if err != nil || h.Mode != store.HuntParallel || h.AfterTarget != "8000" {
		t.Fatalf("CheckHuntGroup = %+v, %v", h, err)
	}
	m, err := CheckMenu(ctx, st, o, store.Menu{Name: "M", Number: "8020", Options: map[string]string{"1": "8000", "*": "8020", "0": "voicemail: 2001"}})
	if err != nil || m.Options["*"] != "" || m.Options["1"] != "8000" || m.Options["0"] != "voicemail:2001" {
		t.Fatalf("CheckMenu = %+v, %v", m, err)
	}
	if _, err := st.CreateMenu(ctx, m); err != nil {
		t.Fatal(err)
	}
	if err := CheckUnused(ctx, st, o, "8000", q.ID); !IsConflict(err) || !strings.Contains(err.Error(), `menu "M" (8020)`) {
		t.Fatalf("CheckUnused(8000) = %v", err)
	}
	if err := CheckUserUnused(ctx, st, o, "2001"); !IsConflict(err) || !strings.Contains(err.Error(), `menu "M"`) {
		t.Fatalf("CheckUserUnused(2001) = %v", err)
	}
	// Bad input is InputError, never a conflict; a rule of the organisation is both.
	if _, err := CheckQueue(ctx, st, o, store.Queue{Name: "X", Number: "8002", WrapUp: -time.Second}); !IsInput(err) || IsConflict(err) {
		t.Fatalf("negative wrap-up: %v", err)
	}
	u2, _ := st.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "2002", Name: "B"})
	if _, err := CheckQueue(ctx, st, o, store.Queue{Name: "X", Number: "8002", Members: []store.QueueMember{{UserID: u2.ID}}}); !IsInput(err) || !IsConflict(err) {
		t.Fatalf("member without the role: %v", err)
	}
}

package b2bua

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
)

func TestRoleNumber(t *testing.T) {
	const (
		mob   = "+358401110001"
		comp  = "+35891110001"
		board = "+35891110000"
		trunk = "+35891119999"
	)
	both := store.User{ID: 1, MobileNumber: mob, CompanyNumber: comp}
	mobOnly := store.User{ID: 1, MobileNumber: mob}
	compOnly := store.User{ID: 1, CompanyNumber: comp}
	none := store.User{ID: 1}
	withBoard := store.Org{Switchboard: board}
	tests := []struct {
		role presence.Role
		user store.User
		org  store.Org
		want string
	}{
		{presence.RoleMobile, both, withBoard, mob},
		{presence.RoleMobile, compOnly, withBoard, comp},
		{presence.RoleMobile, none, withBoard, trunk},
		{presence.RoleLandline, both, withBoard, comp},
		{presence.RoleLandline, mobOnly, withBoard, mob},
		{presence.RoleLandline, none, store.Org{}, trunk},
		{presence.RoleSwitchboard, both, withBoard, board},
		{presence.RoleSwitchboard, both, store.Org{}, comp},
		{presence.RoleSwitchboard, mobOnly, store.Org{}, mob},
		{presence.RoleSwitchboard, none, store.Org{}, trunk},
		{presence.RoleAwayNotice, both, withBoard, mob},
		{presence.RoleAwayNotice, compOnly, withBoard, comp},
		{presence.RoleHidden, both, withBoard, mob}, // the real number, for the carrier only
		{presence.RoleHidden, compOnly, withBoard, comp},
		{presence.Role(99), both, withBoard, mob},
	}
	for _, tc := range tests {
		name := fmt.Sprintf("%s/mobile=%t,company=%t,board=%t", tc.role.Names().EN, tc.user.MobileNumber != "", tc.user.CompanyNumber != "", tc.org.Switchboard != "")
		t.Run(name, func(t *testing.T) {
			if got := roleNumber(tc.role, tc.user, tc.org, trunk); got != tc.want {
				t.Fatalf("roleNumber = %q, want %q", got, tc.want)
			}
		})
	}
}

// rolePresence is a fake Presence with fixed roles that records every call state.
type rolePresence struct {
	mu     sync.Mutex
	roles  map[int64]presence.Role
	events []stateEvent
	// onState, when set, is told each reported state (as the presence hub would be), outside mu.
	onState func(stateEvent)
}

type stateEvent struct {
	user     int64
	key      string
	incoming bool
	state    presence.PhoneState
	peer     string
}

func (f *rolePresence) Role(_ context.Context, userID int64) presence.Role {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.roles[userID] // zero (invalid) for unknown users: the engine must fall back
}

func (f *rolePresence) setRole(userID int64, r presence.Role) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.roles == nil {
		f.roles = map[int64]presence.Role{}
	}
	f.roles[userID] = r
}

func (f *rolePresence) CallState(userID int64, callID string, incoming bool, state presence.PhoneState, peer string) {
	ev := stateEvent{userID, callID, incoming, state, peer}
	f.mu.Lock()
	f.events = append(f.events, ev)
	fn := f.onState
	f.mu.Unlock()
	if fn != nil {
		fn(ev)
	}
}

func (f *rolePresence) snapshot() []stateEvent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.events)
}

func (f *rolePresence) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = nil
}

func TestIdentityByRole(t *testing.T) {
	org := store.Org{Domain: "demo.example", Switchboard: "+35891110000"}
	u := party{user: store.User{ID: 7, Extension: "1001", Name: "Aino", MobileNumber: "+358401110001", CompanyNumber: "+35891110001"},
		number: "1001", display: "Aino"}
	e := &Engine{cfg: Config{Trunk: Trunk{Domain: "carrier.example", CallerID: "+35891119999"}}}
	hdr := func(id identity, name string) string {
		for _, h := range id.headers {
			if h.name == name {
				return h.value
			}
		}
		return ""
	}
	tests := []struct {
		role                   presence.Role
		trunkFrom, trunkPAI    string
		internalPAI            string
		privacy                bool
		internalShown, hidden0 string
	}{
		{presence.RoleMobile, "+358401110001", "<sip:+358401110001@carrier.example>", `"Aino" <sip:+358401110001@demo.example>`, false, "1001", ""},
		{presence.RoleLandline, "+35891110001", "<sip:+35891110001@carrier.example>", `"Aino" <sip:+35891110001@demo.example>`, false, "1001", ""},
		{presence.RoleSwitchboard, "+35891110000", "<sip:+35891110000@carrier.example>", `"Aino" <sip:+35891110000@demo.example>`, false, "1001", ""},
		{presence.RoleAwayNotice, "+358401110001", "<sip:+358401110001@carrier.example>", `"Aino" <sip:+358401110001@demo.example>`, false, "1001", ""},
		{presence.RoleHidden, "anonymous", "<sip:+358401110001@carrier.example>", "", true, "anonymous", ""},
	}
	for _, tc := range tests {
		t.Run(tc.role.Names().EN, func(t *testing.T) {
			tr := e.trunkIdentity(u, tc.role, org)
			if tr.from.User != tc.trunkFrom {
				t.Errorf("trunk From user = %q, want %q", tr.from.User, tc.trunkFrom)
			}
			if got := hdr(tr, "P-Asserted-Identity"); got != tc.trunkPAI {
				t.Errorf("trunk PAI = %q, want %q", got, tc.trunkPAI)
			}
			in := e.internalIdentity(u, tc.role, org)
			if got := hdr(in, "P-Asserted-Identity"); got != tc.internalPAI {
				t.Errorf("internal PAI = %q, want %q", got, tc.internalPAI)
			}
			if in.shown.number != tc.internalShown {
				t.Errorf("internal callee sees %q, want %q", in.shown.number, tc.internalShown)
			}
			for _, id := range []identity{tr, in} {
				if got := hdr(id, "Privacy") == "id"; got != tc.privacy {
					t.Errorf("Privacy: id present = %t, want %t", got, tc.privacy)
				}
			}
			if tc.privacy {
				for _, id := range []identity{tr, in} {
					if id.from.String() != "sip:anonymous@anonymous.invalid" || id.fromName != "Anonymous" || id.shown.display != "" {
						t.Errorf("hidden caller From = %q <%s>, shown %+v", id.fromName, id.from.String(), id.shown)
					}
				}
			} else if in.from.User != "1001" || in.fromName != "Aino" {
				t.Errorf("internal From = %q <%s>, want the extension (callbacks stay internal)", in.fromName, in.from.String())
			}
		})
	}

	// An external party sent back out (a transfer from the trunk) shows the trunk's caller ID.
	ext := e.trunkIdentity(party{number: "+358501112222"}, presence.RoleMobile, org)
	if ext.from.User != "+35891119999" || len(ext.headers) != 0 {
		t.Errorf("external party on the trunk: From %s, headers %v", ext.from.String(), ext.headers)
	}
	// A user with no numbers and no trunk caller ID: no asserted identity internally.
	bare := &Engine{}
	if id := bare.internalIdentity(party{user: store.User{ID: 8}, number: "1008"}, presence.RoleMobile, org); len(id.headers) != 0 {
		t.Errorf("user without numbers got headers %v", id.headers)
	}
}

func TestNameAddrEscapes(t *testing.T) {
	uri := sip.Uri{Scheme: "sip", User: "+358401", Host: "d"}
	got := nameAddr("A \"B\" \\C\r\n", uri)
	want := `"A \"B\" \\C" <sip:+358401@d>`
	if got != want {
		t.Fatalf("nameAddr = %s, want %s", got, want)
	}
	if nameAddr("", uri) != "<sip:+358401@d>" {
		t.Fatal("nameAddr without a name")
	}
}

func TestRoleWithoutPresence(t *testing.T) {
	e := &Engine{}
	if r := e.role(context.Background(), 5); r != presence.RoleMobile {
		t.Fatalf("role without presence = %v, want Mobile", r)
	}
	f := &rolePresence{}
	e.deps.Presence = f
	if r := e.role(context.Background(), 5); r != presence.RoleMobile {
		t.Fatalf("invalid role from presence = %v, want Mobile", r)
	}
	f.setRole(5, presence.RoleHidden)
	if r := e.role(context.Background(), 5); r != presence.RoleHidden {
		t.Fatalf("role = %v, want Hidden", r)
	}
}

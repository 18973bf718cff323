package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/voicemail"
	shared "github.com/vaihde/vaihde/shared/api"
)

// tenancyCase is one Softphone endpoint tried by another organisation (ORG-1).
type tenancyCase struct {
	method, pattern, path string
	body                  any
	// foreign is the status an administrator of acme gets when naming the demo organisation's
	// records: 404 for an ID or extension of demo's, else the answer about acme's own data.
	foreign int
}

// publicRoutes need no token and name no organisation's records.
var publicRoutes = []string{"GET /healthz", "POST /api/login", "/api/"}

// tenancyEnv is adminEnv with a mailbox holding a message of demo's 1002 and a prompt catalog.
func tenancyEnv(t *testing.T) (*adminEnv, map[string]string) {
	t.Helper()
	a := newAdminEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	generated := mediaapp.EncodeWAV(mediaapp.Tone(440, 200*time.Millisecond).Samples)
	for _, lang := range prompt.Languages {
		if err := os.MkdirAll(filepath.Join(dir, lang), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, lang, "goodbye.wav"), generated, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := prompt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	a.s.deps.Prompts = cat
	a.s.deps.Agents = newFakeAgents(a.st)
	a.s.deps.Parked = fakeParked{a.demo.ID: {{Slot: 1, Number: "+358401112222", ParkedBy: "1002", Retrieve: "9891"}}}
	a.acme.SMSSender = "Acme"
	if err := a.st.UpdateOrg(ctx, a.acme); err != nil {
		t.Fatal(err)
	}
	mb := a.withMailbox(t)
	demoUser := a.accts["1002"]
	v, err := mb.Save(ctx, voicemail.Message{OrgID: a.demo.ID, UserID: demoUser.ID, Caller: "+358401112222"},
		bytes.NewReader(testWAV(3, 8000)))
	if err != nil {
		t.Fatal(err)
	}
	// Demo's own recording of the prompt: acme must neither hear nor remove it.
	if err := cat.OrgInstall(a.demo.ID, "fi", "goodbye", bytes.NewReader(testWAV(5, 4000))); err != nil {
		t.Fatal(err)
	}
	orgContacts, err := a.st.ContactsOf(ctx, a.demo.ID, 0)
	if err != nil || len(orgContacts) == 0 {
		t.Fatalf("demo org contacts: %v %v", orgContacts, err)
	}
	personal, err := a.st.ContactsOf(ctx, a.demo.ID, a.accts["1001"].ID)
	if err != nil || len(personal) == 0 {
		t.Fatalf("demo personal contacts: %v %v", personal, err)
	}
	q := demoQueue(t, a.env)
	return a, map[string]string{
		"queue":     fmt.Sprint(q.ID),
		"agent":     fmt.Sprint(a.accts["1004"].ID),
		"voicemail": fmt.Sprint(v.ID),
		"contact":   fmt.Sprint(orgContacts[0].ID),
		"personal":  fmt.Sprint(personal[0].ID),
	}
}

// tenancyTable lists every endpoint of Handler except the admin ones (adminTable) and the
// public ones.
func tenancyTable(ids map[string]string) []tenancyCase {
	wav := string(mediaapp.EncodeWAV(mediaapp.Tone(600, 300*time.Millisecond).Samples))
	return []tenancyCase{
		{"GET", "/api/me", "/api/me", nil, 200},
		{"PUT", "/api/me", "/api/me", shared.ProfileUpdate{Title: ptr("Spy")}, 200},
		{"GET", "/api/calls", "/api/calls", nil, 200},
		{"GET", "/api/activities", "/api/activities", nil, 200},
		{"PUT", "/api/activities/{number}", "/api/activities/10", shared.Activity{NameEN: "Hacked"}, 200},
		{"GET", "/api/presence", "/api/presence", nil, 200},
		{"PUT", "/api/presence", "/api/presence", shared.PresenceUpdate{Activity: ptr(4)}, 200},
		{"GET", "/api/directory", "/api/directory?q=Virtanen", nil, 200},
		{"GET", "/api/events", "/api/events", nil, 200},
		{"GET", "/api/contacts", "/api/contacts", nil, 200},
		{"POST", "/api/contacts", "/api/contacts", shared.Contact{Org: true, Name: "Acme taxi", Phone: "0100 0700"}, 200},
		{"PUT", "/api/contacts/{id}", "/api/contacts/" + ids["contact"], shared.Contact{Name: "Hijacked"}, 404},
		{"PUT", "/api/contacts/{id}", "/api/contacts/" + ids["personal"], shared.Contact{Name: "Hijacked"}, 404},
		{"DELETE", "/api/contacts/{id}", "/api/contacts/" + ids["contact"], nil, 404},
		{"GET", "/api/conversations", "/api/conversations", nil, 200},
		{"GET", "/api/messages", "/api/messages?with=1002", nil, 404},
		{"POST", "/api/messages", "/api/messages", shared.SendMessage{To: "1002", Body: "hello stranger"}, 404},
		{"POST", "/api/messages/read", "/api/messages/read", shared.MarkRead{With: "1002"}, 404},
		{"POST", "/api/sms", "/api/sms", shared.SendSMS{To: "0405551234", Text: "Hei"}, 200},
		{"GET", "/api/sms/usage", "/api/sms/usage", nil, 200},
		{"GET", "/api/voicemail", "/api/voicemail", nil, 200},
		{"GET", "/api/voicemail/{id}/audio", "/api/voicemail/" + ids["voicemail"] + "/audio", nil, 404},
		{"PUT", "/api/voicemail/{id}", "/api/voicemail/" + ids["voicemail"], shared.VoicemailUpdate{Heard: true}, 404},
		{"DELETE", "/api/voicemail/{id}", "/api/voicemail/" + ids["voicemail"], nil, 404},
		{"GET", "/api/voicemail/settings", "/api/voicemail/settings", nil, 200},
		{"PUT", "/api/voicemail/settings", "/api/voicemail/settings", shared.VoicemailSettings{Enabled: true, Notify: "sms"}, 200},
		{"PUT", "/api/voicemail/pin", "/api/voicemail/pin", shared.VoicemailPIN{PIN: "2468"}, 204},
		{"GET", "/api/forwarding", "/api/forwarding", nil, 200},
		{"PUT", "/api/forwarding", "/api/forwarding", shared.Forwarding{Busy: "voicemail"}, 200},
		{"GET", "/api/prompts/{lang}/{key...}", "/api/prompts/fi/goodbye", nil, 200},
		{"PUT", "/api/prompts/{lang}/{key...}", "/api/prompts/fi/goodbye", wav, 204},
		{"DELETE", "/api/prompts/{lang}/{key...}", "/api/prompts/fi/goodbye", nil, 204},
		{"GET", "/api/agent", "/api/agent", nil, 200},
		{"GET", "/api/switchboard/parked", "/api/switchboard/parked", nil, 200},
		{"GET", "/api/switchboard/forwarding/{ext}", "/api/switchboard/forwarding/1002", nil, 404},
		{"POST", "/api/agent/queues/{id}/login", "/api/agent/queues/" + ids["queue"] + "/login", nil, 404},
		{"POST", "/api/agent/queues/{id}/logout", "/api/agent/queues/" + ids["queue"] + "/logout", nil, 404},
		{"POST", "/api/agent/pause", "/api/agent/pause", shared.AgentPause{Reason: "Lounas"}, 200},
		{"POST", "/api/agent/resume", "/api/agent/resume", nil, 200},
		{"GET", "/api/queues/{id}/stats", "/api/queues/" + ids["queue"] + "/stats", nil, 404},
		{"GET", "/api/queues/{id}/waiting", "/api/queues/" + ids["queue"] + "/waiting", nil, 404},
		{"POST", "/api/queues/{id}/night", "/api/queues/" + ids["queue"] + "/night", shared.QueueNight{Night: true}, 404},
		{"POST", "/api/queues/{id}/waiting/{caller}/take", "/api/queues/" + ids["queue"] + "/waiting/1/take", nil, 404},
		{"POST", "/api/queues/{id}/agents/{user}/login", "/api/queues/" + ids["queue"] + "/agents/" + ids["agent"] + "/login", nil, 404},
		{"POST", "/api/queues/{id}/agents/{user}/logout", "/api/queues/" + ids["queue"] + "/agents/" + ids["agent"] + "/logout", nil, 404},
		// Last: it ends acme's token.
		{"POST", "/api/logout", "/api/logout", nil, 204},
	}
}

// demoState is everything of the demo organisation an endpoint could change.
func (a *adminEnv) demoState(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	parts := []any{a.snapshot(t, a.demo.ID)}
	add := func(v any, err error) {
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, v)
	}
	add(a.st.ContactsOf(ctx, a.demo.ID, 0))
	add(a.st.OrgPresences(ctx, a.demo.ID))
	users, err := a.st.ListUsers(ctx, a.demo.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		add(a.st.ContactsOf(ctx, a.demo.ID, u.ID))
		add(a.st.Voicemails(ctx, u.ID))
		add(a.st.VoicemailSettings(ctx, u.ID))
		add(a.st.Forwarding(ctx, u.ID))
		add(a.st.Conversations(ctx, u.ID))
		add(a.st.Undelivered(ctx, u.ID))
	}
	// What demo's callers hear, and the server-wide prompt every organisation falls back to.
	for _, org := range []int64{a.demo.ID, 0} {
		p, err := a.s.deps.Prompts.OrgPath(org, "fi", "goodbye")
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, data)
	}
	return string(must(json.Marshal(parts)))
}

// TestEveryEndpointStaysInItsOrganisation (ORG-1): every Softphone endpoint, used by an
// administrator of another organisation with the demo organisation's IDs and extensions,
// answers 404 or about its own organisation, reveals nothing of demo's and changes nothing.
func TestEveryEndpointStaysInItsOrganisation(t *testing.T) {
	a, ids := tenancyEnv(t)
	leaks := []string{"demo.vaihde.local", "Demo Oy", a.accts["1001"].Name, a.accts["1002"].Name, "Kiinteistöhuolto", "+358401112222"}
	for _, tc := range tenancyTable(ids) {
		name := tc.method + " " + tc.path
		before := a.demoState(t)
		code, body := a.do(t, tc.method, tc.path, "", tc.body)
		wantError(t, name+" without token", code, body, 401, "token")
		var got []byte
		if tc.pattern == "/api/events" {
			// A stream never ends: its first event must be about acme only.
			ch, res := a.openStream(t, a.acmeAdmin)
			code = res.StatusCode
			hello := waitEvent(t, ch, 5*time.Second, "hello", func(e sseEvent, _ shared.Event) bool { return e.typ == "hello" })
			got = must(json.Marshal(hello))
			res.Body.Close()
		} else {
			code, got = a.do(t, tc.method, tc.path, a.acmeAdmin, tc.body)
		}
		if code != tc.foreign {
			t.Fatalf("%s by acme's admin: %d %s, want %d", name, code, got, tc.foreign)
		}
		for _, leak := range leaks {
			if strings.Contains(string(got), leak) {
				t.Fatalf("%s by acme's admin reveals %q: %s", name, leak, got)
			}
		}
		if a.demoState(t) != before {
			t.Fatalf("%s by acme's admin changed the demo organisation", name)
		}
	}
}

// TestEveryEndpointListed: tenancyTable, adminTable and publicRoutes together are exactly the
// routes api.go registers, so a new endpoint cannot be left out of the cross-organisation test.
func TestEveryEndpointListed(t *testing.T) {
	a, ids := tenancyEnv(t)
	listed := slices.Clone(publicRoutes)
	for _, tc := range tenancyTable(ids) {
		listed = append(listed, tc.method+" "+tc.pattern)
	}
	for _, tc := range adminTable(a) {
		listed = append(listed, tc.method+" "+tc.pattern)
	}
	slices.Sort(listed)
	listed = slices.Compact(listed)
	var registered []string
	re := regexp.MustCompile(`mux\.HandleFunc\("([^"]+)"`)
	src, err := os.ReadFile("api.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range re.FindAllStringSubmatch(string(src), -1) {
		registered = append(registered, m[1])
	}
	for _, rt := range a.s.adminRoutes() {
		registered = append(registered, rt.method+" "+rt.path)
	}
	slices.Sort(registered)
	for _, r := range registered {
		if !slices.Contains(listed, r) {
			t.Errorf("%s is registered but in no table: add it to tenancyTable (or adminTable, publicRoutes)", r)
		}
	}
	for _, l := range listed {
		if !slices.Contains(registered, l) {
			t.Errorf("%s is in a table but not registered", l)
		}
	}
}

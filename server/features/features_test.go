package features

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	"github.com/vaihde/vaihde/shared/tone"
)

// fixture is a real presence hub over SQLite with one organisation and users 1001 and 1002.
type fixture struct {
	ctx   context.Context
	hub   *presence.Hub
	org   store.Org
	users map[string]store.User
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "vaihde.db"))
	if err != nil {
		t.Fatal(err)
	}
	org, err := st.CreateOrg(ctx, store.Org{Name: "Test Oy", Domain: "test.local", CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{ctx: ctx, org: org, users: map[string]store.User{}}
	for ext, lang := range map[string]string{"1001": "en", "1002": "fi"} {
		u, err := st.CreateUser(ctx, store.User{OrgID: org.ID, Extension: ext, Name: "User " + ext, Language: lang})
		if err != nil {
			t.Fatal(err)
		}
		f.users[ext] = u
	}
	f.hub = presence.New(st, func(context.Context, int64) bool { return true }, nil)
	t.Cleanup(func() {
		f.hub.Close()
		st.Close()
	})
	return f
}

func (f *fixture) call(ext, dialled string) b2bua.ServiceCall {
	u := f.users[ext]
	return b2bua.ServiceCall{Org: f.org, Caller: u, CallerNumber: u.Extension, Dialled: dialled, Internal: true}
}

func (f *fixture) state(t *testing.T, ext string) presence.State {
	t.Helper()
	st, err := f.hub.Get(f.ctx, f.users[ext].ID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// run answers dialled for ext with the service's flow on a Script typing inputs.
func run(t *testing.T, s *Service, c b2bua.ServiceCall, inputs ...string) (*mediaapp.Script, error) {
	t.Helper()
	flow, ok := s.Service(context.Background(), c)
	if !ok {
		t.Fatalf("%s is not a service for %s", c.Dialled, c.CallerNumber)
	}
	sc := mediaapp.NewScript(inputs...)
	return sc, flow(context.Background(), sc)
}

// spoken returns the prompts a Script played, without the pauses.
func spoken(sc *mediaapp.Script) []string {
	var out []string
	for _, name := range sc.Played() {
		if !strings.HasPrefix(name, "silence/") {
			out = append(out, name)
		}
	}
	return out
}

func TestParseCode(t *testing.T) {
	tests := map[string]struct {
		in   string
		want Code
		ok   bool
	}{
		"activity":            {"9834", Code{SetActivity, "4"}, true},
		"activity two digits": {"98312", Code{SetActivity, "12"}, true},
		"activity missing":    {"983", Code{SetActivity, ""}, true},
		"role":                {"9842", Code{SetRole, "2"}, true},
		"forwarding":          {"9871002", Code{SetForwarding, "1002"}, true},
		"forwarding e164":     {"987+358401234567", Code{SetForwarding, "+358401234567"}, true},
		"forwarding clear":    {"987", Code{SetForwarding, ""}, true},
		"extension":           {"1002", Code{}, false},
		"long activity":       {"983456", Code{}, false},
		"forwarding plus":     {"987+", Code{}, false},
		"forwarding letters":  {"987abc", Code{}, false},
		"empty":               {"", Code{}, false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok := ParseCode(tc.in)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("ParseCode(%q) = %+v, %v; want %+v, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestFeatureCodes(t *testing.T) {
	tests := map[string]struct {
		dialled      string
		played       []string
		activity     int // 0: unchanged (1, Available)
		role         int // 0: unchanged (1, Mobile)
		forwarding   string
		fwdBefore    string
		wantNoChange bool
	}{
		"983 sets activity":         {dialled: "9834", played: []string{"feature_activated"}, activity: 4},
		"983 unknown activity":      {dialled: "98399", played: []string{"feature_invalid"}},
		"983 without number":        {dialled: "983", played: []string{"feature_invalid"}},
		"984 sets role":             {dialled: "9842", played: []string{"feature_activated"}, role: 2},
		"984 unknown role":          {dialled: "9849", played: []string{"feature_invalid"}},
		"987 forwards":              {dialled: "9871002", played: []string{"forwarding_set_to", "num/1", "num/0", "num/0", "num/2"}, forwarding: "1002"},
		"987 national number":       {dialled: "9870401234567", played: []string{"forwarding_set_to", "num/3", "num/5", "num/8", "num/4", "num/0", "num/1", "num/2", "num/3", "num/4", "num/5", "num/6", "num/7"}, forwarding: "+358401234567"},
		"987 clears":                {dialled: "987", played: []string{"forwarding_cleared"}, fwdBefore: "1002"},
		"987 to self":               {dialled: "9871001", played: []string{"invalid_number"}, fwdBefore: "1002", forwarding: "1002"},
		"987 to a too short number": {dialled: "98712", played: []string{"invalid_number"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			s := New(Deps{Presence: f.hub})
			uid := f.users["1001"].ID
			if tc.fwdBefore != "" {
				_ = s.Forwarding().SetForwarding(f.ctx, uid, tc.fwdBefore)
			}
			before := f.state(t, "1001")
			sc, err := run(t, s, f.call("1001", tc.dialled))
			if err != nil {
				t.Fatalf("flow: %v", err)
			}
			if got := spoken(sc); !slices.Equal(got, tc.played) {
				t.Fatalf("played %v, want %v", got, tc.played)
			}
			if !sc.HungUp() {
				t.Fatal("flow did not hang up")
			}
			after := f.state(t, "1001")
			wantAct, wantRole := before.Activity, int(before.Role)
			if tc.activity != 0 {
				wantAct = tc.activity
			}
			if tc.role != 0 {
				wantRole = tc.role
			}
			if after.Activity != wantAct || int(after.Role) != wantRole {
				t.Fatalf("activity %d role %d, want %d %d", after.Activity, after.Role, wantAct, wantRole)
			}
			if fwd, _ := s.Forwarding().Forwarding(f.ctx, uid); fwd != tc.forwarding {
				t.Fatalf("forwarding %q, want %q", fwd, tc.forwarding)
			}
		})
	}
}

func TestServiceSelection(t *testing.T) {
	f := newFixture(t)
	var vmCalls int
	vm := func(org store.Org, caller store.User) (mediaapp.Flow, bool) {
		vmCalls++
		return func(context.Context, mediaapp.Channel) error { return nil }, true
	}
	s := New(Deps{Presence: f.hub, Voicemail: vm, Numbers: map[int64]Numbers{f.org.ID + 1: {Voicemail: "7000"}}})
	external := b2bua.ServiceCall{Org: f.org, CallerNumber: "+358501234567", Dialled: "9834"}
	tests := map[string]struct {
		call b2bua.ServiceCall
		ok   bool
	}{
		"feature code":              {f.call("1001", "9834"), true},
		"activity ivr":              {f.call("1001", "9001"), true},
		"voicemail internal":        {f.call("1001", "9000"), true},
		"colleague":                 {f.call("1001", "1002"), false},
		"external feature code":     {external, false},
		"external activity ivr":     {func() b2bua.ServiceCall { c := external; c.Dialled = "9001"; return c }(), false},
		"external voicemail":        {func() b2bua.ServiceCall { c := external; c.Dialled = "9000"; return c }(), true},
		"other org's number unused": {f.call("1001", "7000"), false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			flow, ok := s.Service(f.ctx, tc.call)
			if ok != tc.ok || (ok && flow == nil) {
				t.Fatalf("Service(%q) ok = %v, want %v", tc.call.Dialled, ok, tc.ok)
			}
		})
	}
	if vmCalls != 2 {
		t.Fatalf("voicemail flow asked %d times, want 2", vmCalls)
	}
	if n := s.NumbersOf(f.org.ID + 1); n.Voicemail != "7000" || n.ActivityIVR != "9001" {
		t.Fatalf("per-org numbers %+v", n)
	}
	// Numbers stored on the organisation win over the defaults.
	own := f.call("1001", "7100")
	own.Org.VoicemailNumber, own.Org.ActivityNumber = "7100", "7101"
	if _, ok := s.Service(f.ctx, own); !ok || vmCalls != 3 {
		t.Fatalf("the organisation's own voicemail number 7100 not served (calls %d)", vmCalls)
	}
	own.Dialled = "7101"
	if _, ok := s.Service(f.ctx, own); !ok {
		t.Fatal("the organisation's own activity number 7101 not served")
	}
	own.Dialled = "9000"
	if _, ok := s.Service(f.ctx, own); ok {
		t.Fatal("9000 still answered after the organisation moved its voicemail to 7100")
	}
	noVM := New(Deps{Presence: f.hub})
	if _, ok := noVM.Service(f.ctx, f.call("1001", "9000")); ok {
		t.Fatal("voicemail number answered without a voicemail flow")
	}
}

func TestActivityIVR(t *testing.T) {
	menu := []string{"activity_choose"}
	for n := 1; n <= 9; n++ {
		d := string(rune('0' + n))
		menu = append(menu, "activity/"+d, "press", "num/"+d)
	}
	intro := []string{"activity_ivr_welcome", "activity_current", "activity/1"}
	cat := func(parts ...[]string) []string { return slices.Concat(parts...) }
	tests := map[string]struct {
		inputs   []string
		played   []string
		activity int
		hangup   bool
		err      error
	}{
		"choice": {[]string{"4"}, cat(intro, menu, []string{"feature_activated", "activity_current", "activity/4"}), 4, true, nil},
		"timeout and invalid, then choice": {[]string{"", "0", "3"},
			cat(intro, menu, []string{"no_input"}, menu, []string{"invalid_choice"}, menu, []string{"feature_activated", "activity_current", "activity/3"}), 3, true, nil},
		"gives up":        {[]string{"", "", ""}, cat(intro, menu, []string{"no_input"}, menu, []string{"no_input"}, menu, []string{"no_input", "goodbye"}), 1, true, nil},
		"caller hangs up": {nil, cat(intro, menu), 1, false, mediaapp.ErrHangup},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			s := New(Deps{Presence: f.hub})
			sc, err := run(t, s, f.call("1001", "9001"), tc.inputs...)
			if !errors.Is(err, tc.err) {
				t.Fatalf("flow error %v, want %v", err, tc.err)
			}
			if got := spoken(sc); !slices.Equal(got, tc.played) {
				t.Fatalf("played\n%v\nwant\n%v", got, tc.played)
			}
			if sc.HungUp() != tc.hangup {
				t.Fatalf("hung up %v, want %v", sc.HungUp(), tc.hangup)
			}
			if a := f.state(t, "1001").Activity; a != tc.activity {
				t.Fatalf("activity %d, want %d", a, tc.activity)
			}
		})
	}
}

// TestPromptsFromCatalog plays the answer of 9834 from the generated prompts (make prompts), in
// the caller's language, and checks the clip is the prompt file's audio.
func TestPromptsFromCatalog(t *testing.T) {
	dir := filepath.Join("..", "..", "assets", "prompts")
	if _, err := os.Stat(filepath.Join(dir, "fi", "feature_activated.wav")); err != nil {
		t.Skip("no generated prompts: run make prompts")
	}
	cat, err := prompt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	s := New(Deps{Presence: f.hub, Prompts: cat})
	flow, ok := s.Service(f.ctx, f.call("1002", "9834")) // 1002 speaks Finnish
	if !ok {
		t.Fatal("9834 not a service")
	}
	rec := &clipChannel{Script: mediaapp.NewScript()}
	if err := flow(f.ctx, rec); err != nil {
		t.Fatal(err)
	}
	want, err := mediaapp.LoadWAV(filepath.Join(dir, "fi", "feature_activated.wav"))
	if err != nil {
		t.Fatal(err)
	}
	var speech []mediaapp.Clip
	for _, c := range rec.clips {
		if !strings.HasPrefix(c.Name, "silence/") {
			speech = append(speech, c)
		}
	}
	if len(speech) != 1 || !slices.Equal(speech[0].Samples, want.Samples) {
		t.Fatalf("played %d clips, want the Finnish feature_activated prompt", len(speech))
	}
	if rms := tone.RMS(speech[0].Samples); rms < 0.01 {
		t.Fatalf("prompt RMS %.4f: silent", rms)
	}
	// A second call uses the cached clip.
	if cl := s.prompts.get(f.org.ID, "fi", "feature_activated"); len(cl) != 1 || len(cl[0].Samples) != len(want.Samples) {
		t.Fatal("cached prompt differs")
	}
}

// clipChannel is a Script that also keeps the clips played.
type clipChannel struct {
	*mediaapp.Script
	clips []mediaapp.Clip
}

func (c *clipChannel) Play(ctx context.Context, clips ...mediaapp.Clip) error {
	c.clips = append(c.clips, clips...)
	return c.Script.Play(ctx, clips...)
}

// TestPromptsPerOrganisation (ORG-1): an organisation's own recording of a prompt is what its
// callers hear; another organisation's callers hear the generated prompt.
func TestPromptsPerOrganisation(t *testing.T) {
	dir := t.TempDir()
	generated := mediaapp.EncodeWAV(mediaapp.Tone(440, 500*time.Millisecond).Samples)
	for _, lang := range prompt.Languages {
		if err := os.MkdirAll(filepath.Join(dir, lang), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, lang, "feature_activated.wav"), generated, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cat, err := prompt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	own := mediaapp.EncodeWAV(mediaapp.Tone(1000, 800*time.Millisecond).Samples)
	if err := cat.OrgInstall(f.org.ID, "fi", "feature_activated", bytes.NewReader(own)); err != nil {
		t.Fatal(err)
	}
	s := New(Deps{Presence: f.hub, Prompts: cat})
	for _, tc := range []struct {
		name string
		org  store.Org
		want int // samples
	}{
		{"own organisation", f.org, 6400},
		{"another organisation", store.Org{ID: f.org.ID + 1, Domain: "acme.example"}, 4000},
	} {
		c := f.call("1002", "9834")
		c.Org = tc.org
		flow, ok := s.Service(f.ctx, c)
		if !ok {
			t.Fatal("9834 not a service")
		}
		rec := &clipChannel{Script: mediaapp.NewScript()}
		if err := flow(f.ctx, rec); err != nil {
			t.Fatal(err)
		}
		var speech []mediaapp.Clip
		for _, c := range rec.clips {
			if !strings.HasPrefix(c.Name, "silence/") {
				speech = append(speech, c)
			}
		}
		if len(speech) != 1 || len(speech[0].Samples) != tc.want {
			t.Fatalf("%s: played %d clips, want the %d-sample prompt", tc.name, len(speech), tc.want)
		}
	}
}

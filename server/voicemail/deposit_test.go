package voicemail

import (
	"context"
	"errors"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
)

// savedChecker wraps the Script: when "message_saved" is about to play, the message's file and
// record must already exist.
type savedChecker struct {
	*mediaapp.Script
	f       *flowEnv
	checked bool
	problem string
}

func (c *savedChecker) Play(ctx context.Context, clips ...mediaapp.Clip) error {
	for _, cl := range clips {
		if cl.Name != "message_saved" {
			continue
		}
		c.checked = true
		vs, err := c.f.mb.List(ctx, c.f.user.ID)
		switch {
		case err != nil || len(vs) != 1:
			c.problem = "no record before \"message saved\""
		default:
			if _, err := os.Stat(c.f.mb.FilePath(vs[0])); err != nil {
				c.problem = "no file before \"message saved\": " + err.Error()
			}
		}
	}
	return c.Script.Play(ctx, clips...)
}

type redPresence struct {
	activity int
	until    time.Time
}

func (p redPresence) Red(context.Context, int64) (int, time.Time, bool) {
	return p.activity, p.until, p.activity != 0
}

func TestDeposit(t *testing.T) {
	noon := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name      string
		inputs    []string
		audio     time.Duration
		settings  func(*store.VoicemailSettings)
		presence  Presence
		saved     bool
		sayBefore []string // subsequence played before the beep
		saidSaved bool
	}{
		{name: "hash ends the message", inputs: []string{"#"}, audio: 3 * time.Second, saved: true, saidSaved: true,
			sayBefore: []string{"greeting_reached", "num/1", "num/0", "num/0", "num/1", "greeting_default", "leave_message"}},
		{name: "silence ends the message", inputs: []string{""}, audio: 3 * time.Second, saved: true, saidSaved: true},
		{name: "hangup during recording keeps it", inputs: nil, audio: 3 * time.Second, saved: true, saidSaved: false},
		{name: "too short", inputs: []string{"#"}, audio: 500 * time.Millisecond, saved: false},
		{name: "hangup at the beep", inputs: nil, audio: time.Second, saved: false},
		{name: "red activity until today 14:30", inputs: []string{"#"}, audio: 2 * time.Second, saved: true, saidSaved: true,
			settings:  func(vs *store.VoicemailSettings) { vs.AnnounceActivity = true },
			presence:  redPresence{4, noon.Add(4*time.Hour + 30*time.Minute)},
			sayBefore: []string{"person_is", "activity/4", "time/until", "num/2", "num/30", "time/pm", "leave_message"}},
		{name: "red activity not announced when turned off", inputs: []string{"#"}, audio: 2 * time.Second, saved: true, saidSaved: true,
			settings:  func(vs *store.VoicemailSettings) { vs.AnnounceActivity = false },
			presence:  redPresence{4, noon.Add(time.Hour)},
			sayBefore: []string{"greeting_default", "leave_message"}},
		{name: "voicemail off (VM-5)", inputs: []string{"#"}, audio: 2 * time.Second, saved: false,
			settings: func(vs *store.VoicemailSettings) { vs.Enabled = false }, sayBefore: []string{"no_voicemail"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowEnv(t)
			ctx := context.Background()
			f.user.Language = "en"
			if tt.settings != nil {
				vs, err := f.st.VoicemailSettings(ctx, f.user.ID)
				if err != nil {
					t.Fatal(err)
				}
				tt.settings(&vs)
				if err := f.st.PutVoicemailSettings(ctx, vs); err != nil {
					t.Fatal(err)
				}
			}
			d := f.deposit()
			d.Presence = tt.presence
			s := mediaapp.NewScript(tt.inputs...)
			s.RecordAudio = mediaapp.Tone(440, tt.audio)
			ch := &savedChecker{Script: s, f: f}
			if err := Deposit(d, f.org, f.user, Caller{Number: "+358401112223", Name: "Caller Oy"})(ctx, ch); err != nil {
				t.Fatalf("Deposit: %v", err)
			}
			played := s.Played()
			vs, err := f.mb.List(ctx, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(vs) == 1; got != tt.saved {
				t.Fatalf("saved %v (%d messages), want %v; log %q", got, len(vs), tt.saved, s.Log())
			}
			if tt.saved {
				v := vs[0]
				if v.Caller != "+358401112223" || v.CallerName != "Caller Oy" || v.Duration != tt.audio || v.Heard {
					t.Errorf("record %+v", v)
				}
				if !v.ReceivedAt.Equal(noon) {
					t.Errorf("received %v, want the deps' Now %v", v.ReceivedAt, noon)
				}
				c, err := mediaapp.LoadWAV(f.mb.FilePath(v))
				if err != nil || c.Duration() != tt.audio {
					t.Errorf("stored audio %v, %v; want %v", c.Duration(), err, tt.audio)
				}
			}
			if got := slices.Contains(played, "message_saved"); got != tt.saidSaved {
				t.Errorf("said \"message saved\": %v, want %v; played %q", got, tt.saidSaved, played)
			}
			if ch.problem != "" {
				t.Error(ch.problem)
			}
			if tt.saidSaved && !ch.checked {
				t.Error("checker did not see message_saved")
			}
			beep := slices.IndexFunc(played, func(n string) bool { return strings.HasPrefix(n, "tone/") })
			before := played
			if beep >= 0 {
				before = played[:beep]
			}
			if !isSubsequence(tt.sayBefore, before) {
				t.Errorf("before the beep %q, want in order %q", before, tt.sayBefore)
			}
			if tt.name == "voicemail off (VM-5)" && (beep >= 0 || !s.HungUp()) {
				t.Errorf("voicemail off still recorded: %q", s.Log())
			}
		})
	}
}

// A save that fails must not be announced as saved.
func TestDepositSaveFails(t *testing.T) {
	f := newFlowEnv(t)
	f.mb.create = func(dir, pattern string) (file, error) { return nil, errBroken }
	s := mediaapp.NewScript("#")
	s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
	err := Deposit(f.deposit(), f.org, f.user, Caller{Number: "1002"})(context.Background(), s)
	if !errors.Is(err, errBroken) {
		t.Fatalf("Deposit = %v, want the save error", err)
	}
	if slices.Contains(s.Played(), "message_saved") {
		t.Fatalf("said \"message saved\" after a failed save: %q", s.Played())
	}
}

// The caller hangs up and the call's context is cancelled before the save: it still happens.
func TestDepositSavesAfterContextCancelled(t *testing.T) {
	f := newFlowEnv(t)
	ctx, cancel := context.WithCancel(context.Background())
	ch := &cancelOnRecord{Script: mediaapp.NewScript(), cancel: cancel}
	ch.RecordAudio = mediaapp.Tone(440, 2*time.Second)
	if err := Deposit(f.deposit(), f.org, f.user, Caller{Number: "1002"})(ctx, ch); err != nil {
		t.Fatalf("Deposit: %v", err)
	}
	f.counts(t, 1, 0)
}

type cancelOnRecord struct {
	*mediaapp.Script
	cancel context.CancelFunc
}

func (c *cancelOnRecord) Record(ctx context.Context, w io.Writer, o mediaapp.RecordOptions) (mediaapp.Recording, error) {
	rec, err := c.Script.Record(ctx, w, o)
	c.cancel()
	return rec, err
}

func isSubsequence(want, got []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// With the generated prompts (`make prompts`), the flows find every clip they ask for in each
// language.
func TestFlowsWithGeneratedPrompts(t *testing.T) {
	cat, err := prompt.Open("../../assets/prompts")
	if err != nil {
		if testing.Short() {
			t.Skipf("no generated prompts (run `make prompts`): %v", err)
		}
		t.Fatalf("no generated prompts (run `make prompts`; make test does): %v", err)
	}
	for _, lang := range prompt.Languages {
		t.Run(lang, func(t *testing.T) {
			f := newFlowEnv(t)
			f.user.Language = lang
			d := f.deposit()
			d.Voice = cat
			s := mediaapp.NewScript("#")
			s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
			if err := Deposit(d, f.org, f.user, Caller{Number: "1002"})(context.Background(), s); err != nil {
				t.Fatalf("Deposit: %v", err)
			}
			a := f.access()
			a.Voice = cat
			s = mediaapp.NewScript("2", "3", "4", "9", "*")
			if err := Access(a, f.org, f.user)(context.Background(), s); err != nil {
				t.Fatalf("Access: %v", err)
			}
			if !slices.Contains(s.Played(), "vm_no_more_messages") || !s.HungUp() {
				t.Fatalf("access with real prompts: %q", s.Log())
			}
		})
	}
}

// TestDepositGreetingOptions: VM-3's "press 1 for customer service" and "press 2 to reach the
// person anyway".
func TestDepositGreetingOptions(t *testing.T) {
	tests := []struct {
		name       string
		cs         string
		bypass     bool // the owner's OfferBypass setting
		diverted   bool
		connectErr error
		inputs     []string
		offered    []string
		want       *Handover // what Connect was asked for
		saved      bool
	}{
		{name: "1 customer service", cs: "+358201234567", inputs: []string{"1"},
			offered: []string{"press1_customer_service"}, want: &Handover{Number: "+358201234567"}},
		{name: "no key then message", cs: "+358201234567", inputs: []string{"", "#"},
			offered: []string{"press1_customer_service"}, saved: true},
		{name: "2 bypass", cs: "+358201234567", bypass: true, diverted: true, inputs: []string{"2"},
			offered: []string{"press1_customer_service", "press2_reach_person"}, want: &Handover{Bypass: true}},
		{name: "bypass not offered unless diverted", bypass: true, inputs: []string{"#"}, saved: true},
		{name: "2 not offered is ignored", cs: "+358201234567", inputs: []string{"2", "#"},
			offered: []string{"press1_customer_service"}, saved: true},
		{name: "connect fails, message instead", cs: "+358201234567", connectErr: errBroken, inputs: []string{"1", "#"},
			offered: []string{"press1_customer_service"}, want: &Handover{Number: "+358201234567"}, saved: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowEnv(t)
			ctx := context.Background()
			vs, err := f.st.VoicemailSettings(ctx, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			vs.CustomerService, vs.OfferBypass = tt.cs, tt.bypass
			if err := f.st.PutVoicemailSettings(ctx, vs); err != nil {
				t.Fatal(err)
			}
			var got *Handover
			d := f.deposit()
			d.Connect = func(_ context.Context, to Handover) error {
				got = &to
				return tt.connectErr
			}
			s := mediaapp.NewScript(tt.inputs...)
			s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
			if err := Deposit(d, f.org, f.user, Caller{Number: "1002", Diverted: tt.diverted})(ctx, s); err != nil {
				t.Fatalf("Deposit: %v", err)
			}
			played := s.Played()
			for _, k := range []string{"press1_customer_service", "press2_reach_person"} {
				if slices.Contains(played, k) != slices.Contains(tt.offered, k) {
					t.Errorf("offered %s: %v, want %v", k, slices.Contains(played, k), slices.Contains(tt.offered, k))
				}
			}
			if (got == nil) != (tt.want == nil) || (got != nil && *got != *tt.want) {
				t.Errorf("Connect(%+v), want %+v", got, tt.want)
			}
			vms, err := f.mb.List(ctx, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (len(vms) == 1) != tt.saved {
				t.Errorf("saved %d messages, want saved=%v; log %q", len(vms), tt.saved, s.Log())
			}
			if tt.connectErr != nil && !slices.Contains(played, "transfer_failed") {
				t.Errorf("a failed connect was not announced: %q", played)
			}
		})
	}
}

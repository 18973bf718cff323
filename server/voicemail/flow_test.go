package voicemail

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// tsvVoice is a Voice whose clips are named by key (what Script logs) and which knows exactly
// the keys of packaging/prompts.tsv, so a flow using a key nobody generates fails its test.
type tsvVoice struct{ keys map[string]bool }

func newTSVVoice(t *testing.T) *tsvVoice {
	t.Helper()
	f, err := os.Open("../../packaging/prompts.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	v := &tsvVoice{keys: map[string]bool{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		v.keys[strings.SplitN(line, "\t", 2)[0]] = true
	}
	if len(v.keys) < 100 {
		t.Fatalf("read only %d prompt keys", len(v.keys))
	}
	return v
}

func (v *tsvVoice) Clips(lang string, keys ...string) ([]mediaapp.Clip, error) {
	var out []mediaapp.Clip
	for _, k := range keys {
		if !v.keys[k] {
			return nil, fmt.Errorf("no prompt %q in packaging/prompts.tsv", k)
		}
		out = append(out, mediaapp.Clip{Name: k, Samples: make([]int16, 8)})
	}
	return out, nil
}

// flowEnv is a mailbox over SQLite plus the deps of both flows.
type flowEnv struct {
	*env
	org   store.Org
	voice *tsvVoice
}

func newFlowEnv(t *testing.T) *flowEnv {
	e := newEnv(t)
	return &flowEnv{env: e, org: store.Org{ID: e.user.OrgID, CountryCode: "358"}, voice: newTSVVoice(t)}
}

func (f *flowEnv) access() AccessDeps {
	return AccessDeps{Mailbox: f.mb, Store: f.st, Users: f.st, Voice: f.voice, Logger: quiet()}
}

func (f *flowEnv) deposit() DepositDeps {
	return DepositDeps{Mailbox: f.mb, Store: f.st, Voice: f.voice, Logger: quiet(),
		Now: func() time.Time { return time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC) }, Location: time.UTC}
}

// seed saves n messages, oldest first, and returns their IDs in that order.
func (f *flowEnv) seed(t *testing.T, n int) []int64 {
	t.Helper()
	var ids []int64
	for i := 0; i < n; i++ {
		v, err := f.mb.Save(context.Background(), Message{OrgID: f.org.ID, UserID: f.user.ID,
			Caller: fmt.Sprintf("+35840000000%d", i), ReceivedAt: time.Date(2026, 11, 1, 9, i, 0, 0, time.UTC)},
			strings.NewReader(string(wav(2*time.Second))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, v.ID)
	}
	return ids
}

func (f *flowEnv) run(t *testing.T, flow mediaapp.Flow, s *mediaapp.Script) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := flow(ctx, s); err != nil {
		t.Fatalf("flow: %v\nlog: %q", err, s.Log())
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// menuEvents keeps the clips that show where a flow went, naming messages by label.
func menuEvents(played []string, labels map[string]string) []string {
	keep := map[string]bool{
		"vm_main_menu": true, "vm_message_menu": true, "invalid_choice": true, "goodbye": true,
		"vm_no_messages": true, "vm_first_message": true, "vm_no_more_messages": true,
		"vm_message_deleted": true, "vm_no_greeting": true, "vm_greeting_saved": true,
		"vm_greeting_deleted": true, "greeting/own": true, "vm_record_greeting": true,
		"vm_login_failed": true, "try_again": true,
	}
	var out []string
	for _, p := range played {
		if l, ok := labels[p]; ok {
			out = append(out, l)
		} else if keep[p] {
			out = append(out, p)
		}
	}
	return out
}

func labelsOf(ids []int64) map[string]string {
	m := map[string]string{}
	for i, id := range ids {
		m[fmt.Sprintf("message/%d", id)] = fmt.Sprintf("m%d", i+1)
	}
	return m
}

// TestAccessMainMenuKeys: every key of VM-2's main menu, from the owner's own phone.
func TestAccessMainMenuKeys(t *testing.T) {
	tests := []struct {
		name    string
		inputs  []string
		want    []string
		hungUp  bool // the flow hung up (rather than the caller)
		newLeft int  // new messages after the call (of 2, m2 new, m1 old)
	}{
		{"2 listen: new first", []string{"2"}, []string{"vm_main_menu", "m2", "vm_message_menu"}, false, 0},
		{"4 play greeting (none)", []string{"4"}, []string{"vm_main_menu", "vm_no_greeting", "vm_main_menu"}, false, 1},
		{"5 record greeting", []string{"5", "#"}, []string{"vm_main_menu", "vm_record_greeting", "vm_greeting_saved", "vm_main_menu"}, false, 1},
		{"6 delete greeting (none)", []string{"6"}, []string{"vm_main_menu", "vm_no_greeting", "vm_main_menu"}, false, 1},
		{"* hang up", []string{"*", "2"}, []string{"vm_main_menu", "goodbye"}, true, 1},
		{"0 repeat", []string{"0"}, []string{"vm_main_menu", "vm_main_menu"}, false, 1},
		{"1 invalid", []string{"1"}, []string{"vm_main_menu", "invalid_choice", "vm_main_menu"}, false, 1},
		{"hash invalid", []string{"#"}, []string{"vm_main_menu", "invalid_choice", "vm_main_menu"}, false, 1},
		{"9 invalid", []string{"9"}, []string{"vm_main_menu", "invalid_choice", "vm_main_menu"}, false, 1},
		{"no answer ×3", []string{"", "", ""}, []string{"vm_main_menu", "vm_main_menu", "vm_main_menu", "goodbye"}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowEnv(t)
			ids := f.seed(t, 2)
			if err := f.mb.MarkHeard(context.Background(), f.user.ID, ids[0], true); err != nil {
				t.Fatal(err)
			}
			s := mediaapp.NewScript(tt.inputs...)
			s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
			f.run(t, Access(f.access(), f.org, f.user), s)
			if got := menuEvents(s.Played(), labelsOf(ids)); !slices.Equal(got, tt.want) {
				t.Errorf("events %q, want %q\nlog: %q", got, tt.want, s.Log())
			}
			if s.HungUp() != tt.hungUp {
				t.Errorf("flow hung up: %v, want %v", s.HungUp(), tt.hungUp)
			}
			if tt.name == "* hang up" && !slices.Equal(s.Remaining(), []string{"2"}) {
				t.Errorf("flow went on after *: remaining %q", s.Remaining())
			}
			f.counts(t, tt.newLeft, 2-tt.newLeft)
			played := s.Played()
			if !slices.Contains(played, "vm_welcome") || !slices.Contains(played, "vm_you_have") || !slices.Contains(played, "vm_new_message") {
				t.Errorf("no welcome and \"you have 1 new message\": %q", played)
			}
		})
	}
}

// TestAccessMessageMenuKeys: every key while a message plays. Three new messages m1..m3 (oldest
// first).
func TestAccessMessageMenuKeys(t *testing.T) {
	tests := []struct {
		name      string
		inputs    []string
		want      []string
		remaining int // messages left
		heard     int // messages marked heard
	}{
		{"1 previous at first", []string{"2", "1"}, []string{"vm_main_menu", "m1", "vm_message_menu", "vm_first_message", "m1", "vm_message_menu"}, 3, 1},
		{"3 next, 1 previous", []string{"2", "3", "1"}, []string{"vm_main_menu", "m1", "vm_message_menu", "m2", "vm_message_menu", "m1", "vm_message_menu"}, 3, 2},
		{"2 replay", []string{"2", "2"}, []string{"vm_main_menu", "m1", "vm_message_menu", "m1", "vm_message_menu"}, 3, 1},
		{"3 next to the end", []string{"2", "3", "3", "3"}, []string{"vm_main_menu", "m1", "vm_message_menu", "m2", "vm_message_menu", "m3", "vm_message_menu", "vm_no_more_messages", "vm_main_menu"}, 3, 3},
		{"7 delete", []string{"2", "7"}, []string{"vm_main_menu", "m1", "vm_message_menu", "vm_message_deleted", "m2", "vm_message_menu"}, 2, 1},
		{"7 delete the last", []string{"2", "3", "3", "7"}, []string{"vm_main_menu", "m1", "vm_message_menu", "m2", "vm_message_menu", "m3", "vm_message_menu", "vm_message_deleted", "vm_no_more_messages", "vm_main_menu"}, 2, 2},
		{"* hang up", []string{"2", "*", "3"}, []string{"vm_main_menu", "m1", "vm_message_menu", "goodbye"}, 3, 1},
		{"0 main menu", []string{"2", "0"}, []string{"vm_main_menu", "m1", "vm_message_menu", "vm_main_menu"}, 3, 1},
		{"5 invalid", []string{"2", "5"}, []string{"vm_main_menu", "m1", "vm_message_menu", "invalid_choice", "vm_message_menu"}, 3, 1},
		{"hash invalid", []string{"2", "#"}, []string{"vm_main_menu", "m1", "vm_message_menu", "invalid_choice", "vm_message_menu"}, 3, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowEnv(t)
			ids := f.seed(t, 3)
			s := mediaapp.NewScript(tt.inputs...)
			f.run(t, Access(f.access(), f.org, f.user), s)
			if got := menuEvents(s.Played(), labelsOf(ids)); !slices.Equal(got, tt.want) {
				t.Errorf("events %q, want %q\nlog: %q", got, tt.want, s.Log())
			}
			vs, err := f.mb.List(context.Background(), f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			heard := 0
			for _, v := range vs {
				if v.Heard {
					heard++
				}
			}
			if len(vs) != tt.remaining || heard != tt.heard {
				t.Errorf("after the call %d messages, %d heard; want %d, %d", len(vs), heard, tt.remaining, tt.heard)
			}
			if tt.name == "* hang up" && (!s.HungUp() || len(s.Remaining()) != 1) {
				t.Errorf("* did not end the call: hung up %v, remaining %q", s.HungUp(), s.Remaining())
			}
			if tt.name == "7 delete" {
				if _, _, err := f.mb.Open(context.Background(), f.user.ID, ids[0]); err == nil {
					t.Error("deleted message m1 still opens")
				}
			}
		})
	}
}

// TestAccessMessageIntro: the message is introduced with its number and caller.
func TestAccessMessageIntro(t *testing.T) {
	f := newFlowEnv(t)
	ids := f.seed(t, 1)
	s := mediaapp.NewScript("2")
	f.run(t, Access(f.access(), f.org, f.user), s)
	played := s.Played()
	i := slices.Index(played, fmt.Sprintf("message/%d", ids[0]))
	want := []string{"vm_message", "num/1", "vm_from", "num/3", "num/5", "num/8", "num/4"}
	for range 8 { // +358400000000
		want = append(want, "num/0")
	}
	if i < len(want) || !slices.Equal(played[i-len(want):i], want) {
		t.Fatalf("intro before the message: %q", played)
	}
}

func TestAccessEmptyMailbox(t *testing.T) {
	f := newFlowEnv(t)
	s := mediaapp.NewScript("2", "*")
	f.run(t, Access(f.access(), f.org, f.user), s)
	want := []string{"vm_no_messages", "vm_main_menu", "vm_no_messages", "vm_main_menu", "goodbye"}
	if got := menuEvents(s.Played(), nil); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
}

// TestAccessFromAnotherPhone: VM-1 mailbox and PIN, three tries.
func TestAccessFromAnotherPhone(t *testing.T) {
	tests := []struct {
		name   string
		inputs []string
		in     bool // reached the main menu
		fails  int
	}{
		{"right", []string{"1001#", "4321#"}, true, 0},
		{"mobile number typed nationally", []string{"0401234567#", "5555#"}, true, 0},
		{"wrong then right", []string{"1001#", "1234#", "1001#", "4321#"}, true, 1},
		{"wrong ×3", []string{"1001#", "1111#", "1999#", "4321#", "", "", "1001#", "4321#"}, false, 3},
		{"other user's PIN", []string{"1001#", "5555#", "1002#", "4321#", "1001#", "", "2"}, false, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowEnv(t)
			ctx := context.Background()
			other, err := f.st.CreateUser(ctx, store.User{OrgID: f.org.ID, Extension: "1002", Name: "Bo", MobileNumber: "+358401234567"})
			if err != nil {
				t.Fatal(err)
			}
			if err := f.mb.SetPIN(ctx, f.user.ID, "4321"); err != nil {
				t.Fatal(err)
			}
			if err := f.mb.SetPIN(ctx, other.ID, "5555"); err != nil {
				t.Fatal(err)
			}
			s := mediaapp.NewScript(tt.inputs...)
			f.run(t, Access(f.access(), f.org, store.User{}), s)
			played := s.Played()
			fails := 0
			for _, p := range played {
				if p == "vm_login_failed" {
					fails++
				}
			}
			if in := slices.Contains(played, "vm_main_menu"); in != tt.in || fails != tt.fails {
				t.Fatalf("main menu %v with %d failures, want %v with %d\nlog: %q", in, fails, tt.in, tt.fails, s.Log())
			}
			if !tt.in {
				if !s.HungUp() || played[len(played)-1] != "goodbye" || len(s.Remaining()) == 0 {
					t.Fatalf("after 3 failures want goodbye and hangup without reading more; log %q remaining %q", s.Log(), s.Remaining())
				}
			}
		})
	}
}

func TestAccessPINOnOwnPhone(t *testing.T) {
	f := newFlowEnv(t)
	if err := f.mb.SetPIN(context.Background(), f.user.ID, "4321"); err != nil {
		t.Fatal(err)
	}
	d := f.access()
	d.PINOnOwnPhone = true
	s := mediaapp.NewScript("4321#")
	f.run(t, Access(d, f.org, f.user), s)
	if p := s.Played(); !slices.Contains(p, "vm_enter_pin") || slices.Contains(p, "vm_enter_mailbox") || !slices.Contains(p, "vm_main_menu") {
		t.Fatalf("played %q: want a PIN prompt only, then the menu", p)
	}
	s = mediaapp.NewScript("1111#", "1111#", "1111#", "4321#")
	f.run(t, Access(d, f.org, f.user), s)
	if p := s.Played(); slices.Contains(p, "vm_main_menu") || !s.HungUp() {
		t.Fatalf("three wrong PINs on the own phone: played %q", p)
	}
}

// TestGreetingRoundTrip: 5 records, 4 plays it, the deposit flow uses it, 6 deletes it.
func TestGreetingRoundTrip(t *testing.T) {
	f := newFlowEnv(t)
	ctx := context.Background()
	s := mediaapp.NewScript("5", "#", "4", "*")
	s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
	f.run(t, Access(f.access(), f.org, f.user), s)
	want := []string{"vm_no_messages", "vm_main_menu", "vm_record_greeting", "vm_greeting_saved", "vm_main_menu", "greeting/own", "vm_main_menu", "goodbye"}
	if got := menuEvents(s.Played(), nil); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	path, err := f.mb.Greeting(ctx, f.user.ID)
	if err != nil || path == "" {
		t.Fatalf("Greeting = %q, %v", path, err)
	}
	c, err := mediaapp.LoadWAV(path)
	if err != nil || c.Duration() != 2*time.Second {
		t.Fatalf("saved greeting: %v, %v; want 2 s", c.Duration(), err)
	}

	dep := mediaapp.NewScript("#")
	f.run(t, Deposit(f.deposit(), f.org, f.user, Caller{Number: "+358409999999"}), dep)
	if p := dep.Played(); !slices.Contains(p, "greeting/own") || slices.Contains(p, "greeting_default") {
		t.Fatalf("deposit with an own greeting played %q", p)
	}

	s = mediaapp.NewScript("6", "4", "6", "*")
	f.run(t, Access(f.access(), f.org, f.user), s)
	want = []string{"vm_no_messages", "vm_main_menu", "vm_greeting_deleted", "vm_main_menu", "vm_no_greeting", "vm_main_menu", "vm_no_greeting", "vm_main_menu", "goodbye"}
	if got := menuEvents(s.Played(), nil); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
	if path, err := f.mb.Greeting(ctx, f.user.ID); err != nil || path != "" {
		t.Fatalf("after delete Greeting = %q, %v", path, err)
	}
	if _, err := os.Stat(path); err == nil {
		t.Fatal("greeting file still there")
	}
}

// A message whose file vanished does not end the call: the next one still plays.
func TestAccessSkipsBrokenMessage(t *testing.T) {
	f := newFlowEnv(t)
	ids := f.seed(t, 2)
	v, err := f.st.Voicemail(context.Background(), f.user.ID, ids[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(f.mb.FilePath(v)); err != nil {
		t.Fatal(err)
	}
	s := mediaapp.NewScript("2", "3")
	f.run(t, Access(f.access(), f.org, f.user), s)
	want := []string{"vm_main_menu", "vm_message_menu", "m2", "vm_message_menu"}
	if got := menuEvents(s.Played(), labelsOf(ids)); !slices.Equal(got, want) {
		t.Fatalf("events %q, want %q", got, want)
	}
}

package voicemail

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/audio/audiotest"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/voicemail/voicemailtest"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/tone"
)

var t0 = time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)

// fakePlayer records what it was asked to play and plays until released or stopped.
type fakePlayer struct {
	mu      sync.Mutex
	played  [][]int16
	stopped int
	release chan struct{}
}

func newFakePlayer() *fakePlayer { return &fakePlayer{release: make(chan struct{})} }

func (p *fakePlayer) Play(ctx context.Context, s []int16) error {
	p.mu.Lock()
	p.played = append(p.played, s)
	p.mu.Unlock()
	select {
	case <-ctx.Done():
		p.mu.Lock()
		p.stopped++
		p.mu.Unlock()
	case <-p.release:
	}
	return nil
}

func (p *fakePlayer) count() (played, stopped int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.played), p.stopped
}

// fixture is a mailbox on the in-memory server with two messages: 12 new, 11 heard.
func fixture(t *testing.T, player Player) (*voicemailtest.Server, *Mailbox) {
	t.Helper()
	srv := voicemailtest.New(t)
	srv.Add(api.Voicemail{ID: 11, Kind: "voice", Caller: "+358401234567", ReceivedAt: t0.Add(-time.Hour), DurationMS: 4200, Heard: true},
		voicemailtest.WAV(voicemailtest.Tone(440, 0.5, 8000), 8000))
	srv.Add(api.Voicemail{ID: 12, Kind: "voice", Caller: "1002", CallerName: "Mikko Mäkelä", ReceivedAt: t0, DurationMS: 65000},
		voicemailtest.WAV(voicemailtest.Tone(1000, 0.5, 8000), 8000))
	var o Options
	if player != nil {
		o.Player = player
	}
	m := NewMailbox(func() (string, string, bool) { return srv.URL, voicemailtest.Token, true }, o)
	t.Cleanup(m.Close)
	return srv, m
}

func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ids(s Snapshot) []int64 {
	var out []int64
	for _, v := range s.Messages {
		out = append(out, v.ID)
	}
	return out
}

func TestRefreshKeepsServerOrderAndCounts(t *testing.T) {
	_, m := fixture(t, nil)
	if s := m.Snapshot(); s.Loaded || len(s.Messages) != 0 {
		t.Fatalf("loaded before a refresh: %+v", s)
	}
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	if !s.Loaded || !slices.Equal(ids(s), []int64{12, 11}) || s.Counts != (api.VoicemailCounts{New: 1, Old: 1}) {
		t.Fatalf("snapshot %+v", s)
	}
	if s.Messages[0].CallerName != "Mikko Mäkelä" || s.Messages[0].Heard || !s.Messages[1].Heard {
		t.Fatalf("messages %+v", s.Messages)
	}
}

func TestRefreshWithoutLoginFails(t *testing.T) {
	m := NewMailbox(func() (string, string, bool) { return "", "", false }, Options{})
	defer m.Close()
	if err := m.Refresh(t.Context()); err != ErrNoSession {
		t.Fatalf("err %v, want ErrNoSession", err)
	}
}

func TestEventSetsBadgeAndReloads(t *testing.T) {
	srv, m := fixture(t, nil)
	var mu sync.Mutex
	var seen []api.VoicemailCounts
	cancel := m.Subscribe(func(s Snapshot) {
		mu.Lock()
		seen = append(seen, s.Counts)
		mu.Unlock()
	})
	defer cancel()

	// "hello" after the stream connects loads the mailbox without being asked.
	m.HandleEvent(api.Event{Type: api.EventHello})
	until(t, "the list after hello", func() bool { return len(m.Snapshot().Messages) == 2 })

	// A caller leaves a message: the server announces the counts; the badge follows at once
	// and the list reloads.
	srv.Add(api.Voicemail{ID: 13, Kind: "voice", Caller: "0501112222", ReceivedAt: t0.Add(time.Minute), DurationMS: 3000}, nil)
	m.HandleEvent(api.Event{Type: "voicemail", Voicemail: &api.VoicemailCounts{New: 2, Old: 1}})
	mu.Lock()
	last := seen[len(seen)-1]
	mu.Unlock()
	if last != (api.VoicemailCounts{New: 2, Old: 1}) {
		t.Fatalf("counts right after the event %+v", last)
	}
	until(t, "the new message in the list", func() bool { return slices.Equal(ids(m.Snapshot()), []int64{13, 12, 11}) })

	// Other events change nothing.
	n := srv.Saw("GET /api/voicemail")
	m.HandleEvent(api.Event{Type: api.EventPresence})
	time.Sleep(50 * time.Millisecond)
	if srv.Saw("GET /api/voicemail") != n {
		t.Fatal("a presence event reloaded the mailbox")
	}
}

func TestPlayMarksHeardAndDownloadsOnce(t *testing.T) {
	p := newFakePlayer()
	srv, m := fixture(t, p)
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Play(t.Context(), 12); err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	if s.Playing != 12 || !s.Messages[0].Heard || s.Counts != (api.VoicemailCounts{New: 0, Old: 2}) {
		t.Fatalf("after play: %+v", s)
	}
	srv.Lock()
	heard := srv.Messages[0].Heard
	srv.Unlock()
	if !heard {
		t.Fatal("the server was not told the message was heard")
	}
	until(t, "the player to start", func() bool { n, _ := p.count(); return n == 1 })
	p.mu.Lock()
	got := p.played[0]
	p.mu.Unlock()
	if len(got) != 4000 || tone.Share(got, 1000, 8000) < 0.9 {
		t.Fatalf("played %d samples, %.2f at 1 kHz: not message 12's audio", len(got), tone.Share(got, 1000, 8000))
	}

	// A second press stops.
	if err := m.Play(t.Context(), 12); err != nil {
		t.Fatal(err)
	}
	if played, stopped := p.count(); m.Snapshot().Playing != 0 || played != 1 || stopped != 1 {
		t.Fatalf("second press: playing %d, played %d, stopped %d", m.Snapshot().Playing, played, stopped)
	}
	// A third plays again from memory: one download in all, and no second "heard".
	if err := m.Play(t.Context(), 12); err != nil {
		t.Fatal(err)
	}
	if n := srv.Saw("GET /api/voicemail/12/audio"); n != 1 {
		t.Fatalf("%d downloads of the audio, want 1", n)
	}
	if n := srv.Saw("PUT /api/voicemail/12"); n != 1 {
		t.Fatalf("%d PUTs marking heard, want 1", n)
	}
	// Playing another message stops this one.
	if err := m.Play(t.Context(), 11); err != nil {
		t.Fatal(err)
	}
	until(t, "the other message to start", func() bool { n, _ := p.count(); return n == 3 })
	if played, stopped := p.count(); m.Snapshot().Playing != 11 || played != 3 || stopped != 2 {
		t.Fatalf("other message: playing %d, played %d, stopped %d", m.Snapshot().Playing, played, stopped)
	}
	if n := srv.Saw("PUT /api/voicemail/11"); n != 0 {
		t.Fatal("a heard message was marked heard again")
	}
	// The end of the audio clears Playing.
	close(p.release)
	until(t, "playback to end", func() bool { return m.Snapshot().Playing == 0 })
}

func TestPlayWithoutAudioDevice(t *testing.T) {
	srv, m := fixture(t, nil)
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Play(t.Context(), 12); err != ErrNoAudio {
		t.Fatalf("err %v, want ErrNoAudio", err)
	}
	if srv.Saw("PUT /api/voicemail/12") != 0 || m.Snapshot().Messages[0].Heard {
		t.Fatal("a message that was not played was marked heard")
	}
}

// brokenPlayer is a sound device that fails.
type brokenPlayer struct{}

func (brokenPlayer) Play(context.Context, []int16) error { return errors.New("device unplugged") }

func TestPlayDeviceFailureReported(t *testing.T) {
	_, m := fixture(t, brokenPlayer{})
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Play(t.Context(), 11); err != nil {
		t.Fatal(err)
	}
	until(t, "the failure", func() bool { s := m.Snapshot(); return s.Playing == 0 && s.PlayError == "device unplugged" })
}

func TestPlayBadAudioReportsError(t *testing.T) {
	srv, m := fixture(t, newFakePlayer())
	srv.Lock()
	srv.Audio[12] = []byte("<html>not audio</html>")
	srv.Unlock()
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Play(t.Context(), 12); err == nil || !strings.Contains(err.Error(), "WAV") {
		t.Fatalf("err %v, want a WAV error", err)
	}
	if s := m.Snapshot(); s.Playing != 0 || s.Fetching != 0 || s.Messages[0].Heard {
		t.Fatalf("after a failed play %+v", s)
	}
}

func TestDeleteRemovesMessage(t *testing.T) {
	p := newFakePlayer()
	srv, m := fixture(t, p)
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Play(t.Context(), 12); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(t.Context(), 12); err != nil {
		t.Fatal(err)
	}
	s := m.Snapshot()
	if !slices.Equal(ids(s), []int64{11}) || s.Playing != 0 || s.Counts != (api.VoicemailCounts{New: 0, Old: 1}) {
		t.Fatalf("after delete %+v", s)
	}
	if _, stopped := p.count(); stopped != 1 {
		t.Fatal("deleting the playing message did not stop it")
	}
	if got := srv.Counts(); got != (api.VoicemailCounts{Old: 1}) {
		t.Fatalf("server counts %+v", got)
	}
	// Deleting what is already gone (another device deleted it) is not an error.
	if err := m.Delete(t.Context(), 12); err != nil {
		t.Fatalf("delete again: %v", err)
	}
}

func TestResetForgetsMailbox(t *testing.T) {
	_, m := fixture(t, newFakePlayer())
	if err := m.Refresh(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := m.Play(t.Context(), 11); err != nil {
		t.Fatal(err)
	}
	m.Reset()
	if s := m.Snapshot(); s.Loaded || len(s.Messages) != 0 || s.Playing != 0 || s.Counts != (api.VoicemailCounts{}) {
		t.Fatalf("after reset %+v", s)
	}
}

func TestSettingsRoundTripAndServerErrors(t *testing.T) {
	_, m := fixture(t, nil)
	ctx := t.Context()
	f, err := m.Forwarding(ctx)
	if err != nil {
		t.Fatal(err)
	}
	f.Immediate = "040 123 4567"
	f.Busy, f.NoAnswer, f.Unreachable, f.RingTimeSeconds = api.ForwardVoicemail, "1003", api.ForwardNone, 30
	f.Activities = []api.ActivityRoute{{Activity: 4, Target: api.ForwardVoicemail}}
	got, err := m.SaveForwarding(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if got.Immediate != "+358401234567" || got.NoAnswer != "1003" || got.RingTimeSeconds != 30 || len(got.Activities) != 1 {
		t.Fatalf("saved %+v", got)
	}

	tests := map[string]struct {
		f    func(*api.Forwarding)
		want string
	}{
		"ring time": {func(f *api.Forwarding) { f.RingTimeSeconds = 200 }, "ring time must be 5–120 seconds"},
		"busy":      {func(f *api.Forwarding) { f.Busy = "call me" }, "busy: not a phone number"},
		"activity":  {func(f *api.Forwarding) { f.Activities = []api.ActivityRoute{{Activity: 42, Target: "none"}} }, "unknown activity 42"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			bad := got
			tc.f(&bad)
			_, err := m.SaveForwarding(ctx, bad)
			if people.StatusOf(err) != 400 || err.Error() != tc.want {
				t.Fatalf("err %v (status %d), want 400 %q", err, people.StatusOf(err), tc.want)
			}
		})
	}

	vs, err := m.Settings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	vs.Notify = api.NotifyEmail
	if _, err := m.SaveSettings(ctx, vs); err == nil || err.Error() != "email notification needs an email address" {
		t.Fatalf("email without address: %v", err)
	}
	vs.Notify, vs.CustomerService, vs.OfferBypass = api.NotifySMS, "09 123 456", true
	saved, err := m.SaveSettings(ctx, vs)
	if err != nil || saved.CustomerService != "+3589123456" || !saved.OfferBypass {
		t.Fatalf("saved %+v, %v", saved, err)
	}
	if err := m.SetPIN(ctx, "12a4"); people.StatusOf(err) != 400 {
		t.Fatalf("bad PIN: %v", err)
	}
	if err := m.SetPIN(ctx, "4321"); err != nil {
		t.Fatal(err)
	}
}

func TestDevicePlayerPlaysOnChosenDevice(t *testing.T) {
	b := &audiotest.Backend{}
	p := DevicePlayer{Backend: b, Device: func() string { return "Headset" }}
	in := voicemailtest.Tone(440, 0.3, 8000)
	start := time.Now()
	if err := p.Play(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("0.3 s of audio played in %v: not paced in real time", took)
	}
	sinks := b.Sinks("Headset")
	if len(sinks) != 1 {
		t.Fatalf("%d sinks on the headset", len(sinks))
	}
	got := sinks[0].Samples()
	if len(got) != 2400 || !slices.Equal(got, in) {
		t.Fatalf("the device got %d samples, not the message's 2400", len(got))
	}

	// Stopping ends playback early.
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if err := p.Play(ctx, voicemailtest.Tone(440, 5, 8000)); err != nil {
		t.Fatal(err)
	}
	if n := len(b.Sinks("Headset")[1].Samples()); n > 8000 {
		t.Fatalf("%d samples written after a stop at 0.1 s", n)
	}
}

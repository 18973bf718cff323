package voicemail

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
)

// connectorScript is a Script whose call can be handed over, like the call engine's channels.
type connectorScript struct {
	*mediaapp.Script
	calls []string
	err   error
}

func (c *connectorScript) Connect(_ context.Context, number string, bypass bool) error {
	if bypass {
		number = "bypass:" + number
	}
	c.calls = append(c.calls, number)
	return c.err
}

// TestAwayNotice runs AWAY-1's announcement for every choice (no network). Whether a caller
// gets it at all (VIP or not) is personal routing's decision: routing.TestDecide.
func TestAwayNotice(t *testing.T) {
	noon := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name       string
		inputs     []string
		cs         string
		noVM       bool
		connectErr error
		said       []string // subsequence of what was played
		notSaid    []string
		connects   []string
		saved      bool
	}{
		{name: "2 connects to the person", inputs: []string{"2"},
			said:     []string{"person_is", "activity/6", "time/until", "press2_reach_person", "leave_message"},
			notSaid:  []string{"press1_customer_service"},
			connects: []string{"bypass:1001"}},
		{name: "1 customer service when set", cs: "+358201234567", inputs: []string{"1"},
			said: []string{"person_is", "press1_customer_service", "press2_reach_person"}, connects: []string{"+358201234567"}},
		{name: "1 ignored without customer service", inputs: []string{"1", "2"},
			said: []string{"invalid_choice", "press2_reach_person"}, connects: []string{"bypass:1001"}},
		{name: "no choice leaves a message", inputs: []string{"", "#"}, said: []string{"leave_message", "message_saved"}, saved: true},
		{name: "hash skips to the message", inputs: []string{"#", "#"}, saved: true},
		{name: "no choice and no voicemail says goodbye", noVM: true, inputs: []string{""},
			said: []string{"goodbye"}, notSaid: []string{"leave_message"}},
		{name: "person does not answer: message", inputs: []string{"2", "#"}, connectErr: errBroken,
			said: []string{"transfer_failed", "leave_message", "message_saved"}, connects: []string{"bypass:1001"}, saved: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFlowEnv(t)
			ctx := context.Background()
			f.user.Language = "en"
			vs, err := f.st.VoicemailSettings(ctx, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			vs.CustomerService, vs.Enabled = tt.cs, !tt.noVM
			if err := f.st.PutVoicemailSettings(ctx, vs); err != nil {
				t.Fatal(err)
			}
			d := f.deposit()
			d.Presence = redPresence{6, noon.Add(3 * time.Hour)}
			s := &connectorScript{Script: mediaapp.NewScript(tt.inputs...), err: tt.connectErr}
			s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
			if err := AwayNotice(d, f.org, f.user, Caller{Number: "+358401112223"})(ctx, s); err != nil {
				t.Fatalf("AwayNotice: %v", err)
			}
			played := s.Played()
			if !isSubsequence(tt.said, played) {
				t.Errorf("played %q, want the subsequence %q", played, tt.said)
			}
			for _, k := range tt.notSaid {
				if slices.Contains(played, k) {
					t.Errorf("played %q, which must not be said: %q", k, played)
				}
			}
			if !slices.Equal(s.calls, tt.connects) {
				t.Errorf("Connect calls %q, want %q", s.calls, tt.connects)
			}
			vms, err := f.mb.List(ctx, f.user.ID)
			if err != nil {
				t.Fatal(err)
			}
			if (len(vms) == 1) != tt.saved {
				t.Errorf("saved %d, want %v; log %q", len(vms), tt.saved, s.Log())
			}
		})
	}
}

// The greeting hands over through the channel when DepositDeps.Connect is nil (the call engine).
func TestDepositConnectsThroughChannel(t *testing.T) {
	f := newFlowEnv(t)
	ctx := context.Background()
	vs, _ := f.st.VoicemailSettings(ctx, f.user.ID)
	vs.OfferBypass = true
	if err := f.st.PutVoicemailSettings(ctx, vs); err != nil {
		t.Fatal(err)
	}
	s := &connectorScript{Script: mediaapp.NewScript("2")}
	if err := Deposit(f.deposit(), f.org, f.user, Caller{Number: "1002", Diverted: true})(ctx, s); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(s.calls, []string{"bypass:1001"}) {
		t.Fatalf("Connect calls %q", s.calls)
	}
}

// PRES-6: a caller who meets a busy user hears that the person is on the phone.
func TestDepositOnCallGreeting(t *testing.T) {
	f := newFlowEnv(t)
	s := mediaapp.NewScript("#")
	s.RecordAudio = mediaapp.Tone(440, 2*time.Second)
	if err := Deposit(f.deposit(), f.org, f.user, Caller{Number: "1002", OnCall: true})(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	if !isSubsequence([]string{"person_is", "on_call", "leave_message", "message_saved"}, s.Played()) {
		t.Fatalf("played %q", s.Played())
	}
}

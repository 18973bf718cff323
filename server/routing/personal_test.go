package routing

import (
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

func TestDecide(t *testing.T) {
	fw := func(mod func(*store.Forwarding)) store.Forwarding {
		f := store.Forwarding{UserID: 1}
		if mod != nil {
			mod(&f)
		}
		return f
	}
	meeting := map[int]string{3: "1000"}
	tests := []struct {
		name   string
		facts  Facts
		want   ActionKind
		number string
		div    bool
	}{
		{"plain call rings", Facts{Voicemail: true}, Ring, "", false},
		{"immediate forward", Facts{Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Immediate = "+358401234567" })}, Forward, "+358401234567", false},
		{"immediate forward stops after max hops", Facts{Hops: MaxHops, Forwarding: fw(func(f *store.Forwarding) { f.Immediate = "1002" })}, Ring, "", false},
		{"group call ignores immediate forward", Facts{Via: ViaGroup, Forwarding: fw(func(f *store.Forwarding) { f.Immediate = "1002" })}, Ring, "", false},
		{"group call ignores red activity", Facts{Via: ViaGroup, Red: true, Voicemail: true}, Ring, "", false},
		{"group call busy is not forwarded", Facts{Via: ViaGroup, Stage: Busy, Voicemail: true}, Fail, "", false},
		{"red activity to company number goes to voicemail", Facts{Red: true, Activity: 3, Voicemail: true}, ToVoicemail, "", true},
		{"red activity to mobile rings", Facts{Via: ViaMobile, Red: true, Activity: 3, Voicemail: true}, Ring, "", false},
		{"red activity without voicemail rings", Facts{Red: true, Activity: 3}, Ring, "", false},
		{"activity routing to a number", Facts{Red: true, Activity: 3, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Activities = meeting })}, Forward, "1000", false},
		{"activity routing applies to mobile calls too", Facts{Via: ViaMobile, Red: true, Activity: 3, Forwarding: fw(func(f *store.Forwarding) { f.Activities = meeting })}, Forward, "1000", false},
		{"activity routing none rings", Facts{Red: true, Activity: 3, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Activities = map[int]string{3: store.ForwardNone} })}, Ring, "", false},
		{"green activity routed to voicemail", Facts{Activity: 1, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Activities = map[int]string{1: store.ForwardVoicemail} })}, ToVoicemail, "", true},
		{"away notice for a red activity", Facts{AwayNotice: true, Red: true, Activity: 2, Voicemail: true}, Announce, "", false},
		{"away notice also on the mobile number", Facts{Via: ViaMobile, AwayNotice: true, Red: true, Activity: 2}, Announce, "", false},
		{"VIP passes the away notice", Facts{AwayNotice: true, Red: true, Activity: 2, VIP: true, Voicemail: true}, Ring, "", false},
		{"away role without red activity rings", Facts{AwayNotice: true, Activity: 1, Voicemail: true}, Ring, "", false},
		{"bypass rings whatever the rules", Facts{Bypass: true, AwayNotice: true, Red: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Immediate = "1002" })}, Ring, "", false},
		{"outside office hours to voicemail", Facts{OutsideHours: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Hours = &store.OfficeHours{} })}, ToVoicemail, "", true},
		{"outside office hours to a number", Facts{OutsideHours: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Hours = &store.OfficeHours{Outside: "1000"} })}, Forward, "1000", false},
		{"outside office hours none rings", Facts{OutsideHours: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Hours = &store.OfficeHours{Outside: store.ForwardNone} })}, Ring, "", false},
		{"outside office hours, mobile rings", Facts{Via: ViaMobile, OutsideHours: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Hours = &store.OfficeHours{} })}, Ring, "", false},
		{"outside office hours, group call rings", Facts{Via: ViaGroup, OutsideHours: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Hours = &store.OfficeHours{} })}, Ring, "", false},
		{"immediate forward before office hours", Facts{OutsideHours: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Immediate = "1002"; f.Hours = &store.OfficeHours{} })}, Forward, "1002", false},
		{"outside office hours before the away notice", Facts{OutsideHours: true, AwayNotice: true, Red: true, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Hours = &store.OfficeHours{} })}, ToVoicemail, "", true},
		{"busy to voicemail by default", Facts{Stage: Busy, Voicemail: true}, ToVoicemail, "", false},
		{"busy without voicemail fails", Facts{Stage: Busy}, Fail, "", false},
		{"busy to a number", Facts{Stage: Busy, Forwarding: fw(func(f *store.Forwarding) { f.Busy = "1003" })}, Forward, "1003", false},
		{"busy none", Facts{Stage: Busy, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Busy = store.ForwardNone })}, Fail, "", false},
		{"no answer to voicemail", Facts{Stage: NoAnswer, Voicemail: true}, ToVoicemail, "", false},
		{"no answer to a number", Facts{Stage: NoAnswer, Forwarding: fw(func(f *store.Forwarding) { f.NoAnswer = "+358501112222" })}, Forward, "+358501112222", false},
		{"no answer forward stops after max hops", Facts{Stage: NoAnswer, Hops: MaxHops, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.NoAnswer = "1002" })}, Fail, "", false},
		{"unreachable to voicemail", Facts{Stage: Unreachable, Voicemail: true}, ToVoicemail, "", false},
		{"unreachable to a number", Facts{Stage: Unreachable, Voicemail: true, Forwarding: fw(func(f *store.Forwarding) { f.Unreachable = "1004" })}, Forward, "1004", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.facts)
			if got.Kind != tt.want || got.Number != tt.number || got.Diverted != tt.div {
				t.Fatalf("Decide = %v %q diverted=%v (%s); want %v %q diverted=%v", got.Kind, got.Number, got.Diverted, got.Reason, tt.want, tt.number, tt.div)
			}
			if got.Kind == Ring && got.RingTime != tt.facts.Forwarding.Ring() {
				t.Fatalf("RingTime = %v", got.RingTime)
			}
		})
	}
}

func TestDecideRingTime(t *testing.T) {
	if a := Decide(Facts{}); a.RingTime != store.DefaultRingTime {
		t.Fatalf("default ring time %v", a.RingTime)
	}
	if a := Decide(Facts{Forwarding: store.Forwarding{RingTime: 45 * time.Second}}); a.RingTime != 45*time.Second {
		t.Fatalf("ring time %v", a.RingTime)
	}
}

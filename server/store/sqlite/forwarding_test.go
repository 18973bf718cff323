package sqlite

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

func TestForwardingRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, a, b := seedPair(t, s)

	f, err := s.Forwarding(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.UserID != a.ID || f.Immediate != "" || f.Activities != nil || f.Ring() != store.DefaultRingTime {
		t.Fatalf("never saved: %+v", f)
	}
	want := store.Forwarding{UserID: a.ID, Immediate: "+358401234567", Busy: store.ForwardNone, NoAnswer: "1002",
		Unreachable: store.ForwardVoicemail, RingTime: 35 * time.Second,
		Activities: map[int]string{3: "1000", 5: store.ForwardVoicemail}, UpdatedAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC),
		Hours: &store.OfficeHours{Days: [7]bool{time.Monday: true, time.Friday: true}, Start: 8 * 60, End: 16*60 + 30, Outside: "1002"}}
	if err := s.PutForwarding(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Forwarding(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Fatalf("UpdatedAt %v, want %v", got.UpdatedAt, want.UpdatedAt)
	}
	got.UpdatedAt = want.UpdatedAt
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	// Clearing the immediate forward keeps the rest; the other user is untouched.
	want.Immediate = ""
	if err := s.PutForwarding(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Forwarding(ctx, a.ID); got.Immediate != "" || got.NoAnswer != "1002" {
		t.Fatalf("after clearing: %+v", got)
	}
	if got, _ := s.Forwarding(ctx, b.ID); got.Immediate != "" || got.Busy != "" {
		t.Fatalf("other user changed: %+v", got)
	}
	if err := s.PutForwarding(ctx, store.Forwarding{UserID: 9999}); err == nil {
		t.Fatal("forwarding of an unknown user accepted")
	}
}

package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

func TestVoicemailsCRUDAndCounts(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, a, b := seedPair(t, s)
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)

	add := func(u store.User, path string, at time.Time, kind store.VoicemailKind) store.Voicemail {
		t.Helper()
		v, err := s.AddVoicemail(ctx, store.Voicemail{OrgID: o.ID, UserID: u.ID, Kind: kind, Caller: "+358401112222",
			CallerName: "Caller", ReceivedAt: at, Duration: 12500 * time.Millisecond, Path: path, Urgent: path == "a/2.wav"})
		if err != nil {
			t.Fatalf("AddVoicemail %s: %v", path, err)
		}
		if v.ID == 0 {
			t.Fatalf("AddVoicemail %s: no ID", path)
		}
		return v
	}
	v1 := add(a, "a/1.wav", t0, "")
	v2 := add(a, "a/2.wav", t0.Add(time.Minute), store.VoiceMessage)
	add(a, "a/3.pdf", t0.Add(2*time.Minute), store.Fax)
	add(b, "b/1.wav", t0, store.VoiceMessage)

	_, err := s.AddVoicemail(ctx, store.Voicemail{OrgID: o.ID, UserID: a.ID, Path: "a/1.wav"})
	wantErr(t, "duplicate path", err, store.ErrConflict)
	_, err = s.AddVoicemail(ctx, store.Voicemail{OrgID: o.ID, UserID: 999, Path: "x.wav"})
	wantErr(t, "unknown user", err, store.ErrNotFound)
	_, err = s.AddVoicemail(ctx, store.Voicemail{OrgID: o.ID, UserID: a.ID})
	if err == nil {
		t.Fatal("empty path accepted")
	}

	list, err := s.Voicemails(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 3 || list[0].Path != "a/3.pdf" || list[1].Path != "a/2.wav" || list[2].Path != "a/1.wav" {
		t.Fatalf("Voicemails newest first: %+v", list)
	}
	got := list[2]
	if got.Kind != store.VoiceMessage || got.Caller != "+358401112222" || got.CallerName != "Caller" ||
		!got.ReceivedAt.Equal(t0) || got.Duration != 12500*time.Millisecond || got.Heard || got.Urgent || !list[1].Urgent {
		t.Fatalf("round trip: %+v", got)
	}

	counts := func(u store.User, wantNew, wantOld int) {
		t.Helper()
		n, old, err := s.VoicemailCounts(ctx, u.ID)
		if err != nil || n != wantNew || old != wantOld {
			t.Fatalf("VoicemailCounts(%s) = %d/%d, %v; want %d/%d", u.Extension, n, old, err, wantNew, wantOld)
		}
	}
	counts(a, 2, 0) // the fax is not a voice message
	counts(b, 1, 0)

	heardAt := t0.Add(time.Hour)
	if err := s.MarkHeard(ctx, a.ID, v1.ID, true, heardAt); err != nil {
		t.Fatal(err)
	}
	counts(a, 1, 1)
	v, err := s.Voicemail(ctx, a.ID, v1.ID)
	if err != nil || !v.Heard || !v.HeardAt.Equal(heardAt) {
		t.Fatalf("Voicemail after MarkHeard: %+v %v", v, err)
	}
	if err := s.MarkHeard(ctx, a.ID, v1.ID, false, time.Time{}); err != nil {
		t.Fatal(err)
	}
	counts(a, 2, 0)
	wantErr(t, "MarkHeard other's", s.MarkHeard(ctx, b.ID, v1.ID, true, heardAt), store.ErrNotFound)
	_, err = s.Voicemail(ctx, b.ID, v1.ID)
	wantErr(t, "Voicemail other's", err, store.ErrNotFound)

	_, err = s.DeleteVoicemail(ctx, b.ID, v2.ID)
	wantErr(t, "delete other's", err, store.ErrNotFound)
	path, err := s.DeleteVoicemail(ctx, a.ID, v2.ID)
	if err != nil || path != "a/2.wav" {
		t.Fatalf("DeleteVoicemail = %q, %v", path, err)
	}
	_, err = s.DeleteVoicemail(ctx, a.ID, v2.ID)
	wantErr(t, "delete twice", err, store.ErrNotFound)
	counts(a, 1, 0)

	paths, err := s.VoicemailPaths(ctx)
	if err != nil || len(paths) != 3 {
		t.Fatalf("VoicemailPaths = %v, %v", paths, err)
	}
}

func TestVoicemailSettings(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	_, a := seed(t, s)

	vs, err := s.VoicemailSettings(ctx, a.ID)
	if err != nil || vs != store.DefaultVoicemailSettings(a.ID) {
		t.Fatalf("defaults = %+v, %v", vs, err)
	}
	if !vs.Enabled || vs.Notify != store.NotifySMS {
		t.Fatalf("default must be enabled with SMS: %+v", vs)
	}
	want := store.VoicemailSettings{UserID: a.ID, Enabled: false, PINHash: "$2a$10$x", GreetingPath: "1/greeting.wav",
		Notify: store.NotifyBoth, AnnounceActivity: true, CustomerService: "+358912340000", OfferBypass: true,
		UpdatedAt: time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)}
	if err := s.PutVoicemailSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.VoicemailSettings(ctx, a.ID)
	if err != nil || got != want {
		t.Fatalf("round trip\n got %+v\nwant %+v (%v)", got, want, err)
	}
	want.Notify, want.Enabled = store.NotifyEmail, true
	if err := s.PutVoicemailSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.VoicemailSettings(ctx, a.ID); got != want {
		t.Fatalf("update: %+v", got)
	}
	if err := s.PutVoicemailSettings(ctx, store.VoicemailSettings{UserID: a.ID, Notify: "fax"}); err == nil {
		t.Fatal("unknown notify accepted")
	}
	wantErr(t, "unknown user", s.PutVoicemailSettings(ctx, store.VoicemailSettings{UserID: 999}), store.ErrNotFound)
}

package voicemail

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestGreetingReplaceAndDelete(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if p, err := e.mb.Greeting(ctx, e.user.ID); err != nil || p != "" {
		t.Fatalf("no greeting yet: %q %v", p, err)
	}
	first := wav(time.Second)
	if err := e.mb.SaveGreeting(ctx, e.user.ID, bytes.NewReader(first)); err != nil {
		t.Fatal(err)
	}
	p1, err := e.mb.Greeting(ctx, e.user.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(p1); err != nil || !bytes.Equal(got, first) {
		t.Fatalf("greeting file: %v", err)
	}
	second := wav(2 * time.Second)
	if err := e.mb.SaveGreeting(ctx, e.user.ID, bytes.NewReader(second)); err != nil {
		t.Fatal(err)
	}
	p2, _ := e.mb.Greeting(ctx, e.user.ID)
	if p2 == p1 {
		t.Fatal("replacing kept the same file")
	}
	if _, err := os.Stat(p1); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("old greeting not removed: %v", err)
	}
	if got, _ := os.ReadFile(p2); !bytes.Equal(got, second) {
		t.Fatal("new greeting content")
	}
	// A greeting written but never referenced (crash before the settings were saved) goes
	// at the next Recover; the referenced one stays.
	stray := filepath.Join(filepath.Dir(p2), greetingPrefix+"deadbeef.wav")
	if err := os.WriteFile(stray, first, 0o640); err != nil {
		t.Fatal(err)
	}
	rep, err := e.mb.Recover(ctx)
	if err != nil || len(rep.Temporary) != 1 || !strings.HasSuffix(rep.Temporary[0], "deadbeef.wav") {
		t.Fatalf("Recover: %+v %v", rep, err)
	}
	if _, err := os.Stat(p2); err != nil {
		t.Fatalf("Recover removed the live greeting: %v", err)
	}
	if err := e.mb.DeleteGreeting(ctx, e.user.ID); err != nil {
		t.Fatal(err)
	}
	if p, _ := e.mb.Greeting(ctx, e.user.ID); p != "" {
		t.Fatalf("greeting after delete: %q", p)
	}
	if _, err := os.Stat(p2); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("deleted greeting file remains: %v", err)
	}
	if n := e.changeCount(); n != 0 {
		t.Fatalf("greetings are not messages: Changed called %d times", n)
	}
}

func TestPIN(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if ok, err := e.mb.CheckPIN(ctx, e.user.ID, ""); err != nil || ok {
		t.Fatalf("mailbox without PIN opened: %v %v", ok, err)
	}
	for _, bad := range []string{"", "123", "123456789", "12a4", "１２３４"} {
		if err := e.mb.SetPIN(ctx, e.user.ID, bad); !errors.Is(err, ErrBadPIN) {
			t.Fatalf("SetPIN(%q) = %v", bad, err)
		}
	}
	if err := e.mb.SetPIN(ctx, e.user.ID, "4321"); err != nil {
		t.Fatal(err)
	}
	vs, _ := e.st.VoicemailSettings(ctx, e.user.ID)
	if vs.PINHash == "" || strings.Contains(vs.PINHash, "4321") {
		t.Fatalf("PIN stored as %q", vs.PINHash)
	}
	cases := []struct {
		pin  string
		want bool
	}{{"4321", true}, {"1234", false}, {"", false}, {"43210", false}}
	for _, tc := range cases {
		if ok, err := e.mb.CheckPIN(ctx, e.user.ID, tc.pin); err != nil || ok != tc.want {
			t.Fatalf("CheckPIN(%q) = %v, %v", tc.pin, ok, err)
		}
	}
}

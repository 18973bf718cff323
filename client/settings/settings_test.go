package settings

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestLoadMissingFileGivesZeroSettings(t *testing.T) {
	st, err := NewStore(t.TempDir()).Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.CanAutoLogin() || st.Server != "" {
		t.Fatalf("want zero settings, got %+v", st)
	}
	if st.Audio.Volume() != DefaultRingVolume {
		t.Fatalf("default volume %v", st.Audio.Volume())
	}
}

func TestSaveLoadRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "Vaihde")
	s := NewStore(dir)
	want := Settings{Server: "pbx.example.com", User: "0401234567", Password: "secret", Language: "fi",
		Audio: Audio{Microphone: "Headset mic", Speaker: "Headset", Ringer: "Speakers", AlsoRing: []string{"Headset"}}}
	want.Audio.SetVolume(0.25)
	if err := s.Save(want); err != nil {
		t.Fatal(err)
	}
	got, err := NewStore(dir).Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != want.Server || got.User != want.User || got.Password != want.Password ||
		got.Language != want.Language || got.Audio.Microphone != want.Audio.Microphone ||
		got.Audio.Speaker != want.Audio.Speaker || got.Audio.Ringer != want.Audio.Ringer ||
		got.Audio.Volume() != 0.25 || !slices.Equal(got.Audio.RingDevices(), []string{"Speakers", "Headset"}) {
		t.Fatalf("round trip: got %+v want %+v", got, want)
	}
	if !got.CanAutoLogin() {
		t.Fatal("complete account should auto-login")
	}
	if runtime.GOOS != "windows" {
		fi, err := os.Stat(s.Path())
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Fatalf("settings file mode %v, want 0600", fi.Mode().Perm())
		}
		di, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if di.Mode().Perm() != 0o700 {
			t.Fatalf("settings dir mode %v, want 0700", di.Mode().Perm())
		}
	}
}

func TestUpdateForgetsPassword(t *testing.T) {
	s := NewStore(t.TempDir())
	if err := s.Save(Settings{Server: "a", User: "b", Password: "c"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(func(st *Settings) { st.Password = "" }); err != nil {
		t.Fatal(err)
	}
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if st.Password != "" || st.User != "b" || st.CanAutoLogin() {
		t.Fatalf("after logout: %+v", st)
	}
	b, _ := os.ReadFile(s.Path())
	if string(b) == "" || strings.Contains(string(b), `"password"`) {
		t.Fatalf("password key still in file: %s", b)
	}
}

func TestLoadCorruptFileFails(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewStore(dir).Load(); err == nil {
		t.Fatal("want an error for a corrupt file")
	}
}

func TestVolumeClamped(t *testing.T) {
	for _, tc := range []struct{ in, want float64 }{{-1, 0}, {0.5, 0.5}, {3, 1}} {
		var a Audio
		a.SetVolume(tc.in)
		if a.Volume() != tc.want {
			t.Errorf("SetVolume(%v): Volume()=%v want %v", tc.in, a.Volume(), tc.want)
		}
	}
}

func TestRingDevices(t *testing.T) {
	for _, tt := range []struct {
		a    Audio
		want []string
	}{
		{Audio{}, []string{""}},
		{Audio{Ringer: "Speakers"}, []string{"Speakers"}},
		{Audio{Ringer: "Speakers", AlsoRing: []string{"Headset"}}, []string{"Speakers", "Headset"}},
		{Audio{Ringer: "Speakers", AlsoRing: []string{""}}, []string{"Speakers", ""}},
		{Audio{Ringer: "Headset", AlsoRing: []string{"Headset", "Headset"}}, []string{"Headset"}},
	} {
		if got := tt.a.RingDevices(); !slices.Equal(got, tt.want) {
			t.Errorf("%+v: RingDevices %q, want %q", tt.a, got, tt.want)
		}
	}
}

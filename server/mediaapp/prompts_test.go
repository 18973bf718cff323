package mediaapp

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"
)

func TestPrompts(t *testing.T) {
	fsys := fstest.MapFS{
		"fi/num/14.wav":       {Data: EncodeWAV(Tone(440, 100*time.Millisecond).Samples)},
		"fi/time/at.wav":      {Data: EncodeWAV(Silence(50 * time.Millisecond).Samples)},
		"en/num/14.wav":       {Data: EncodeWAV(Tone(880, 200*time.Millisecond).Samples)},
		"en/readme.txt":       {Data: []byte("not a prompt")},
		"de/num/14.wav":       {Data: []byte("not even a wav, but not a language we load")},
		"sv/.keep/ignore.txt": {Data: nil},
	}
	p, err := LoadPrompts(fsys)
	if err != nil {
		t.Fatalf("LoadPrompts: %v", err)
	}
	if p.Len(Finnish) != 2 || p.Len(English) != 1 || p.Len(Swedish) != 0 {
		t.Errorf("loaded fi %d en %d sv %d, want 2 1 0", p.Len(Finnish), p.Len(English), p.Len(Swedish))
	}
	keys, err := SayTime(Finnish, 14, 0)
	if err != nil {
		t.Fatal(err)
	}
	clips, err := p.Clips(Finnish, keys...)
	if err != nil || len(clips) != 2 || clips[0].Name != "time/at" || clips[1].Duration() != 100*time.Millisecond {
		t.Fatalf("Clips(fi, %v) = %v, %v", keys, clips, err)
	}
	if _, err := p.Clips(Swedish, "num/14"); !errors.Is(err, ErrNoPrompt) {
		t.Errorf("missing prompt: err %v, want ErrNoPrompt", err)
	}
	// An admin's recording replaces the generated prompt.
	p.Set(English, "num/14", Tone(300, time.Second))
	clips, err = p.Clips(English, "num/14")
	if err != nil || clips[0].Duration() != time.Second || clips[0].Name != "num/14" {
		t.Errorf("after Set: %v, %v", clips, err)
	}

	bad := fstest.MapFS{"sv/num/1.wav": {Data: []byte("RIFF....WAVE")}}
	if _, err := LoadPrompts(bad); !errors.Is(err, ErrWAV) {
		t.Errorf("LoadPrompts with a bad WAV: %v, want ErrWAV", err)
	}
}

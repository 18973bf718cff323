package relay

import (
	"net/netip"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// TestTapAudioAndKeys: an unbridged leg hands its tap the party's audio decoded (PCMA here) and
// each key press once (RFC 4733, and PressKey for SIP INFO); once bridged the audio is the
// partner's business and the tap gets none, keys still arrive; ClearTap of an older tap keeps
// the newer one.
func TestTapAudioAndKeys(t *testing.T) {
	p := newTestPool(t)
	l, other := newTestLeg(t, p), newTestLeg(t, p)
	if err := l.SetRemote(media(9, 101, sdpmedia.PCMA), sdpmedia.PCMA); err != nil {
		t.Fatal(err)
	}
	var audio [][]int16
	var keys []rune
	tap := &Tap{Key: func(k rune) { keys = append(keys, k) }, Audio: func(pcm []int16) { audio = append(audio, append([]int16(nil), pcm...)) }}
	l.SetTap(tap)
	src := netip.MustParseAddrPort("127.0.0.1:9")
	now := time.Now().UnixNano()
	want := make([]int16, 160)
	for i := range want {
		want[i] = int16(i * 100)
	}
	payload, _ := codec.Encode(codec.PCMA, want, nil)
	l.handleRTP(packet(t, codec.PCMA, 1, 160, 5, payload), src, now)
	if len(audio) != 1 || len(audio[0]) != 160 {
		t.Fatalf("tap got %d frames, want one of 160 samples", len(audio))
	}
	dec, _ := codec.Decode(codec.PCMA, payload, nil)
	for i := range dec {
		if audio[0][i] != dec[i] {
			t.Fatalf("sample %d: %d, want %d", i, audio[0][i], dec[i])
		}
	}
	code, _ := dtmf.CodeOf('7')
	for i := range 4 { // one press: start packets and the end, one timestamp
		ev := dtmf.Event{Code: code, End: i == 3, Duration: uint16(160 * (i + 1))}
		l.handleRTP(packet(t, 101, uint16(2+i), 320, 5, ev.Marshal(make([]byte, 4))), src, now)
	}
	l.PressKey('#')
	if string(keys) != "7#" {
		t.Fatalf("tap keys %q, want 7#", string(keys))
	}
	if len(audio) != 1 {
		t.Fatalf("telephone-events reached the tap as audio (%d frames)", len(audio))
	}
	Bridge(l, other)
	l.handleRTP(packet(t, codec.PCMA, 6, 960, 5, payload), src, now)
	if len(audio) != 1 || !l.Bridged() {
		t.Fatalf("bridged leg gave its tap %d frames, want none", len(audio)-1)
	}
	l.Unbridge()
	newer := &Tap{}
	l.SetTap(newer)
	l.ClearTap(tap)
	if l.tap.Load() != newer {
		t.Fatal("ClearTap of the old tap removed the newer one")
	}
}

// FuzzTapHandleRTP: any datagram on an unbridged leg with a tap: nothing panics, keys are keys
// and audio frames are no longer than a datagram can carry.
func FuzzTapHandleRTP(f *testing.F) {
	f.Add([]byte{0x80, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xff})
	f.Add([]byte{0x80, 8, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xd5, 0xd5})
	f.Add([]byte{0xbf, 0x65, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4})
	p := newTestPool(f)
	l := newTestLeg(f, p)
	if err := l.SetRemote(media(9, 101, sdpmedia.PCMU), sdpmedia.PCMU); err != nil {
		f.Fatal(err)
	}
	src := netip.MustParseAddrPort("127.0.0.1:9")
	f.Fuzz(func(t *testing.T, pkt []byte) {
		l.SetTap(&Tap{
			Key: func(k rune) {
				if _, err := dtmf.CodeOf(k); err != nil {
					t.Fatalf("key %q is not DTMF", k)
				}
			},
			Audio: func(pcm []int16) {
				if len(pcm) > maxDatagram {
					t.Fatalf("%d samples from one datagram", len(pcm))
				}
			},
		})
		l.handleRTP(pkt, src, time.Now().UnixNano())
	})
}

package interop

import (
	"encoding/json"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// promptsDir is the generated prompt set (make prompts); the feature tests need it.
func promptsDir(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(), "assets", "prompts")
	if _, err := os.Stat(filepath.Join(dir, "fi", "feature_activated.wav")); err != nil {
		t.Fatalf("voice prompts missing (%v): run `make prompts` (make test does) before the interop tests that listen to them", err)
	}
	return dir
}

// promptAudio concatenates prompt files of one language, as the server plays them back to back.
func promptAudio(t *testing.T, dir, lang string, keys ...string) pcm {
	t.Helper()
	var out pcm
	for _, k := range keys {
		p, err := readWAV(filepath.Join(dir, lang, k+".wav"))
		if err != nil {
			t.Fatal(err)
		}
		out.rate = p.rate
		out.samples = append(out.samples, p.samples...)
	}
	return out
}

// callService dials a service number from b, waits until the server has answered and then hung
// up, and returns the audio b received. established is when the call was answered.
func callService(t *testing.T, srv *vaihde, b *baresip, number string, minSeconds float64, during func(established time.Time)) pcm {
	t.Helper()
	rm, m := b.recordMark(), b.mark()
	b.cmd("dial", srv.uri(number))
	ev, err := b.ctrl.wait(m, 30*time.Second, func(e ctrlEvent) bool {
		return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
	})
	if err != nil || ev.Type != "CALL_ESTABLISHED" {
		t.Fatalf("dial %s: not answered: %v %+v (events: %s)", number, err, ev, b.ctrl.summary())
	}
	established := time.Now()
	if during != nil {
		during(established)
	}
	b.waitEvent(m, "CALL_CLOSED", 30*time.Second, nil) // the server hangs up after its answer
	b.waitAudioSince(rm, minSeconds, 10*time.Second)
	return b.audioSince(rm)
}

// frameEnergy is the RMS of each 20 ms frame.
func frameEnergy(p pcm) []float64 {
	n := p.rate / 50
	var out []float64
	for i := 0; i+n <= len(p.samples); i += n {
		out = append(out, rms(p.samples[i:i+n]))
	}
	return out
}

// correlation is the Pearson correlation of a and b[lag:lag+len(a)].
func correlation(a, b []float64, lag int) float64 {
	var sa, sb, saa, sbb, sab float64
	n := float64(len(a))
	for i, x := range a {
		y := b[lag+i]
		sa += x
		sb += y
		saa += x * x
		sbb += y * y
		sab += x * y
	}
	cov := sab - sa*sb/n
	va, vb := saa-sa*sa/n, sbb-sb*sb/n
	if va <= 0 || vb <= 0 {
		return 0
	}
	return cov / math.Sqrt(va*vb)
}

// matchPrompt finds want in got: the best correlation of the 20 ms energy envelopes over every
// offset, then of the waveforms around that offset (G.711 keeps the waveform; a wrong prompt or
// noise correlates poorly). It returns both correlations and the energy ratio at the match.
func matchPrompt(got, want pcm) (envelope, waveform, energyRatio float64) {
	eg, ew := frameEnergy(got), frameEnergy(want)
	if len(ew) == 0 || len(eg) < len(ew) {
		return 0, 0, 0
	}
	best, bestLag := -1.0, 0
	for lag := 0; lag+len(ew) <= len(eg); lag++ {
		if c := correlation(ew, eg, lag); c > best {
			best, bestLag = c, lag
		}
	}
	frame := want.rate / 50
	start := bestLag * frame
	waveform = -1
	for d := -frame; d <= frame; d++ {
		s := start + d
		if s < 0 || s+len(want.samples) > len(got.samples) {
			continue
		}
		if c := correlation(want.samples, got.samples, s); c > waveform {
			waveform = c
		}
	}
	end := min(start+len(want.samples), len(got.samples))
	return best, waveform, rms(got.samples[start:end]) / rms(want.samples[:end-start])
}

// checkPrompt asserts that got contains the prompt audio want.
func checkPrompt(t *testing.T, what string, got, want pcm) {
	t.Helper()
	if got.rate != want.rate {
		t.Fatalf("%s: received %d Hz audio, prompts are %d Hz", what, got.rate, want.rate)
	}
	env, wave, ratio := matchPrompt(got, want)
	t.Logf("%s: envelope correlation %.2f, waveform correlation %.2f, energy ratio %.2f (%.1fs received, prompt %.1fs)",
		what, env, wave, ratio, got.seconds(), want.seconds())
	if env < 0.9 || wave < 0.8 || ratio < 0.5 || ratio > 2 {
		t.Fatalf("%s: the received audio is not the prompt", what)
	}
}

// presenceOf reads user's presence as token's user sees it over the HTTP API.
func presenceOf(t *testing.T, srv *vaihde, token, ext string) (api.Presence, bool) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+srv.httpAddr+"/api/presence", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return api.Presence{}, false
	}
	defer res.Body.Close()
	var list api.PresenceList
	if res.StatusCode != http.StatusOK || json.NewDecoder(res.Body).Decode(&list) != nil {
		return api.Presence{}, false
	}
	for _, p := range list.Presence {
		if p.Extension == ext {
			return p, true
		}
	}
	return api.Presence{}, false
}

// TestIntegrationBaresipFeatureCodes: baresip as 1001 (Finnish) dials 9834; colleague 1002 sees
// activity 4 (in a meeting) over the HTTP API within a second of the answer, and what baresip
// received is the Finnish "feature activated" prompt. Then 9871002 sets forwarding and 987
// clears it: checked by the prompts heard ("forwarding set to 1 0 0 2", "forwarding cleared"),
// as forwarding has no API yet.
func TestIntegrationBaresipFeatureCodes(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	a := registered(t, srv, "1001", toneA, false, "")
	token := presenceLogin(t, srv, "1002", "demo1002")
	if p, ok := presenceOf(t, srv, token, "1001"); !ok || p.Activity == 4 {
		t.Fatalf("1001 before the call: %+v (found %v)", p, ok)
	}

	activated := promptAudio(t, dir, "fi", "feature_activated")
	got := callService(t, srv, a, "9834", activated.seconds()*0.9, func(established time.Time) {
		var seen time.Duration
		ok := pollUntil(5*time.Second, func() bool {
			p, ok := presenceOf(t, srv, token, "1001")
			seen = time.Since(established)
			return ok && p.Activity == 4
		})
		if !ok {
			t.Errorf("1002 never saw 1001 in activity 4")
			return
		}
		t.Logf("1002 saw activity 4 %v after the answer", seen)
		if seen > time.Second {
			t.Errorf("1002 saw activity 4 after %v, want within 1 s", seen)
		}
	})
	checkPrompt(t, "9834 answer", got, activated)
	// The check tells prompts apart: the answer is not "forwarding cleared".
	if _, wave, _ := matchPrompt(got, promptAudio(t, dir, "fi", "forwarding_cleared")); wave > 0.5 {
		t.Fatalf("9834 answer also matches another prompt (waveform correlation %.2f)", wave)
	}

	setTo := promptAudio(t, dir, "fi", "forwarding_set_to", "num/1", "num/0", "num/0", "num/2")
	got = callService(t, srv, a, "9871002", setTo.seconds()*0.9, nil)
	checkPrompt(t, "9871002 answer", got, setTo)

	cleared := promptAudio(t, dir, "fi", "forwarding_cleared")
	got = callService(t, srv, a, "987", cleared.seconds()*0.9, nil)
	checkPrompt(t, "987 answer", got, cleared)
}

// TestIntegrationBaresipVoicemailAccess: baresip as 1001 dials the voicemail access number
// 9000 and hears the Finnish welcome of the voicemail service (VM-1: the caller's own mailbox,
// recognised from the registered extension).
func TestIntegrationBaresipVoicemailAccess(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	a := registered(t, srv, "1001", toneA, false, "")
	welcome := promptAudio(t, dir, "fi", "vm_welcome")
	// The menu waits for keys: 1001 hangs up once the welcome has been heard.
	rm, m := a.recordMark(), a.mark()
	a.cmd("dial", srv.uri("9000"))
	a.waitEvent(m, "CALL_ESTABLISHED", 30*time.Second, nil)
	a.waitAudioSince(rm, welcome.seconds()+1, 20*time.Second)
	a.cmd("hangup", "")
	a.waitEvent(m, "CALL_CLOSED", 30*time.Second, nil)
	checkPrompt(t, "9000 answer", a.audioSince(rm), welcome)
}

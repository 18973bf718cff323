package interop

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/selfcert"
)

// tlsVaihde starts the server with a SIP TLS listener on its own port and a certificate for
// 127.0.0.1 (made like the HTTPS one), and returns the TLS settings a baresip account needs.
func tlsVaihde(t *testing.T) (*vaihde, baresipTLS) {
	t.Helper()
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "sip-cert.pem"), filepath.Join(dir, "sip-key.pem")
	if _, err := selfcert.Ensure(cert, key, nil, time.Now()); err != nil {
		t.Fatal(err)
	}
	tlsPort := freeTCPPort(t)
	srv := startVaihde(t, "-tls-addr", "127.0.0.1:"+strconv.Itoa(tlsPort), "-tls-cert", cert, "-tls-key", key)
	return srv, baresipTLS{Port: tlsPort, CAFile: cert}
}

// registeredTLS starts a baresip for a demo user registered over TLS with mediaenc.
func registeredTLS(t *testing.T, srv *vaihde, tls baresipTLS, user string, tone float64, autoAnswer bool, mediaEnc string) *baresip {
	t.Helper()
	tls.MediaEnc = mediaEnc
	b := startBaresip(t, srv, baresipOpts{User: user, Password: "demo" + user, Register: true,
		AutoAnswer: autoAnswer, ToneHz: tone, TLS: &tls})
	b.waitRegistered()
	return b
}

// What baresip 1.0 prints when an account registered over TLS and when a call's audio is SRTP.
const (
	tlsRegistered = "{0/TLS/v4} 200 OK"
	srtpEnabled   = "SRTP is Enabled (cryptosuite=AES_CM_128_HMAC_SHA1_80)"
)

// checkSecure fails unless b registered over TLS and enabled SRTP at least once on each of
// its calls (baresip says so again after every re-INVITE).
func checkSecure(t *testing.T, b *baresip, calls int) {
	t.Helper()
	log := b.log.String()
	if !strings.Contains(log, tlsRegistered) {
		t.Errorf("baresip %s did not register over TLS", b.opts.User)
	}
	if n := strings.Count(log, srtpEnabled); n < calls {
		t.Errorf("baresip %s enabled SRTP %d times, want at least once per call (%d)", b.opts.User, n, calls)
	}
}

// TestIntegrationBaresipTLSSRTP: baresip phones with the srtp module (mediaenc srtp-mand:
// they accept SRTP only) register over TLS and call each other through the server, which
// terminates SRTP on each leg; a TLS+SRTP phone also calls a plain-RTP phone and is called by
// one. The audio is checked by its tone both ways.
func TestIntegrationBaresipTLSSRTP(t *testing.T) {
	integration(t, "baresip")
	srv, tls := tlsVaihde(t)
	tlsURI := func(user string) string {
		return "sip:" + user + "@127.0.0.1:" + strconv.Itoa(tls.Port) // the account adds transport=tls
	}

	t.Run("SRTP to SRTP", func(t *testing.T) {
		a := registeredTLS(t, srv, tls, "1001", toneA, false, "srtp-mand")
		b := registeredTLS(t, srv, tls, "1002", toneB, true, "srtp-mand")
		dial(t, a, b, tlsURI("1002"))
		a.waitRecorded(4, 30*time.Second)
		b.waitRecorded(4, 30*time.Second)
		hangup(t, a, b)
		checkTone(t, "SRTP 1002 hears SRTP 1001", b.lastRecording(), toneA, toneB, 3)
		checkTone(t, "SRTP 1001 hears SRTP 1002", a.lastRecording(), toneB, toneA, 3)
		checkSecure(t, a, 1)
		checkSecure(t, b, 1)
	})
	t.Run("SRTP to plain and back", func(t *testing.T) {
		a := registeredTLS(t, srv, tls, "1003", toneA, true, "srtp-mand")
		c := registered(t, srv, "1004", toneC, true, "")
		dial(t, a, c, tlsURI("1004"))
		a.waitRecorded(4, 30*time.Second)
		c.waitRecorded(4, 30*time.Second)
		hangup(t, a, c)
		checkTone(t, "plain 1004 hears SRTP 1003", c.lastRecording(), toneA, toneC, 3)
		checkTone(t, "SRTP 1003 hears plain 1004", a.lastRecording(), toneC, toneA, 3)

		// The plain phone calls the TLS one: the server offers it SRTP, since it registered
		// over TLS (srtp-mand would refuse a plain offer).
		dial(t, c, a, srv.uri("1003"))
		a.waitRecorded(4, 30*time.Second)
		c.waitRecorded(4, 30*time.Second)
		hangup(t, c, a)
		checkTone(t, "SRTP 1003 hears plain 1004 (called)", a.lastRecording(), toneC, toneA, 3)
		checkTone(t, "plain 1004 hears SRTP 1003 (called)", c.lastRecording(), toneA, toneC, 3)
		checkSecure(t, a, 2)
		if n := strings.Count(c.log.String(), srtpEnabled); n != 0 {
			t.Errorf("the plain phone enabled SRTP %d times", n)
		}
	})
	t.Run("SRTP to a service number", func(t *testing.T) {
		// Without prompts the server answers 9834 (activity 4) with two 880 Hz beeps, from
		// its own media endpoint, which speaks SRTP to this phone.
		a := registeredTLS(t, srv, tls, "1005", toneA, false, "srtp-mand")
		rm, m := a.recordMark(), a.mark()
		a.cmd("dial", tlsURI("9834"))
		if ev, err := a.ctrl.wait(m, 30*time.Second, func(e ctrlEvent) bool {
			return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
		}); err != nil || ev.Type != "CALL_ESTABLISHED" {
			t.Fatalf("dial 9834: not answered: %v %+v (events: %s)", err, ev, a.ctrl.summary())
		}
		a.waitEvent(m, "CALL_CLOSED", 30*time.Second, nil) // the server hangs up after its answer
		a.waitAudioSince(rm, 0.25, 10*time.Second)
		checkTone(t, "SRTP 1005 hears the service's beeps", a.audioSince(rm), 880, toneA, 0.25)
		checkSecure(t, a, 1)
	})
}

// TestIntegrationBaresipTLSSRTPHoldResume: hold and resume between two TLS+SRTP phones: the
// re-INVITEs carry the keys again, the server answers with the legs' keys, and the audio goes
// tone → silence (or hold music) → tone again, heard through PulseAudio.
func TestIntegrationBaresipTLSSRTPHoldResume(t *testing.T) {
	integration(t, "baresip", "pulseaudio", "pactl", "pacat")
	pb := startPulseBox(t)
	srv, tls := tlsVaihde(t)
	tls.MediaEnc = "srtp-mand"
	a := startBaresip(t, srv, baresipOpts{User: "1008", Password: "demo1008", Register: true, ToneHz: toneA, Pulse: pb, TLS: &tls})
	b := startBaresip(t, srv, baresipOpts{User: "1009", Password: "demo1009", Register: true, ToneHz: toneB, AutoAnswer: true, Pulse: pb, TLS: &tls})
	a.waitRegistered()
	b.waitRegistered()
	checkHoldResume(t, func(x *baresip) string {
		return "sip:" + x.opts.User + "@127.0.0.1:" + strconv.Itoa(tls.Port)
	}, a, b)
	checkSecure(t, a, 1)
	checkSecure(t, b, 1)
}

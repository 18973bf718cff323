package interop

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	mail2 "net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/tone"
)

// mailbox reads user's mailbox through the HTTP API.
func mailbox(t *testing.T, srv *vaihde, token string) api.VoicemailList {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var l api.VoicemailList
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/voicemail", token, nil, &l); err != nil {
		t.Fatalf("GET /api/voicemail: %v", err)
	}
	return l
}

// toneSeconds counts the 100 ms frames of p in which freq carries at least share of the energy.
func toneSeconds(p pcm, freq, share float64) float64 {
	frame := p.rate / 10
	n := 0
	for off := 0; off+frame <= len(p.samples); off += frame {
		f := p.samples[off : off+frame]
		if rms(f) >= voicedRMS && tone.WindowedShare(f, freq, p.rate) >= share {
			n++
		}
	}
	return float64(n) / 10
}

// leaveVoicemail calls callee from caller and, once the greeting has been heard, talks (caller's
// tone) for talk, then presses # and waits for the server to hang up. It returns what the
// caller heard.
func leaveVoicemail(t *testing.T, srv *vaihde, caller *baresip, callee string, greeting pcm, talk time.Duration) pcm {
	t.Helper()
	rm, m := caller.recordMark(), caller.mark()
	caller.cmd("dial", srv.uri(callee))
	caller.waitEvent(m, "CALL_ESTABLISHED", 60*time.Second, nil)
	caller.waitAudioSince(rm, greeting.seconds()+0.5, 30*time.Second)
	time.Sleep(talk)
	sendDigits(t, caller, "#")
	caller.waitEvent(m, "CALL_CLOSED", 30*time.Second, nil)
	return caller.audioSince(rm)
}

// TestIntegrationBaresipVoicemailDepositAndListen (ROUTE-2, VM-1…3): baresip 1003 calls 1004,
// who has no registered phone, so the call goes to 1004's voicemail. 1003 hears 1004's Finnish
// default greeting (checked against the prompt audio), talks (its 440 Hz tone) and presses #.
// The message is in 1004's mailbox (HTTP API). Then 1004 registers a baresip, dials the access
// number 9000, is recognised by its extension, presses 2 and hears 1003's 440 Hz tone played
// back from the mailbox.
func TestIntegrationBaresipVoicemailDepositAndListen(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	mail := startSMTPServer(t)
	outbox := t.TempDir()
	t.Setenv("VAIHDE_SMS_PROVIDER", "outbox")
	t.Setenv("VAIHDE_SMS_OUTBOX", outbox)
	srv := startVaihde(t, "-prompts-dir", dir, "-smtp-host", "127.0.0.1", "-smtp-port", itoa(mail.port), "-smtp-tls", "none")
	caller := registered(t, srv, "1003", toneA, false, "")
	token := apiLogin(t, srv, "1004", "demo1004")
	if l := mailbox(t, srv, token); len(l.Messages) != 0 {
		t.Fatalf("mailbox not empty at start: %+v", l)
	}
	// 1004 wants both notifications (VM-4): SMS to the mobile, email with the audio.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var vs api.VoicemailSettings
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/voicemail/settings", token, nil, &vs); err != nil {
		t.Fatal(err)
	}
	vs.Notify = api.NotifyBoth
	body, _ := json.Marshal(vs)
	if err := httpJSON(ctx, http.MethodPut, "http://"+srv.httpAddr+"/api/voicemail/settings", token, body, &vs); err != nil || vs.Notify != api.NotifyBoth || vs.Email == "" {
		t.Fatalf("PUT voicemail settings: %+v %v", vs, err)
	}

	greeting := promptAudio(t, dir, "fi", "greeting_reached", "num/1", "num/0", "num/0", "num/4", "greeting_default", "leave_message")
	heard := leaveVoicemail(t, srv, caller, "1004", greeting, 4*time.Second)
	checkPrompt(t, "1004's greeting", heard, greeting)
	checkPrompt(t, "message saved", heard, promptAudio(t, dir, "fi", "message_saved"))

	var msgs api.VoicemailList
	if !pollUntil(10*time.Second, func() bool { msgs = mailbox(t, srv, token); return len(msgs.Messages) == 1 }) {
		t.Fatalf("1004's mailbox after the call: %+v", msgs)
	}
	v := msgs.Messages[0]
	t.Logf("message: %+v, counts %+v", v, msgs.Counts)
	if v.Caller != "1003" || v.Heard || v.DurationMS < 3000 || v.DurationMS > 10000 || msgs.Counts.New != 1 {
		t.Fatalf("message %+v counts %+v: want a new message from 1003 of about 4 s", v, msgs.Counts)
	}
	audio := voicemailAudio(t, srv, token, v.ID)
	checkNotifications(t, mail, outbox, vs.Email, "+358401231004", audio)

	// 1004 listens through the access number: recognised by its extension, 2 plays the messages.
	owner := registered(t, srv, "1004", toneB, false, "")
	welcome := promptAudio(t, dir, "fi", "vm_welcome")
	rm, m := owner.recordMark(), owner.mark()
	owner.cmd("dial", srv.uri("9000"))
	owner.waitEvent(m, "CALL_ESTABLISHED", 30*time.Second, nil)
	owner.waitAudioSince(rm, welcome.seconds()+1, 20*time.Second)
	pressed := owner.recordMark()
	sendDigits(t, owner, "2")
	owner.waitAudioSince(pressed, 14, 40*time.Second)
	owner.cmd("hangup", "")
	owner.waitEvent(m, "CALL_CLOSED", 30*time.Second, nil)
	checkPrompt(t, "9000 welcome", owner.audioSince(rm), welcome)
	played := owner.audioSince(pressed)
	secs := toneSeconds(played, toneA, 0.8)
	t.Logf("after pressing 2: %.1f s received, %.1f s of them 1003's %.0f Hz tone", played.seconds(), secs, toneA)
	if secs < 2.5 {
		t.Fatalf("1004 did not hear 1003's message: only %.1f s of %.0f Hz", secs, toneA)
	}
	if !pollUntil(10*time.Second, func() bool { msgs = mailbox(t, srv, token); return msgs.Counts.New == 0 && msgs.Counts.Old == 1 }) {
		t.Fatalf("after listening, counts %+v: want 0 new, 1 old", msgs.Counts)
	}
}

// forwardingOf reads user's forwarding through the HTTP API.
func forwardingOf(t *testing.T, srv *vaihde, token string) api.Forwarding {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var f api.Forwarding
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/forwarding", token, nil, &f); err != nil {
		t.Fatalf("GET /api/forwarding: %v", err)
	}
	return f
}

// ringsAt calls callee from caller and reports whether phone got the incoming call (an
// unanswered CALL_INCOMING); the caller then hangs up.
func ringsAt(t *testing.T, srv *vaihde, caller *baresip, callee string, phone *baresip) bool {
	t.Helper()
	mc, mp := caller.mark(), phone.mark()
	caller.cmd("dial", srv.uri(callee))
	_, err := phone.ctrl.wait(mp, 8*time.Second, func(e ctrlEvent) bool { return e.Type == "CALL_INCOMING" })
	caller.cmd("hangup", "")
	caller.waitEvent(mc, "CALL_CLOSED", 30*time.Second, nil)
	if err == nil {
		phone.waitEvent(mp, "CALL_CLOSED", 30*time.Second, nil)
	}
	return err == nil
}

// TestIntegrationFeatureCodesRouteCalls (PRES-4, PRES-5, ROUTE-1, acceptance 2): baresip 1001
// dials 9834 and the Softphone of colleague 1005 (headless: phone engine + people model) shows
// "In a meeting" within a second. A call from 1003 to 1001 then reaches 1001's voicemail, whose
// greeting says so (prompt audio checked), while a call to 1001's mobile number rings 1001's
// phone. 9871002 forwards 1001's calls to 1002 (persisted, read back over the API; 1002
// answers and 1003 hears 1002's tone), and 987 clears it (1001's phone rings again).
func TestIntegrationFeatureCodesRouteCalls(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	a := registered(t, srv, "1001", toneA, false, "")
	b := registered(t, srv, "1002", toneB, true, "")
	c := registered(t, srv, "1003", 800, false, "")
	observer := startHeadless(t, srv, "1005")
	token := apiLogin(t, srv, "1001", "demo1001")

	activated := promptAudio(t, dir, "fi", "feature_activated")
	callService(t, srv, a, "9834", activated.seconds()*0.9, func(established time.Time) {
		var seen time.Duration
		if !pollUntil(5*time.Second, func() bool {
			col, ok := observer.colleague("1001")
			seen = time.Since(established)
			return ok && col.Presence.Activity == 4
		}) {
			t.Errorf("1005's Softphone never showed 1001 in a meeting")
			return
		}
		t.Logf("1005's Softphone showed 1001 in a meeting %v after the answer", seen)
		if seen > time.Second {
			t.Errorf("shown after %v, want within 1 s", seen)
		}
	})

	// Red activity: the company number / extension goes to voicemail, which tells the caller.
	announce := promptAudio(t, dir, "fi", "person_is", "activity/4", "leave_message")
	rm, mc, ma := c.recordMark(), c.mark(), a.mark()
	c.cmd("dial", srv.uri("1001"))
	c.waitEvent(mc, "CALL_ESTABLISHED", 30*time.Second, nil)
	c.waitAudioSince(rm, announce.seconds()+0.5, 30*time.Second)
	c.cmd("hangup", "")
	c.waitEvent(mc, "CALL_CLOSED", 30*time.Second, nil)
	checkPrompt(t, "1001's voicemail in a meeting", c.audioSince(rm), announce)
	if a.hasEvent(ma, "CALL_INCOMING") {
		t.Fatal("1001's phone rang although 1001 is in a meeting")
	}
	// The mobile number always rings through (PRES-5).
	if !ringsAt(t, srv, c, "0401231001", a) {
		t.Fatal("a call to 1001's mobile number did not ring 1001's phone")
	}

	callService(t, srv, a, "9831", activated.seconds()*0.9, nil) // available again
	setTo := promptAudio(t, dir, "fi", "forwarding_set_to", "num/1", "num/0", "num/0", "num/2")
	checkPrompt(t, "9871002", callService(t, srv, a, "9871002", setTo.seconds()*0.9, nil), setTo)
	if f := forwardingOf(t, srv, token); f.Immediate != "1002" {
		t.Fatalf("forwarding after 9871002: %+v", f)
	}
	rm, mc, ma = c.recordMark(), c.mark(), a.mark()
	mb := b.mark()
	c.cmd("dial", srv.uri("1001"))
	c.waitEvent(mc, "CALL_ESTABLISHED", 30*time.Second, nil)
	b.waitEvent(mb, "CALL_ESTABLISHED", 10*time.Second, nil)
	c.waitAudioSince(rm, 2, 20*time.Second)
	c.cmd("hangup", "")
	c.waitEvent(mc, "CALL_CLOSED", 30*time.Second, nil)
	b.waitEvent(mb, "CALL_CLOSED", 30*time.Second, nil)
	if a.hasEvent(ma, "CALL_INCOMING") {
		t.Fatal("1001's phone rang although its calls are forwarded")
	}
	if s := toneSeconds(c.audioSince(rm), toneB, 0.8); s < 1 {
		t.Fatalf("1003 heard %.1f s of 1002's tone through the forward", s)
	}

	cleared := promptAudio(t, dir, "fi", "forwarding_cleared")
	checkPrompt(t, "987", callService(t, srv, a, "987", cleared.seconds()*0.9, nil), cleared)
	if f := forwardingOf(t, srv, token); f.Immediate != "" {
		t.Fatalf("forwarding after 987: %+v", f)
	}
	if !ringsAt(t, srv, c, "1001", a) {
		t.Fatal("after 987 a call to 1001 did not ring 1001's phone")
	}
}

// TestIntegrationVoicemailSurvivesKill9 (VM, acceptance 5): 1003 leaves a message for the
// unreachable 1004; the moment the server has saved it (its log says so, just before the caller
// hears "message saved") the server is killed with SIGKILL. After a restart on the same database
// the message is in 1004's mailbox and its audio is whole.
func TestIntegrationVoicemailSurvivesKill9(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	caller := registered(t, srv, "1003", toneA, false, "")
	greeting := promptAudio(t, dir, "fi", "greeting_reached", "num/1", "num/0", "num/0", "num/4", "greeting_default", "leave_message")

	rm, m := caller.recordMark(), caller.mark()
	caller.cmd("dial", srv.uri("1004"))
	caller.waitEvent(m, "CALL_ESTABLISHED", 60*time.Second, nil)
	caller.waitAudioSince(rm, greeting.seconds()+0.5, 30*time.Second)
	time.Sleep(3 * time.Second)
	sendDigits(t, caller, "#")
	srv.waitLog(t, regexp.MustCompile(`voicemail deposited`), 20*time.Second)
	if err := syscall.Kill(srv.cmd.Process.Pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill -9: %v", err)
	}
	<-srv.done
	t.Logf("server killed: %v", srv.err)

	srv = restartVaihde(t, srv)
	token := apiLogin(t, srv, "1004", "demo1004")
	l := mailbox(t, srv, token)
	if len(l.Messages) != 1 || l.Messages[0].Caller != "1003" || l.Messages[0].DurationMS < 2000 || l.Counts.New != 1 {
		t.Fatalf("mailbox after kill -9 and restart: %+v", l)
	}
	wavPath := filepath.Join(t.TempDir(), "m.wav")
	if err := os.WriteFile(wavPath, voicemailAudio(t, srv, token, l.Messages[0].ID), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := readWAV(wavPath)
	if err != nil {
		t.Fatalf("the saved message is not a whole WAV: %v", err)
	}
	secs := toneSeconds(p, toneA, 0.8)
	t.Logf("message after restart: %.1f s, %.1f s of 1003's tone", p.seconds(), secs)
	if secs < 2 || float64(l.Messages[0].DurationMS)/1000 < p.seconds()-0.2 {
		t.Fatalf("message audio after restart: %.1f s long, %.1f s of tone (record says %d ms)", p.seconds(), secs, l.Messages[0].DurationMS)
	}
}

// voicemailAudio downloads a message's WAV through the HTTP API.
func voicemailAudio(t *testing.T, srv *vaihde, token string, id int64) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/voicemail/"+strconv.FormatInt(id, 10)+"/audio", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET message audio: %s", res.Status)
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// smtpServer is a real SMTP daemon (aiosmtpd, Debian's python3-aiosmtpd) on 127.0.0.1 that
// stores what it receives in a Maildir.
type smtpServer struct {
	port    int
	maildir string
}

func startSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	const python = "/usr/bin/python3" // Debian's, which python3-aiosmtpd installs into
	if out, err := exec.Command(python, "-c", "import aiosmtpd").CombinedOutput(); err != nil {
		t.Fatalf("SMTP daemon missing (%v: %s): install python3-aiosmtpd (packaging/install-deps.sh)", err, out)
	}
	s := &smtpServer{port: freeTCPPort(t), maildir: filepath.Join(t.TempDir(), "maildir")}
	startProc(t, "aiosmtpd", t.TempDir(), nil, python, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:"+itoa(s.port),
		"-c", "aiosmtpd.handlers.Mailbox", s.maildir)
	if !pollUntil(30*time.Second, func() bool {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+itoa(s.port), time.Second)
		if err == nil {
			c.Close()
		}
		return err == nil
	}) {
		t.Fatal("aiosmtpd did not listen")
	}
	return s
}

// checkNotifications waits for the voicemail email at the SMTP server and the SMS in the
// outbox (VM-4): the email goes to email with the message's WAV attached byte for byte, the
// SMS to mobile.
func checkNotifications(t *testing.T, mail *smtpServer, outbox, email, mobile string, wav []byte) {
	t.Helper()
	var files []os.DirEntry
	if !pollUntil(20*time.Second, func() bool { files, _ = os.ReadDir(filepath.Join(mail.maildir, "new")); return len(files) > 0 }) {
		t.Fatal("no voicemail email reached the SMTP server")
	}
	raw, err := os.ReadFile(filepath.Join(mail.maildir, "new", files[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	msg, err := mail2.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("email unreadable: %v", err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	t.Logf("email to %s: %q", msg.Header.Get("To"), subject)
	if !strings.Contains(msg.Header.Get("To"), email) {
		t.Errorf("email To %q, want %s", msg.Header.Get("To"), email)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var attached []byte
	for {
		part, err := mr.NextPart()
		if err != nil {
			break
		}
		if strings.HasPrefix(part.Header.Get("Content-Type"), "audio/wav") {
			attached, err = io.ReadAll(base64.NewDecoder(base64.StdEncoding, part))
			if err != nil {
				t.Fatalf("attachment: %v", err)
			}
		}
	}
	if !bytes.Equal(attached, wav) {
		t.Fatalf("email attachment is %d bytes, the message %d bytes: not the same WAV", len(attached), len(wav))
	}
	var sms []os.DirEntry
	if !pollUntil(20*time.Second, func() bool { sms, _ = os.ReadDir(outbox); return len(sms) > 0 }) {
		t.Fatal("no voicemail SMS in the outbox")
	}
	b, err := os.ReadFile(filepath.Join(outbox, sms[0].Name()))
	if err != nil {
		t.Fatal(err)
	}
	var out struct{ To, Text string }
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	t.Logf("SMS to %s: %q", out.To, out.Text)
	if out.To != mobile || !strings.Contains(out.Text, "9000") {
		t.Fatalf("SMS %+v: want one to %s naming the access number 9000", out, mobile)
	}
}

// TestIntegrationAwayNotice (AWAY-1, acceptance 1 and 2): 1001 is Away with the Away-notice
// role. 1003 calls 1001 and hears the announcement (prompt audio checked), presses 2 and is
// connected to 1001 (1001's phone answers; 1003 hears 1001's tone). Then 1001 saves 1003 as a
// VIP — as an outside contact, by 1003's mobile number — and 1003's next call rings 1001 at
// once, without the announcement.
func TestIntegrationAwayNotice(t *testing.T) {
	integration(t, "baresip")
	dir := promptsDir(t)
	srv := startVaihde(t, "-prompts-dir", dir)
	a := registered(t, srv, "1001", toneB, true, "")
	c := registered(t, srv, "1003", toneA, false, "")
	token := presenceLogin(t, srv, "1001", "demo1001")
	role := int(sharedpresence.RoleAwayNotice)
	if code := presencePut(t, srv, token, api.PresenceUpdate{Activity: presencePtr(sharedpresence.Away), Role: &role}); code != http.StatusOK {
		t.Fatalf("set away notice: %d", code)
	}

	announce := promptAudio(t, dir, "fi", "person_is", "activity/5", "press2_reach_person", "leave_message")
	rm, mc, ma := c.recordMark(), c.mark(), a.mark()
	c.cmd("dial", srv.uri("1001"))
	c.waitEvent(mc, "CALL_ESTABLISHED", 30*time.Second, nil)
	c.waitAudioSince(rm, announce.seconds()+0.3, 30*time.Second)
	if a.hasEvent(ma, "CALL_ESTABLISHED") {
		t.Fatal("1001's phone answered before the caller chose")
	}
	checkPrompt(t, "away notice", c.audioSince(rm), announce)
	pressed := c.recordMark()
	sendDigits(t, c, "2")
	a.waitEvent(ma, "CALL_ESTABLISHED", 30*time.Second, nil)
	c.waitAudioSince(pressed, 4, 20*time.Second)
	if s := toneSeconds(c.audioSince(pressed), toneB, 0.8); s < 1 {
		t.Fatalf("after pressing 2, 1003 heard %.1f s of 1001's tone", s)
	}
	c.cmd("hangup", "")
	c.waitEvent(mc, "CALL_CLOSED", 30*time.Second, nil)
	a.waitEvent(ma, "CALL_CLOSED", 30*time.Second, nil)

	// 1003 as a VIP outside contact of 1001, matched by number.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	body, _ := json.Marshal(api.Contact{Name: "Sofia (mobile)", Mobile: "040 123 1003", VIP: true})
	var ct api.Contact
	if err := httpJSON(ctx, http.MethodPost, "http://"+srv.httpAddr+"/api/contacts", token, body, &ct); err != nil || !ct.VIP {
		t.Fatalf("add VIP contact: %+v %v", ct, err)
	}
	var fw api.Forwarding
	if err := httpJSON(ctx, http.MethodGet, "http://"+srv.httpAddr+"/api/forwarding", token, nil, &fw); err != nil ||
		!slices.Contains(fw.VIPs, "+358401231003") {
		t.Fatalf("VIP list %v (%v), want 1003's mobile", fw.VIPs, err)
	}
	mc, ma = c.mark(), a.mark()
	start := time.Now()
	c.cmd("dial", srv.uri("1001"))
	a.waitEvent(ma, "CALL_ESTABLISHED", 30*time.Second, nil)
	t.Logf("VIP call answered by 1001's phone after %v", time.Since(start))
	if time.Since(start) > time.Duration(announce.seconds()*float64(time.Second)/2) {
		t.Fatalf("the VIP call took %v to reach 1001: it went through the announcement", time.Since(start))
	}
	c.cmd("hangup", "")
	c.waitEvent(mc, "CALL_CLOSED", 30*time.Second, nil)
}

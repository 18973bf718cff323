package interop

// The SIP trunk (SPEC CALL-3, ORG-5) against SIPp playing the carrier. The carrier lives on its
// own loopback address (127.0.0.2) so that the server can tell it apart by source address from
// phones (127.0.0.1) and from strangers (127.0.0.3): the whole of 127.0.0.0/8 is loopback on Linux.

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

const (
	trunkCarrierIP  = "127.0.0.2" // the carrier's address, configured as the trunk host
	trunkStrangerIP = "127.0.0.3" // anyone else on the network
	trunkUser       = "vaihde-trunk"
	trunkPass       = "carrier-secret-42"
	trunkDID        = "+358912345000" // routed to trunkDIDExt by the trunk config
	trunkDIDExt     = "1002"
	trunkCallerID   = "+35891234000"
	trunkExternal   = "0401234567"    // dialled by a user, national form
	trunkExternalE  = "+358401234567" // what the carrier must receive
	trunkInCaller   = "+358501112222" // the outside caller of inbound calls
)

// trunkCarrier is the carrier's signalling address: SIPp runs there, the server's trunk points
// there, and only requests from exactly there count as the carrier's.
type trunkCarrier struct {
	ip   string
	port int
}

// trunkFreePort returns a UDP port free right now on ip.
func trunkFreePort(t *testing.T, ip string) int {
	t.Helper()
	c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, "0"))
	if err != nil {
		t.Fatalf("listen udp on %s: %v (is all of 127.0.0.0/8 loopback here?)", ip, err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// trunkMediaPort returns an even port p on ip with p..p+3 free: SIPp's -rtp_echo binds the audio
// port and the one two above it (video), each with its RTCP neighbour.
func trunkMediaPort(t *testing.T, ip string) int {
	t.Helper()
	for range 50 {
		p := trunkFreePort(t, ip) &^ 1
		if p+3 > 65535 {
			continue
		}
		ok := true
		var conns []net.PacketConn
		for q := p; q < p+4; q++ {
			c, err := net.ListenPacket("udp4", net.JoinHostPort(ip, strconv.Itoa(q)))
			if err != nil {
				ok = false
				break
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			c.Close()
		}
		if ok {
			return p
		}
	}
	t.Fatalf("no 4 consecutive free UDP ports on %s", ip)
	return 0
}

// startTrunkVaihde starts the server with the demo organisation and a trunk to carrier: digest
// credentials, a caller ID and one DID (trunkDID → trunkDIDExt), given in a JSON config file.
func startTrunkVaihde(t *testing.T, carrier trunkCarrier) *vaihde {
	t.Helper()
	cfg := map[string]any{"trunk": map[string]any{
		"host": carrier.ip, "port": carrier.port, "transport": "udp",
		"username": trunkUser, "password": trunkPass, "domain": "carrier.test",
		"caller_id": trunkCallerID,
		"dids":      map[string]string{trunkDID: trunkDIDExt},
	}}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "vaihde.json")
	writeFile(t, path, string(b))
	return startVaihde(t, "-config", path)
}

// trunkSIPp is a SIPp process started in the background; wait collects its result.
type trunkSIPp struct {
	*proc
	label, dir string
}

// startTrunkSIPp runs testdata/scenario with SIPp bound to ip:port (-bind_local, so its packets
// really come from ip), one call, an overall timeout, and message and error traces kept for
// failure messages. remote is the server's address for scenarios that start by sending.
func startTrunkSIPp(t *testing.T, label, scenario, ip string, port int, remote string, extra ...string) *trunkSIPp {
	t.Helper()
	dir := t.TempDir()
	scen, err := filepath.Abs(filepath.Join("testdata", scenario))
	if err != nil {
		t.Fatal(err)
	}
	args := []string{
		"-sf", scen,
		"-i", ip, "-bind_local",
		"-p", strconv.Itoa(port),
		"-t", "u1",
		"-m", "1",
		"-timeout", "60s", "-timeout_error",
		"-recv_timeout", "45000",
		"-nostdin",
		"-trace_msg", "-message_file", filepath.Join(dir, "messages.log"),
		"-trace_err", "-error_file", filepath.Join(dir, "errors.log"),
	}
	args = append(args, extra...)
	if remote != "" {
		args = append(args, remote)
	}
	p := startProc(t, label, dir, nil, "sipp", args...)
	s := &trunkSIPp{proc: p, label: label, dir: dir}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("---- %s messages (tail) ----\n%s", label, tailString(s.read("messages.log"), 6000))
			if e := s.read("errors.log"); e != "" {
				t.Logf("---- %s errors ----\n%s", label, tailString(e, 3000))
			}
		}
	})
	// SIPp is listening once its socket shows up; a call placed earlier would get ICMP errors.
	// A SIPp that already ended is judged by wait.
	if !pollUntil(15*time.Second, func() bool { return p.exited() || trunkUDPBound(ip, port) }) {
		t.Fatalf("%s did not bind %s:%d within 15s\n%s", label, ip, port, p.log.tail(2000))
	}
	return s
}

func (s *trunkSIPp) read(name string) string {
	b, _ := os.ReadFile(filepath.Join(s.dir, name))
	return string(b)
}

// wait waits for SIPp to finish and returns what it left.
func (s *trunkSIPp) wait(t *testing.T, timeout time.Duration) sippResult {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.stop()
		t.Fatalf("%s did not finish within %v\nmessages:\n%s", s.label, timeout, tailString(s.read("messages.log"), 4000))
	}
	r := sippResult{output: s.log.String(), messages: s.read("messages.log"), errors: s.read("errors.log")}
	var ee *exec.ExitError
	switch {
	case s.err == nil:
	case errors.As(s.err, &ee):
		r.exit = ee.ExitCode()
	default:
		t.Fatalf("%s: %v", s.label, s.err)
	}
	return r
}

// trunkUDPBound reports whether some socket is bound to ip:port, from /proc/net/udp (no probe bind
// that could race the process being waited for).
func trunkUDPBound(ip string, port int) bool {
	b, err := os.ReadFile("/proc/net/udp")
	if err != nil {
		return false
	}
	p := net.ParseIP(ip).To4()
	if p == nil {
		return false
	}
	// /proc shows the address as the in-memory 32-bit word in hex: little-endian here.
	want := fmt.Sprintf("%02X%02X%02X%02X:%04X", p[3], p[2], p[1], p[0], port)
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && f[1] == want {
			return true
		}
	}
	return false
}

// trunkReceived returns the requests of a method SIPp received, in order, from its
// -trace_msg log.
func trunkReceived(messages, method string) []string {
	var out []string
	for _, block := range strings.Split("\n"+messages, "\n----------------------------------------------- ")[1:] {
		_, body, ok := strings.Cut(block, "message received")
		if !ok {
			continue
		}
		_, msg, ok := strings.Cut(body, "\n")
		if !ok {
			continue
		}
		msg = strings.TrimLeft(msg, "\r\n ")
		if strings.HasPrefix(msg, method+" ") {
			out = append(out, msg)
		}
	}
	return out
}

// trunkGotResponse reports whether SIPp received a response with code to a request of method.
func trunkGotResponse(messages string, code int, method string) bool {
	for _, block := range strings.Split("\n"+messages, "\n----------------------------------------------- ")[1:] {
		_, body, ok := strings.Cut(block, "message received")
		if !ok {
			continue
		}
		_, msg, _ := strings.Cut(body, "\n")
		msg = strings.TrimLeft(msg, "\r\n ")
		if strings.HasPrefix(msg, "SIP/2.0 "+strconv.Itoa(code)+" ") && strings.HasSuffix(trunkHeader(msg, "CSeq"), " "+method) {
			return true
		}
	}
	return false
}

// trunkHeader returns the first value of a header (case-insensitive name, no compact forms).
func trunkHeader(msg, name string) string {
	for _, line := range strings.Split(msg, "\n") {
		line = strings.TrimRight(line, "\r")
		if line == "" {
			break
		}
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(strings.TrimSpace(k), name) {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

var (
	trunkRURIRe        = regexp.MustCompile(`^[A-Z]+ sip:([^@;>\s]+)@`)
	trunkUserRe        = regexp.MustCompile(`sips?:([^@;>\s]+)@`)
	trunkDigestParamRe = regexp.MustCompile(`(\w+)=(?:"([^"]*)"|([^,\s]+))`)
)

// trunkURIUser returns the user part of the first SIP URI in s.
func trunkURIUser(s string) string {
	if m := trunkUserRe.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return ""
}

// trunkCheckDigest verifies a Digest (Proxy-)Authorization value for method against the password,
// per RFC 2617 without qop (the carrier offered none).
func trunkCheckDigest(header, method, user, password string) error {
	scheme, params, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Digest") {
		return fmt.Errorf("not a Digest header: %q", header)
	}
	p := map[string]string{}
	for _, m := range trunkDigestParamRe.FindAllStringSubmatch(params, -1) {
		p[strings.ToLower(m[1])] = m[2] + m[3]
	}
	if p["username"] != user {
		return fmt.Errorf("username %q, want %q", p["username"], user)
	}
	if a := p["algorithm"]; a != "" && !strings.EqualFold(a, "MD5") {
		return fmt.Errorf("algorithm %q, want MD5", a)
	}
	h := func(s string) string { sum := md5.Sum([]byte(s)); return hex.EncodeToString(sum[:]) }
	want := h(h(user+":"+p["realm"]+":"+password) + ":" + p["nonce"] + ":" + h(method+":"+p["uri"]))
	if p["response"] != want {
		return fmt.Errorf("digest response does not match the configured trunk password (realm %q, uri %q)", p["realm"], p["uri"])
	}
	return nil
}

// ---------------------------------------------------------------------------------------------
// HTTP API: a user's call log

func trunkCallLog(srv *vaihde, user, password string) ([]api.CallEntry, error) {
	body, _ := json.Marshal(api.LoginRequest{User: user, Password: password})
	cl := &http.Client{Timeout: 10 * time.Second}
	res, err := cl.Post("http://"+srv.httpAddr+"/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("login as %s: HTTP %d", user, res.StatusCode)
	}
	var login api.LoginResponse
	if err := json.NewDecoder(res.Body).Decode(&login); err != nil {
		return nil, fmt.Errorf("decode login: %w", err)
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+srv.httpAddr+"/api/calls", nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+login.Token)
	res2, err := cl.Do(req)
	if err != nil {
		return nil, fmt.Errorf("get calls: %w", err)
	}
	defer res2.Body.Close()
	if res2.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("get calls: HTTP %d", res2.StatusCode)
	}
	var list api.CallList
	if err := json.NewDecoder(res2.Body).Decode(&list); err != nil {
		return nil, fmt.Errorf("decode calls: %w", err)
	}
	return list.Calls, nil
}

// trunkWaitCallLog polls user's call log until it holds an entry of a call started after since
// with the direction, peer and outcome (the log is written when a call ends).
func trunkWaitCallLog(t *testing.T, srv *vaihde, user, direction, peer, outcome string, since time.Time) api.CallEntry {
	t.Helper()
	var (
		calls   []api.CallEntry
		lastErr error
		found   api.CallEntry
	)
	ok := pollUntil(20*time.Second, func() bool {
		calls, lastErr = trunkCallLog(srv, user, "demo"+user)
		for _, c := range calls {
			if c.Direction == direction && c.Peer == peer && c.Outcome == outcome && !c.StartedAt.Before(since) {
				found = c
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("%s's call log has no %s %s call with %s started after %s (last error: %v); entries: %+v",
			user, outcome, direction, peer, since.Format(time.RFC3339Nano), lastErr, calls)
	}
	t.Logf("%s's call log: %+v", user, found)
	return found
}

// ---------------------------------------------------------------------------------------------
// Tests

// TestIntegrationTrunkOutbound: registered baresip 1001 dials an external number in national
// form. The server sends the INVITE to the carrier (SIPp) with the number in E.164 in the
// Request-URI and To and an E.164 caller ID in From, answers the carrier's challenge — 401 (the
// digest checked by SIPp's verifyauth) or 407 — with digest credentials from the trunk config
// (recomputed here from the trace), the carrier answers and echoes the RTP, so 1001 hears its own
// tone back through the relay. 1001 hangs up, the server sends BYE to the carrier, and 1001's call
// log shows an answered outgoing call to the E.164 number.
func TestIntegrationTrunkOutbound(t *testing.T) {
	integration(t, "sipp", "baresip")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	srv := startTrunkVaihde(t, carrier)
	a := registered(t, srv, "1001", toneA, false, "")

	for _, tc := range []struct {
		name, scenario, authHeader string
		extra                      []string
	}{
		{"401 challenge", "trunk_carrier_uas_401.xml", "Authorization",
			[]string{"-key", "trunk_user", trunkUser, "-key", "trunk_pass", trunkPass}},
		{"407 challenge", "trunk_carrier_uas_407.xml", "Proxy-Authorization", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"-mp", strconv.Itoa(trunkMediaPort(t, carrier.ip)), "-rtp_echo"}, tc.extra...)
			sipp := startTrunkSIPp(t, "sipp-carrier-uas", tc.scenario, carrier.ip, carrier.port, "", args...)

			ma, dialled := a.mark(), time.Now()
			a.cmd("dial", "sip:"+trunkExternal+"@"+srv.host())
			ev, err := a.ctrl.wait(ma, 40*time.Second, func(e ctrlEvent) bool {
				return e.Type == "CALL_ESTABLISHED" || e.Type == "CALL_CLOSED"
			})
			switch {
			case err != nil:
				t.Fatalf("1001 dialling %s: not established: %v (events: %s)", trunkExternal, err, a.ctrl.summary())
			case ev.Type == "CALL_CLOSED":
				t.Fatalf("1001 dialling %s: call failed: %s", trunkExternal, ev.Param)
			}
			rec := a.recordMark()
			a.waitAudioSince(rec, 4, 30*time.Second)
			mh := a.mark()
			a.cmd("hangup", "")
			a.waitEvent(mh, "CALL_CLOSED", 20*time.Second, nil)

			r := sipp.wait(t, 30*time.Second)
			if r.exit != 0 {
				t.Fatalf("carrier SIPp exit %d (0: INVITE, challenge, authenticated INVITE, 200, ACK, BYE)\nerrors:\n%s\noutput:\n%s",
					r.exit, tailString(r.errors, 2000), tailString(r.output, 2000))
			}
			invites := trunkReceived(r.messages, "INVITE")
			if len(invites) != 2 {
				t.Fatalf("carrier received %d INVITEs, want 2 (challenged, then authenticated)", len(invites))
			}
			for i, inv := range invites {
				m := trunkRURIRe.FindStringSubmatch(inv)
				if m == nil || m[1] != trunkExternalE {
					t.Errorf("INVITE %d Request-URI %q, want user %s", i+1, trunkFirstLine(inv), trunkExternalE)
				}
				if u := trunkURIUser(trunkHeader(inv, "To")); u != trunkExternalE {
					t.Errorf("INVITE %d To user %q, want %s", i+1, u, trunkExternalE)
				}
				// Caller ID towards the carrier is an E.164 number, never the internal extension.
				if u := trunkURIUser(trunkHeader(inv, "From")); !strings.HasPrefix(u, "+358") {
					t.Errorf("INVITE %d From user %q, want an E.164 number (+358…)", i+1, u)
				} else if i == 0 {
					t.Logf("caller ID towards the carrier: %s", u)
				}
			}
			if h := trunkHeader(invites[0], tc.authHeader); h != "" {
				t.Errorf("first INVITE already carried credentials: %q", h)
			}
			cred := trunkHeader(invites[1], tc.authHeader)
			if cred == "" {
				t.Fatalf("retried INVITE has no %s header", tc.authHeader)
			}
			if err := trunkCheckDigest(cred, "INVITE", trunkUser, trunkPass); err != nil {
				t.Errorf("%s: %v", tc.authHeader, err)
			}
			if byes := trunkReceived(r.messages, "BYE"); len(byes) != 1 {
				t.Errorf("carrier received %d BYEs, want 1", len(byes))
			}

			// The carrier echoes: 1001 hears its own tone, so media went both ways through the relay.
			checkTone(t, "1001 hears its tone echoed by the carrier", a.audioSince(rec), toneA, toneB, 3)
			trunkWaitCallLog(t, srv, "1001", "out", trunkExternalE, "answered", dialled)
		})
	}
}

func trunkFirstLine(msg string) string {
	l, _, _ := strings.Cut(msg, "\n")
	return strings.TrimSpace(l)
}

// TestIntegrationTrunkInboundDID: the carrier (SIPp, from the trunk's address and port, without
// credentials) calls a DID; the server rings the extension the DID maps to (baresip 1002,
// auto-answer), the call is answered, media flows (SIPp echoes 1002's tone back to it), the
// carrier hangs up with BYE, and 1002's call log shows an answered incoming call from the
// outside number.
func TestIntegrationTrunkInboundDID(t *testing.T) {
	integration(t, "sipp", "baresip")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	srv := startTrunkVaihde(t, carrier)
	b := registered(t, srv, trunkDIDExt, toneB, true, "")

	mb, called := b.mark(), time.Now()
	sipp := startTrunkSIPp(t, "sipp-carrier-uac", "trunk_carrier_uac.xml", carrier.ip, carrier.port, srv.host(),
		"-s", trunkDID, "-key", "caller", trunkInCaller, "-d", "6000",
		"-mp", strconv.Itoa(trunkMediaPort(t, carrier.ip)), "-rtp_echo")

	// Auto-answer goes straight to CALL_ESTABLISHED (no CALL_INCOMING event).
	est := b.waitEvent(mb, "CALL_ESTABLISHED", 30*time.Second, nil)
	t.Logf("1002 answered: peer %s %s", est.PeerURI, est.Param)
	if u := trunkURIUser(est.PeerURI + " " + est.Param); u != trunkInCaller {
		t.Errorf("1002 sees the caller as %q (%s), want %s", u, est.PeerURI, trunkInCaller)
	}
	b.waitEvent(mb, "CALL_CLOSED", 25*time.Second, nil)

	r := sipp.wait(t, 40*time.Second)
	codes := r.responseCodes()
	t.Logf("carrier received responses %v", codes)
	if r.exit != 0 {
		t.Fatalf("carrier SIPp exit %d, responses %v (0: INVITE answered, BYE answered)\nerrors:\n%s\noutput:\n%s",
			r.exit, codes, tailString(r.errors, 2000), tailString(r.output, 2000))
	}
	if hasCode(codes, 401) || hasCode(codes, 407) {
		t.Errorf("the carrier was challenged (responses %v): calls from the trunk address need no credentials", codes)
	}
	checkTone(t, "1002 hears its tone echoed by the carrier", b.lastRecording(), toneB, toneA, 3)
	if !trunkGotResponse(r.messages, 200, "BYE") {
		t.Errorf("the carrier's BYE was not answered with 200 (a retransmitted 200 for the INVITE does not count)")
	}
	e := trunkWaitCallLog(t, srv, trunkDIDExt, "in", trunkInCaller, "answered", called)
	// The carrier hung up after 6 s; a much longer call means its ACK or BYE was not understood
	// and the call only ended when the server gave up waiting for the ACK.
	if e.Seconds > 15 {
		t.Errorf("call lasted %d s, want about 6 s (the carrier's BYE should end it)", e.Seconds)
	}
}

// TestIntegrationTrunkRejectsUnknownSource: an INVITE to a DID without credentials that does not
// come from the carrier's address and port is challenged (401/407), never connected: the DID's
// extension (baresip 1002) must not ring and its call log stays empty.
func TestIntegrationTrunkRejectsUnknownSource(t *testing.T) {
	integration(t, "sipp", "baresip")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	srv := startTrunkVaihde(t, carrier)
	b := registered(t, srv, trunkDIDExt, toneB, true, "")

	for _, tc := range []struct {
		name string
		ip   string
		port func(t *testing.T) int
	}{
		{"other address", trunkStrangerIP, func(t *testing.T) int { return trunkFreePort(t, trunkStrangerIP) }},
		{"carrier address, other port", trunkCarrierIP, func(t *testing.T) int {
			for {
				if p := trunkFreePort(t, trunkCarrierIP); p != carrier.port {
					return p
				}
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mb := b.mark()
			sipp := startTrunkSIPp(t, "sipp-stranger", "trunk_unauth_uac.xml", tc.ip, tc.port(t), srv.host(),
				"-s", trunkDID, "-key", "caller", trunkInCaller,
				"-mp", strconv.Itoa(trunkMediaPort(t, tc.ip)))
			r := sipp.wait(t, 40*time.Second)
			codes := r.responseCodes()
			t.Logf("stranger received responses %v", codes)
			if hasCode(codes, 200) {
				t.Fatalf("the server answered an unauthenticated call from %s with 200 (responses %v)", tc.ip, codes)
			}
			if r.exit != 0 {
				t.Fatalf("stranger SIPp exit %d, responses %v (0: challenged with 401/407)\nerrors:\n%s\noutput:\n%s",
					r.exit, codes, tailString(r.errors, 2000), tailString(r.output, 2000))
			}
			if !hasCode(codes, 401) && !hasCode(codes, 407) {
				t.Errorf("responses %v, want a 401 or 407 challenge", codes)
			}
			// Give a wrongly routed call time to ring before checking it did not.
			time.Sleep(time.Second)
			if ev, ok := b.ctrl.find(mb, func(e ctrlEvent) bool { return strings.HasPrefix(e.Type, "CALL_") }); ok {
				t.Errorf("1002 got a call for an unauthenticated INVITE: %s %s", ev.Type, ev.PeerURI)
			}
		})
	}
	calls, err := trunkCallLog(srv, trunkDIDExt, "demo"+trunkDIDExt)
	if err != nil {
		t.Fatalf("call log: %v", err)
	}
	if len(calls) != 0 {
		t.Errorf("1002's call log has entries after rejected calls: %+v", calls)
	}
}

// TestIntegrationTrunkNoTransit: the carrier calls a number that is neither a DID nor a user's
// number; the server refuses it with 404 rather than sending it back out through the trunk
// (routing lets only the organisation's own users call out, NF-1).
func TestIntegrationTrunkNoTransit(t *testing.T) {
	integration(t, "sipp")
	carrier := trunkCarrier{ip: trunkCarrierIP, port: trunkFreePort(t, trunkCarrierIP)}
	srv := startTrunkVaihde(t, carrier)
	sipp := startTrunkSIPp(t, "sipp-carrier-transit", "trunk_refused_uac.xml", carrier.ip, carrier.port, srv.host(),
		"-s", "+358501234567", "-key", "caller", trunkInCaller,
		"-mp", strconv.Itoa(trunkMediaPort(t, carrier.ip)))
	r := sipp.wait(t, 40*time.Second)
	codes := r.responseCodes()
	t.Logf("carrier received responses %v", codes)
	if r.exit != 0 || !hasCode(codes, 404) {
		t.Fatalf("carrier SIPp exit %d, responses %v, want a 404 (0: refused with 404)\nerrors:\n%s\noutput:\n%s",
			r.exit, codes, tailString(r.errors, 2000), tailString(r.output, 2000))
	}
	if n := len(trunkReceived(r.messages, "INVITE")); n != 0 {
		t.Errorf("the server sent %d INVITEs back out to the carrier", n)
	}
}

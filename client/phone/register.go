package phone

import (
	"bytes"
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/shared/api"
)

// Login implements Controller: it asks the API for the profile (falling back to the typed user
// when the API is unreachable), then registers and keeps the registration fresh until Logout.
// It returns once the first registration attempt is under way; its outcome arrives in snapshots.
func (e *Engine) Login(ctx context.Context, a Account) error {
	host, hostport, apiURL, err := splitServer(a)
	if err != nil {
		return err
	}
	who, err := ParseLogin(a.User)
	if err != nil {
		return err
	}
	if tp, _ := transportOf(a); a.SRTP && tp != TransportTLS {
		// The keys travel in the SDP: only TLS keeps them from whoever sees the signalling.
		e.log.Warn("encrypted calls without TLS: the SRTP keys travel unencrypted", "transport", tp)
	}
	if err := e.Logout(ctx); err != nil {
		e.log.Debug("logout before login", "err", err)
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	e.snap = Snapshot{Reg: Connecting, Account: a}
	e.snap.Account.Password = ""
	e.mu.Unlock()
	e.changed()

	// Until the API says otherwise: the typed user in the typed domain, else the server's.
	acct := &account{Account: a, server: hostport, sipUser: who.User, domain: cmp.Or(who.Domain, host),
		callID: sip.GenerateTagN(16) + "@vaihde", fromTag: sip.GenerateTagN(16), done: make(chan struct{})}
	if lr, err := e.apiLogin(ctx, apiURL, who, a.Password); err != nil {
		e.log.Info("API login failed; registering with the typed user", "api", apiURL, "err", err)
	} else {
		acct.token, acct.profile = lr.Token, lr.Profile
		if lr.Profile.Extension != "" {
			acct.sipUser = lr.Profile.Extension
		}
		if lr.Profile.Domain != "" {
			acct.domain = lr.Profile.Domain
		}
	}
	acct.localIP = e.localIPToward(hostport)
	acct.tp, _ = transportOf(a) // checked by splitServer
	acct.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: acct.sipUser,
		Host: acct.localIP.String(), Port: int(e.laddr.Port())}}
	acct.client = e.client
	if acct.tp != TransportUDP {
		// A connection of its own to the server: the UDP client is pinned to the UDP socket's
		// address. The server answers and sends new requests (INVITE, NOTIFY) back over this
		// connection, which sipgo hands to the same handlers.
		acct.client, err = sipgo.NewClient(e.ua, sipgo.WithClientLogger(e.log), sipgo.WithClientHostname(acct.localIP.String()))
		if err != nil {
			return fmt.Errorf("sip %s client: %w", acct.tp, err)
		}
		acct.contact.Address.UriParams = sip.NewParams()
		acct.contact.Address.UriParams.Add("transport", acct.tp)
	}
	// Over TCP and TLS, in-dialog requests follow the connection the dialog came over: the
	// server is our outbound proxy, and a fresh connection to its Contact could not reach us back.
	acct.dialogUA = &sipgo.DialogUA{Client: acct.client, ContactHDR: acct.contact, RewriteContact: acct.tp != TransportUDP}

	lctx, cancel := context.WithCancel(e.ctx)
	acct.cancel = cancel
	e.mu.Lock()
	e.acct = acct
	e.snap.Profile = acct.profile
	e.mu.Unlock()
	e.changed()
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer close(acct.done)
		e.regLoop(lctx, acct)
	}()
	return nil
}

// localIPToward picks the local address the OS routes to the server: with 0.0.0.0 bound we
// must still put a reachable IP into Contact and SDP.
func (e *Engine) localIPToward(hostport string) netip.Addr {
	if ip := e.laddr.Addr().Unmap(); !ip.IsUnspecified() {
		return ip
	}
	c, err := net.Dial("udp", hostport)
	if err != nil {
		return netip.MustParseAddr("127.0.0.1")
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).AddrPort().Addr().Unmap()
}

func (e *Engine) apiLogin(ctx context.Context, apiURL string, who Login, password string) (api.LoginResponse, error) {
	var lr api.LoginResponse
	body, _ := json.Marshal(api.LoginRequest{User: who.User, Password: password, Domain: who.Domain})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, apiURL+"/api/login", bytes.NewReader(body))
	if err != nil {
		return lr, fmt.Errorf("api login: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return lr, fmt.Errorf("api login: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return lr, fmt.Errorf("api login: %s", res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(&lr); err != nil {
		return lr, fmt.Errorf("api login decode: %w", err)
	}
	return lr, nil
}

// CallLog implements Controller.
func (e *Engine) CallLog(ctx context.Context, limit int) ([]api.CallEntry, error) {
	e.mu.Lock()
	acct := e.acct
	e.mu.Unlock()
	if acct == nil {
		return nil, ErrNotLoggedIn
	}
	if acct.token == "" {
		return nil, errors.New("phone: the call log needs the server's API, which did not answer at login")
	}
	_, _, apiURL, _ := splitServer(acct.Account)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, apiURL+"/api/calls?limit="+strconv.Itoa(limit), nil)
	if err != nil {
		return nil, fmt.Errorf("call log: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+acct.token)
	res, err := e.cfg.HTTPClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("call log: %w", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("call log: %s", res.Status)
	}
	var cl api.CallList
	if err := json.NewDecoder(res.Body).Decode(&cl); err != nil {
		return nil, fmt.Errorf("call log decode: %w", err)
	}
	return cl.Calls, nil
}

// Logout implements Controller: it ends the calls, stops refreshing and unregisters.
func (e *Engine) Logout(ctx context.Context) error {
	e.mu.Lock()
	acct := e.acct
	e.acct = nil
	var talking []*call
	var others []string
	for _, id := range e.order {
		c := e.calls[id]
		switch {
		case c.ended:
		case c.view.State == Active || c.view.State == OnHold:
			talking = append(talking, c)
		default:
			others = append(others, id)
		}
	}
	e.mu.Unlock()
	for _, id := range others {
		_ = e.Hangup(id)
	}
	// BYE now, not in the background: Close stops the engine right after Logout.
	var wg sync.WaitGroup
	for _, c := range talking {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e.bye(c, "Call ended")
		}()
	}
	wg.Wait()
	if acct == nil {
		return nil
	}
	acct.cancel()
	<-acct.done
	var err error
	e.mu.Lock()
	wasRegistered := e.snap.Reg == Registered
	e.mu.Unlock()
	if wasRegistered {
		uctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
		_, _, err = e.register(uctx, acct, 0)
		cancel()
	}
	e.mu.Lock()
	e.snap = Snapshot{Reg: LoggedOut}
	e.mu.Unlock()
	e.changed()
	if err != nil {
		return fmt.Errorf("unregister: %w", err)
	}
	return nil
}

func (e *Engine) setReg(acct *account, st RegState, detail string) {
	e.mu.Lock()
	if e.acct == acct && (e.snap.Reg != st || e.snap.RegDetail != detail) {
		e.snap.Reg, e.snap.RegDetail = st, detail
		e.mu.Unlock()
		e.log.Info("registration", "state", st.String(), "detail", detail)
		e.changed()
		return
	}
	e.mu.Unlock()
}

// regLoop registers, refreshes before expiry and retries failures with backoff.
func (e *Engine) regLoop(ctx context.Context, acct *account) {
	backoff := time.Second
	for {
		rctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
		st, granted, err := e.register(rctx, acct, e.cfg.RegisterExpiry)
		cancel()
		if ctx.Err() != nil {
			return
		}
		detail := ""
		if err != nil {
			detail = err.Error()
		}
		e.setReg(acct, st, detail)
		var wait time.Duration
		switch st {
		case Registered:
			backoff = time.Second
			// Refresh well before expiry: at half time for short grants, 30 s early otherwise.
			wait = granted / 2
			if granted > 2*time.Minute {
				wait = granted - 30*time.Second
			}
			if acct.tp != TransportUDP {
				// A REGISTER is also how a dropped TCP/TLS connection (a server restart) is
				// noticed and replaced: until then the server cannot reach us with calls.
				wait = min(wait, connRefresh)
			}
		case WrongPassword:
			return // retrying cannot help and could lock the account; the user logs in again
		default:
			wait = backoff
			backoff = min(backoff*2, time.Minute)
		}
		if !e.sleepWithKeepalive(ctx, acct, wait, st == Registered) {
			return
		}
	}
}

// connRefresh bounds the registration refresh over TCP and TLS.
const connRefresh = 90 * time.Second

// keepaliveEvery is how often a CRLF keeps the NAT binding of the SIP socket open; UDP
// bindings often expire after 30 s, long before the registration refresh.
const keepaliveEvery = 25 * time.Second

// sleepWithKeepalive waits d, sending RFC 5626 CRLF keep-alives from the SIP socket while
// registered. It reports false when ctx ends.
func (e *Engine) sleepWithKeepalive(ctx context.Context, acct *account, d time.Duration, keepalive bool) bool {
	timer := time.NewTimer(d)
	defer timer.Stop()
	tick := time.NewTicker(keepaliveEvery)
	defer tick.Stop()
	dst, err := net.ResolveUDPAddr("udp", acct.server)
	if err != nil || acct.tp != TransportUDP {
		keepalive = false // TCP and TLS keep their connection open themselves
	}
	for {
		select {
		case <-ctx.Done():
			return false
		case <-timer.C:
			return true
		case <-tick.C:
			if keepalive {
				if _, err := e.conn.WriteTo([]byte("\r\n\r\n"), dst); err != nil {
					e.log.Debug("keep-alive failed", "err", err)
				}
			}
		}
	}
}

// register sends one REGISTER (with digest when challenged) and classifies the outcome.
func (e *Engine) register(ctx context.Context, acct *account, expiry time.Duration) (RegState, time.Duration, error) {
	if acct.tp == TransportUDP {
		if err := probeRefused(acct.server); err != nil {
			return Unreachable, 0, err
		}
	}
	e.mu.Lock()
	acct.cseq++
	cseq := acct.cseq
	e.mu.Unlock()
	aor := sip.Uri{Scheme: "sip", User: acct.sipUser, Host: acct.domain}
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: acct.domain})
	req.SetDestination(acct.server)
	req.SetTransport(strings.ToUpper(acct.tp))
	from := &sip.FromHeader{Address: aor, Params: sip.NewParams()}
	from.Params.Add("tag", acct.fromTag)
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: aor})
	cid := sip.CallIDHeader(acct.callID)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.REGISTER})
	contact := acct.contact
	contact.Params = sip.NewParams()
	req.AppendHeader(&contact)
	exp := sip.ExpiresHeader(uint32(expiry / time.Second))
	req.AppendHeader(&exp)
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
	req.AppendHeader(sip.NewHeader("Allow", allowed))

	res, err := acct.client.Do(ctx, req)
	if err != nil {
		return classifyErr(err)
	}
	if res.StatusCode == 401 || res.StatusCode == 407 {
		e.mu.Lock()
		acct.cseq++ // DoDigestAuth raises the request's CSeq; keep our counter in step
		e.mu.Unlock()
		res, err = acct.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: acct.sipUser, Password: acct.Password})
		if err != nil {
			return classifyErr(err)
		}
	}
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return Registered, grantedExpiry(res, acct.contact, expiry), nil
	case res.StatusCode == 401 || res.StatusCode == 407 || res.StatusCode == 403:
		return WrongPassword, 0, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	case res.StatusCode == 408 || res.StatusCode == 503 || res.StatusCode == 504:
		return Unreachable, 0, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	default:
		return RegFailed, 0, fmt.Errorf("%d %s", res.StatusCode, res.Reason)
	}
}

// grantedExpiry reads the lifetime the registrar granted to our contact.
func grantedExpiry(res *sip.Response, ours sip.ContactHeader, asked time.Duration) time.Duration {
	for _, h := range res.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok || c.Address.Host != ours.Address.Host || c.Address.Port != ours.Address.Port {
			continue
		}
		if v, ok := c.Params.Get("expires"); ok {
			if n, err := strconv.Atoi(v); err == nil && n > 0 {
				return time.Duration(n) * time.Second
			}
		}
	}
	if h := res.GetHeader("Expires"); h != nil {
		if n, err := strconv.Atoi(h.Value()); err == nil && n > 0 {
			return time.Duration(n) * time.Second
		}
	}
	if asked <= 0 {
		return time.Minute
	}
	return asked
}

func classifyErr(err error) (RegState, time.Duration, error) {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, sip.ErrTransactionTimeout):
		return Unreachable, 0, errors.New("no answer from the server")
	case errors.Is(err, syscall.ECONNREFUSED):
		return Unreachable, 0, errors.New("connection refused")
	case isCertError(err):
		return RegFailed, 0, fmt.Errorf("the server's TLS certificate is not trusted: %w", err)
	case strings.Contains(err.Error(), "TLS handshake"):
		return Unreachable, 0, fmt.Errorf("no TLS at the server's address (wrong port?): %w", err)
	case errors.As(err, &dnsErr):
		return Unreachable, 0, fmt.Errorf("server name not found: %w", err)
	}
	return RegFailed, 0, err
}

// isCertError reports whether err is a certificate the engine does not trust (unknown
// authority, another name, expired). sipgo wraps some handshake errors as text only.
func isCertError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	var invalid x509.CertificateInvalidError
	return errors.As(err, &certErr) || errors.As(err, &unknown) || errors.As(err, &host) || errors.As(err, &invalid) ||
		strings.Contains(err.Error(), "failed to verify certificate")
}

// route is the pre-loaded Route to the server, our outbound proxy, over the account's transport.
func (a *account) route() sip.Header {
	r := "<sip:" + a.server + ";lr"
	if a.tp != TransportUDP {
		r += ";transport=" + a.tp
	}
	return sip.NewHeader("Route", r+">")
}

// probeRefused sends a keep-alive (RFC 5626 CRLF) on a connected UDP socket: on an unconnected
// socket the kernel hides ICMP port-unreachable, so this is how "connection refused" shows at
// once instead of after a timeout.
func probeRefused(hostport string) error {
	c, err := net.Dial("udp", hostport)
	if err != nil {
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return fmt.Errorf("server name not found: %w", err)
		}
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	if _, err := c.Write([]byte("\r\n\r\n")); err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return errors.New("connection refused")
		}
		return nil
	}
	_ = c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	buf := make([]byte, 64)
	if _, err := c.Read(buf); err != nil && errors.Is(err, syscall.ECONNREFUSED) {
		return errors.New("connection refused")
	}
	return nil
}

// String returns the state in plain words.
func (s RegState) String() string {
	switch s {
	case LoggedOut:
		return "Logged out"
	case Connecting:
		return "Connecting"
	case Registered:
		return "Registered"
	case WrongPassword:
		return "Wrong password"
	case Unreachable:
		return "Server unreachable"
	case RegFailed:
		return "Registration failed"
	}
	return "Unknown"
}

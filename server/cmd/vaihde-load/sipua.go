package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// account of a SIP user agent: who it is and where the server is.
type sipAccount struct {
	User, Password string
	Domain         string         // host part of our AOR; the server's IP when empty
	Server         netip.AddrPort // where every request goes
}

// ua is one SIP user agent on its own UDP port on the loopback address.
type ua struct {
	acct    sipAccount
	log     *slog.Logger
	ua      *sipgo.UserAgent
	srv     *sipgo.Server
	cli     *sipgo.Client
	conn    net.PacketConn
	addr    netip.AddrPort
	contact sip.ContactHeader
	dsrv    *sipgo.DialogServerCache
	dcli    *sipgo.DialogClientCache
	serve   chan struct{}

	// Callee side: what to do with an INVITE. Set before register.
	onInvite func(offer sdpmedia.Media) (answer sdpmedia.Media, ep *endpoint, err error)
	// afterAnswer, if set, hears of each call answered (the queue load's agents hang up later).
	afterAnswer func(callID string, ep *endpoint)

	mu      sync.Mutex
	inCalls map[string]*inCall   // by Call-ID
	outEPs  map[string]*endpoint // media of placed calls, by Call-ID
	answers atomic.Int64
	byes    atomic.Int64
}

// inCall is a call the callee answered.
type inCall struct {
	dlg    *sipgo.DialogServerSession
	ep     *endpoint
	answer []byte
}

func newUA(acct sipAccount, log *slog.Logger) (*ua, error) {
	if acct.Domain == "" {
		acct.Domain = acct.Server.Addr().String()
	}
	conn, err := net.ListenPacket("udp", netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), 0).String())
	if err != nil {
		return nil, fmt.Errorf("bind sip socket: %w", err)
	}
	if uc, ok := conn.(*net.UDPConn); ok {
		_ = uc.SetReadBuffer(4 << 20)
		_ = uc.SetWriteBuffer(4 << 20)
	}
	addr := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	u := &ua{acct: acct, log: log.With("user", acct.User), conn: conn, addr: addr,
		serve: make(chan struct{}), inCalls: make(map[string]*inCall), outEPs: make(map[string]*endpoint)}
	u.ua, err = sipgo.NewUA(sipgo.WithUserAgent(acct.User), sipgo.WithUserAgentHostname(acct.Domain))
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("new sip user agent: %w", err)
	}
	u.srv, err = sipgo.NewServer(u.ua, sipgo.WithServerLogger(u.log))
	if err != nil {
		u.ua.Close()
		conn.Close()
		return nil, fmt.Errorf("new sip server: %w", err)
	}
	u.cli, err = sipgo.NewClient(u.ua, sipgo.WithClientLogger(u.log),
		sipgo.WithClientHostname(addr.Addr().String()), sipgo.WithClientPort(int(addr.Port())),
		sipgo.WithClientConnectionAddr(addr.String()))
	if err != nil {
		u.ua.Close()
		conn.Close()
		return nil, fmt.Errorf("new sip client: %w", err)
	}
	u.contact = sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: acct.User,
		Host: addr.Addr().String(), Port: int(addr.Port())}}
	u.dsrv = sipgo.NewDialogServerCache(u.cli, u.contact)
	u.dcli = sipgo.NewDialogClientCache(u.cli, u.contact)
	u.srv.OnInvite(u.handleInvite)
	u.srv.OnAck(func(req *sip.Request, tx sip.ServerTransaction) { _ = u.dsrv.ReadAck(req, tx) })
	u.srv.OnBye(u.handleBye)
	u.srv.OnOptions(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	u.srv.OnCancel(func(req *sip.Request, tx sip.ServerTransaction) {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil))
	})
	go func() {
		defer close(u.serve)
		_ = u.srv.ServeUDP(conn)
	}()
	if err := waitListening(u.ua, addr); err != nil {
		u.close()
		return nil, err
	}
	return u, nil
}

// waitListening waits until sipgo has taken the listener into its connection pool: requests
// sent before that would try to bind the same address again and fail.
func waitListening(ua *sipgo.UserAgent, addr netip.AddrPort) error {
	deadline := time.Now().Add(5 * time.Second)
	for {
		if c, err := ua.TransportLayer().GetConnection("udp", addr.String()); err == nil && c != nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("sip listener %v did not start", addr)
		}
		time.Sleep(time.Millisecond)
	}
}

// close ends the user agent; calls still up are not hung up.
func (u *ua) close() {
	u.ua.Close()
	u.conn.Close()
	select {
	case <-u.serve:
	case <-time.After(5 * time.Second):
		u.log.Warn("sip server did not stop")
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, c := range u.inCalls {
		if c.ep != nil {
			c.ep.close()
		}
	}
	u.inCalls = map[string]*inCall{}
}

func (u *ua) aor(user string) sip.Uri {
	return sip.Uri{Scheme: "sip", User: user, Host: u.acct.Domain}
}

// register binds our contact for expires seconds (0 removes it), answering a digest challenge.
func (u *ua) register(ctx context.Context, expires int) error {
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: u.acct.Domain})
	req.SetDestination(u.acct.Server.String())
	from := &sip.FromHeader{Address: u.aor(u.acct.User)}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: u.aor(u.acct.User)})
	contact := u.contact
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	res, err := u.cli.Do(rctx, req)
	if err != nil {
		return fmt.Errorf("register %s: %w", u.acct.User, err)
	}
	if res.StatusCode == sip.StatusUnauthorized || res.StatusCode == sip.StatusProxyAuthRequired {
		res, err = u.cli.DoDigestAuth(rctx, req, res, sipgo.DigestAuth{Username: u.acct.User, Password: u.acct.Password})
		if err != nil {
			return fmt.Errorf("register %s with digest: %w", u.acct.User, err)
		}
	}
	if !res.IsSuccess() {
		return fmt.Errorf("register %s: %d %s", u.acct.User, res.StatusCode, res.Reason)
	}
	return nil
}

// handleInvite answers every new INVITE at once with the SDP onInvite returns, and re-INVITEs
// with the SDP of the call they belong to.
func (u *ua) handleInvite(req *sip.Request, tx sip.ServerTransaction) {
	callID := ""
	if h := req.CallID(); h != nil {
		callID = h.Value()
	}
	if to := req.To(); to != nil && to.Params.Has("tag") {
		u.mu.Lock()
		c := u.inCalls[callID]
		u.mu.Unlock()
		if c == nil {
			_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call Does Not Exist", nil))
			return
		}
		if offer, err := sdpmedia.Parse(req.Body()); err == nil && c.ep != nil {
			if cd, err := sdpmedia.Negotiate(offer, sdpmedia.Supported); err == nil {
				c.ep.setRemote(offer.AddrPort(), cd.PT)
			}
		}
		res := sip.NewSDPResponseFromRequest(req, c.answer)
		res.AppendHeader(&u.contact)
		_ = tx.Respond(res)
		return
	}
	if u.onInvite == nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBusyHere, "Busy Here", nil))
		return
	}
	dlg, err := u.dsrv.ReadInvite(req, tx)
	if err != nil {
		_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil))
		return
	}
	offer, err := sdpmedia.Parse(req.Body())
	if err != nil {
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	answer, ep, err := u.onInvite(offer)
	if err != nil {
		_ = dlg.Respond(sip.StatusNotAcceptableHere, "Not Acceptable Here", nil)
		return
	}
	body, err := sdpmedia.Build(answer, rand.Uint64()>>2, 1)
	if err != nil {
		ep.close()
		_ = dlg.Respond(sip.StatusInternalServerError, "Server Error", nil)
		return
	}
	u.mu.Lock()
	u.inCalls[callID] = &inCall{dlg: dlg, ep: ep, answer: body}
	u.mu.Unlock()
	if err := dlg.RespondSDP(body); err != nil {
		u.log.Warn("answer failed", "call_id", callID, "err", err)
		return
	}
	u.answers.Add(1)
	if u.afterAnswer != nil {
		u.afterAnswer(callID, ep)
	}
}

// byeIn hangs up the answered call callID (sends BYE) and forgets it.
func (u *ua) byeIn(ctx context.Context, callID string) error {
	u.mu.Lock()
	c := u.inCalls[callID]
	delete(u.inCalls, callID)
	u.mu.Unlock()
	if c == nil {
		return fmt.Errorf("bye %s: no such call", callID)
	}
	if c.ep != nil && c.ep.stopped.Load() {
		return nil // the other side hung up first
	}
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	defer c.dlg.Close()
	if err := c.dlg.Bye(bctx); err != nil {
		return fmt.Errorf("bye %s: %w", callID, err)
	}
	return nil
}

func (u *ua) handleBye(req *sip.Request, tx sip.ServerTransaction) {
	if err := u.dsrv.ReadBye(req, tx); err == nil {
		u.byes.Add(1)
		if h := req.CallID(); h != nil {
			u.mu.Lock()
			if c := u.inCalls[h.Value()]; c != nil && c.ep != nil {
				c.ep.stopped.Store(true) // the call is over: stop sending into it
			}
			u.mu.Unlock()
		}
		return
	}
	if err := u.dcli.ReadBye(req, tx); err == nil {
		u.byes.Add(1)
		if h := req.CallID(); h != nil {
			u.mu.Lock()
			if ep := u.outEPs[h.Value()]; ep != nil {
				ep.stopped.Store(true)
			}
			u.mu.Unlock()
		}
		return
	}
	_ = tx.Respond(sip.NewResponseFromRequest(req, sip.StatusCallTransactionDoesNotExists, "Call Does Not Exist", nil))
}

// answered returns the endpoints of the calls answered so far and not hung up.
func (u *ua) answered() []*endpoint {
	u.mu.Lock()
	defer u.mu.Unlock()
	eps := make([]*endpoint, 0, len(u.inCalls))
	for _, c := range u.inCalls {
		if c.ep != nil && !c.ep.stopped.Load() {
			eps = append(eps, c.ep)
		}
	}
	return eps
}

// outCall is a call placed by the caller.
type outCall struct {
	dlg    *sipgo.DialogClientSession
	answer sdpmedia.Media
	codec  sdpmedia.Codec
}

// call places a call to callee offering offer, answering a digest challenge, and ACKs the 200.
func (u *ua) call(ctx context.Context, callee string, offer sdpmedia.Media) (*outCall, error) {
	body, err := sdpmedia.Build(offer, rand.Uint64()>>2, 1)
	if err != nil {
		return nil, fmt.Errorf("build offer: %w", err)
	}
	req := sip.NewRequest(sip.INVITE, u.aor(callee))
	req.SetDestination(u.acct.Server.String())
	req.SetBody(body)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	from := &sip.FromHeader{Address: u.aor(u.acct.User)}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: u.aor(callee)})
	dlg, err := u.dcli.WriteInvite(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("invite %s: %w", callee, err)
	}
	if err := dlg.WaitAnswer(ctx, sipgo.AnswerOptions{Username: u.acct.User, Password: u.acct.Password}); err != nil {
		dlg.Close()
		var re *sipgo.ErrDialogResponse
		if errors.As(err, &re) {
			return nil, fmt.Errorf("invite %s: %d %s: %w", callee, re.Res.StatusCode, re.Res.Reason, errRejected)
		}
		return nil, fmt.Errorf("invite %s: %w", callee, err)
	}
	if err := dlg.Ack(ctx); err != nil {
		dlg.Close()
		return nil, fmt.Errorf("ack %s: %w", callee, err)
	}
	c := &outCall{dlg: dlg}
	if c.answer, err = sdpmedia.Parse(dlg.InviteResponse.Body()); err != nil {
		return c, fmt.Errorf("answer sdp: %w", err)
	}
	if c.codec, err = sdpmedia.Negotiate(c.answer, sdpmedia.Supported); err != nil {
		return c, fmt.Errorf("answer codec: %w", err)
	}
	return c, nil
}

// track lets a BYE from the server for call c stop ep.
func (u *ua) track(c *outCall, ep *endpoint) {
	if h := c.dlg.InviteRequest.CallID(); h != nil {
		u.mu.Lock()
		u.outEPs[h.Value()] = ep
		u.mu.Unlock()
	}
}

// hangup sends BYE and forgets the dialog.
func (c *outCall) hangup(ctx context.Context) error {
	defer c.dlg.Close()
	bctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := c.dlg.Bye(bctx); err != nil {
		return fmt.Errorf("bye: %w", err)
	}
	return nil
}

var errRejected = errors.New("call rejected")

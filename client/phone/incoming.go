package phone

import (
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/client/media"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

func (e *Engine) callByRequest(req *sip.Request) *call {
	cid := req.CallID()
	if cid == nil {
		return nil
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[cid.Value()]
	if c == nil || c.ended {
		return nil
	}
	return c
}

// Headers of an INVITE from a queue or hunt group (server/mediaapp.GroupInfo).
const (
	hdrQueue         = "X-Vaihde-Queue"
	hdrQueueNumber   = "X-Vaihde-Queue-Number"
	hdrQueueCallback = "X-Vaihde-Callback"
)

// maxGroupText bounds what a group header may put on the screen.
const maxGroupText = 200

// groupOf reads which group an INVITE came through; zero when it carries none of the headers.
func groupOf(req *sip.Request) GroupCall {
	get := func(name string) string {
		h := req.GetHeader(name)
		if h == nil {
			return ""
		}
		return cleanHeaderText(h.Value())
	}
	g := GroupCall{Name: get(hdrQueue), Number: get(hdrQueueNumber), Callback: get(hdrQueueCallback)}
	if g.Name == "" && g.Number != "" {
		g.Name = g.Number // a group without a name is shown by its number
	}
	return g
}

// cleanHeaderText makes a header value fit to show: valid UTF-8, no control characters,
// trimmed and at most maxGroupText characters.
func cleanHeaderText(s string) string {
	s = strings.ToValidUTF8(s, "")
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if r := []rune(s); len(r) > maxGroupText {
		s = string(r[:maxGroupText]) + "…"
	}
	return s
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

// onInvite handles new calls and re-INVITEs. For a new call it blocks until the user answers
// or rejects, the caller cancels, or the engine stops: sipgo ends an unanswered transaction
// when the handler returns.
func (e *Engine) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if to := req.To(); to != nil && to.Params.Has("tag") {
		e.onReinvite(req, tx)
		return
	}
	cid := req.CallID()
	from := req.From()
	if cid == nil || from == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	e.mu.Lock()
	acct := e.acct
	_, dup := e.calls[cid.Value()]
	e.mu.Unlock()
	if acct == nil {
		respond(tx, req, 480, "Temporarily Unavailable")
		return
	}
	if dup {
		respond(tx, req, 482, "Loop Detected")
		return
	}
	// No body is a late offer: we offer in the 200 and take the answer from the ACK.
	late := len(req.Body()) == 0
	offer := sdpmedia.Media{Direction: sdpmedia.SendRecv}
	codec := sdpmedia.PCMU
	if !late {
		var err error
		offer, codec, err = sdpmedia.ParseNegotiate(req.Body(), sdpmedia.Supported)
		if err != nil {
			e.log.Info("incoming call without usable SDP offer", "err", err)
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
	}
	dlg, err := acct.dialogUA.ReadInvite(req, tx)
	if err != nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	defer dlg.Close()

	c := newCall(cid.Value(), acct, IncomingCall, from.Address.User)
	c.view.RemoteName = from.DisplayName
	c.view.State = Incoming
	c.view.Group = groupOf(req)
	c.in = dlg
	c.remote, c.pt = offer, codec.PT
	c.remoteURI = sip.Uri{Scheme: "sip", User: from.Address.User, Host: from.Address.Host}
	c.decide = make(chan decision, 1)
	c.lateOffer = late
	if !late {
		// Refused before it rings: an offer we cannot or may not encrypt as the account wants.
		if err := c.answerCryptoLocked(offer); err != nil { // c is not shared yet
			e.log.Info("incoming call refused: media encryption", "call", c.id, "err", err)
			_ = dlg.Respond(488, "Not Acceptable Here", nil)
			return
		}
	}
	e.mu.Lock()
	e.addCallLocked(c)
	e.mu.Unlock()
	e.changed()
	e.log.Info("incoming call", "call", c.id, "from", c.view.Remote)

	if err := dlg.Respond(180, "Ringing", nil); err != nil {
		e.endCall(c, "Missed", err)
		return
	}
	var d decision
	select {
	case d = <-c.decide:
	case <-dlg.Context().Done():
		e.endCall(c, "Missed", nil) // the caller gave up (CANCEL)
		return
	case <-e.ctx.Done():
		_ = dlg.Respond(480, "Temporarily Unavailable", nil)
		return
	case <-time.After(3 * time.Minute):
		_ = dlg.Respond(480, "Temporarily Unavailable", nil)
		e.endCall(c, "Missed", nil)
		return
	}
	if d == decideReject {
		_ = dlg.Respond(486, "Busy Here", nil)
		e.endCall(c, "Rejected", nil)
		return
	}
	sess, err := media.Listen(acct.localIP, e.log)
	if err != nil {
		_ = dlg.Respond(500, "Server Internal Error", nil)
		e.endCall(c, "Call failed", err)
		return
	}
	e.mu.Lock()
	c.sess = sess
	if late {
		err = c.offerCryptoLocked()
	}
	e.mu.Unlock()
	if err != nil {
		_ = dlg.Respond(500, "Server Internal Error", nil)
		e.endCall(c, "Call failed", err)
		return
	}
	codecs, dir := []sdpmedia.Codec{codec}, offer.Direction.Reverse()
	if late {
		codecs, dir = sdpmedia.Supported, sdpmedia.SendRecv
	}
	answer, err := e.localSDP(c, codecs, dir)
	if err != nil {
		_ = dlg.Respond(500, "Server Internal Error", nil)
		e.endCall(c, "Call failed", err)
		return
	}
	e.mu.Lock()
	c.view.State = Active
	c.view.AnsweredAt = time.Now()
	c.view.RemoteHold = offer.OnHold()
	e.mu.Unlock()
	e.startMedia(c)
	e.changed()
	e.watchDialog(c, dlg.Context())
	// RespondSDP waits for the ACK (retransmitting the 200 meanwhile).
	if err := dlg.RespondSDP(answer); err != nil {
		e.log.Warn("answer not acknowledged", "call", c.id, "err", err)
		e.bye(c, "Call failed")
	}
}

// onReinvite answers a re-INVITE: remote hold/resume, or a new address after a transfer.
func (e *Engine) onReinvite(req *sip.Request, tx sip.ServerTransaction) {
	c := e.callByRequest(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	e.mu.Lock()
	state := c.view.State
	out, in := c.out, c.in
	e.mu.Unlock()
	if state != Active && state != OnHold {
		respond(tx, req, 491, "Request Pending")
		return
	}
	if out != nil {
		_ = out.ReadRequest(req, tx)
	} else if in != nil {
		_ = in.ReadRequest(req, tx)
	}
	var codecs []sdpmedia.Codec
	dir := sdpmedia.SendRecv
	if len(req.Body()) > 0 {
		offer, codec, err := sdpmedia.ParseNegotiate(req.Body(), sdpmedia.Supported)
		if err != nil {
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		e.mu.Lock()
		if err := c.answerCryptoLocked(offer); err != nil {
			e.mu.Unlock()
			e.log.Info("re-INVITE refused: media encryption", "call", c.id, "err", err)
			respond(tx, req, 488, "Not Acceptable Here")
			return
		}
		c.remote, c.pt = offer, codec.PT
		c.view.RemoteHold = offer.OnHold()
		local := c.localHold
		e.mu.Unlock()
		codecs = []sdpmedia.Codec{codec}
		dir = offer.Direction.Reverse()
		if local && dir == sdpmedia.SendRecv {
			dir = sdpmedia.SendOnly
		} else if local && dir == sdpmedia.RecvOnly {
			dir = sdpmedia.Inactive
		}
	} else {
		// Offerless re-INVITE: we offer all our codecs; onAck applies the answer in the ACK.
		e.mu.Lock()
		codecs = sdpmedia.Supported
		c.lateOffer = true
		if c.localHold {
			dir = sdpmedia.SendOnly
		}
		e.mu.Unlock()
	}
	body, err := e.localSDP(c, codecs, dir)
	if err != nil {
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	res := sip.NewSDPResponseFromRequest(req, body)
	contact := c.acct.contact
	res.AppendHeader(&contact)
	if err := tx.Respond(res); err != nil {
		e.log.Warn("re-INVITE response failed", "call", c.id, "err", err)
	}
	e.updateMedia(c)
	e.changed()
}

func (e *Engine) onAck(req *sip.Request, tx sip.ServerTransaction) {
	c := e.callByRequest(req)
	if c == nil {
		return
	}
	e.mu.Lock()
	in, late := c.in, c.lateOffer
	c.lateOffer = false
	e.mu.Unlock()
	if late && len(req.Body()) > 0 {
		e.applyAnswer(c, req.Body())
	}
	if in != nil {
		_ = in.ReadAck(req, tx)
	}
}

// applyAnswer takes the SDP answer of a late-offer call from its ACK.
func (e *Engine) applyAnswer(c *call, body []byte) {
	ans, codec, err := sdpmedia.ParseNegotiate(body, sdpmedia.Supported)
	if err != nil {
		e.log.Warn("unusable SDP answer in ACK", "call", c.id, "err", err)
		return
	}
	e.mu.Lock()
	if err := c.checkAnswerLocked(ans); err != nil {
		e.mu.Unlock()
		e.log.Warn("unencrypted SDP answer in ACK; hanging up", "call", c.id, "err", err)
		e.goOwned(func() { e.bye(c, "Call failed") })
		return
	}
	c.remote, c.pt = ans, codec.PT
	e.mu.Unlock()
	e.updateMedia(c)
}

func (e *Engine) onBye(req *sip.Request, tx sip.ServerTransaction) {
	c := e.callByRequest(req)
	if c == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	e.mu.Lock()
	out, in := c.out, c.in
	e.mu.Unlock()
	var err error
	switch {
	case out != nil:
		err = out.ReadBye(req, tx)
	case in != nil:
		err = in.ReadBye(req, tx)
	default:
		respond(tx, req, 200, "OK")
	}
	if err != nil {
		respond(tx, req, 200, "OK")
	}
	e.endCall(c, "Call ended", nil)
}

// onNotify takes the sipfrag NOTIFYs of a transfer (RFC 3515).
func (e *Engine) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	c := e.callByRequest(req)
	if c == nil {
		respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
	code := sipfragStatus(string(req.Body()))
	e.mu.Lock()
	ch := c.notify
	e.mu.Unlock()
	if ch != nil && code > 0 {
		select {
		case ch <- code:
		default:
		}
	}
}

// sipfragStatus reads the status code of a message/sipfrag body such as "SIP/2.0 200 OK".
func sipfragStatus(body string) int {
	line, _, _ := strings.Cut(strings.TrimSpace(body), "\n")
	f := strings.Fields(line)
	if len(f) < 2 || !strings.HasPrefix(f[0], "SIP/") {
		return 0
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n < 100 || n > 699 {
		return 0
	}
	return n
}

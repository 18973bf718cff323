package b2bua

import (
	"context"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

func (e *Engine) onAck(req *sip.Request, _ sip.ServerTransaction) {
	if l := e.lookup(req); l != nil {
		e.handleAck(l, req)
	}
}

func (e *Engine) handleAck(l *leg, req *sip.Request) {
	if cseq := req.CSeq(); cseq != nil {
		l.acked(cseq.SeqNo)
	}
	if len(req.Body()) == 0 {
		return
	}
	// Delayed offer: the party's answer comes in the ACK.
	if m, err := sdpmedia.Parse(req.Body()); err == nil {
		e.applyAnswer(l, m)
	}
}

func (e *Engine) onBye(req *sip.Request, tx sip.ServerTransaction) {
	l := e.lookup(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
	e.mu.Lock()
	c := l.call
	e.mu.Unlock()
	if c == nil {
		e.endLeg(l, false)
		return
	}
	e.hangup(c, l)
}

func (e *Engine) onCancel(req *sip.Request, tx sip.ServerTransaction) {
	// CANCELs that match a pending INVITE are answered by sipgo's transaction layer.
	respond(tx, req, 481, "Call/Transaction Does Not Exist")
}

func (e *Engine) onNotify(req *sip.Request, tx sip.ServerTransaction) {
	if e.lookup(req) == nil {
		respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	respond(tx, req, 200, "OK")
}

func (e *Engine) onUpdate(req *sip.Request, tx sip.ServerTransaction) {
	e.onReInvite(req, tx)
}

// onReInvite handles a re-INVITE (or UPDATE) from a party: it answers at once from the relay
// leg, and passes a change of direction (hold/resume) on to the other party as our own offer.
func (e *Engine) onReInvite(req *sip.Request, tx sip.ServerTransaction) {
	l := e.lookup(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if req.Method == sip.INVITE {
		l.setTarget(req.Contact())
	}
	l.mu.Lock()
	current := l.codec
	l.mu.Unlock()
	if len(req.Body()) == 0 {
		if req.Method != sip.INVITE {
			respond(tx, req, 200, "OK")
			return
		}
		// Offerless re-INVITE: we offer in the 200, the answer comes in the ACK.
		body, err := e.offer(l, sdpmedia.SendRecv, current)
		if err != nil {
			respond(tx, req, 500, "Server Internal Error")
			return
		}
		_ = e.respond2xx(tx, req, l, e.inDialogResponse(req, l, body))
		return
	}
	m, err := sdpmedia.Parse(req.Body())
	if err != nil || srtpRefused(m) {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	c, err := pickCodec(m, current)
	if err != nil {
		respond(tx, req, 488, "Not Acceptable Here")
		return
	}
	l.mu.Lock()
	l.remoteMedia, l.codec = m, c
	l.mu.Unlock()
	if err := l.media.SetRemote(m, c); err != nil {
		e.log.Warn("relay set remote", "call_id", l.callID, "error", err)
	}
	body, err := e.answer(l, m, c)
	if err != nil {
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	res := e.inDialogResponse(req, l, body)
	if req.Method == sip.INVITE {
		err = e.respond2xx(tx, req, l, res)
	} else {
		err = tx.Respond(res)
	}
	if err != nil {
		return
	}
	dir := offeredDirection(m)
	p := e.partner(l)
	if p == nil {
		return
	}
	p.mu.Lock()
	changed := p.offeredDir != dir
	p.mu.Unlock()
	if changed {
		e.goOwned(func() {
			if err := e.reinvite(e.ctx, p, dir); err != nil {
				e.log.Debug("pass on re-INVITE failed", "call_id", p.callID, "error", err)
			}
		})
	}
}

func (e *Engine) inDialogResponse(req *sip.Request, l *leg, body []byte) *sip.Response {
	res := sip.NewResponseFromRequest(req, 200, "OK", body)
	res.AppendHeader(e.contact(l.transport))
	res.AppendHeader(sip.NewHeader("Allow", allowed))
	if len(body) > 0 {
		res.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	}
	return res
}

// onInfo passes SIP INFO (application/dtmf-relay and the like) to the other party.
func (e *Engine) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	l := e.lookup(req)
	if l == nil {
		respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	// A key sent as SIP INFO counts for the DTMF transfer code and applications like an RFC
	// 4733 event. It is handed on before the 200: a phone sends its next key once the previous
	// one is answered, and sipgo runs each request on its own goroutine, so answering first lets
	// a loaded server take *#*1 as #**1.
	media := l.mediaLeg()
	if ct := req.ContentType(); ct != nil && len(req.Body()) > 0 && media != nil {
		if key, err := mediaapp.ParseDTMFInfo(ct.Value(), req.Body()); err == nil {
			media.PressKey(key)
		}
	}
	respond(tx, req, 200, "OK")
	p := e.partner(l)
	if p == nil || len(req.Body()) == 0 {
		return
	}
	// Unbridged (the party types a transfer code, or the other party hears an application):
	// its keys are not the other party's business, as with RFC 4733 events.
	if media != nil && !media.Bridged() {
		return
	}
	out := e.newRequest(p, sip.INFO)
	if ct := req.ContentType(); ct != nil {
		out.AppendHeader(sip.NewHeader("Content-Type", ct.Value()))
	}
	body := append([]byte(nil), req.Body()...)
	out.SetBody(body)
	e.goOwned(func() {
		if _, err := e.do(context.Background(), p, out); err != nil {
			e.log.Debug("pass on INFO failed", "call_id", p.callID, "error", err)
		}
	})
}

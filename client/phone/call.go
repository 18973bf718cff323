package phone

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/media"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

const dtmfPT = sdpmedia.DefaultDTMFPT

// decision is the user's answer to an incoming call.
type decision int

const (
	decideAnswer decision = iota
	decideReject
)

// call is the engine's state of one call. Fields are guarded by Engine.mu unless noted.
type call struct {
	id   string
	view Call
	acct *account

	out        *sipgo.DialogClientSession // outgoing dialog
	in         *sipgo.DialogServerSession // incoming dialog
	dialCancel context.CancelFunc
	decide     chan decision // incoming: the user's decision (buffered 1)

	sess      *media.Session
	src       audio.Source
	sink      audio.Sink
	remote    sdpmedia.Media   // last SDP from the other side
	local     *sdpmedia.Crypto // our SRTP key (in our SDP); nil: the call is not encrypted
	secure    bool             // our SDP says RTP/SAVP
	pt        uint8
	sdpID     uint64
	sdpVer    uint64
	localHold bool
	ended     bool
	started   bool          // media session started (early media or answer)
	ringback  func()        // stops the local ringback tone and waits for it
	early     bool          // playing early media (183 with SDP) before the answer
	lateOffer bool          // incoming INVITE without SDP: our offer went in the 200, the answer comes in the ACK
	remoteURI sip.Uri       // the other party's address-of-record
	notify    chan int      // sipfrag status codes of a transfer in progress
	reinvite  *sync.Mutex   // serialises our re-INVITEs (not under Engine.mu)
	done      chan struct{} // closed when the call ends
}

func newCall(id string, acct *account, dir Direction, remote string) *call {
	return &call{
		id: id, acct: acct, sdpID: rand.Uint64N(1 << 40), sdpVer: 1, reinvite: &sync.Mutex{}, done: make(chan struct{}),
		view: Call{ID: id, Direction: dir, Remote: remote, StartedAt: time.Now()},
	}
}

// lookup returns the call with id, or ErrNoCall. Called with e.mu held.
func (e *Engine) lookupLocked(id string) (*call, error) {
	c, ok := e.calls[id]
	if !ok || c.ended {
		return nil, fmt.Errorf("call %q: %w", id, ErrNoCall)
	}
	return c, nil
}

// lookupInLocked is lookupLocked for an operation (op) that needs the call in a state ok
// accepts, else ErrCallState. Called with e.mu held.
func (e *Engine) lookupInLocked(id, op string, ok func(*call) bool) (*call, error) {
	c, err := e.lookupLocked(id)
	if err != nil {
		return nil, err
	}
	if !ok(c) {
		return nil, fmt.Errorf("%s %s: %w", op, c.view.State, ErrCallState)
	}
	return c, nil
}

// undecided reports whether c is an incoming call still waiting for Answer or Reject.
func (c *call) undecided() bool { return c.view.State == Incoming && c.decide != nil }

// established reports whether c is talking or on hold.
func (c *call) established() bool { return c.view.State == Active || c.view.State == OnHold }

func (e *Engine) addCallLocked(c *call) {
	e.calls[c.id] = c
	e.order = append(e.order, c.id)
}

// Dial implements Controller.
func (e *Engine) Dial(ctx context.Context, number string) (string, error) {
	number = strings.TrimSpace(number)
	if number == "" {
		return "", errors.New("phone: no number")
	}
	e.mu.Lock()
	acct := e.acct
	if acct == nil {
		e.mu.Unlock()
		return "", ErrNotLoggedIn
	}
	id := sip.GenerateTagN(20) + "@" + acct.localIP.String()
	c := newCall(id, acct, Outgoing, number)
	c.view.State = Dialling
	c.remoteURI = sip.Uri{Scheme: "sip", User: dialUser(number), Host: acct.domain}
	dctx, cancel := context.WithCancel(e.ctx)
	c.dialCancel = cancel
	// Dialling while talking puts the talking call on hold, as every desk phone does.
	held := e.activeOthersLocked(c)
	e.addCallLocked(c)
	e.mu.Unlock()
	e.changed()
	e.goOwned(func() {
		for _, o := range held {
			_ = e.hold(o, true)
		}
		e.dialOut(dctx, c)
	})
	return id, nil
}

// dialUser keeps what the user typed but drops spaces and dashes that break a SIP URI.
func dialUser(number string) string {
	if strings.HasPrefix(number, "sip:") {
		var u sip.Uri
		if sip.ParseUri(number, &u) == nil && u.User != "" {
			return u.User
		}
	}
	return strings.NewReplacer(" ", "", "-", "", "(", "", ")", "").Replace(number)
}

// activeOthersLocked marks the other Active calls OnHold and returns them for re-INVITEs.
func (e *Engine) activeOthersLocked(except *call) []*call {
	var out []*call
	for _, id := range e.order {
		o := e.calls[id]
		if o != except && !o.ended && o.view.State == Active {
			out = append(out, o)
		}
	}
	return out
}

func (e *Engine) dialOut(ctx context.Context, c *call) {
	acct := c.acct
	sess, err := media.Listen(acct.localIP, e.log)
	if err != nil {
		e.endCall(c, "Call failed", err)
		return
	}
	e.mu.Lock()
	c.sess = sess
	err = c.offerCryptoLocked()
	e.mu.Unlock()
	if err != nil {
		e.endCall(c, "Call failed", err)
		return
	}
	offer, err := e.localSDP(c, sdpmedia.Supported, sdpmedia.SendRecv)
	if err != nil {
		e.endCall(c, "Call failed", err)
		return
	}
	req := sip.NewRequest(sip.INVITE, c.remoteURI)
	// The server is our outbound proxy: a pre-loaded Route (not only a destination) so that
	// CANCEL and the ACK of a failure follow the INVITE even when the domain is not resolvable.
	req.AppendHeader(acct.route())
	from := &sip.FromHeader{DisplayName: acct.profile.Name,
		Address: sip.Uri{Scheme: "sip", User: acct.sipUser, Host: acct.domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: c.remoteURI})
	cid := sip.CallIDHeader(c.id)
	req.AppendHeader(&cid)
	contact := acct.contact
	req.AppendHeader(&contact)
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
	req.AppendHeader(sip.NewHeader("Allow", allowed))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(offer)

	dlg, err := acct.dialogUA.WriteInvite(ctx, req)
	if err != nil {
		e.endCall(c, "Unavailable", err)
		return
	}
	e.mu.Lock()
	c.out = dlg
	e.mu.Unlock()
	err = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{
		Username: acct.sipUser, Password: acct.Password,
		OnResponse: func(res *sip.Response) error {
			if res.StatusCode == 180 || res.StatusCode == 183 {
				e.mu.Lock()
				if c.view.State == Dialling {
					c.view.State = Ringing
				}
				e.mu.Unlock()
				e.changed()
				if len(res.Body()) > 0 {
					e.stopRingback(c)
					e.startEarlyMedia(c, res.Body())
				} else {
					e.startRingback(c)
				}
			}
			return nil
		},
	})
	if err != nil {
		var rerr *sipgo.ErrDialogResponse
		switch {
		case errors.As(err, &rerr):
			e.endCall(c, endReason(rerr.Res.StatusCode), nil)
		case ctx.Err() != nil:
			if r := dlg.InviteResponse; r != nil && r.IsSuccess() {
				// The far end answered as we hung up: confirm and end it properly.
				_ = dlg.Ack(context.Background())
				bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				_ = dlg.Bye(bctx)
				cancel()
			}
			e.endCall(c, "Call ended", nil)
		default:
			e.endCall(c, "Unavailable", err)
		}
		return
	}
	if err := dlg.Ack(ctx); err != nil {
		e.log.Warn("ACK failed", "call", c.id, "err", err)
	}
	ans, codec, err := sdpmedia.ParseNegotiate(dlg.InviteResponse.Body(), sdpmedia.Supported)
	if err == nil {
		e.mu.Lock()
		err = c.checkAnswerLocked(ans)
		e.mu.Unlock()
	}
	if err != nil {
		e.log.Warn("unusable SDP answer; hanging up", "call", c.id, "err", err)
		bctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = dlg.Bye(bctx)
		cancel()
		e.endCall(c, "Call failed", err)
		return
	}
	e.mu.Lock()
	if c.ended {
		e.mu.Unlock()
		return
	}
	c.remote, c.pt = ans, codec.PT
	c.view.State = Active
	c.view.AnsweredAt = time.Now()
	c.dialCancel = nil
	e.mu.Unlock()
	e.startMedia(c)
	e.changed()
	e.watchDialog(c, dlg.Context())
}

// watchDialog ends the call when sipgo ends its dialog (BYE received, ACK timeout).
func (e *Engine) watchDialog(c *call, dctx context.Context) {
	e.goOwned(func() {
		select {
		case <-e.ctx.Done():
		case <-c.done:
		case <-dctx.Done():
			e.endCall(c, "Call ended", nil)
		}
	})
}

// localSDP builds our offer or answer with codecs and direction, raising the version.
func (e *Engine) localSDP(c *call, codecs []sdpmedia.Codec, dir sdpmedia.Direction) ([]byte, error) {
	e.mu.Lock()
	ver := c.sdpVer
	c.sdpVer++
	e.mu.Unlock()
	m := sdpmedia.Media{Addr: c.sess.LocalAddr().Addr(), Port: int(c.sess.LocalAddr().Port()), Codecs: codecs,
		DTMFPT: dtmfPT, Direction: dir, Ptime: 20}
	e.mu.Lock()
	if c.local != nil {
		m.Secure, m.Crypto = c.secure, []sdpmedia.Crypto{*c.local}
	}
	e.mu.Unlock()
	return sdpmedia.Build(m, c.sdpID, ver)
}

// mediaParams derives what to send and play from the other side's direction and our hold.
// Called with e.mu held.
func (c *call) mediaParamsLocked() media.Params {
	c.view.Encrypted = c.local != nil
	d := c.remote.Direction
	unspecified := c.remote.Addr.IsValid() && c.remote.Addr.IsUnspecified()
	p := media.Params{
		Remote: c.remote.AddrPort(),
		PT:     c.pt,
		DTMFPT: c.remote.DTMFPT,
		Send:   !c.localHold && (d == sdpmedia.SendRecv || d == sdpmedia.RecvOnly || d == "") && !unspecified,
		Recv:   !c.localHold && (d == sdpmedia.SendRecv || d == sdpmedia.SendOnly || d == ""),
		SRTP:   c.srtpLocked(),
	}
	return p
}

// startMedia starts RTP for an answered call and attaches the audio devices.
// If early media already started the session, it only applies the answer's parameters.
func (e *Engine) startMedia(c *call) {
	e.stopRingback(c)
	e.mu.Lock()
	p := c.mediaParamsLocked()
	sess, started := c.sess, c.started
	c.started, c.early = true, false
	e.mu.Unlock()
	if started {
		sess.Update(p)
	} else if err := sess.Start(e.ctx, p, nil, nil, nil); err != nil {
		e.log.Warn("media start failed", "call", c.id, "err", err)
		return
	}
	e.attachAudio(c)
}

// updateMedia passes c's current media parameters to its session, if it has one.
func (e *Engine) updateMedia(c *call) {
	e.mu.Lock()
	p := c.mediaParamsLocked()
	sess := c.sess
	e.mu.Unlock()
	if sess != nil {
		sess.Update(p)
	}
}

// startRingback plays the ringing tone locally while the far end rings without sending
// audio of its own (180 without SDP).
func (e *Engine) startRingback(c *call) {
	e.mu.Lock()
	if c.ringback != nil || c.started || c.ended || e.cfg.Audio == nil {
		e.mu.Unlock()
		return
	}
	ctx, cancel := context.WithCancel(e.ctx)
	done := make(chan struct{})
	// Stopping waits for the tone's device to close, so the call's own stream can open it.
	c.ringback = func() { cancel(); <-done }
	spk := e.speaker
	e.mu.Unlock()
	// Opened here, on the dialling goroutine, so it is always opened before the call's own
	// speaker stream and never outlives the answer.
	sink, err := e.cfg.Audio.OpenSink(spk)
	if err != nil {
		e.log.Debug("no speaker for ringback", "err", err)
		close(done)
		return
	}
	e.goOwned(func() {
		defer close(done)
		defer sink.Close()
		gen := audio.NewToneGenerator(audio.RingTone, 0.25)
		frame := make([]int16, audio.FrameSamples)
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			gen.Next(frame)
			if sink.Write(frame) != nil {
				return
			}
		}
	})
}

func (e *Engine) stopRingback(c *call) {
	e.mu.Lock()
	cancel := c.ringback
	e.mu.Unlock()
	if cancel != nil {
		cancel()
	}
}

// startEarlyMedia plays what the far end sends before answering (ringback, announcements,
// queue music) from a 18x with SDP. Nothing is sent until the answer.
func (e *Engine) startEarlyMedia(c *call, body []byte) {
	m, codec, err := sdpmedia.ParseNegotiate(body, sdpmedia.Supported)
	if err != nil {
		return
	}
	e.mu.Lock()
	if c.started || c.ended || c.sess == nil {
		e.mu.Unlock()
		return
	}
	c.started, c.early = true, true
	c.remote, c.pt = m, codec.PT
	p := c.mediaParamsLocked()
	p.Send = false
	sess := c.sess
	e.mu.Unlock()
	if err := sess.Start(e.ctx, p, nil, nil, nil); err != nil {
		e.log.Warn("early media failed", "call", c.id, "err", err)
		return
	}
	e.attachAudio(c)
}

// attachAudio opens the talking devices for c unless it is held or ended.
func (e *Engine) attachAudio(c *call) {
	e.mu.Lock()
	if c.ended || c.localHold || c.src != nil || c.sess == nil || e.cfg.Audio == nil {
		e.mu.Unlock()
		return
	}
	mic, spk := e.mic, e.speaker
	e.mu.Unlock()
	src, err := e.cfg.Audio.OpenSource(mic)
	if err != nil {
		e.log.Warn("microphone unavailable", "device", mic, "err", err)
		src = nil
	}
	sink, err := e.cfg.Audio.OpenSink(spk)
	if err != nil {
		e.log.Warn("speaker unavailable", "device", spk, "err", err)
		sink = nil
	}
	e.mu.Lock()
	if c.ended || c.localHold || c.src != nil || c.sink != nil {
		e.mu.Unlock()
		closeAudio(src, sink)
		return
	}
	c.src, c.sink = src, sink
	muted := c.view.Muted
	e.mu.Unlock()
	var srcI audio.Source
	var sinkI audio.Sink
	if src != nil {
		srcI = src
	}
	if sink != nil {
		sinkI = sink
	}
	c.sess.SetMuted(muted)
	os, ok := c.sess.SetAudio(srcI, sinkI)
	closeAudio(os, ok)
}

// detachAudio closes c's devices (hold, end).
func (e *Engine) detachAudio(c *call) {
	e.mu.Lock()
	c.src, c.sink = nil, nil
	sess := c.sess
	e.mu.Unlock()
	if sess == nil {
		return
	}
	closeAudio(sess.SetAudio(nil, nil))
}

func closeAudio(src audio.Source, sink audio.Sink) {
	if src != nil {
		_ = src.Close()
	}
	if sink != nil {
		_ = sink.Close()
	}
}

// endCall marks c Ended with reason, stops its media and removes it after a while.
func (e *Engine) endCall(c *call, reason string, err error) {
	e.mu.Lock()
	if c.ended {
		e.mu.Unlock()
		return
	}
	c.ended = true
	close(c.done)
	c.view.State = Ended
	c.view.EndedAt = time.Now()
	if reason == "Call ended" && c.view.TransferTo != "" {
		// The far end ending the call while our REFER is pending is how a transfer completes
		// (its NOTIFY 200 may still be on the way), whichever path saw the end first.
		reason = "Transferred"
	}
	if c.view.EndReason == "" {
		c.view.EndReason = reason
	}
	if c.dialCancel != nil {
		c.dialCancel()
	}
	sess := c.sess
	e.mu.Unlock()
	e.stopRingback(c)
	if err != nil {
		e.log.Info("call ended", "call", c.id, "reason", reason, "err", err)
	} else {
		e.log.Info("call ended", "call", c.id, "reason", reason)
	}
	e.detachAudio(c)
	if sess != nil {
		_ = sess.Close()
	}
	e.changed()
	e.goOwned(func() {
		select {
		case <-e.ctx.Done():
		case <-time.After(e.cfg.EndedLinger):
		}
		e.mu.Lock()
		delete(e.calls, c.id)
		for i, id := range e.order {
			if id == c.id {
				e.order = append(e.order[:i], e.order[i+1:]...)
				break
			}
		}
		e.mu.Unlock()
		e.changed()
	})
}

// endReason turns a final SIP status into plain words.
func endReason(code int) string {
	switch code {
	case 486, 600:
		return "Busy"
	case 408, 480, 487:
		return "No answer"
	case 603, 403:
		return "Rejected"
	case 404, 484, 604:
		return "Not found"
	case 410:
		return "Number changed"
	case 488, 606:
		return "Call failed"
	}
	if code >= 500 {
		return "Unavailable"
	}
	return "Call ended"
}

// Answer implements Controller.
func (e *Engine) Answer(id string) error {
	e.mu.Lock()
	c, err := e.lookupInLocked(id, "answer", (*call).undecided)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	held := e.activeOthersLocked(c)
	e.mu.Unlock()
	e.goOwned(func() {
		for _, o := range held {
			_ = e.hold(o, true)
		}
		select {
		case c.decide <- decideAnswer:
		default:
		}
	})
	return nil
}

// Reject implements Controller.
func (e *Engine) Reject(id string) error {
	e.mu.Lock()
	c, err := e.lookupInLocked(id, "reject", (*call).undecided)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	e.mu.Unlock()
	select {
	case c.decide <- decideReject:
	default:
	}
	return nil
}

// Hangup implements Controller.
func (e *Engine) Hangup(id string) error {
	e.mu.Lock()
	c, err := e.lookupLocked(id)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	state := c.view.State
	e.mu.Unlock()
	switch state {
	case Dialling, Ringing:
		e.mu.Lock()
		cancel := c.dialCancel
		e.mu.Unlock()
		if cancel != nil {
			cancel() // WaitAnswer sends CANCEL; dialOut ends the call
		}
		return nil
	case Incoming:
		return e.Reject(id)
	}
	e.goOwned(func() { e.bye(c, "Call ended") })
	return nil
}

// bye ends an established call with BYE.
func (e *Engine) bye(c *call, reason string) {
	e.mu.Lock()
	out, in := c.out, c.in
	e.mu.Unlock()
	ctx, cancel := context.WithTimeout(e.ctx, 8*time.Second)
	defer cancel()
	var err error
	switch {
	case out != nil:
		err = out.Bye(ctx)
	case in != nil:
		err = in.Bye(ctx)
	}
	if err != nil {
		e.log.Debug("BYE failed", "call", c.id, "err", err)
	}
	e.endCall(c, reason, nil)
}

// Mute implements Controller.
func (e *Engine) Mute(id string, mute bool) error {
	e.mu.Lock()
	c, err := e.lookupLocked(id)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	c.view.Muted = mute
	sess := c.sess
	e.mu.Unlock()
	if sess != nil {
		sess.SetMuted(mute)
	}
	e.changed()
	return nil
}

// SendDTMF implements Controller.
func (e *Engine) SendDTMF(id string, key rune) error {
	e.mu.Lock()
	c, err := e.lookupInLocked(id, "dtmf", func(c *call) bool { return c.view.State == Active && c.sess != nil })
	if err != nil {
		e.mu.Unlock()
		return err
	}
	sess := c.sess
	e.mu.Unlock()
	if err := sess.SendDTMF(key); err != nil {
		return fmt.Errorf("dtmf: %w", err)
	}
	e.mu.Lock()
	c.view.DTMFHistory += string(key)
	e.mu.Unlock()
	e.changed()
	return nil
}

// Hold implements Controller.
func (e *Engine) Hold(id string, hold bool) error {
	e.mu.Lock()
	c, err := e.lookupInLocked(id, "hold", (*call).established)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	var others []*call
	if !hold {
		others = e.activeOthersLocked(c) // resuming one call holds the talking one
	}
	e.mu.Unlock()
	e.goOwned(func() {
		for _, o := range others {
			_ = e.hold(o, true)
		}
		if err := e.hold(c, hold); err != nil {
			e.log.Warn("hold failed", "call", id, "hold", hold, "err", err)
		}
	})
	return nil
}

// hold sends the re-INVITE for hold or resume and updates media and audio.
func (e *Engine) hold(c *call, hold bool) error {
	c.reinvite.Lock()
	defer c.reinvite.Unlock()
	e.mu.Lock()
	if c.ended {
		e.mu.Unlock()
		return ErrNoCall
	}
	c.localHold = hold
	if hold {
		c.view.State = OnHold
	} else {
		c.view.State = Active
	}
	pt := c.pt
	e.mu.Unlock()
	e.changed()
	if hold {
		e.detachAudio(c)
	}
	dir := sdpmedia.SendRecv
	if hold {
		dir = sdpmedia.SendOnly
	}
	codecs := []sdpmedia.Codec{codecByPT(pt)}
	body, err := e.localSDP(c, codecs, dir)
	if err != nil {
		return err
	}
	res, err := e.reinviteDo(c, body)
	if err == nil && res.IsSuccess() {
		if ans, perr := sdpmedia.Parse(res.Body()); perr == nil {
			e.mu.Lock()
			if c.checkAnswerLocked(ans) == nil {
				c.remote = ans
			} else {
				err = errNotEncrypted // keep the old keys; the session stops rather than go plain
				c.remote.Crypto = nil
			}
			e.mu.Unlock()
		}
	} else if err == nil {
		err = fmt.Errorf("re-INVITE: %d %s", res.StatusCode, res.Reason)
	}
	e.updateMedia(c)
	if !hold {
		e.attachAudio(c)
	}
	return err
}

func codecByPT(pt uint8) sdpmedia.Codec {
	for _, c := range sdpmedia.Supported {
		if c.PT == pt {
			return c
		}
	}
	return sdpmedia.PCMU
}

// remoteTarget is where in-dialog requests go: the other side's Contact.
func (c *call) remoteTarget() sip.Uri {
	if c.out != nil && c.out.InviteResponse != nil {
		if ct := c.out.InviteResponse.Contact(); ct != nil {
			return ct.Address
		}
		return c.out.InviteRequest.Recipient
	}
	if c.in != nil {
		if ct := c.in.InviteRequest.Contact(); ct != nil {
			return ct.Address
		}
	}
	return c.remoteURI
}

// tags returns our and the other side's dialog tags.
func (c *call) tags() (local, remote string) {
	var ours, theirs sip.HeaderParams
	switch {
	case c.out != nil:
		if f := c.out.InviteRequest.From(); f != nil {
			ours = f.Params
		}
		if r := c.out.InviteResponse; r != nil && r.To() != nil {
			theirs = r.To().Params
		}
	case c.in != nil:
		if to := c.in.InviteRequest.To(); to != nil {
			ours = to.Params
		}
		if f := c.in.InviteRequest.From(); f != nil {
			theirs = f.Params
		}
	}
	local, _ = ours.Get("tag")
	remote, _ = theirs.Get("tag")
	return local, remote
}

// dialogDo sends an in-dialog request and waits for its final response.
func (e *Engine) dialogDo(c *call, req *sip.Request) (*sip.Response, error) {
	ctx, cancel := context.WithTimeout(e.ctx, 10*time.Second)
	defer cancel()
	if c.out != nil {
		return c.out.Do(ctx, req)
	}
	if c.in != nil {
		return c.in.Do(ctx, req)
	}
	return nil, ErrCallState
}

// reinviteDo sends a re-INVITE with body and ACKs a 2xx.
func (e *Engine) reinviteDo(c *call, body []byte) (*sip.Response, error) {
	target := c.remoteTarget()
	req := sip.NewRequest(sip.INVITE, target)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(body)
	res, err := e.dialogDo(c, req)
	if err != nil {
		return nil, err
	}
	if res.IsSuccess() {
		ack := sip.NewRequest(sip.ACK, target)
		if c.out != nil {
			err = c.out.WriteRequest(ack)
		} else {
			err = c.in.WriteRequest(ack)
		}
		if err != nil {
			e.log.Warn("ACK of re-INVITE failed", "call", c.id, "err", err)
		}
	}
	return res, nil
}

// BlindTransfer implements Controller: REFER to target; the call ends when the transfer succeeds.
func (e *Engine) BlindTransfer(id, target string) error {
	e.mu.Lock()
	c, err := e.lookupInLocked(id, "transfer", (*call).established)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	to := sip.Uri{Scheme: "sip", User: dialUser(target), Host: c.acct.domain}
	c.view.TransferTo = target
	e.mu.Unlock()
	e.changed()
	e.goOwned(func() { e.refer(c, "<"+to.String()+">", nil) })
	return nil
}

// AttendedTransfer implements Controller.
func (e *Engine) AttendedTransfer(id, consultID string) error {
	e.mu.Lock()
	c, err := e.lookupLocked(id)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	k, err := e.lookupLocked(consultID)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	if !c.established() || !k.established() {
		e.mu.Unlock()
		return fmt.Errorf("attended transfer: %w", ErrCallState)
	}
	local, remote := k.tags()
	// RFC 3891: to-tag is the tag of the party that receives the INVITE with Replaces (the
	// consulted party), from-tag is ours.
	replaces := fmt.Sprintf("%s;to-tag=%s;from-tag=%s", k.id, remote, local)
	target := k.remoteURI
	target.UriParams = nil
	referTo := "<" + target.String() + "?Replaces=" + escapeURIHeader(replaces) + ">"
	c.view.TransferTo = k.view.Remote
	k.view.Consulting = true
	e.mu.Unlock()
	e.changed()
	e.goOwned(func() { e.refer(c, referTo, k) })
	return nil
}

// escapeURIHeader escapes a header value inside a SIP URI (RFC 3261 section 19.1.1).
func escapeURIHeader(v string) string {
	r := strings.NewReplacer(";", "%3B", "=", "%3D", "@", "%40", " ", "%20", "?", "%3F", "&", "%26", ":", "%3A")
	return r.Replace(v)
}

// refer sends REFER in c's dialog and follows the NOTIFYs; on success it ends c (and the
// consultation leg, if any).
func (e *Engine) refer(c *call, referTo string, consult *call) {
	notify := make(chan int, 8)
	e.mu.Lock()
	c.notify = notify
	acct := c.acct
	e.mu.Unlock()
	req := sip.NewRequest(sip.REFER, c.remoteTarget())
	req.AppendHeader(sip.NewHeader("Refer-To", referTo))
	req.AppendHeader(sip.NewHeader("Referred-By", "<sip:"+acct.sipUser+"@"+acct.domain+">"))
	res, err := e.dialogDo(c, req)
	failed := func(why string) {
		e.log.Warn("transfer failed", "call", c.id, "why", why)
		e.mu.Lock()
		c.view.TransferTo = ""
		c.notify = nil
		if consult != nil {
			consult.view.Consulting = false
		}
		e.mu.Unlock()
		e.changed()
	}
	if err != nil {
		failed(err.Error())
		return
	}
	if !res.IsSuccess() {
		failed(fmt.Sprintf("%d %s", res.StatusCode, res.Reason))
		return
	}
	// 202: wait for the NOTIFY that carries the outcome, or for the server to end the call.
	deadline := time.After(40 * time.Second)
	var dctx <-chan struct{}
	if c.out != nil {
		dctx = c.out.Context().Done()
	} else {
		dctx = c.in.Context().Done()
	}
	for {
		select {
		case <-e.ctx.Done():
			return
		case <-dctx:
			e.finishTransfer(consult)
			return
		case code := <-notify:
			switch {
			case code >= 200 && code < 300:
				e.bye(c, "Transferred")
				e.finishTransfer(consult)
				return
			case code >= 300:
				failed(fmt.Sprintf("target answered %d", code))
				return
			}
		case <-deadline:
			// No final NOTIFY: the server accepted the REFER, so consider it done.
			e.bye(c, "Transferred")
			e.finishTransfer(consult)
			return
		}
	}
}

func (e *Engine) finishTransfer(consult *call) {
	if consult == nil {
		return
	}
	e.mu.Lock()
	ended := consult.ended
	e.mu.Unlock()
	if !ended {
		// The server replaces our consultation leg; if it has not ended it yet, end it.
		time.Sleep(500 * time.Millisecond)
		e.mu.Lock()
		ended = consult.ended
		e.mu.Unlock()
		if !ended {
			e.bye(consult, "Transferred")
		}
	}
}

// String returns the state in plain words.
func (s CallState) String() string {
	switch s {
	case Dialling:
		return "Dialling"
	case Ringing:
		return "Ringing"
	case Incoming:
		return "Incoming call"
	case Active:
		return "Active"
	case OnHold:
		return "On hold"
	case Ended:
		return "Ended"
	}
	return "Unknown"
}

package b2bua

import (
	"context"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/shared/dtmf"
)

// The DTMF transfer code (CALL-6): during a call, a user's phone, any phone, mobile included,
// types *#*1<number># as RFC 4733 telephone-events. Each time two parties are bridged,
// callConnected starts one watcher goroutine for the pair, fed by both relay legs' key presses
// (relay.Leg.WatchKeys). When a user's keys complete the prefix *#*1 the pair is unbridged: the
// other party hears hold music generated into its relay leg, and the transferor's further keys
// no longer reach it (the music is a mediaapp.LegChannel on the other party's own relay leg,
// so its stream keeps one SSRC). # dials the number on behalf of the other party (transferTo, the same code
// as a blind transfer), which keeps hearing music while it rings; once answered the other party
// is bridged with the new one and the transferor's leg ends with BYE. * (or a wrong key, 10 s
// without a key, 21 digits, or a number that cannot be reached) brings the two back together,
// the transferor after a short error tone.
//
// Only a party that is one of the organisation's users may transfer: an outside caller typing
// the code must not make the server dial numbers for it.
//
// The watcher ends when either relay leg closes (the call ended or the leg was replaced; a new
// pairing has its own watcher, as WatchKeys closes the previous channel) or the engine stops.

// keyWatch is one bridged pair's watcher state, owned by its goroutine.
type keyWatch struct {
	c     *call
	legs  [2]*leg
	media [2]*relay.Leg
	keys  [2]<-chan relay.KeyPress
	codes [2]dtmf.TransferCode
}

// watchKeys feeds each party's keys to its transfer code until a leg closes or the engine stops.
func (e *Engine) watchKeys(w *keyWatch) {
	for {
		var (
			i  int
			k  relay.KeyPress
			ok bool
		)
		select {
		case k, ok = <-w.keys[0]:
		case k, ok = <-w.keys[1]:
			i = 1
		case <-e.stopping:
			return
		}
		if !ok {
			return
		}
		if u := w.legs[i].party.user; u.ID == 0 || u.OrgID != w.c.org.ID {
			continue
		}
		if w.codes[i].Feed(k.Key, time.Now()) != dtmf.Prefix {
			continue
		}
		if !e.collectTransfer(w, i) {
			return
		}
		w.codes[1-i].Reset() // keys the other party typed while hearing music mean nothing
	}
}

// holdMusic is what the transferee hears while the code is typed and the target rings.
var holdMusic = mediaapp.HoldMusic()

// errorTone tells the transferor that the code was cancelled or the number failed.
var errorTone = mediaapp.ErrorTone()

// collectTransfer runs once party i completed the prefix: music for the other party, the number
// collected, then the transfer or the way back. It reports whether the pair is still bridged
// and worth watching.
func (e *Engine) collectTransfer(w *keyWatch, i int) bool {
	l, other := w.legs[i], w.legs[1-i]
	lm, om := w.media[i], w.media[1-i]
	code := &w.codes[i]
	e.mu.Lock()
	paired := l.call == w.c && w.c.other(l) == other
	e.mu.Unlock()
	if !paired {
		return false
	}
	e.log.Info("dtmf transfer code", "call_id", l.callID, "transferor", l.party.number, "transferee", other.party.number)
	lm.Unbridge()
	// The music plays on the transferee's own leg (one stream, one SSRC), as an application.
	music, closeMusic := e.legChannel(other, om)
	mctx, stopMusic := context.WithCancel(e.ctx)
	musicDone := make(chan struct{})
	e.goOwned(func() {
		defer close(musicDone)
		_ = music.Loop(mctx, holdMusic)
	})
	stop := func() {
		stopMusic()
		<-musicDone
		closeMusic()
	}
	defer stop()

	timer := time.NewTimer(time.Until(code.Deadline()) + time.Millisecond)
	defer timer.Stop()
	for {
		select {
		case k, ok := <-w.keys[i]:
			if !ok {
				return false
			}
			switch code.Feed(k.Key, time.Now()) {
			case dtmf.Digit:
				timer.Reset(time.Until(code.Deadline()) + time.Millisecond)
			case dtmf.Cancel:
				e.log.Info("dtmf transfer cancelled", "call_id", l.callID, "typed", code.Typed())
				return e.rebridge(w, i, stop)
			case dtmf.Done:
				return e.dtmfTransfer(w, i, code.Number(), stop)
			}
		case _, ok := <-w.keys[1-i]:
			if !ok {
				return false
			}
		case <-timer.C:
			if code.Tick(time.Now()) == dtmf.Cancel {
				e.log.Info("dtmf transfer timed out", "call_id", l.callID)
				return e.rebridge(w, i, stop)
			}
			timer.Reset(time.Until(code.Deadline()) + time.Millisecond)
		case <-e.stopping:
			return false
		}
	}
}

// dtmfTransfer connects the other party with number; on failure the pair is bridged again.
func (e *Engine) dtmfTransfer(w *keyWatch, i int, number string, stopMusic func()) bool {
	l, other := w.legs[i], w.legs[1-i]
	e.log.Info("dtmf transfer", "call_id", l.callID, "transferee", other.party.number, "target", number)
	if code := e.transferTo(l, w.c, other, number, stopMusic); code != 200 {
		e.log.Info("dtmf transfer failed", "call_id", l.callID, "target", number, "status", code)
		return e.rebridge(w, i, stopMusic)
	}
	e.endLeg(l, true)
	e.log.Info("dtmf transfer done", "transferee", other.party.number, "target", number)
	return false
}

// rebridge brings the pair back together after a cancelled or failed code: the transferor hears
// the error tone (the other party still the music), then the two hear each other again.
func (e *Engine) rebridge(w *keyWatch, i int, stopMusic func()) bool {
	l, other := w.legs[i], w.legs[1-i]
	ctx, cancel := context.WithTimeout(e.ctx, 2*time.Second)
	tone, closeTone := e.legChannel(l, w.media[i])
	_ = tone.Play(ctx, errorTone)
	closeTone()
	cancel()
	stopMusic()
	e.mu.Lock()
	paired := l.call == w.c && w.c.other(l) == other
	e.mu.Unlock()
	if !paired {
		return false
	}
	relay.Bridge(w.media[0], w.media[1])
	return true
}

// legChannel is the channel to play to l's party on media, l's relay leg: the application's own
// when one runs on the leg (a caller that goes back to its flow, mediaapp.Ring.Resume), so that
// one player drives the stream; else a new one, which done closes.
func (e *Engine) legChannel(l *leg, media *relay.Leg) (ch *mediaapp.LegChannel, done func()) {
	if svc := l.service(); svc != nil && svc.ch.Leg() == media {
		return svc.ch, func() {}
	}
	ch = mediaapp.NewLegChannel(media, mediaapp.LegOptions{Logger: e.log.With("call_id", l.callID)})
	return ch, func() { _ = ch.Close() }
}

package b2bua

import "github.com/vaihde/vaihde/server/relay"

// callConnected is called each time two parties are bridged in call c (a new call, a transfer
// or a service call handed over to a person). The DTMF transfer code (CALL-6) watches the
// parties' keys from here.
func (e *Engine) callConnected(c *call) {
	e.mu.Lock()
	a, b := c.a, c.b
	e.mu.Unlock()
	if a == nil || b == nil {
		return
	}
	ma, mb := a.mediaLeg(), b.mediaLeg()
	if ma == nil || mb == nil {
		return
	}
	w := &keyWatch{c: c, legs: [2]*leg{a, b}, media: [2]*relay.Leg{ma, mb},
		keys: [2]<-chan relay.KeyPress{ma.WatchKeys(), mb.WatchKeys()}}
	e.goOwned(func() { e.watchKeys(w) })
}

// mediaLeg is the leg's relay leg (a service leg handed over to a person gets one late).
func (l *leg) mediaLeg() *relay.Leg {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.media
}

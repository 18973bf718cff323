package b2bua

import (
	"github.com/google/uuid"

	"github.com/vaihde/vaihde/shared/presence"
)

// presParty is one user's part in a call as presence sees it: the user, a key that stays the
// same for the part's lifetime (the caller's Call-ID; a fresh id for a callee, whose forks have
// Call-IDs of their own), its direction and the peer shown. A nil *presParty or one without a
// user (a trunk party) reports nothing.
type presParty struct {
	userID   int64
	key      string
	incoming bool
	peer     string
}

// newPresParty describes user p's part in a call; key "" makes a fresh one.
func newPresParty(p party, key string, incoming bool, peer party) *presParty {
	if p.user.ID == 0 {
		return nil
	}
	if key == "" {
		key = uuid.NewString()
	}
	return &presParty{userID: p.user.ID, key: key, incoming: incoming, peer: peer.number}
}

// repeer tells presence that l's party now talks to peer (after a transfer); nothing once the
// leg has ended.
func (e *Engine) repeer(l *leg, peer party) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pres == nil || l.ended || l.pres.peer == peer.number {
		return
	}
	pp := *l.pres
	pp.peer = peer.number
	l.pres = &pp
	e.report(l.pres, presence.PhoneOnCall)
}

// report tells presence the part's state. The hub's CallState must not block; a panic in it
// must not take the call down with it.
func (e *Engine) report(pp *presParty, state presence.PhoneState) {
	if pp == nil || e.deps.Presence == nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("presence call state panicked", "panic", r)
		}
	}()
	e.deps.Presence.CallState(pp.userID, pp.key, pp.incoming, state, pp.peer)
}

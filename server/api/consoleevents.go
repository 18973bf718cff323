package api

import (
	shared "github.com/vaihde/vaihde/shared/api"
)

// Live console events (OP-1): parked calls and camp-on waiters, pushed on /api/events so that
// the switchboard and the colleague's Softphone need not poll.

// ParkedChanged publishes the organisation's parked calls ("parked") to its users' streams.
// Wire it to park.Service.OnChange. It does not block (streams drop a slow client).
func (s *Server) ParkedChanged(orgID int64) {
	if s.deps.Parked == nil || orgID == 0 {
		return
	}
	calls := s.deps.Parked.Parked(orgID)
	if calls == nil {
		calls = []shared.ParkedCall{}
	}
	s.streams.publish(orgID, 0, shared.Event{Type: shared.EventParked, Parked: &shared.ParkedCalls{Parked: calls}})
}

// CampOnChanged publishes how many callers are camped on userID ("campon") to that user's
// streams and to the organisation's operators. Wire it to campon.Service.OnChange.
func (s *Server) CampOnChanged(orgID, userID int64, n int) {
	if orgID == 0 || userID == 0 {
		return
	}
	s.streams.publishOperators(orgID, userID, shared.Event{Type: shared.EventCampOn,
		CampOn: &shared.CampOnWaiting{UserID: userID, Waiting: n}})
}

// CampOns counts the callers camped on a user (server/campon through server/cmd/vaihde).
type CampOns interface {
	WaitingCount(userID int64) int
}

// campOnAtStart is the "campon" event a new stream of userID begins with when callers wait
// for them: a Softphone that (re)connects forgets its count at "hello" and learns it here.
func (s *Server) campOnAtStart(userID int64) (shared.Event, bool) {
	if s.deps.CampOns == nil {
		return shared.Event{}, false
	}
	n := s.deps.CampOns.WaitingCount(userID)
	if n <= 0 {
		return shared.Event{}, false
	}
	return shared.Event{Type: shared.EventCampOn, CampOn: &shared.CampOnWaiting{UserID: userID, Waiting: n}}, true
}

// publishOperators offers ev to the streams of the organisation's operators and of user.
func (ss *streams) publishOperators(orgID, user int64, ev shared.Event) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for st := range ss.all {
		if st.orgID == orgID && (st.operator || st.userID == user) {
			st.offer(streamItem{ev: &ev})
		}
	}
}

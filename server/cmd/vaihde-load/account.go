package main

// epSnapshot is what one endpoint sent and received when the media phase ended.
type epSnapshot struct {
	ID   uint32
	Sent uint64
	Rx   rxStats
	RTCP uint64 // RTCP packets received
}

func snapshot(e *endpoint) epSnapshot {
	return epSnapshot{ID: e.id, Sent: e.sent.Load(), Rx: e.rx.stats(), RTCP: e.rtcpIn.Load()}
}

// mediaReport sums up a media run.
type mediaReport struct {
	Calls       int
	Streams     int    // endpoints that sent media
	Sent        uint64 // packets sent by all endpoints
	Received    uint64 // distinct packets received from the right sender
	LossPct     float64
	LossyCalls  int // calls whose loss is above the threshold
	SilentCalls int // calls where some direction received nothing
	Foreign     uint64
	Dups        uint64
	SSRCChanges uint64
	WorstPct    float64
	RTCP        uint64 // RTCP packets the server sent the endpoints
}

// account pairs each caller with the callee endpoint that heard its tag and computes loss per
// call (both directions) and in total. threshold is in percent.
func account(callers, callees []epSnapshot, threshold float64) mediaReport {
	r := mediaReport{Calls: len(callers)}
	sentBy := make(map[uint32]uint64, len(callers)+len(callees))
	heardBy := make(map[uint32]epSnapshot, len(callers)+len(callees)) // sender id → its receiver
	for _, set := range [][]epSnapshot{callers, callees} {
		for _, e := range set {
			sentBy[e.ID] = e.Sent
			r.Sent += e.Sent
			if e.Sent > 0 {
				r.Streams++
			}
			r.Received += e.Rx.Received
			r.Foreign += e.Rx.Foreign
			r.Dups += e.Rx.Dups
			r.SSRCChanges += e.Rx.SSRCChanges
			r.RTCP += e.RTCP
			if e.Rx.Tagged {
				heardBy[e.Rx.Sender] = e
			}
		}
	}
	if r.Sent > 0 {
		r.LossPct = 100 * float64(int64(r.Sent)-int64(r.Received)) / float64(r.Sent)
	}
	for _, c := range callers {
		sent, recv := c.Sent, uint64(0)
		partner, heard := heardBy[c.ID]
		if heard {
			recv += partner.Rx.Received
			// The partner's own stream, as heard by this caller.
			sent += partner.Sent
		}
		if c.Rx.Tagged && (!heard || c.Rx.Sender == partner.ID) {
			if !heard {
				sent += sentBy[c.Rx.Sender]
			}
			recv += c.Rx.Received
		}
		if !heard || c.Rx.Received == 0 {
			r.SilentCalls++
		}
		var loss float64
		if sent > 0 {
			loss = 100 * float64(int64(sent)-int64(recv)) / float64(sent)
		}
		if sent == 0 || loss > threshold {
			r.LossyCalls++
		}
		if sent == 0 {
			loss = 100
		}
		if loss > r.WorstPct {
			r.WorstPct = loss
		}
	}
	return r
}

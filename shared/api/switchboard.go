package api

import "time"

// The switchboard console (OP-1, CALL-7):
//
//	GET /api/switchboard/parked → ParkedCalls (the caller's organisation's parked calls by slot)
//	GET /api/switchboard/forwarding/{ext} → ColleagueForwarding (operators and admins: where a
//	    colleague's calls go, shown before a transfer; 403 for others, 404 for an unknown ext)
//
// Any user of the organisation may read them (any phone of the organisation may retrieve a
// parked call by dialling Retrieve); another organisation's calls are never listed. 501: a
// server without call park.

// ParkedCall is a call waiting in an org-wide park slot.
type ParkedCall struct {
	Slot         int       `json:"slot"`
	Number       string    `json:"number"`         // the parked party's extension or E.164 number
	Name         string    `json:"name,omitempty"` // the parked party's name when it is a user
	ParkedBy     string    `json:"parked_by"`      // extension of who parked it
	ParkedByName string    `json:"parked_by_name,omitempty"`
	Since        time.Time `json:"since"`
	RingingBack  bool      `json:"ringing_back"` // the parker's phones ring now (ring-back)
	Retrieve     string    `json:"retrieve"`     // number to dial to retrieve it, e.g. "9893"
}

// ColleagueForwarding is a colleague's call routing as the operator needs it before a transfer:
// targets as GET /api/forwarding answers them ("voicemail", "none" = keep ringing, or a number).
type ColleagueForwarding struct {
	Extension       string `json:"extension"`
	Immediate       string `json:"immediate"` // "" = off
	Busy            string `json:"busy"`
	NoAnswer        string `json:"no_answer"`
	RingTimeSeconds int    `json:"ring_seconds"`
	// Activity is where the colleague's current activity sends calls ("" = no rule for it).
	Activity string `json:"activity,omitempty"`
}

// ParkedCalls answers GET /api/switchboard/parked.
type ParkedCalls struct {
	Parked []ParkedCall `json:"parked"`
}

// Console events of /api/events (OP-1).
const (
	// EventParked carries Event.Parked to every user of the organisation: a call was parked,
	// retrieved, hung up, or its ring-back began or ended.
	EventParked = "parked"
	// EventCampOn carries Event.CampOn to the colleague the callers wait for and to the
	// organisation's operators.
	EventCampOn = "campon"
)

// CampOnWaiting is how many callers an operator camped on a colleague wait for them now
// (0: none any more).
type CampOnWaiting struct {
	UserID  int64 `json:"user_id"`
	Waiting int   `json:"waiting"`
}

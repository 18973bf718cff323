// Package phone owns the Softphone's headless engine: the account, SIP registration, the call
// state machine, media sessions and the events the UI renders. It never imports Fyne, so tests
// drive it without a window.
package phone

import (
	"context"
	"time"

	"github.com/vaihde/vaihde/shared/api"
)

// RegState is the registration state shown to the user in plain words.
type RegState int

const (
	LoggedOut     RegState = iota // no account configured
	Connecting                    // REGISTER sent, no final answer yet (also while retrying)
	Registered                    // the server accepted the registration
	WrongPassword                 // the server rejected the credentials (403, or 401 after credentials)
	Unreachable                   // no answer from the server (timeout, connection refused, DNS)
	RegFailed                     // any other failure; Snapshot.RegDetail says what
)

// CallState is where one call is.
type CallState int

const (
	Dialling CallState = iota // outgoing INVITE sent, no ringing yet
	Ringing                   // outgoing, the far end is ringing (180/183)
	Incoming                  // incoming, not yet answered (call waiting when another call is up)
	Active                    // answered and talking
	OnHold                    // answered, held by us
	Ended                     // finished; kept briefly so the UI can show why
)

// Direction of a call.
type Direction int

const (
	Outgoing Direction = iota
	IncomingCall
)

// Account is what the user typed at first run (seed 000).
type Account struct {
	Server   string // host or host:port of the Vaihde server; SIP port 5060 (5061 for TLS), API port 8080 unless given
	APIURL   string // optional; derived from Server when empty (http://host:8080, https://host:8443 with TLS)
	User     string // ext@domain, a phone number in any form (ORG-3) or a bare extension; see ParseLogin
	Password string
	// Transport is the SIP transport: "udp" (default), "tcp" or "tls".
	Transport string
	// SRTP offers only encrypted media (RTP/SAVP with SDES keys, RFC 4568) and accepts only
	// encrypted answers and offers; it needs Transport "tls", which keeps the keys secret.
	SRTP bool
}

// SIP transports of Account.Transport.
const (
	TransportUDP = "udp"
	TransportTCP = "tcp"
	TransportTLS = "tls"
)

// Call is the UI's view of one call.
type Call struct {
	ID          string
	Direction   Direction
	Remote      string // number or extension of the other party
	RemoteName  string
	State       CallState
	Muted       bool
	RemoteHold  bool // the other party put us on hold
	StartedAt   time.Time
	AnsweredAt  time.Time // zero until answered; the call timer runs from here
	EndedAt     time.Time
	EndReason   string // plain words: "Busy", "No answer", "Rejected", "Not found", "Call ended"
	Consulting  bool   // this call is the consultation leg of an attended transfer
	TransferTo  string // set while a transfer is in progress
	DTMFHistory string // keys sent during the call
	Encrypted   bool   // the media is SRTP (keys exchanged in the SDP over TLS)
	// Group is the customer-service queue or hunt group an incoming call came through (GRP-1,
	// GRP-6); zero for a call to the user's own number.
	Group GroupCall
}

// GroupCall says which group an incoming call came through. The server sends it on the
// INVITE (mediaapp.GroupInfo) as the headers X-Vaihde-Queue, X-Vaihde-Queue-Number and
// X-Vaihde-Callback; the caller, as the member should see them, is the From.
type GroupCall struct {
	Name     string // "Asiakaspalvelu"
	Number   string // the group's number, "8000"
	Callback string // the callback request's text (GRP-6); "" for a caller on the line
}

// IsZero reports whether the call came through no group.
func (g GroupCall) IsZero() bool { return g == GroupCall{} }

// Snapshot is the whole state the UI renders. It is a value: the engine never mutates a
// snapshot it has handed out.
type Snapshot struct {
	Reg       RegState
	RegDetail string // extra words for RegFailed/Unreachable, e.g. "connection refused"
	Account   Account
	Profile   api.Profile
	Calls     []Call // newest last; at most one Active call, others OnHold or Incoming
}

// Controller is what the UI calls. The engine implements it; UI tests use a fake.
// Every method returns quickly; outcomes arrive as new snapshots through Subscribe.
type Controller interface {
	// Subscribe calls fn with the current snapshot and after every change, from the engine's
	// goroutine; the returned function unsubscribes. fn must not block.
	Subscribe(fn func(Snapshot)) (cancel func())
	Snapshot() Snapshot

	Login(ctx context.Context, a Account) error // stores nothing; the UI persists settings
	Logout(ctx context.Context) error

	Dial(ctx context.Context, number string) (callID string, err error)
	Answer(callID string) error // answering while another call is active holds that call
	Reject(callID string) error // 486 Busy Here for an incoming call
	Hangup(callID string) error // CANCEL, BYE or reject, whichever fits the state
	Hold(callID string, hold bool) error
	Mute(callID string, mute bool) error
	SendDTMF(callID string, key rune) error // RFC 4733
	BlindTransfer(callID, target string) error
	// AttendedTransfer connects the party of callID to the party of consultID (REFER with
	// Replaces) and ends both of our legs.
	AttendedTransfer(callID, consultID string) error

	CallLog(ctx context.Context, limit int) ([]api.CallEntry, error)

	// Session returns the server API's base URL and the bearer token of the current login;
	// ok is false when logged out or the API did not answer at login. client/people uses it.
	Session() (apiURL, token string, ok bool)
	// SendMessage sends an instant message (SIP MESSAGE through the server, IM-1) to an
	// extension or number; it returns when the server accepted or refused it.
	SendMessage(ctx context.Context, to, body string) error
	// OnMessage calls fn for every instant message received (from the engine's goroutine;
	// fn must not block); the returned function unsubscribes.
	OnMessage(fn func(InstantMessage)) (cancel func())
}

// InstantMessage is a received SIP MESSAGE.
type InstantMessage struct {
	From     string // the sender's extension (user part of From)
	FromName string // display name, if any
	Body     string
	At       time.Time
}

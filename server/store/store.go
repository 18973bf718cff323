// Package store owns the server's persistent domain records — organisations, users, SIP
// registrations and call logs — and the interfaces a database implements. The SQLite
// implementation lives in store/sqlite; a PostgreSQL one will satisfy the same interfaces.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is returned when a looked-up record does not exist.
var ErrNotFound = errors.New("store: not found")

// ErrConflict is returned when a record would duplicate a unique field (extension, number, domain).
var ErrConflict = errors.New("store: conflict")

// Org is a tenant: its users and numbers are isolated from every other organisation.
type Org struct {
	ID          int64
	Name        string
	Domain      string // SIP domain and digest realm, e.g. "demo.vaihde.local"
	CountryCode string // E.164 country code without '+', e.g. "358"
	Switchboard string // E.164 switchboard number, may be empty
	Demo        bool   // the demo organisation also serves requests addressed to the server's IP
}

// User is a person in an organisation. Numbers are E.164 ("+358401234567").
type User struct {
	ID            int64
	OrgID         int64
	Extension     string // internal short number, e.g. "1001"
	Name          string
	CompanyNumber string
	MobileNumber  string
	Email         string
	Language      string // fi, sv or en
	// Digest credentials are stored as HA1 hashes (RFC 7616), never as the password.
	HA1MD5    string // hex MD5(username:realm:password), username = Extension
	HA1SHA256 string // hex SHA-256(username:realm:password)
	// PasswordHash is a slow hash (bcrypt) of the password for the HTTP API.
	PasswordHash string
}

// Binding is one registered contact of a user (RFC 3261 section 10).
type Binding struct {
	UserID     int64
	Contact    string    // the Contact URI as registered, e.g. "sip:1001@192.0.2.1:5062;transport=udp"
	Source     string    // where the REGISTER came from, "transport:ip:port" (for NAT, rport/received)
	CallID     string    // Call-ID of the REGISTER, to order refreshes
	CSeq       uint32    // CSeq of the last REGISTER for this binding
	Expires    time.Time // absolute expiry
	UserAgent  string
	InstanceID string // +sip.instance, if given
	UpdatedAt  time.Time
}

// Call direction and outcome of a call-log entry (CALL-13).
type (
	Direction string
	Outcome   string
)

const (
	Outgoing Direction = "out"
	Incoming Direction = "in"

	Answered  Outcome = "answered"
	Missed    Outcome = "missed"    // incoming, never answered by this user
	Busy      Outcome = "busy"      // outgoing, callee busy
	Failed    Outcome = "failed"    // outgoing, not reached (404, 480, error)
	Cancelled Outcome = "cancelled" // outgoing, caller gave up before an answer
)

// CallRecord is one entry in a user's call log.
type CallRecord struct {
	ID         int64
	UserID     int64
	CallID     string // the server's call identifier, shared by both parties' entries
	Direction  Direction
	Peer       string // the other party's number or extension as shown to the user
	PeerName   string
	Outcome    Outcome
	StartedAt  time.Time
	AnsweredAt time.Time // zero if not answered
	EndedAt    time.Time
}

// Orgs stores organisations.
type Orgs interface {
	CreateOrg(ctx context.Context, o Org) (Org, error)
	OrgByID(ctx context.Context, id int64) (Org, error)
	OrgByDomain(ctx context.Context, domain string) (Org, error)
	// DemoOrg returns the organisation marked Demo, or ErrNotFound.
	DemoOrg(ctx context.Context) (Org, error)
}

// Users stores users.
type Users interface {
	CreateUser(ctx context.Context, u User) (User, error)
	UpdateUser(ctx context.Context, u User) error
	UserByID(ctx context.Context, id int64) (User, error)
	UserByExtension(ctx context.Context, orgID int64, ext string) (User, error)
	// UserByNumber finds the user whose company or mobile number is the E.164 number.
	UserByNumber(ctx context.Context, orgID int64, e164 string) (User, error)
	ListUsers(ctx context.Context, orgID int64) ([]User, error)
}

// Registrations stores SIP bindings.
type Registrations interface {
	// PutBinding inserts or replaces the binding with the same (UserID, Contact).
	PutBinding(ctx context.Context, b Binding) error
	DeleteBinding(ctx context.Context, userID int64, contact string) error
	DeleteBindings(ctx context.Context, userID int64) error
	// Bindings returns the user's bindings that have not expired at now.
	Bindings(ctx context.Context, userID int64, now time.Time) ([]Binding, error)
	// AllBindings returns every unexpired binding (used to warm caches at start).
	AllBindings(ctx context.Context, now time.Time) ([]Binding, error)
	// PurgeExpired deletes bindings expired at now and returns how many.
	PurgeExpired(ctx context.Context, now time.Time) (int, error)
}

// CallLog stores call-log entries.
type CallLog interface {
	AddCall(ctx context.Context, c CallRecord) (CallRecord, error)
	// Calls returns a user's newest entries first, at most limit.
	Calls(ctx context.Context, userID int64, limit int) ([]CallRecord, error)
}

// Store is everything the server persists.
type Store interface {
	Orgs
	Users
	Registrations
	CallLog
	Close() error
}

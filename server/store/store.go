// Package store owns the server's persistent domain records — organisations, users, SIP
// registrations and call logs — and the interfaces a database implements. The SQLite
// implementation lives in store/sqlite; a PostgreSQL one will satisfy the same interfaces.
package store

import (
	"context"
	"errors"
	"time"
	_ "time/tzdata" // Org.Location works on machines without a zone database (a fresh container)
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
	ShowRoles   bool   // colleagues see each other's role (PRES-3: hidden by default)
	SMSSender   string // sender of the organisation's SMS when a user has no mobile number
	// Service numbers; "" means the defaults 9000 (voicemail access, VM-1) and 9001 (the
	// activity-change IVR, PRES-4).
	VoicemailNumber string
	ActivityNumber  string
	// TimeZone is an IANA zone name for office hours and presence end times; "" means
	// DefaultTimeZone. Use Location, which never fails.
	TimeZone string
	// Outside-call barring for everyone in the organisation (NF-1): international and
	// premium-rate destinations. Emergency numbers are never barred (CALL-10).
	BarInternational bool
	BarPremium       bool
	// Simultaneous outside calls on the trunk (NF-1, toll fraud); 0 = no limit. Emergency
	// calls never count against and are never refused by these limits.
	MaxOutsideCalls        int
	MaxOutsideCallsPerUser int
	// EmergencyNumbers are extra emergency numbers beyond 112, space-separated (CALL-10).
	EmergencyNumbers string
	// Floating licences of the add-on roles (ORG-2): at most this many users hold the role.
	AgentLicences      int
	SupervisorLicences int
	OperatorLicences   int
}

// DefaultTimeZone is the time zone of an organisation that did not set one.
const DefaultTimeZone = "Europe/Helsinki"

// Location returns the organisation's time zone: TimeZone, else DefaultTimeZone, else UTC
// (when the zone database is missing), so that callers never handle an error.
func (o Org) Location() *time.Location {
	for _, name := range []string{o.TimeZone, DefaultTimeZone} {
		if name == "" {
			continue
		}
		if loc, err := time.LoadLocation(name); err == nil {
			return loc
		}
	}
	return time.UTC
}

// The service numbers of an organisation that set none (VM-1, PRES-4).
const (
	DefaultVoicemailNumber = "9000"
	DefaultActivityNumber  = "9001"
)

// ServiceNumbers returns the organisation's voicemail access and activity-IVR numbers, the
// defaults where it set none.
func (o Org) ServiceNumbers() (voicemail, activity string) {
	voicemail, activity = o.VoicemailNumber, o.ActivityNumber
	if voicemail == "" {
		voicemail = DefaultVoicemailNumber
	}
	if activity == "" {
		activity = DefaultActivityNumber
	}
	return voicemail, activity
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
	Department    string
	Title         string
	Keywords      string // free search words, space-separated (DIR-1)
	Admin         bool   // may manage the organisation (org contacts, activities)
	// Digest credentials are stored as HA1 hashes (RFC 7616), never as the password.
	HA1MD5    string // hex MD5(username:realm:password), username = Extension
	HA1SHA256 string // hex SHA-256(username:realm:password)
	// PasswordHash is a slow hash (bcrypt) of the password for the HTTP API.
	PasswordHash string
	// Add-on roles held (ORG-2); each is a floating licence counted per organisation.
	Agent      bool
	Supervisor bool
	Operator   bool
	// Terminals is the user profile: the terminals the user may use, space-separated of
	// "softphone", "desk" and "mobile"; "" = all.
	Terminals string
	// BarOutside: the user may not call outside numbers at all, except emergency (CALL-10).
	BarOutside bool
	// BarInternational bars the user's international calls (on top of the organisation's).
	BarInternational bool
	// EmergencyArea is the emergency-centre area code sent with the user's 112 calls (CALL-10).
	EmergencyArea string
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
	// UpdateOrg replaces every field of the organisation with o.ID; ErrNotFound if missing.
	UpdateOrg(ctx context.Context, o Org) error
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

// Presence is a user's persisted presence (PRES-1…3). Online, idle and phone state are live
// and kept in memory by server/presence. A user without a record is Available in role Mobile.
type Presence struct {
	UserID    int64
	Activity  int // activity number (shared/presence)
	Role      int // shared/presence.Role
	Until     time.Time
	Note      string
	UpdatedAt time.Time
}

// Activity is an organisation's presence activity (PRES-1); see shared/presence for defaults.
type Activity struct {
	OrgID  int64
	Number int
	NameFI string
	NameSV string
	NameEN string
	Green  bool
}

// Contact is a personal contact (DIR-3, OwnerID = the user) or an organisation contact managed
// by admins (DIR-4, OwnerID = 0). An internal contact points at a user (UserID); an external one
// carries its own name and numbers.
type Contact struct {
	ID        int64
	OrgID     int64
	OwnerID   int64 // 0: organisation contact
	UserID    int64 // internal contact: the colleague; 0 for external
	Name      string
	Company   string
	Mobile    string // E.164
	Phone     string // E.164
	Email     string
	Favourite bool
	VIP       bool   // lets the caller past the away notice (AWAY-1)
	Groups    string // organisation contacts: space-separated group names that see it; "" = all
	Note      string
}

// Message is one instant message (IM-1). Delivered is set when a device of the recipient
// accepted it (2xx to SIP MESSAGE); undelivered messages wait for the recipient to register.
type Message struct {
	ID          int64
	OrgID       int64
	FromUserID  int64
	ToUserID    int64
	Body        string
	ContentType string // "text/plain" unless the sender said otherwise
	SentAt      time.Time
	DeliveredAt time.Time // zero until delivered
	ReadAt      time.Time // zero until the recipient read it in the Softphone
}

// Conversation summarises a user's messages with one peer, for the chat list.
type Conversation struct {
	PeerID int64
	Last   Message
	Unread int // messages from the peer not yet read
}

// SMS is one text message sent through the SMS gateway (SMS-1).
type SMS struct {
	ID         int64
	OrgID      int64
	UserID     int64
	From       string // sender shown to the recipient (number or alphanumeric)
	To         string // E.164
	Body       string
	Parts      int    // 160-character GSM parts (70 for UCS-2), what the carrier counts
	Status     string // "sent" or "failed: …"
	ProviderID string
	SentAt     time.Time
}

// VoicemailKind says what a mailbox item is (VM-6): a voice message, a recorded call or a fax.
type VoicemailKind string

const (
	VoiceMessage VoicemailKind = "voice"
	RecordedCall VoicemailKind = "recording"
	Fax          VoicemailKind = "fax" // Path is a PDF
)

// Voicemail is one item in a user's mailbox (VM-1…6). The audio (or PDF) lives on disk under
// the mailbox root; the record points at it by a path relative to that root.
type Voicemail struct {
	ID         int64
	OrgID      int64
	UserID     int64         // the mailbox owner
	Kind       VoicemailKind // "" is stored as VoiceMessage
	Caller     string        // the caller's number or extension as shown to the user; "" if withheld
	CallerName string
	ReceivedAt time.Time
	Duration   time.Duration
	Path       string // relative to the mailbox root, slash-separated, e.g. "12/m-20261122T051600.000Z-1a2b3c4d-+358401234567.wav"
	Heard      bool   // false: a new message (counts for message-waiting)
	HeardAt    time.Time
	Urgent     bool
}

// VoicemailNotify says how a user hears of a new message (VM-4); SMS is the default.
type VoicemailNotify string

const (
	NotifySMS   VoicemailNotify = "sms"
	NotifyEmail VoicemailNotify = "email"
	NotifyBoth  VoicemailNotify = "both"
)

// VoicemailSettings are a user's voicemail options (VM-3, VM-4, VM-5). A user who never
// saved settings gets DefaultVoicemailSettings.
type VoicemailSettings struct {
	UserID  int64
	Enabled bool   // false: no voicemail (the "No voicemail" group also turns it off)
	PINHash string // bcrypt of the mailbox PIN (server/auth.HashPassword); "" = no PIN set
	// GreetingPath is the user's own greeting relative to the mailbox root; "" = generated default.
	GreetingPath     string
	Notify           VoicemailNotify
	AnnounceActivity bool   // the greeting announces a red activity and its end time
	CustomerService  string // E.164 number offered with "press 1"; "" = not offered
	OfferBypass      bool   // "press 2 to reach the person anyway" when a rule sent the call here
	UpdatedAt        time.Time
}

// DefaultVoicemailSettings are the settings of a user who never changed them: voicemail on,
// notification by SMS, the red activity announced to callers (PRES-6), everything else off.
func DefaultVoicemailSettings(userID int64) VoicemailSettings {
	return VoicemailSettings{UserID: userID, Enabled: true, Notify: NotifySMS, AnnounceActivity: true}
}

// Presences stores presence.
type Presences interface {
	// Presence returns the user's record, or ErrNotFound when never set.
	Presence(ctx context.Context, userID int64) (Presence, error)
	PutPresence(ctx context.Context, p Presence) error
	// OrgPresences returns every record of the organisation's users.
	OrgPresences(ctx context.Context, orgID int64) ([]Presence, error)
	// Activities returns the organisation's activities ordered by number; an organisation
	// that never changed them gets shared/presence.DefaultActivities.
	Activities(ctx context.Context, orgID int64) ([]Activity, error)
	// PutActivity adds or renames the activity with the same (OrgID, Number).
	PutActivity(ctx context.Context, a Activity) error
}

// Contacts stores personal and organisation contacts.
type Contacts interface {
	CreateContact(ctx context.Context, c Contact) (Contact, error)
	// UpdateContact replaces the contact with c.ID; ErrNotFound unless it has the same owner.
	UpdateContact(ctx context.Context, c Contact) error
	DeleteContact(ctx context.Context, ownerID, id int64) error
	// ContactsOf returns the user's personal contacts (ownerID > 0) or, with ownerID 0, the
	// organisation's contacts.
	ContactsOf(ctx context.Context, orgID, ownerID int64) ([]Contact, error)
}

// Messages stores instant messages.
type Messages interface {
	AddMessage(ctx context.Context, m Message) (Message, error)
	MarkDelivered(ctx context.Context, id int64, at time.Time) error
	// Undelivered returns the messages waiting for the user, oldest first.
	Undelivered(ctx context.Context, toUserID int64) ([]Message, error)
	// History returns messages between two users, newest first, with ID < beforeID when
	// beforeID > 0, at most limit.
	History(ctx context.Context, userA, userB, beforeID int64, limit int) ([]Message, error)
	// Conversations returns the user's conversations, most recent first.
	Conversations(ctx context.Context, userID int64) ([]Conversation, error)
	// MarkRead marks every message from peer to user as read at at.
	MarkRead(ctx context.Context, userID, peerID int64, at time.Time) error
}

// SMSLog stores sent SMS and counts them per organisation.
type SMSLog interface {
	AddSMS(ctx context.Context, s SMS) (SMS, error)
	// SMSCount returns how many SMS parts the organisation sent since (inclusive).
	SMSCount(ctx context.Context, orgID int64, since time.Time) (int, error)
}

// Voicemails stores mailbox records and per-user voicemail settings. It stores records only;
// server/voicemail owns the files and the order of writes (file first, then record).
type Voicemails interface {
	// AddVoicemail records a mailbox item and returns it with its ID; a zero ReceivedAt is now.
	// ErrConflict if another record already has the same Path.
	AddVoicemail(ctx context.Context, v Voicemail) (Voicemail, error)
	// Voicemail returns one of the user's items; ErrNotFound if it is not theirs.
	Voicemail(ctx context.Context, userID, id int64) (Voicemail, error)
	// Voicemails returns the user's items, newest first.
	Voicemails(ctx context.Context, userID int64) ([]Voicemail, error)
	// MarkHeard sets or clears the heard flag of the user's item; ErrNotFound if not theirs.
	MarkHeard(ctx context.Context, userID, id int64, heard bool, at time.Time) error
	// DeleteVoicemail removes the user's item and returns its Path so that the caller can
	// remove the file; ErrNotFound if not theirs.
	DeleteVoicemail(ctx context.Context, userID, id int64) (string, error)
	// VoicemailCounts returns how many of the user's voice messages are new (unheard) and old.
	VoicemailCounts(ctx context.Context, userID int64) (newCount, oldCount int, err error)
	// VoicemailPaths returns the Path of every record, for reconciling files after a crash.
	VoicemailPaths(ctx context.Context) ([]string, error)
	// VoicemailSettings returns the user's settings, DefaultVoicemailSettings when never saved.
	VoicemailSettings(ctx context.Context, userID int64) (VoicemailSettings, error)
	// PutVoicemailSettings saves every field of the user's settings.
	PutVoicemailSettings(ctx context.Context, vs VoicemailSettings) error
}

// Store is everything the server persists.
type Store interface {
	Orgs
	Users
	Registrations
	CallLog
	Presences
	Contacts
	Messages
	SMSLog
	Voicemails
	Forwardings
	NumberPool
	Provisioning
	Audit
	GroupStore
	Close() error
}

// DID is a number of the organisation's number pool reached from the trunk (ORG-1). Numbers
// are globally unique: an inbound call to Number reaches OrgID.
type DID struct {
	OrgID     int64
	Number    string // E.164, unique across organisations
	Extension string // target extension; "" = an unassigned pool number
	Note      string
}

// NumberPool stores the organisations' DIDs.
type NumberPool interface {
	// PutDID inserts or updates the DID; ErrConflict if another organisation owns the number.
	PutDID(ctx context.Context, d DID) error
	// DeleteDID removes the organisation's DID; ErrNotFound if it does not own the number.
	DeleteDID(ctx context.Context, orgID int64, number string) error
	// DIDByNumber finds a DID in any organisation (for inbound trunk calls).
	DIDByNumber(ctx context.Context, number string) (DID, error)
	// ListDIDs returns the organisation's DIDs ordered by number.
	ListDIDs(ctx context.Context, orgID int64) ([]DID, error)
}

// Provisioning creates and removes whole records (the CLI and the admin API).
type Provisioning interface {
	// DeleteUser removes the organisation's user and everything of theirs (bindings, call log,
	// presence, contacts, messages, voicemail records, settings); ErrNotFound if the user is
	// not in that organisation. Voicemail files on disk are the caller's to remove.
	DeleteUser(ctx context.Context, orgID, userID int64) error
	// ListOrgs returns every organisation ordered by ID.
	ListOrgs(ctx context.Context) ([]Org, error)
}

// AuditEntry is one admin change (ORG-2, issue 9): who did what, when, old → new. Old and New
// never hold secrets: a changed password is written as "(changed)".
type AuditEntry struct {
	ID      int64
	OrgID   int64
	ActorID int64  // the admin user; 0 for the CLI
	Actor   string // the actor as shown, e.g. the extension or "cli"
	At      time.Time
	Action  string // e.g. "user.create", "org.update"
	Target  string // what was changed, e.g. "user 1001"
	Old     string
	New     string
}

// Audit stores the audit log.
type Audit interface {
	// AddAudit appends an entry and returns it with its ID.
	AddAudit(ctx context.Context, e AuditEntry) (AuditEntry, error)
	// ListAudit returns the organisation's entries, newest first, at most limit (<= 0: 100).
	ListAudit(ctx context.Context, orgID int64, limit int) ([]AuditEntry, error)
}

// Forwarding targets (ROUTE-2, PRES-5): a target is ForwardVoicemail, ForwardNone or a number
// (an extension or an E.164 number).
const (
	ForwardVoicemail = "voicemail" // the user's voicemail ("" means the same)
	ForwardNone      = "none"      // no forwarding: the caller hears busy / unavailable
)

// DefaultRingTime is how long a user's devices ring before the no-answer forwarding applies.
const DefaultRingTime = 20 * time.Second

// Forwarding is a user's personal call routing (ROUTE-1, ROUTE-2, PRES-5). The zero value (of a
// user who never saved it) sends busy, unanswered and unreachable calls to voicemail, red
// activities' calls to the company number to voicemail, and rings for DefaultRingTime.
type Forwarding struct {
	UserID int64
	// Immediate forwards every call to the user's own numbers (987<number>); "" = off.
	Immediate   string
	Busy        string // target when every device is busy; "" = voicemail
	NoAnswer    string // target after RingTime; "" = voicemail
	Unreachable string // target when no device is registered; "" = voicemail
	RingTime    time.Duration
	// Activities binds activities to targets ("activity routing"): activity number → target.
	// A red activity not listed sends calls to the company number to voicemail.
	Activities map[int]string
	// Hours are the user's office hours (ROUTE-3); nil: none, every time is office time.
	Hours     *OfficeHours
	UpdatedAt time.Time
}

// OfficeHours are the times a user takes calls to their company number; outside them such
// calls go to Outside (ROUTE-3, time of day).
type OfficeHours struct {
	Days  [7]bool // by time.Weekday: Days[time.Monday] …
	Start int     // minutes after midnight, local time
	End   int     // minutes after midnight, after Start
	// Outside is the target outside the hours: "" (voicemail), ForwardNone (ring as usual)
	// or a number.
	Outside string
}

// In reports whether t (in the time zone the hours are kept in) is within the office hours.
func (h OfficeHours) In(t time.Time) bool {
	m := t.Hour()*60 + t.Minute()
	return h.Days[t.Weekday()] && m >= h.Start && m < h.End
}

// Ring returns RingTime, or DefaultRingTime when unset.
func (f Forwarding) Ring() time.Duration {
	if f.RingTime <= 0 {
		return DefaultRingTime
	}
	return f.RingTime
}

// Forwardings stores personal call routing.
type Forwardings interface {
	// Forwarding returns the user's routing, Forwarding{UserID: id} when never saved.
	Forwarding(ctx context.Context, userID int64) (Forwarding, error)
	// PutForwarding saves every field of the user's routing.
	PutForwarding(ctx context.Context, f Forwarding) error
}

package api

import "time"

// Presence and directory (PRES-1…3, DIR-1…2):
//
//	GET  /api/activities             → ActivityList (the organisation's activities)
//	PUT  /api/activities/{number}    Activity → Activity (admins: add or rename; 400 bad
//	                                 definition, 403 not an admin)
//	GET  /api/presence               → PresenceList (every colleague, own entry included)
//	PUT  /api/presence               PresenceUpdate → Presence (own presence; 400 Error with the
//	                                 reason: "unknown activity 42", "unknown role 9", "note longer
//	                                 than 500 characters", "end time is in the past", "invalid time …")
//	GET  /api/directory?q=terms&limit=N → Directory (all users when q is empty; q ≤ 200 characters)
//	GET  /api/events                 → text/event-stream of Event (live presence, directory,
//	                                 contacts and messages; 429 beyond 10 streams per user)
//
// Own directory entry (DIR-1):
//
//	PUT  /api/me                     ProfileUpdate → Profile (400 for a bad field)
//
// Contacts (DIR-3, DIR-4):
//
//	GET    /api/contacts             → ContactList (own personal contacts + visible org contacts)
//	POST   /api/contacts             Contact → Contact (personal; Org=true needs an admin: 403)
//	PUT    /api/contacts/{id}        Contact → Contact (404 unless the user's, 403 org non-admin)
//	DELETE /api/contacts/{id}        → 204
//
// Name is required unless UserID names a colleague (whose name and numbers are then shown);
// numbers are normalised to E.164 (400 when not a phone number); fields are length-bounded (400).
//
// Instant messages (IM-1) travel as SIP MESSAGE; the API serves history and read marks:
//
//	GET  /api/conversations          → ConversationList
//	GET  /api/messages?with=EXT&before=ID&limit=N → MessageList (newest first; 404 unknown EXT)
//	POST /api/messages               SendMessage → Message (for web clients; delivered by SIP;
//	                                 404 unknown recipient, 400 empty or over 8 KiB)
//	POST /api/messages/read          MarkRead → 204
//
// SMS (SMS-1):
//
//	GET  /api/sms/usage              → SMSUsage (admins; 403 otherwise)
//	POST /api/sms                    SendSMS → SMS (400 for a bad number or empty text, 502 when
//	                                 the gateway fails, 503 when no gateway is configured, 429
//	                                 when the sender or the organisation reached its limit —
//	                                 by default 30 per user and 300 per organisation in any
//	                                 hour; the error says which and when to retry, and
//	                                 Retry-After gives the seconds)

// Activity is one presence activity.
type Activity struct {
	Number int    `json:"number"`
	Name   string `json:"name"` // in the user's language
	NameFI string `json:"name_fi"`
	NameSV string `json:"name_sv"`
	NameEN string `json:"name_en"`
	Green  bool   `json:"green"`
}

// ActivityList is the response of GET /api/activities.
type ActivityList struct {
	Activities []Activity `json:"activities"`
}

// Presence is one user's presence as colleagues see it.
type Presence struct {
	UserID       int64      `json:"user_id"`
	Extension    string     `json:"extension"`
	Activity     int        `json:"activity"`
	ActivityName string     `json:"activity_name"` // in the requesting user's language
	Green        bool       `json:"green"`
	Role         int        `json:"role,omitempty"` // 0 when the organisation hides roles
	Until        *time.Time `json:"until,omitempty"`
	Note         string     `json:"note,omitempty"`
	Online       bool       `json:"online"` // has a registered device (IM reachable)
	Idle         bool       `json:"idle"`   // online but not using the computer
	Phone        string     `json:"phone"`  // shared/presence.PhoneState: idle, ringing, on-call, dialling
	UpdatedAt    time.Time  `json:"updated_at"`
}

// PresenceList is the response of GET /api/presence.
type PresenceList struct {
	Presence []Presence `json:"presence"`
}

// PresenceUpdate changes the caller's own presence; nil fields stay as they are. ClearUntil
// removes the end time.
type PresenceUpdate struct {
	Activity   *int       `json:"activity,omitempty"`
	Role       *int       `json:"role,omitempty"`
	Until      *time.Time `json:"until,omitempty"`
	ClearUntil bool       `json:"clear_until,omitempty"`
	Note       *string    `json:"note,omitempty"`
	Idle       *bool      `json:"idle,omitempty"`
}

// DirectoryEntry is one colleague in the company directory (DIR-1).
type DirectoryEntry struct {
	UserID        int64    `json:"user_id"`
	Name          string   `json:"name"`
	Extension     string   `json:"extension"`
	CompanyNumber string   `json:"company_number,omitempty"`
	MobileNumber  string   `json:"mobile_number,omitempty"`
	Email         string   `json:"email,omitempty"`
	Department    string   `json:"department,omitempty"`
	Title         string   `json:"title,omitempty"`
	Keywords      string   `json:"keywords,omitempty"`
	Presence      Presence `json:"presence"`
}

// Directory is the response of GET /api/directory.
type Directory struct {
	Entries []DirectoryEntry `json:"entries"`
}

// Event is one server-sent event on /api/events (the SSE "event:" field is Type, "data:" the
// JSON of Event). The stream starts with a "hello" event; ": ping" comments keep it alive.
type Event struct {
	Type     string          `json:"type"`               // hello, presence, directory, contacts, message, voicemail
	Presence *Presence       `json:"presence,omitempty"` // type presence
	Entry    *DirectoryEntry `json:"entry,omitempty"`    // type directory: a user added or changed
	Message  *Message        `json:"message,omitempty"`  // type message: stored for this user
	// Voicemail: type voicemail, the user's mailbox counts after a change.
	Voicemail *VoicemailCounts `json:"voicemail,omitempty"`
	// Agent: type agent (EventAgent), the user's agent view after any change (agent.go).
	Agent *AgentView `json:"agent,omitempty"`
	// Queue: type queue (EventQueue), a queue's statistics for its supervisors.
	Queue *QueueStats `json:"queue,omitempty"`
	// Parked: type parked (EventParked), the organisation's parked calls after any change.
	Parked *ParkedCalls `json:"parked,omitempty"`
	// CampOn: type campon (EventCampOn), how many callers are camped on a colleague now.
	CampOn *CampOnWaiting `json:"campon,omitempty"`
}

// Contact is a personal (DIR-3) or organisation (DIR-4) contact.
type Contact struct {
	ID        int64  `json:"id,omitempty"`
	Org       bool   `json:"org,omitempty"`     // organisation contact, managed by admins
	UserID    int64  `json:"user_id,omitempty"` // internal contact: the colleague
	Name      string `json:"name"`
	Company   string `json:"company,omitempty"`
	Mobile    string `json:"mobile,omitempty"` // any form in requests; E.164 in responses
	Phone     string `json:"phone,omitempty"`
	Email     string `json:"email,omitempty"`
	Favourite bool   `json:"favourite,omitempty"`
	VIP       bool   `json:"vip,omitempty"`
	Groups    string `json:"groups,omitempty"`
	Note      string `json:"note,omitempty"`
}

// ContactList is the response of GET /api/contacts.
type ContactList struct {
	Contacts []Contact `json:"contacts"`
}

// Message is one instant message.
type Message struct {
	ID          int64      `json:"id"`
	From        string     `json:"from"` // extension
	To          string     `json:"to"`   // extension
	Body        string     `json:"body"`
	SentAt      time.Time  `json:"sent_at"`
	DeliveredAt *time.Time `json:"delivered_at,omitempty"`
	ReadAt      *time.Time `json:"read_at,omitempty"`
}

// MessageList is the response of GET /api/messages.
type MessageList struct {
	Messages []Message `json:"messages"`
}

// Conversation is one entry of the chat list.
type Conversation struct {
	With     string  `json:"with"` // the peer's extension
	WithName string  `json:"with_name"`
	Last     Message `json:"last"`
	Unread   int     `json:"unread"`
}

// ConversationList is the response of GET /api/conversations.
type ConversationList struct {
	Conversations []Conversation `json:"conversations"`
}

// SendMessage is the body of POST /api/messages.
type SendMessage struct {
	To   string `json:"to"` // extension or number of a colleague
	Body string `json:"body"`
}

// MarkRead is the body of POST /api/messages/read.
type MarkRead struct {
	With string `json:"with"` // the peer's extension
}

// SendSMS is the body of POST /api/sms.
type SendSMS struct {
	To   string `json:"to"` // mobile number in any form (ORG-3)
	Text string `json:"text"`
}

// SMS is a sent text message.
type SMS struct {
	ID     int64     `json:"id"`
	From   string    `json:"from"`
	To     string    `json:"to"`
	Text   string    `json:"text"`
	Parts  int       `json:"parts"`
	SentAt time.Time `json:"sent_at"`
}

// Event types of /api/events.
const (
	EventHello     = "hello"
	EventPresence  = "presence"
	EventDirectory = "directory" // Entry: a colleague was added or changed
	EventContacts  = "contacts"  // the user's contacts (or the organisation's) changed: reload them
	EventMessage   = "message"   // Message: sent by or to the user through the API
)

// SMSUsage is the response of GET /api/sms/usage (administrators): SMS parts the organisation
// sent since the start of the month (UTC) and in all.
type SMSUsage struct {
	Since time.Time `json:"since"`
	Parts int       `json:"parts"`
	Total int       `json:"total"`
}

// ProfileUpdate is the body of PUT /api/me: the user's own directory fields (DIR-1); nil
// fields stay as they are. The change reaches colleagues as a directory event.
type ProfileUpdate struct {
	Email      *string `json:"email,omitempty"`
	Department *string `json:"department,omitempty"`
	Title      *string `json:"title,omitempty"`
	Keywords   *string `json:"keywords,omitempty"`
	Language   *string `json:"language,omitempty"` // fi, sv or en
}

package store

import (
	"context"
	"time"
)

// Groups (SPEC section 6): customer-service queues (GRP-1…9), hunt groups (GRP-11) and IVR
// menus (GRP-10). Each belongs to one organisation and answers one number: a DID from the
// organisation's number pool, or a test number 8000–8099 reachable only from inside the
// organisation. A number is either a user's, a group's or a menu's, never two of them.

// Group kinds.
type GroupKind string

const (
	KindQueue GroupKind = "queue" // customer-service group (ACD)
	KindHunt  GroupKind = "hunt"  // hunt group
	KindMenu  GroupKind = "menu"  // IVR menu
)

// Devices that ring for a group call (GRP-4, GRP-11); several ring together. The zero value
// rings every registered device of the member.
type Devices struct {
	Softphone bool // the Softphone (desktop) registrations
	Desk      bool // IP desk phones
	Mobile    bool // the member's mobile number through the trunk
}

// All reports whether no device was chosen, which means every device rings.
func (d Devices) All() bool { return !d.Softphone && !d.Desk && !d.Mobile }

// ShowNumber is what a member sees as the caller of a group call (GRP-1).
type ShowNumber string

const (
	ShowCaller      ShowNumber = ""             // the caller's number (default)
	ShowGroupNumber ShowNumber = "group"        // the group's number
	ShowCallerAffix ShowNumber = "caller-affix" // the caller with Affix prepended or appended
)

// Overflow says where a call goes when a limit is reached (GRP-2, GRP-8): a number (a user's
// extension, another group's number, an outside number on the organisation's authority),
// "voicemail:<ext>", or "" = the caller hears busy and the call ends.
type Overflow = string

// Queue is a customer-service group with every setting an administrator can set (seed 003).
// Durations of 0 mean "off"/"none" unless said otherwise.
type Queue struct {
	ID     int64
	OrgID  int64
	Name   string
	Number string // extension-like number the group answers, e.g. "8000", or an E.164 DID
	// General (GRP-1).
	BillingID     string
	HideFromDir   bool
	PresentNumber bool       // members may present the group number on outgoing calls
	Show          ShowNumber // what a member sees
	Affix         string     // e.g. "1*"; with AffixSuffix false it is a prefix
	AffixSuffix   bool

	// Queue limits (GRP-2) and overflow targets (GRP-8).
	MaxWait            time.Duration // per-call time overflow; 0 = no maximum
	MaxWaitTarget      Overflow
	MaxQueued          int           // rush: the queue closes to new calls at this length; 0 = no limit
	RushReopen         int           // rush hysteresis: reopens when the length falls to this; 0 = MaxQueued-1
	RushMaxWait        time.Duration // rush also while the longest wait exceeds this; 0 = off
	RushTarget         Overflow
	MaxRingAttempts    int // no-answer overflow after ring time × attempts; 0 = unlimited
	NoAnswerTarget     Overflow
	NoAgentsTarget     Overflow // no agent logged in (or none available, if NoAgentsIfNoneFree)
	NoAgentsIfNoneFree bool

	// Distribution (GRP-4).
	RedStops        bool // a red presence activity stops calls to a logged-in agent
	LongestIdle     bool // equal skill: longest idle first; false: random
	Devices         Devices
	RingAtOnce      int           // agents rung at once; 0 or 1 = one at a time
	WrapUp          time.Duration // after each call, shared across every queue of the agent
	RingTime        time.Duration // per agent; 0 = 20 s
	AutoLogoutAfter int           // unanswered offers in a row; 0 = never

	// Announcements (GRP-5): prompt names (per-org prompts or generated), "" = none/default.
	EntryPrompt       string
	Music             string // "" = the built-in hold music
	ProgressPrompt    string
	ProgressEvery     time.Duration // 0 = no progress announcements
	RingbackOnConnect bool
	SayPosition       bool
	SayEstimate       bool

	// Callback (GRP-6).
	Callback            bool
	CallbackRingTime    time.Duration // ring time of a callback attempt to the caller
	CallbackAttempts    int
	CallbackValidity    time.Duration
	CallbackText        string        // shown to the agent
	CallbackAgentPrompt string        // played to the agent
	CallbackOfferPrompt string        // offered to the caller; "" = default
	OfferAfterOpen      time.Duration // the group has been open this long
	OfferQueuedOver     int           // more than N calls queued; 0 = off
	OfferLongestOver    time.Duration // longest wait over; 0 = off
	OfferEstimateOver   time.Duration // estimated wait over; 0 = off
	StopBeforeClose     time.Duration // stop offering this long before closing; 0 = until close

	// Opening hours and night mode (GRP-7, GRP-8 night overflow).
	Hours       *OfficeHours // nil: always open (Outside unused; NightTarget applies)
	NightManual bool         // manual night switch on
	NightTarget Overflow

	Supervisors []int64 // user IDs
	Members     []QueueMember
}

// QueueMember is an agent of a queue (GRP-3).
type QueueMember struct {
	UserID int64
	Order  int // ring order, 1 first; 0 = unordered (rings after every ordered member)
	Skill  int // 1 best … 3; 0 means 3
}

// AgentLogin is an agent's membership state in one queue: logged in or out, durable so a
// restart keeps it. Pause is per agent (all queues) and lives in the queue engine.
type AgentLogin struct {
	QueueID  int64
	UserID   int64
	LoggedIn bool
	At       time.Time
}

// HuntMode is how a hunt group rings its members (GRP-11).
type HuntMode string

const (
	HuntParallel HuntMode = "parallel"
	HuntSerial   HuntMode = "serial"
	HuntRandom   HuntMode = "random"
)

// HuntGroup rings its members in parallel, in order or at random (GRP-11).
type HuntGroup struct {
	ID       int64
	OrgID    int64
	Name     string
	Number   string
	Mode     HuntMode
	Members  []int64 // user IDs, in ring order
	Devices  Devices
	RingTime time.Duration // per member (serial/random) or for all (parallel); 0 = 20 s
	// StopActivities are activity numbers that stop group calls to a member; StopRed stops
	// calls to members with any red activity (presence rule).
	StopActivities []int
	StopRed        bool
	Attempts       int      // rounds before forwarding; 0 = 1
	AfterTarget    Overflow // after the attempts; "" = busy
	BeforePrompt   string   // played to the caller before ringing
	AfterPrompt    string   // played before forwarding to AfterTarget
	Hours          *OfficeHours
	NightTarget    Overflow
	HideFromDir    bool
}

// Menu is an IVR menu (GRP-10): it plays Prompt and sends each key to a number (a user, a
// group, another menu) or back to itself ("" = replay).
type Menu struct {
	ID      int64
	OrgID   int64
	Name    string
	Number  string
	Prompt  string            // prompt name; "" = generated from Options
	Options map[string]string // key "0"…"9", "*", "#" → number
	Timeout time.Duration     // no key: 0 = 5 s
	// Repeats: the menu is replayed this many times after a timeout or an invalid key before
	// TimeoutTarget / InvalidTarget; 0 = 2.
	Repeats       int
	TimeoutTarget Overflow
	InvalidTarget Overflow
	Hours         *OfficeHours
	NightTarget   Overflow
}

// CallbackState is where a callback request stands.
type CallbackState string

const (
	CallbackWaiting  CallbackState = "waiting"  // holding its place in the queue
	CallbackCalling  CallbackState = "calling"  // being placed
	CallbackDone     CallbackState = "done"     // connected to an agent
	CallbackExpired  CallbackState = "expired"  // validity ran out or attempts used up
	CallbackCanceled CallbackState = "canceled" // by a supervisor or the caller
)

// Callback is a caller's request to be called back (GRP-6). It keeps the caller's place: its
// Queued time is when the caller entered the queue, not when the request was made, so it is
// offered to agents in the same order as the waiting callers. Callbacks are durable: they
// survive a restart.
type Callback struct {
	ID        int64
	OrgID     int64
	QueueID   int64
	Number    string // the number to call back (E.164 or an extension)
	Name      string
	Queued    time.Time // when the caller entered the queue (the place kept)
	Expires   time.Time
	Attempts  int // made so far
	State     CallbackState
	UpdatedAt time.Time
}

// QueueCall is one finished queue call, for statistics and wait estimates (GRP-9).
type QueueCall struct {
	ID       int64
	OrgID    int64
	QueueID  int64
	Caller   string
	AgentID  int64 // 0 when not answered
	Entered  time.Time
	Answered time.Time // zero when not answered
	Ended    time.Time
	Outcome  string // "answered", "abandoned", "overflow", "callback"
}

// GroupStore stores groups, agent logins, callbacks and finished queue calls. Every method
// takes the organisation: a group of another organisation is ErrNotFound.
type GroupStore interface {
	CreateQueue(ctx context.Context, q Queue) (Queue, error)
	UpdateQueue(ctx context.Context, q Queue) error
	Queue(ctx context.Context, orgID, id int64) (Queue, error)
	Queues(ctx context.Context, orgID int64) ([]Queue, error)
	DeleteQueue(ctx context.Context, orgID, id int64) error

	CreateHuntGroup(ctx context.Context, h HuntGroup) (HuntGroup, error)
	UpdateHuntGroup(ctx context.Context, h HuntGroup) error
	HuntGroup(ctx context.Context, orgID, id int64) (HuntGroup, error)
	HuntGroups(ctx context.Context, orgID int64) ([]HuntGroup, error)
	DeleteHuntGroup(ctx context.Context, orgID, id int64) error

	CreateMenu(ctx context.Context, m Menu) (Menu, error)
	UpdateMenu(ctx context.Context, m Menu) error
	Menu(ctx context.Context, orgID, id int64) (Menu, error)
	Menus(ctx context.Context, orgID int64) ([]Menu, error)
	DeleteMenu(ctx context.Context, orgID, id int64) error

	// GroupByNumber finds what answers number in the organisation: kind and ID, or ErrNotFound.
	GroupByNumber(ctx context.Context, orgID int64, number string) (GroupKind, int64, error)

	PutAgentLogin(ctx context.Context, orgID int64, l AgentLogin) error
	AgentLogins(ctx context.Context, orgID int64) ([]AgentLogin, error)

	AddCallback(ctx context.Context, c Callback) (Callback, error)
	UpdateCallback(ctx context.Context, c Callback) error
	// OpenCallbacks returns the waiting and calling callbacks of every organisation (restart).
	OpenCallbacks(ctx context.Context) ([]Callback, error)

	AddQueueCall(ctx context.Context, c QueueCall) (QueueCall, error)
	// QueueCalls returns the queue's finished calls that entered at or after since, oldest first.
	QueueCalls(ctx context.Context, orgID, queueID int64, since time.Time) ([]QueueCall, error)
}

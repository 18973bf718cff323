package api

// Groups in the admin API (GRP-1…11), for administrators of the organisation like every
// /api/admin route (401, 403, another organisation's group is 404):
//
//	GET    /api/admin/queues              → AdminQueueList (ordered by name)
//	POST   /api/admin/queues              AdminQueue → 201 AdminQueue
//	GET    /api/admin/queues/{id}         → AdminQueue
//	PUT    /api/admin/queues/{id}         AdminQueue → AdminQueue (replaces every setting: GET, change, PUT)
//	DELETE /api/admin/queues/{id}         → 204 (its logins, callbacks and statistics go too)
//	GET    /api/admin/hunt-groups         → AdminHuntGroupList
//	POST   /api/admin/hunt-groups         AdminHuntGroup → 201 AdminHuntGroup
//	GET|PUT|DELETE /api/admin/hunt-groups/{id}
//	GET    /api/admin/menus               → AdminMenuList
//	POST   /api/admin/menus               AdminMenu → 201 AdminMenu
//	GET|PUT|DELETE /api/admin/menus/{id}
//
// Rules (400 malformed, 409 against the organisation):
//   - number: a test number 8000–8099 (reachable only from inside the organisation) or an
//     unassigned number of the organisation's pool, in any form (answered in E.164); a number is
//     one user's, group's or menu's, never two (409 names who has it);
//   - queue members must hold the agent role (or the operator role: switchboard queues) and
//     supervisors the supervisor role (ORG-2, floating licences): 409 otherwise; skill 1 (best)
//     to 3, 0 = 3; order 0 = unordered (rings after the ordered members);
//   - targets (overflow, night, menu keys): "" (busy; for a menu key: replay), an extension,
//     another group's or menu's number, a service number, an outside number (E.164) or
//     "voicemail:<extension>"; never the group's own number;
//   - menu keys are 0–9, * and #;
//   - durations are whole seconds, non-negative, with maxima: waits 24 h, ring times 5 min,
//     wrap-up 1 h, progress 1 h, callback validity 7 days, offer-after-open and
//     stop-before-close 1440 min (86400 s), menu timeout 60 s. Callback switched on with ring
//     time, attempts or validity 0 gets 30 s, 3 and 4 h.
//
// Every change writes an AuditEntry (actions queue.*, hunt.*, menu.*).

// Devices that ring for a group call; empty = every device of the member.
const (
	DeviceSoftphone = "softphone"
	DeviceDesk      = "desk"
	DeviceMobile    = "mobile"
)

// GroupMember is a member of a queue or hunt group. Extension and Name are answered only.
type GroupMember struct {
	UserID    int64  `json:"user_id"`
	Extension string `json:"extension,omitempty"`
	Name      string `json:"name,omitempty"`
	Order     int    `json:"order,omitempty"` // queues: ring order, 1 first; 0 = unordered
	Skill     int    `json:"skill,omitempty"` // queues: 1 best … 3
}

// GroupHours are a group's opening hours (GRP-7); outside them calls go to the night target.
// Outside of OfficeHours is not used.
type GroupHours = OfficeHours

// AdminQueue is a customer-service queue with every setting of seed 003.
type AdminQueue struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Number string `json:"number"`
	// General (GRP-1).
	BillingID         string `json:"billing_id,omitempty"`
	HideFromDirectory bool   `json:"hide_from_directory"`
	PresentNumber     bool   `json:"present_number"` // members may show the group number on outgoing calls
	Show              string `json:"show"`           // "" the caller, "group" the group number, "caller-affix"
	Affix             string `json:"affix,omitempty"`
	AffixSuffix       bool   `json:"affix_suffix"`
	// Limits and overflow (GRP-2, GRP-8).
	MaxWaitSec         int    `json:"max_wait_s"`
	MaxWaitTarget      string `json:"max_wait_target,omitempty"`
	MaxQueued          int    `json:"max_queued"`
	RushReopen         int    `json:"rush_reopen"`
	RushMaxWaitSec     int    `json:"rush_max_wait_s"`
	RushTarget         string `json:"rush_target,omitempty"`
	MaxRingAttempts    int    `json:"max_ring_attempts"`
	NoAnswerTarget     string `json:"no_answer_target,omitempty"`
	NoAgentsTarget     string `json:"no_agents_target,omitempty"`
	NoAgentsIfNoneFree bool   `json:"no_agents_if_none_free"`
	// Distribution (GRP-4).
	RedStops        bool     `json:"red_stops"`
	LongestIdle     bool     `json:"longest_idle"`
	Devices         []string `json:"devices"`
	RingAtOnce      int      `json:"ring_at_once"`
	WrapUpSec       int      `json:"wrap_up_s"`
	RingTimeSec     int      `json:"ring_time_s"`
	AutoLogoutAfter int      `json:"auto_logout_after"`
	// Announcements (GRP-5).
	EntryPrompt       string `json:"entry_prompt,omitempty"`
	Music             string `json:"music,omitempty"`
	ProgressPrompt    string `json:"progress_prompt,omitempty"`
	ProgressEverySec  int    `json:"progress_every_s"`
	RingbackOnConnect bool   `json:"ringback_on_connect"`
	SayPosition       bool   `json:"say_position"`
	SayEstimate       bool   `json:"say_estimate"`
	// Callback (GRP-6).
	Callback             bool   `json:"callback"`
	CallbackRingTimeSec  int    `json:"callback_ring_time_s"`
	CallbackAttempts     int    `json:"callback_attempts"`
	CallbackValiditySec  int    `json:"callback_validity_s"`
	CallbackText         string `json:"callback_text,omitempty"`
	CallbackAgentPrompt  string `json:"callback_agent_prompt,omitempty"`
	CallbackOfferPrompt  string `json:"callback_offer_prompt,omitempty"`
	OfferAfterOpenSec    int    `json:"offer_after_open_s"`
	OfferQueuedOver      int    `json:"offer_queued_over"`
	OfferLongestOverSec  int    `json:"offer_longest_over_s"`
	OfferEstimateOverSec int    `json:"offer_estimate_over_s"`
	StopBeforeCloseSec   int    `json:"stop_before_close_s"`
	// Opening hours and night mode (GRP-7).
	Hours       *GroupHours `json:"hours,omitempty"`
	NightManual bool        `json:"night_manual"`
	NightTarget string      `json:"night_target,omitempty"`
	// Members and supervisors (GRP-3).
	Members     []GroupMember `json:"members"`
	Supervisors []GroupMember `json:"supervisors"`
}

// AdminQueueList is the response of GET /api/admin/queues.
type AdminQueueList struct {
	Queues []AdminQueue `json:"queues"`
}

// AdminHuntGroup is a hunt group (GRP-11).
type AdminHuntGroup struct {
	ID                int64         `json:"id"`
	Name              string        `json:"name"`
	Number            string        `json:"number"`
	Mode              string        `json:"mode"` // parallel (default), serial, random
	Members           []GroupMember `json:"members"`
	Devices           []string      `json:"devices"`
	RingTimeSec       int           `json:"ring_time_s"`
	StopActivities    []int         `json:"stop_activities"`
	StopRed           bool          `json:"stop_red"`
	Attempts          int           `json:"attempts"`
	AfterTarget       string        `json:"after_target,omitempty"`
	BeforePrompt      string        `json:"before_prompt,omitempty"`
	AfterPrompt       string        `json:"after_prompt,omitempty"`
	Hours             *GroupHours   `json:"hours,omitempty"`
	NightTarget       string        `json:"night_target,omitempty"`
	HideFromDirectory bool          `json:"hide_from_directory"`
}

// AdminHuntGroupList is the response of GET /api/admin/hunt-groups.
type AdminHuntGroupList struct {
	HuntGroups []AdminHuntGroup `json:"hunt_groups"`
}

// AdminMenu is an IVR menu (GRP-10).
type AdminMenu struct {
	ID            int64             `json:"id"`
	Name          string            `json:"name"`
	Number        string            `json:"number"`
	Prompt        string            `json:"prompt,omitempty"`
	Options       map[string]string `json:"options"` // key → target
	TimeoutSec    int               `json:"timeout_s"`
	Repeats       int               `json:"repeats"`
	TimeoutTarget string            `json:"timeout_target,omitempty"`
	InvalidTarget string            `json:"invalid_target,omitempty"`
	Hours         *GroupHours       `json:"hours,omitempty"`
	NightTarget   string            `json:"night_target,omitempty"`
}

// AdminMenuList is the response of GET /api/admin/menus.
type AdminMenuList struct {
	Menus []AdminMenu `json:"menus"`
}

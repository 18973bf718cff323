package api

import (
	"strings"
	"time"
)

// Voicemail (VM-1…VM-6) and personal call routing (ROUTE-1…3, PRES-5, AWAY-1):
//
//	GET    /api/voicemail                → VoicemailList (own mailbox, newest first, with counts)
//	GET    /api/voicemail/{id}/audio     → audio/wav (8 kHz mono; 404 unless the user's own)
//	PUT    /api/voicemail/{id}           VoicemailUpdate → Voicemail (mark heard / new)
//	DELETE /api/voicemail/{id}           → 204 (404 unless the user's own)
//	GET    /api/voicemail/settings       → VoicemailSettings
//	PUT    /api/voicemail/settings       VoicemailSettings → VoicemailSettings (400 with the reason:
//	                                     "unknown notification \"fax\"", "customer service: …",
//	                                     "email notification needs an email address")
//	PUT    /api/voicemail/pin            VoicemailPIN → 204 (400 unless 4–8 digits)
//	GET    /api/forwarding               → Forwarding
//	PUT    /api/forwarding               Forwarding → Forwarding (400 with the reason: "busy: not a
//	                                     phone number", "ring time must be 5–120 seconds",
//	                                     "unknown activity 42", "forwarding to yourself",
//	                                     "office hours: end must be after start",
//	                                     "office hours: bad time \"25:00\"", "office hours: bad day 7")
//
// Targets of Forwarding are ForwardVoicemail, ForwardNone, or a number: an extension or a phone
// number in any form the dialplan accepts; the server answers with the normalised form
// (extension or E.164). The immediate forward is "" (off) or a number.
//
// Voice prompts (administrators replace any prompt with their own recording):
//
//	GET    /api/prompts/{lang}/{key}     → audio/wav as callers hear it (404 unknown prompt)
//	PUT    /api/prompts/{lang}/{key}     body: an 8 kHz mono 16-bit PCM WAV of at most 3 minutes →
//	                                     204 (403 not an admin, 400 "not a prompt recording: …")
//	DELETE /api/prompts/{lang}/{key}     → 204: the generated prompt plays again
//
// Keys are those of packaging/prompts.tsv (e.g. greeting_default, activity/4); lang is fi, sv
// or en.
//
// When a user's mailbox changes, /api/events sends an Event of type "voicemail" carrying the
// new counts (VoicemailCounts).

// Targets of forwarding besides a number.
const (
	ForwardVoicemail = "voicemail"
	ForwardNone      = "none"
)

// Voicemail notification choices (VM-4).
const (
	NotifySMS   = "sms"
	NotifyEmail = "email"
	NotifyBoth  = "both"
)

// Voicemail is one item of a mailbox.
type Voicemail struct {
	ID         int64     `json:"id"`
	Kind       string    `json:"kind"`                  // "voice", "recording" or "fax"
	Caller     string    `json:"caller"`                // number or extension; "" when withheld
	CallerName string    `json:"caller_name,omitempty"` // colleague's or contact's name when known
	ReceivedAt time.Time `json:"received_at"`
	DurationMS int64     `json:"duration_ms"`
	Heard      bool      `json:"heard"`
	Urgent     bool      `json:"urgent,omitempty"`
}

// VoicemailCounts are the message-waiting counts of a mailbox (voice messages only).
type VoicemailCounts struct {
	New int `json:"new"`
	Old int `json:"old"`
}

// VoicemailList is a user's mailbox, newest first.
type VoicemailList struct {
	Messages []Voicemail     `json:"messages"`
	Counts   VoicemailCounts `json:"counts"`
}

// VoicemailUpdate marks a message heard (true) or new again (false).
type VoicemailUpdate struct {
	Heard bool `json:"heard"`
}

// VoicemailPIN sets the mailbox PIN asked for from other phones (VM-1).
type VoicemailPIN struct {
	PIN string `json:"pin"`
}

// ValidPIN reports whether pin is a mailbox PIN: 4 to 8 digits.
func ValidPIN(pin string) bool {
	return len(pin) >= 4 && len(pin) <= 8 && strings.Trim(pin, "0123456789") == ""
}

// VoicemailSettings are a user's voicemail options (VM-3, VM-4, VM-5).
type VoicemailSettings struct {
	// Enabled is false for a user without voicemail (VM-5); busy and unanswered calls then end
	// with busy / unavailable instead.
	Enabled bool   `json:"enabled"`
	Notify  string `json:"notify"` // NotifySMS (default), NotifyEmail or NotifyBoth
	// AnnounceActivity: the greeting tells the caller the red activity and its end time.
	AnnounceActivity bool `json:"announce_activity"`
	// CustomerService is offered with "press 1" in the greeting and the away notice; "" = not
	// offered.
	CustomerService string `json:"customer_service"`
	// OfferBypass: "press 2 to reach the person anyway" when a rule sent the call to voicemail.
	OfferBypass bool `json:"offer_bypass"`
	// Read-only: whether an own greeting is recorded and a PIN set.
	HasGreeting bool `json:"has_greeting"`
	HasPIN      bool `json:"has_pin"`
	// Email is the address notifications go to (the user's profile email), read-only here.
	Email string `json:"email,omitempty"`
}

// OfficeHours are the times a user takes calls to their company number; outside them such
// calls go to Outside (the mobile number and group calls ring as usual). Times are the
// server's local time.
type OfficeHours struct {
	Days    []int  `json:"days"`    // weekdays in office: 0 = Sunday, 1 = Monday … 6 = Saturday
	Start   string `json:"start"`   // "08:00"
	End     string `json:"end"`     // "16:30", after Start
	Outside string `json:"outside"` // ForwardVoicemail (default), ForwardNone (ring) or a number
}

// ActivityRoute binds an activity to a target (PRES-5 "activity routing").
type ActivityRoute struct {
	Activity int    `json:"activity"`
	Target   string `json:"target"`
}

// Forwarding is a user's personal call routing.
type Forwarding struct {
	Immediate       string          `json:"immediate"`    // "" = off; set by 987<number> too
	Busy            string          `json:"busy"`         // "" = voicemail
	NoAnswer        string          `json:"no_answer"`    // "" = voicemail
	RingTimeSeconds int             `json:"ring_seconds"` // 5–120; 0 = the default 20
	Unreachable     string          `json:"unreachable"`  // "" = voicemail
	Activities      []ActivityRoute `json:"activities"`   // ordered by activity number
	// Hours are the user's office hours (ROUTE-3); nil: none (every time is office time).
	Hours *OfficeHours `json:"office_hours,omitempty"`
	// VIPs are the numbers that ring through the away notice (AWAY-1): the user's contacts
	// marked VIP, read-only here (set the VIP flag on a contact).
	VIPs []string `json:"vips,omitempty"`
}

package api

import "time"

// The admin API (ORG-1…3, NF-1, CALL-10) manages one organisation: the one of the bearer
// token's user, who must be an administrator (Profile.Admin). Every request is scoped to that
// organisation: the ID of another organisation's user is 404, exactly like an unknown one.
// 401 no or expired token, 403 not an administrator (nothing is changed, nothing is revealed).
//
//	GET    /api/admin/org                 → AdminOrg (settings, licence use, warnings)
//	PUT    /api/admin/org                 AdminOrgUpdate → AdminOrg
//	GET    /api/admin/users               → AdminUserList (ordered by extension, with warnings)
//	POST   /api/admin/users               AdminUserCreate → 201 AdminUserResult
//	GET    /api/admin/users/{id}          → AdminUser
//	PUT    /api/admin/users/{id}          AdminUserUpdate → AdminUserResult (only given fields change)
//	DELETE /api/admin/users/{id}          → AdminUserResult (the deleted user)
//	PUT    /api/admin/users/{id}/password AdminPassword → 204
//	PUT    /api/admin/users/{id}/pin      VoicemailPIN → 204 (the voicemail PIN, 4–8 digits)
//	GET    /api/admin/activities          → ActivityList (the presence activities, PRES-1)
//	PUT    /api/admin/activities/{number} Activity → Activity (add or rename)
//	GET    /api/admin/dids                → DIDList (the number pool, ordered by number)
//	PUT    /api/admin/dids/{number}       DIDUpdate → DID (number in any form; add or re-target)
//	DELETE /api/admin/dids/{number}       → 204
//	GET    /api/admin/audit?limit=N       → AuditList (newest first, default 100, at most 1000)
//
// 400 bad input (the text names the field and the rule), 409 a rule of the organisation:
//   - duplicate extension or number in the organisation; a DID another organisation owns (which
//     one is never said);
//   - add-on roles (agent, supervisor, operator) are floating licences: at most
//     AgentLicences … holders at once; assigning one more, or lowering a licence count below
//     the holders, is refused;
//   - administrators (seed 004: "at least two main administrators"): the last administrator can
//     never be demoted or deleted, and once the organisation has two or more users a change that
//     would leave fewer than two administrators is refused. Creating users is never refused for
//     this reason: while an organisation of two or more users has fewer than two administrators,
//     AdminOrg, AdminUserList and AdminUserResult carry the warning WarnSecondAdmin.
//
// Passwords: 8–128 characters, no spaces, letters and digits (or other characters), or 16+
// characters; they never appear in a response or the audit log. Changing a user's extension
// needs a new password in the same request, since the SIP digest credentials include it.
//
// Every change writes an AuditEntry: who (the administrator's extension), when, what, old → new.

// WarnSecondAdmin is the warning while an organisation of two or more users has fewer than
// two administrators.
const WarnSecondAdmin = "the organisation needs at least two administrators: make another user an administrator"

// Terminals a user profile may allow (ORG-2).
const (
	TerminalSoftphone = "softphone"
	TerminalDesk      = "desk" // IP desk phone
	TerminalMobile    = "mobile"
)

// AdminUser is a user as an administrator sees it (ORG-2), without any credential.
type AdminUser struct {
	ID            int64  `json:"id"`
	Extension     string `json:"extension"`
	Name          string `json:"name"`
	CompanyNumber string `json:"company_number,omitempty"` // E.164
	MobileNumber  string `json:"mobile_number,omitempty"`  // E.164
	Email         string `json:"email,omitempty"`
	Language      string `json:"language"`
	Department    string `json:"department,omitempty"`
	Title         string `json:"title,omitempty"`
	Keywords      string `json:"keywords,omitempty"`
	Admin         bool   `json:"admin"`
	Agent         bool   `json:"agent"`
	Supervisor    bool   `json:"supervisor"`
	Operator      bool   `json:"operator"`
	// Terminals the user may use (TerminalSoftphone, TerminalDesk, TerminalMobile); empty = all.
	Terminals        []string `json:"terminals"`
	BarOutside       bool     `json:"bar_outside"`       // no outside calls except emergency
	BarInternational bool     `json:"bar_international"` // no international calls
	EmergencyArea    string   `json:"emergency_area,omitempty"`
}

// AdminUserCreate creates a user. Extension, Name and Password are required; numbers may be in
// any form (ORG-3) and are answered in E.164; Language defaults to fi when the organisation's
// country code is 358, else en.
type AdminUserCreate struct {
	AdminUser
	Password string `json:"password"`
}

// AdminUserUpdate changes the given fields of a user; a nil field stays. Password is only
// accepted together with a new extension (see the package comment).
type AdminUserUpdate struct {
	Extension        *string   `json:"extension,omitempty"`
	Name             *string   `json:"name,omitempty"`
	CompanyNumber    *string   `json:"company_number,omitempty"`
	MobileNumber     *string   `json:"mobile_number,omitempty"`
	Email            *string   `json:"email,omitempty"`
	Language         *string   `json:"language,omitempty"`
	Department       *string   `json:"department,omitempty"`
	Title            *string   `json:"title,omitempty"`
	Keywords         *string   `json:"keywords,omitempty"`
	Admin            *bool     `json:"admin,omitempty"`
	Agent            *bool     `json:"agent,omitempty"`
	Supervisor       *bool     `json:"supervisor,omitempty"`
	Operator         *bool     `json:"operator,omitempty"`
	Terminals        *[]string `json:"terminals,omitempty"`
	BarOutside       *bool     `json:"bar_outside,omitempty"`
	BarInternational *bool     `json:"bar_international,omitempty"`
	EmergencyArea    *string   `json:"emergency_area,omitempty"`
	Password         *string   `json:"password,omitempty"`
}

// AdminUserResult answers a change of a user, with the organisation's warnings after it.
type AdminUserResult struct {
	User     AdminUser `json:"user"`
	Warnings []string  `json:"warnings,omitempty"`
}

// AdminUserList is the response of GET /api/admin/users.
type AdminUserList struct {
	Users    []AdminUser `json:"users"`
	Warnings []string    `json:"warnings,omitempty"`
}

// AdminPassword sets a user's password (SIP and API alike).
type AdminPassword struct {
	Password string `json:"password"`
}

// Licence is the use of one add-on role's floating licences.
type Licence struct {
	Total int `json:"total"` // licences the organisation has
	Used  int `json:"used"`  // users holding the role
}

// AdminOrg is the organisation's settings as an administrator sees them.
type AdminOrg struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Domain      string `json:"domain"` // read-only: it is the SIP digest realm of every password
	CountryCode string `json:"country_code"`
	Switchboard string `json:"switchboard,omitempty"` // E.164
	TimeZone    string `json:"time_zone"`             // IANA name; office hours and presence end times
	// Service numbers (extensions): voicemail access (VM-1) and the activity IVR (PRES-4).
	VoicemailNumber string `json:"voicemail_number"`
	ActivityNumber  string `json:"activity_number"`
	SMSSender       string `json:"sms_sender,omitempty"`
	ShowRoles       bool   `json:"show_roles"`
	// Outside calls (NF-1): barring for everyone, simultaneous calls (0 = no limit).
	BarInternational       bool `json:"bar_international"`
	BarPremium             bool `json:"bar_premium"`
	MaxOutsideCalls        int  `json:"max_outside_calls"`
	MaxOutsideCallsPerUser int  `json:"max_outside_calls_per_user"`
	// EmergencyNumbers are extra emergency numbers beyond 112, which is always one (CALL-10).
	EmergencyNumbers []string `json:"emergency_numbers"`
	Agent            Licence  `json:"agent_licences"`
	Supervisor       Licence  `json:"supervisor_licences"`
	Operator         Licence  `json:"operator_licences"`
	Users            int      `json:"users"`
	Admins           int      `json:"admins"`
	Warnings         []string `json:"warnings,omitempty"`
}

// AdminOrgUpdate changes the given settings; a nil field stays. Licence counts are totals.
type AdminOrgUpdate struct {
	Name                   *string   `json:"name,omitempty"`
	CountryCode            *string   `json:"country_code,omitempty"`
	Switchboard            *string   `json:"switchboard,omitempty"`
	TimeZone               *string   `json:"time_zone,omitempty"`
	VoicemailNumber        *string   `json:"voicemail_number,omitempty"`
	ActivityNumber         *string   `json:"activity_number,omitempty"`
	SMSSender              *string   `json:"sms_sender,omitempty"`
	ShowRoles              *bool     `json:"show_roles,omitempty"`
	BarInternational       *bool     `json:"bar_international,omitempty"`
	BarPremium             *bool     `json:"bar_premium,omitempty"`
	MaxOutsideCalls        *int      `json:"max_outside_calls,omitempty"`
	MaxOutsideCallsPerUser *int      `json:"max_outside_calls_per_user,omitempty"`
	EmergencyNumbers       *[]string `json:"emergency_numbers,omitempty"`
	AgentLicences          *int      `json:"agent_licences,omitempty"`
	SupervisorLicences     *int      `json:"supervisor_licences,omitempty"`
	OperatorLicences       *int      `json:"operator_licences,omitempty"`
}

// DID is a number of the organisation's pool, reached from the trunk.
type DID struct {
	Number    string `json:"number"`              // E.164
	Extension string `json:"extension,omitempty"` // "" = unassigned
	Note      string `json:"note,omitempty"`
}

// DIDUpdate is the body of PUT /api/admin/dids/{number}.
type DIDUpdate struct {
	Extension string `json:"extension,omitempty"` // an extension of the organisation, or "" for the pool
	Note      string `json:"note,omitempty"`
}

// DIDList is the response of GET /api/admin/dids.
type DIDList struct {
	DIDs []DID `json:"dids"`
}

// AuditEntry is one admin change.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`  // the administrator's extension, or "cli"
	Action string    `json:"action"` // e.g. "user.create", "user.update", "org.update", "did.put"
	Target string    `json:"target"` // e.g. "user 2001", "did +358201234567"
	Old    string    `json:"old,omitempty"`
	New    string    `json:"new,omitempty"`
}

// AuditList is the response of GET /api/admin/audit.
type AuditList struct {
	Entries []AuditEntry `json:"entries"`
}

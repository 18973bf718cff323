// Package api owns the JSON types of the server's HTTP API that the Softphone consumes.
// Paths: POST /api/login (LoginRequest → LoginResponse), then with "Authorization: Bearer
// <token>": GET /api/me (Profile), GET /api/calls?limit=N (CallList), POST /api/logout (→ 204:
// the token ends, later requests with it get 401). Presence, directory, contacts, messages,
// SMS and the event stream are listed in presence.go. Every error is an Error body: 400 bad
// input (the text says what), 401 no or expired token, 403 not allowed, 404 unknown colleague
// or contact, 413 body over 64 KiB, 429 too many attempts, streams or SMS, 502 a gateway
// failed, 503 a service is not configured or the server is shutting down.
//
// The API is served over HTTPS (default 127.0.0.1:8443; the server's TLS certificate, or a
// self-signed one in https-cert.pem beside its database that clients pin) and over plain HTTP
// on loopback only (default 127.0.0.1:8080).
package api

import "time"

// LoginRequest authenticates with the same credentials as SIP. User is one of:
//   - "ext@domain" (or "number@domain"): that organisation's user; Domain, if also given,
//     must name the same domain (else 400);
//   - a phone number in any form (ORG-3: "+358501112001", "050 111 2001", "00358…") without
//     Domain: the user whose company or mobile number it is, in whichever organisation (a
//     number belongs to one organisation; a number found in two fails like a wrong password);
//   - an extension: in Domain's organisation, or without Domain the server's default one.
//
// Every failure is the same 401 "wrong user or password" and takes as long (the password
// comparison always runs), so the answer never tells whether a user exists; 429 after too
// many failures.
type LoginRequest struct {
	User     string `json:"user"`
	Password string `json:"password"`
	Domain   string `json:"domain,omitempty"`
}

// LoginResponse carries the bearer token for later requests and the user's profile, whose
// Extension and Domain are the SIP account to register (Extension@Domain), however the user
// logged in.
type LoginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	Profile   Profile   `json:"profile"`
}

// Profile is the logged-in user's own record.
type Profile struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	Extension     string `json:"extension"`
	CompanyNumber string `json:"company_number,omitempty"`
	MobileNumber  string `json:"mobile_number,omitempty"`
	Email         string `json:"email,omitempty"`
	Language      string `json:"language"`
	Domain        string `json:"domain"` // SIP domain to register to
	Org           string `json:"org"`
	Department    string `json:"department,omitempty"`
	Title         string `json:"title,omitempty"`
	Admin         bool   `json:"admin,omitempty"`
	// Add-on roles held (ORG-2): the Softphone shows the agent view only to agents.
	Agent      bool `json:"agent,omitempty"`
	Supervisor bool `json:"supervisor,omitempty"`
	Operator   bool `json:"operator,omitempty"`
	// EmergencyNumbers are the organisation's emergency numbers besides 112, which always is
	// one (CALL-10): while a call to one lasts the Softphone reminds the user to say where
	// they are.
	EmergencyNumbers []string `json:"emergency_numbers,omitempty"`
}

// CallEntry is one call-log entry (CALL-13).
type CallEntry struct {
	ID         int64      `json:"id"`
	Direction  string     `json:"direction"` // "in" or "out"
	Peer       string     `json:"peer"`
	PeerName   string     `json:"peer_name,omitempty"`
	Outcome    string     `json:"outcome"` // answered, missed, busy, failed, cancelled
	StartedAt  time.Time  `json:"started_at"`
	AnsweredAt *time.Time `json:"answered_at,omitempty"`
	EndedAt    time.Time  `json:"ended_at"`
	Seconds    int        `json:"seconds"` // talk time
}

// CallList is the response of GET /api/calls.
type CallList struct {
	Calls []CallEntry `json:"calls"`
}

// Error is the body of every non-2xx response.
type Error struct {
	Error string `json:"error"`
}

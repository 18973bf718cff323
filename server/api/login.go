package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/number"
)

// Login takes the same time for known and unknown users (no user enumeration, NF-1): the
// bcrypt comparison always runs, against a dummy hash of the same cost when the user is
// unknown, ambiguous or has no password, and every failure is the same 401.

var (
	errUnknownUser   = errors.New("api: unknown user")
	errWrongPassword = errors.New("api: wrong password")
	errAmbiguous     = errors.New("api: number belongs to more than one organisation")
)

// dummyHash is compared against for users that do not exist; made once, at the cost real
// hashes have, so the comparison takes as long.
var dummyHash = sync.OnceValue(func() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	h, err := auth.HashPassword(base64.RawStdEncoding.EncodeToString(b[:]))
	if err != nil {
		panic(err) // bcrypt fails only for passwords over 72 bytes
	}
	return h
})

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	ipKey := "ip:" + clientIP(r)
	if s.limiter.Blocked(ipKey) {
		writeError(w, http.StatusTooManyRequests, "too many failed attempts, try again in a minute")
		return
	}
	var req shared.LoginRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	if err := dec.Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	user, domain := strings.TrimSpace(req.User), strings.TrimSpace(req.Domain)
	if user == "" || req.Password == "" {
		writeError(w, http.StatusBadRequest, "user and password are required")
		return
	}
	// "ext@domain" names the organisation in the user.
	if i := strings.LastIndexByte(user, '@'); i >= 0 {
		d := user[i+1:]
		user = user[:i]
		if user == "" || d == "" {
			writeError(w, http.StatusBadRequest, `user must be "ext@domain", an extension or a phone number`)
			return
		}
		if domain != "" && !strings.EqualFold(domain, d) {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("user names domain %q but domain is %q", d, domain))
			return
		}
		domain = d
	}
	ctx := r.Context()
	u, org, err := s.loginUser(ctx, user, domain)
	hash, userKey := dummyHash(), ""
	if err == nil {
		userKey = "user:" + strconv.FormatInt(u.ID, 10)
		if u.PasswordHash != "" {
			hash = u.PasswordHash
		}
	}
	// Always exactly one comparison, whatever was found.
	match := s.checkPassword(hash, req.Password)
	if err == nil && (!match || u.PasswordHash == "") {
		err = errWrongPassword
	}
	// A user under attack is locked only for sources that have not logged in as them before,
	// so an attacker elsewhere cannot lock the real user out (NF-1).
	ip := clientIP(r)
	if userKey != "" && s.limiter.Blocked(userKey) && !s.limiter.Proven(userKey, ip) {
		writeError(w, http.StatusTooManyRequests, "too many failed attempts, try again in a minute")
		return
	}
	if err != nil {
		if userKey != "" && s.limiter.Proven(userKey, ip) {
			userKey = "" // a proven source's typo counts against that source only
		}
		s.loginFailed(w, ipKey, userKey, err)
		return
	}
	s.limiter.Succeed(userKey, ip)
	token, expires, err := s.newSession(u.ID)
	if err != nil {
		s.log.Error("login: new session", "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	s.log.Info("login", "org", org.Domain, "ext", u.Extension, "ip", clientIP(r))
	writeJSON(w, http.StatusOK, shared.LoginResponse{Token: token, ExpiresAt: expires, Profile: profile(u, org)})
}

// loginFailed answers every failure alike, so a caller cannot learn which users exist.
func (s *Server) loginFailed(w http.ResponseWriter, ipKey, userKey string, err error) {
	s.log.Info("login failed", "reason", err.Error(), "key", ipKey)
	if !errors.Is(err, store.ErrNotFound) && !errors.Is(err, errUnknownUser) && !errors.Is(err, errWrongPassword) && !errors.Is(err, errAmbiguous) {
		s.log.Error("login", "error", err)
		writeError(w, http.StatusInternalServerError, "internal error")
		return
	}
	blocked := s.limiter.Fail(ipKey)
	if userKey != "" && s.limiter.Fail(userKey) {
		blocked = true
	}
	if blocked {
		writeError(w, http.StatusTooManyRequests, "too many failed attempts, try again in a minute")
		return
	}
	writeError(w, http.StatusUnauthorized, "wrong user or password")
}

// loginUser finds who logs in: with a domain, the extension or number in that organisation;
// without one, an extension of the default organisation, or the one user across all
// organisations whose company or mobile number it is (a number belongs to one organisation;
// two matches are errAmbiguous).
func (s *Server) loginUser(ctx context.Context, user, domain string) (store.User, store.Org, error) {
	if domain != "" {
		org, err := s.st.OrgByDomain(ctx, domain)
		if err != nil {
			return store.User{}, store.Org{}, err
		}
		u, err := s.userFor(ctx, org, user)
		return u, org, err
	}
	// An extension does not depend on the country: "1001" is one in every organisation.
	if n, err := number.Parse(user, ""); err == nil && n.Kind == number.Extension {
		org, err := s.orgFor(ctx, "")
		if err != nil {
			return store.User{}, store.Org{}, err
		}
		u, err := s.st.UserByExtension(ctx, org.ID, n.Value)
		return u, org, err
	}
	orgs, err := s.st.ListOrgs(ctx)
	if err != nil {
		return store.User{}, store.Org{}, fmt.Errorf("login: list organisations: %w", err)
	}
	var (
		found    store.User
		foundOrg store.Org
		matches  int
	)
	for _, org := range orgs {
		// A national form ("09 1234 1001") is read with each organisation's country code.
		n, err := number.Parse(user, org.CountryCode)
		if err != nil || n.Kind != number.E164 {
			continue
		}
		u, err := s.st.UserByNumber(ctx, org.ID, n.Value)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return store.User{}, store.Org{}, err
		}
		found, foundOrg = u, org
		matches++
	}
	switch matches {
	case 0:
		return store.User{}, store.Org{}, errUnknownUser
	case 1:
		return found, foundOrg, nil
	}
	s.log.Warn("login: a number belongs to more than one organisation", "orgs", matches)
	return store.User{}, store.Org{}, errAmbiguous
}

// orgFor returns the organisation of domain, or the default (demo) organisation.
func (s *Server) orgFor(ctx context.Context, domain string) (store.Org, error) {
	if domain != "" {
		return s.st.OrgByDomain(ctx, domain)
	}
	o, err := s.st.DemoOrg(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return s.st.OrgByID(ctx, 1) // a single-tenant installation's only organisation
	}
	return o, err
}

// userFor finds the user by extension or by company/mobile number in any form (ORG-3).
func (s *Server) userFor(ctx context.Context, org store.Org, user string) (store.User, error) {
	n, err := number.Parse(user, org.CountryCode)
	if err != nil {
		return store.User{}, errUnknownUser
	}
	switch n.Kind {
	case number.Extension:
		return s.st.UserByExtension(ctx, org.ID, n.Value)
	case number.E164:
		return s.st.UserByNumber(ctx, org.ID, n.Value)
	}
	return store.User{}, errUnknownUser
}

// logout ends the session of the request's bearer token: later requests with it get 401.
// Without a valid token it is 401 too.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	s.authed(func(w http.ResponseWriter, r *http.Request, u store.User) {
		token, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		s.Logout(strings.TrimSpace(token))
		s.log.Info("logout", "user", u.ID)
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusNoContent)
	})(w, r)
}

// Logout ends the session of token and the event streams opened with it.
func (s *Server) Logout(token string) {
	k := tokenHash(token)
	s.mu.Lock()
	delete(s.sessions, k)
	s.mu.Unlock()
	s.streams.endToken(k)
}

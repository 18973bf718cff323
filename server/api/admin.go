package api

// The admin API (routes and rules documented in shared/api/admin.go): users, organisation
// settings, presence activities, the number pool and the audit log of one organisation, for
// its administrators only. Every route is in adminRoutes, the one place the tests walk.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/provision"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/number"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// adminHandler serves an admin route for admin, an administrator of org.
type adminHandler func(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org)

type adminRoute struct {
	method, path string
	h            adminHandler
}

// adminRoutes is every admin route; Handler registers exactly these.
func (s *Server) adminRoutes() []adminRoute {
	q, h, m := handlersFor(s, s.queueKind()), handlersFor(s, s.huntKind()), handlersFor(s, s.menuKind())
	return []adminRoute{
		{"GET", "/api/admin/org", s.adminOrg},
		{"PUT", "/api/admin/org", s.adminPutOrg},
		{"GET", "/api/admin/users", s.adminUsers},
		{"POST", "/api/admin/users", s.adminCreateUser},
		{"GET", "/api/admin/users/{id}", s.adminUser},
		{"PUT", "/api/admin/users/{id}", s.adminUpdateUser},
		{"DELETE", "/api/admin/users/{id}", s.adminDeleteUser},
		{"PUT", "/api/admin/users/{id}/password", s.adminSetPassword},
		{"PUT", "/api/admin/users/{id}/pin", s.adminSetPIN},
		{"GET", "/api/admin/activities", s.adminActivities},
		{"PUT", "/api/admin/activities/{number}", s.adminPutActivity},
		{"GET", "/api/admin/dids", s.adminDIDs},
		{"PUT", "/api/admin/dids/{number}", s.adminPutDID},
		{"DELETE", "/api/admin/dids/{number}", s.adminDeleteDID},
		{"GET", "/api/admin/audit", s.adminAudit},
		// Groups (groups.go).
		{"GET", "/api/admin/queues", q.list},
		{"POST", "/api/admin/queues", q.create},
		{"GET", "/api/admin/queues/{id}", q.get},
		{"PUT", "/api/admin/queues/{id}", q.update},
		{"DELETE", "/api/admin/queues/{id}", q.remove},
		{"GET", "/api/admin/hunt-groups", h.list},
		{"POST", "/api/admin/hunt-groups", h.create},
		{"GET", "/api/admin/hunt-groups/{id}", h.get},
		{"PUT", "/api/admin/hunt-groups/{id}", h.update},
		{"DELETE", "/api/admin/hunt-groups/{id}", h.remove},
		{"GET", "/api/admin/menus", m.list},
		{"POST", "/api/admin/menus", m.create},
		{"GET", "/api/admin/menus/{id}", m.get},
		{"PUT", "/api/admin/menus/{id}", m.update},
		{"DELETE", "/api/admin/menus/{id}", m.remove},
	}
}

func (s *Server) registerAdmin(mux *http.ServeMux) {
	for _, rt := range s.adminRoutes() {
		mux.HandleFunc(rt.method+" "+rt.path, s.admin(rt.h))
	}
}

// admin wraps h: a valid token (401), of an administrator (403), whose organisation is loaded.
// Admin writes are serialised so that the licence and administrator rules, which read the
// organisation's users before writing, cannot be raced past by two requests at once.
func (s *Server) admin(h adminHandler) http.HandlerFunc {
	return s.authed(func(w http.ResponseWriter, r *http.Request, u store.User) {
		if !u.Admin {
			writeError(w, http.StatusForbidden, "only an administrator of the organisation may do this")
			return
		}
		if r.Method != http.MethodGet {
			s.adminMu.Lock()
			defer s.adminMu.Unlock()
		}
		org, err := s.st.OrgByID(r.Context(), u.OrgID)
		if err != nil {
			s.internal(w, "admin: load org", err)
			return
		}
		h(w, r, u, org)
	})
}

// ---- audit ----

// field is one named value of a record, as the audit log shows it.
type field struct{ name, value string }

// diff returns the fields that differ between before and after, as "name=value; …" each.
func diff(before, after []field) (old, new string) {
	var o, n []string
	for i := range after {
		if i < len(before) && before[i].value == after[i].value {
			continue
		}
		if i < len(before) {
			o = append(o, before[i].name+"="+before[i].value)
		}
		n = append(n, after[i].name+"="+after[i].value)
	}
	return strings.Join(o, "; "), strings.Join(n, "; ")
}

// summary lists the non-empty fields, for a record created or deleted.
func summary(fs []field) string {
	var out []string
	for _, f := range fs {
		if f.value != "" && f.value != "false" && f.value != "0" {
			out = append(out, f.name+"="+f.value)
		}
	}
	return strings.Join(out, "; ")
}

// passwordChanged stands for a password in the audit log, which never holds secrets.
const passwordChanged = "(changed)"

// audit records an admin change. The change is already stored: a failure here is logged, not
// answered, since the administrator's request did take effect.
func (s *Server) audit(ctx context.Context, orgID int64, actor store.User, action, target, old, new string) {
	if old == "" && new == "" {
		return // nothing changed
	}
	e := store.AuditEntry{OrgID: orgID, ActorID: actor.ID, Actor: actor.Extension, At: s.now(),
		Action: action, Target: target, Old: old, New: new}
	if _, err := s.st.AddAudit(ctx, e); err != nil {
		s.log.Error("admin: audit", "action", action, "target", target, "error", err)
	}
}

func (s *Server) adminAudit(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) {
	limit := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = min(n, 1000)
	}
	es, err := s.st.ListAudit(r.Context(), org.ID, limit)
	if err != nil {
		s.internal(w, "admin: audit", err)
		return
	}
	out := shared.AuditList{Entries: make([]shared.AuditEntry, 0, len(es))}
	for _, e := range es {
		out.Entries = append(out.Entries, shared.AuditEntry{ID: e.ID, At: e.At, Actor: e.Actor, Action: e.Action,
			Target: e.Target, Old: e.Old, New: e.New})
	}
	writeJSON(w, http.StatusOK, out)
}

// ---- organisation ----

// emergencyNumbers returns 112 and the organisation's extra emergency numbers.
func emergencyNumbers(o store.Org) []string {
	return append([]string{routing.EmergencyNumber}, strings.Fields(o.EmergencyNumbers)...)
}

func orgFields(o store.Org) []field {
	b, i := strconv.FormatBool, strconv.Itoa
	return []field{
		{"name", o.Name}, {"country_code", o.CountryCode}, {"switchboard", o.Switchboard},
		{"time_zone", o.TimeZone}, {"voicemail_number", o.VoicemailNumber}, {"activity_number", o.ActivityNumber},
		{"sms_sender", o.SMSSender}, {"show_roles", b(o.ShowRoles)},
		{"bar_international", b(o.BarInternational)}, {"bar_premium", b(o.BarPremium)},
		{"max_outside_calls", i(o.MaxOutsideCalls)}, {"max_outside_calls_per_user", i(o.MaxOutsideCallsPerUser)},
		{"emergency_numbers", o.EmergencyNumbers}, {"agent_licences", i(o.AgentLicences)},
		{"supervisor_licences", i(o.SupervisorLicences)}, {"operator_licences", i(o.OperatorLicences)},
	}
}

// warnings are the organisation's unmet rules that do not block changes.
func warnings(users []store.User) []string {
	if store.LacksSecondAdmin(users) {
		return []string{shared.WarnSecondAdmin}
	}
	return nil
}

// roles are the add-on roles with their floating licences (ORG-2), in the order of the
// licence fields of AdminOrg and AdminOrgUpdate.
var roles = store.Roles

func adminOrgView(o store.Org, users []store.User) shared.AdminOrg {
	tz := o.TimeZone
	if tz == "" {
		tz = store.DefaultTimeZone
	}
	vm, act := o.ServiceNumbers()
	lic := func(i int) shared.Licence {
		return shared.Licence{Total: roles[i].Licences(o), Used: roles[i].Holders(users)}
	}
	return shared.AdminOrg{
		ID: o.ID, Name: o.Name, Domain: o.Domain, CountryCode: o.CountryCode, Switchboard: o.Switchboard,
		TimeZone: tz, VoicemailNumber: vm, ActivityNumber: act, SMSSender: o.SMSSender, ShowRoles: o.ShowRoles,
		BarInternational: o.BarInternational, BarPremium: o.BarPremium, MaxOutsideCalls: o.MaxOutsideCalls,
		MaxOutsideCallsPerUser: o.MaxOutsideCallsPerUser, EmergencyNumbers: emergencyNumbers(o),
		Agent: lic(0), Supervisor: lic(1), Operator: lic(2),
		Users: len(users), Admins: store.CountAdmins(users), Warnings: warnings(users),
	}
}

func (s *Server) adminOrg(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) {
	users, err := s.st.ListUsers(r.Context(), org.ID)
	if err != nil {
		s.internal(w, "admin: org users", err)
		return
	}
	writeJSON(w, http.StatusOK, adminOrgView(org, users))
}

// badInput is a refusal answered with its status and text.
type badInput struct {
	code int
	msg  string
}

func (e *badInput) Error() string { return e.msg }

func bad(format string, a ...any) error {
	return &badInput{code: http.StatusBadRequest, msg: fmt.Sprintf(format, a...)}
}

func conflict(format string, a ...any) error {
	return &badInput{code: http.StatusConflict, msg: fmt.Sprintf(format, a...)}
}

// refuse answers err: a badInput with its status and text, anything else as a 500.
func (s *Server) refuse(w http.ResponseWriter, op string, err error) {
	var b *badInput
	if errors.As(err, &b) {
		writeError(w, b.code, b.msg)
		return
	}
	s.internal(w, op, err)
}

// line validates a one-line text field of at most limit characters.
func line(name, v string, limit int) (string, error) {
	v = strings.TrimSpace(v)
	if !utf8.ValidString(v) || utf8.RuneCountInString(v) > limit || strings.ContainsAny(v, "\r\n\t") {
		return "", bad("%s must be one line of at most %d characters", name, limit)
	}
	return v, nil
}

// serviceNumber validates a service number: "" (the default) or an extension.
func serviceNumber(name, v string) (string, error) {
	if v = strings.TrimSpace(v); v == "" {
		return "", nil
	}
	n, err := number.Parse(v, "")
	if err != nil || n.Kind != number.Extension {
		return "", bad("%s must be an extension of %d–%d digits", name, number.MinExtension, number.MaxExtension)
	}
	return n.Value, nil
}

func count(name string, v, max int) (int, error) {
	if v < 0 || v > max {
		return 0, bad("%s must be 0–%d", name, max)
	}
	return v, nil
}

func (s *Server) adminPutOrg(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	var req shared.AdminOrgUpdate
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	users, err := s.st.ListUsers(ctx, org.ID)
	if err != nil {
		s.internal(w, "admin: org users", err)
		return
	}
	o, err := applyOrg(org, req, users)
	if err != nil {
		s.refuse(w, "admin: org", err)
		return
	}
	if err := s.st.UpdateOrg(ctx, o); err != nil {
		s.internal(w, "admin: update org", err)
		return
	}
	old, new := diff(orgFields(org), orgFields(o))
	s.audit(ctx, o.ID, admin, "org.update", "org "+o.Domain, old, new)
	s.changed(ctx, o.ID, 0)
	writeJSON(w, http.StatusOK, adminOrgView(o, users))
}

// applyOrg returns org with the update applied, or the refusal.
func applyOrg(org store.Org, req shared.AdminOrgUpdate, users []store.User) (store.Org, error) {
	o := org
	var err error
	if req.Name != nil {
		if o.Name, err = line("name", *req.Name, maxFieldRunes); err != nil {
			return o, err
		}
		if o.Name == "" {
			return o, bad("name must not be empty")
		}
	}
	if req.CountryCode != nil {
		cc := strings.TrimPrefix(strings.TrimSpace(*req.CountryCode), "+")
		if cc == "" || len(cc) > 3 || cc[0] == '0' || strings.Trim(cc, "0123456789") != "" {
			return o, bad("country_code must be 1–3 digits without a leading 0, e.g. 358")
		}
		o.CountryCode = cc
	}
	if req.Switchboard != nil {
		if o.Switchboard, err = phone("switchboard", *req.Switchboard, o.CountryCode); err != nil {
			return o, err
		}
	}
	if req.TimeZone != nil {
		tz := strings.TrimSpace(*req.TimeZone)
		if tz != "" {
			// "Local" would follow whatever machine the server runs on: refuse it.
			if _, err := time.LoadLocation(tz); err != nil || tz == "Local" {
				return o, bad("time_zone %q is not an IANA time zone such as Europe/Helsinki", tz)
			}
		}
		o.TimeZone = tz
	}
	if req.VoicemailNumber != nil {
		if o.VoicemailNumber, err = serviceNumber("voicemail_number", *req.VoicemailNumber); err != nil {
			return o, err
		}
	}
	if req.ActivityNumber != nil {
		if o.ActivityNumber, err = serviceNumber("activity_number", *req.ActivityNumber); err != nil {
			return o, err
		}
	}
	if vm, act := o.ServiceNumbers(); vm == act {
		return o, bad("voicemail_number and activity_number must differ")
	} else if req.VoicemailNumber != nil || req.ActivityNumber != nil {
		for _, u := range users {
			if u.Extension == vm || u.Extension == act {
				return o, conflict("service number %s is the extension of %s", u.Extension, u.Name)
			}
		}
	}
	if req.SMSSender != nil {
		v := strings.TrimSpace(*req.SMSSender)
		if n, err := number.Parse(v, o.CountryCode); err == nil && n.Kind == number.E164 {
			v = n.Value
		} else if v != "" && (len(v) > 11 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ") != "") {
			return o, bad("sms_sender must be a phone number or at most 11 letters and digits")
		}
		o.SMSSender = v
	}
	if req.ShowRoles != nil {
		o.ShowRoles = *req.ShowRoles
	}
	if req.BarInternational != nil {
		o.BarInternational = *req.BarInternational
	}
	if req.BarPremium != nil {
		o.BarPremium = *req.BarPremium
	}
	if req.MaxOutsideCalls != nil {
		if o.MaxOutsideCalls, err = count("max_outside_calls", *req.MaxOutsideCalls, 10000); err != nil {
			return o, err
		}
	}
	if req.MaxOutsideCallsPerUser != nil {
		if o.MaxOutsideCallsPerUser, err = count("max_outside_calls_per_user", *req.MaxOutsideCallsPerUser, 100); err != nil {
			return o, err
		}
	}
	if req.EmergencyNumbers != nil {
		var nums []string
		for _, n := range *req.EmergencyNumbers {
			n = strings.TrimSpace(n)
			if len(n) < 2 || len(n) > 8 || strings.Trim(n, "0123456789") != "" {
				return o, bad("emergency number %q must be 2–8 digits", n)
			}
			if n != "112" && !slices.Contains(nums, n) { // 112 is always one
				nums = append(nums, n)
			}
		}
		for _, u := range users {
			if slices.Contains(nums, u.Extension) {
				return o, conflict("emergency number %s is the extension of %s", u.Extension, u.Name)
			}
		}
		o.EmergencyNumbers = strings.Join(nums, " ")
	}
	for i, p := range []*int{req.AgentLicences, req.SupervisorLicences, req.OperatorLicences} {
		if p == nil {
			continue
		}
		name := roles[i].Name + "_licences"
		n, err := count(name, *p, 100000)
		if err != nil {
			return o, err
		}
		switch i {
		case 0:
			o.AgentLicences = n
		case 1:
			o.SupervisorLicences = n
		case 2:
			o.OperatorLicences = n
		}
	}
	if r, h, cut := store.LicenceCut(org, o, users); cut {
		n := r.Licences(o)
		return o, conflict("%d users hold the %s role: take it from %d of them before lowering %s_licences to %d",
			h, r.Name, h-n, r.Name, n)
	}
	return o, nil
}

// phone validates an optional phone number and returns it in E.164.
func phone(name, v, country string) (string, error) {
	if strings.TrimSpace(v) == "" {
		return "", nil
	}
	n, err := number.Parse(v, country)
	if err != nil || n.Kind != number.E164 {
		return "", bad("%s: %q is not a phone number", name, v)
	}
	return n.Value, nil
}

// ---- users ----

func adminUserView(u store.User) shared.AdminUser {
	terms := strings.Fields(u.Terminals)
	if terms == nil {
		terms = []string{}
	}
	return shared.AdminUser{
		ID: u.ID, Extension: u.Extension, Name: u.Name, CompanyNumber: u.CompanyNumber, MobileNumber: u.MobileNumber,
		Email: u.Email, Language: u.Language, Department: u.Department, Title: u.Title, Keywords: u.Keywords,
		Admin: u.Admin, Agent: u.Agent, Supervisor: u.Supervisor, Operator: u.Operator, Terminals: terms,
		BarOutside: u.BarOutside, BarInternational: u.BarInternational, EmergencyArea: u.EmergencyArea,
	}
}

func userFields(u store.User) []field {
	b := strconv.FormatBool
	return []field{
		{"extension", u.Extension}, {"name", u.Name}, {"company_number", u.CompanyNumber},
		{"mobile_number", u.MobileNumber}, {"email", u.Email}, {"language", u.Language},
		{"department", u.Department}, {"title", u.Title}, {"keywords", u.Keywords},
		{"admin", b(u.Admin)}, {"agent", b(u.Agent)}, {"supervisor", b(u.Supervisor)}, {"operator", b(u.Operator)},
		{"terminals", u.Terminals}, {"bar_outside", b(u.BarOutside)}, {"bar_international", b(u.BarInternational)},
		{"emergency_area", u.EmergencyArea},
	}
}

func (s *Server) adminUsers(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) {
	users, err := s.st.ListUsers(r.Context(), org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	out := shared.AdminUserList{Users: make([]shared.AdminUser, 0, len(users)), Warnings: warnings(users)}
	for _, u := range users {
		out.Users = append(out.Users, adminUserView(u))
	}
	writeJSON(w, http.StatusOK, out)
}

// orgUser returns the organisation's user of the path's {id}; another organisation's user is
// not found, exactly like a missing one. On false it has answered.
func (s *Server) orgUser(w http.ResponseWriter, r *http.Request, org store.Org) (store.User, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "no such user")
		return store.User{}, false
	}
	u, err := s.st.UserByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.OrgID != org.ID) {
		writeError(w, http.StatusNotFound, "no such user")
		return store.User{}, false
	}
	if err != nil {
		s.internal(w, "admin: user", err)
		return store.User{}, false
	}
	return u, true
}

func (s *Server) adminUser(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) {
	if u, ok := s.orgUser(w, r, org); ok {
		writeJSON(w, http.StatusOK, adminUserView(u))
	}
}

var terminalOrder = []string{shared.TerminalSoftphone, shared.TerminalDesk, shared.TerminalMobile}

// applyUser returns u with the update applied and validated for org (without the checks that
// need the other users, see checkUsers).
func applyUser(org store.Org, u store.User, in shared.AdminUserUpdate) (store.User, error) {
	var err error
	if in.Extension != nil {
		n, perr := number.Parse(*in.Extension, org.CountryCode)
		if perr != nil || n.Kind != number.Extension {
			return u, bad("extension must be %d–%d digits, not starting with 0", number.MinExtension, number.MaxExtension)
		}
		vm, act := org.ServiceNumbers()
		if n.Value == vm || n.Value == act || slices.Contains(emergencyNumbers(org), n.Value) {
			return u, conflict("extension %s is a service or emergency number of the organisation", n.Value)
		}
		u.Extension = n.Value
	}
	texts := []struct {
		name  string
		in    *string
		out   *string
		limit int
	}{
		{"name", in.Name, &u.Name, maxFieldRunes},
		{"email", in.Email, &u.Email, maxFieldRunes},
		{"department", in.Department, &u.Department, maxFieldRunes},
		{"title", in.Title, &u.Title, maxFieldRunes},
		{"keywords", in.Keywords, &u.Keywords, maxKeywordsRunes},
	}
	for _, f := range texts {
		if f.in == nil {
			continue
		}
		if *f.out, err = line(f.name, *f.in, f.limit); err != nil {
			return u, err
		}
	}
	if u.Name == "" {
		return u, bad("name must not be empty")
	}
	if u.Email != "" && (!strings.Contains(u.Email, "@") || strings.ContainsAny(u.Email, " <>\"")) {
		return u, bad("%q is not an email address", u.Email)
	}
	if in.CompanyNumber != nil {
		if u.CompanyNumber, err = phone("company_number", *in.CompanyNumber, org.CountryCode); err != nil {
			return u, err
		}
	}
	if in.MobileNumber != nil {
		if u.MobileNumber, err = phone("mobile_number", *in.MobileNumber, org.CountryCode); err != nil {
			return u, err
		}
	}
	if in.Language != nil {
		switch *in.Language {
		case "fi", "sv", "en":
			u.Language = *in.Language
		case "":
		default:
			return u, bad("language must be fi, sv or en")
		}
	}
	if u.Language == "" {
		u.Language = "en"
		if org.CountryCode == "358" {
			u.Language = "fi"
		}
	}
	for _, f := range []struct {
		in  *bool
		out *bool
	}{
		{in.Admin, &u.Admin}, {in.Agent, &u.Agent}, {in.Supervisor, &u.Supervisor}, {in.Operator, &u.Operator},
		{in.BarOutside, &u.BarOutside}, {in.BarInternational, &u.BarInternational},
	} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
	if in.Terminals != nil {
		var got []string
		for _, t := range *in.Terminals {
			if !slices.Contains(terminalOrder, t) {
				return u, bad("terminal %q: use softphone, desk or mobile", t)
			}
		}
		for _, t := range terminalOrder {
			if slices.Contains(*in.Terminals, t) {
				got = append(got, t)
			}
		}
		if len(got) == len(terminalOrder) {
			got = nil // all: the same as none listed
		}
		u.Terminals = strings.Join(got, " ")
	}
	// Seed 004: the operator role needs a computer (the Softphone's switchboard view).
	if u.Operator && u.Terminals != "" && !slices.Contains(strings.Fields(u.Terminals), shared.TerminalSoftphone) {
		return u, bad("the operator role needs the softphone terminal")
	}
	if in.EmergencyArea != nil {
		a := strings.TrimSpace(*in.EmergencyArea)
		if len(a) > 16 || strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") != "" {
			return u, bad("emergency_area must be at most 16 letters, digits or dashes")
		}
		u.EmergencyArea = a
	}
	return u, nil
}

// checkUsers checks the organisation's rules for before → after (the users of the
// organisation; u is the changed user, deleted if del): unique extension and numbers, floating
// licences and administrators.
func checkUsers(org store.Org, before []store.User, u store.User, del bool) ([]store.User, error) {
	after := make([]store.User, 0, len(before)+1)
	found := false
	for _, o := range before {
		if o.ID == u.ID && u.ID != 0 {
			found = true
			if !del {
				after = append(after, u)
			}
			continue
		}
		if !del {
			switch {
			case o.Extension == u.Extension:
				return nil, conflict("extension %s is already %s's", u.Extension, o.Name)
			case u.CompanyNumber != "" && (o.CompanyNumber == u.CompanyNumber || o.MobileNumber == u.CompanyNumber):
				return nil, conflict("company number %s is already %s's", u.CompanyNumber, o.Name)
			case u.MobileNumber != "" && (o.CompanyNumber == u.MobileNumber || o.MobileNumber == u.MobileNumber):
				return nil, conflict("mobile number %s is already %s's", u.MobileNumber, o.Name)
			}
		}
		after = append(after, o)
	}
	if !found && !del {
		after = append(after, u)
	}
	if u.CompanyNumber != "" && u.CompanyNumber == u.MobileNumber {
		return nil, bad("company and mobile number must differ")
	}
	if r, over := store.OverLicence(org, before, after); over {
		return nil, conflict("all %d %s licences of the organisation are in use: take the role from someone or raise %s_licences",
			r.Licences(org), r.Name, r.Name)
	}
	switch store.CheckAdmins(before, after) {
	case store.ErrLastAdmin:
		return nil, conflict("the last administrator cannot be removed: make another user an administrator first")
	case store.ErrSecondAdmin:
		return nil, conflict("an organisation of two or more users keeps at least two administrators: make another user an administrator first")
	}
	return after, nil
}

func (s *Server) adminCreateUser(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	var req shared.AdminUserCreate
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	in := req.AdminUser
	terms := in.Terminals
	u, err := applyUser(org, store.User{OrgID: org.ID}, shared.AdminUserUpdate{
		Extension: &in.Extension, Name: &in.Name, CompanyNumber: &in.CompanyNumber, MobileNumber: &in.MobileNumber,
		Email: &in.Email, Language: &in.Language, Department: &in.Department, Title: &in.Title, Keywords: &in.Keywords,
		Admin: &in.Admin, Agent: &in.Agent, Supervisor: &in.Supervisor, Operator: &in.Operator, Terminals: &terms,
		BarOutside: &in.BarOutside, BarInternational: &in.BarInternational, EmergencyArea: &in.EmergencyArea,
	})
	if err == nil && strings.TrimSpace(in.Extension) == "" {
		err = bad("extension is required")
	}
	if err != nil {
		s.refuse(w, "admin: create user", err)
		return
	}
	if err := auth.ValidatePassword(req.Password, u.Extension); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	before, err := s.st.ListUsers(ctx, org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	after, err := checkUsers(org, before, u, false)
	if err != nil {
		s.refuse(w, "admin: create user", err)
		return
	}
	if err := auth.SetPassword(&u, org.Domain, req.Password); err != nil {
		s.internal(w, "admin: hash password", err)
		return
	}
	u, err = s.st.CreateUser(ctx, u)
	if errors.Is(err, store.ErrConflict) {
		writeError(w, http.StatusConflict, "the extension or a number is already in use")
		return
	}
	if err != nil {
		s.internal(w, "admin: create user", err)
		return
	}
	s.audit(ctx, org.ID, admin, "user.create", "user "+u.Extension, "", summary(userFields(u))+"; password="+passwordChanged)
	s.UserChanged(ctx, u)
	s.changed(ctx, org.ID, u.ID)
	writeJSON(w, http.StatusCreated, shared.AdminUserResult{User: adminUserView(u), Warnings: warnings(after)})
}

func (s *Server) adminUpdateUser(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	old, ok := s.orgUser(w, r, org)
	if !ok {
		return
	}
	var req shared.AdminUserUpdate
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	u, err := applyUser(org, old, req)
	if err != nil {
		s.refuse(w, "admin: update user", err)
		return
	}
	newPassword := req.Password != nil
	if u.Extension != old.Extension && !newPassword {
		// The SIP digest HA1 covers the extension (the user name): it cannot be carried over.
		writeError(w, http.StatusBadRequest, "changing the extension needs a new password in the same request")
		return
	}
	if newPassword {
		if err := auth.ValidatePassword(*req.Password, u.Extension); err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
	}
	before, err := s.st.ListUsers(ctx, org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	after, err := checkUsers(org, before, u, false)
	if err != nil {
		s.refuse(w, "admin: update user", err)
		return
	}
	if err := provision.CheckRolesKept(ctx, s.st, org, old, u); err != nil {
		s.refuseGroup(w, "admin: update user", err)
		return
	}
	if u.Extension != old.Extension {
		if err := provision.CheckUserUnused(ctx, s.st, org, old.Extension); err != nil {
			s.refuseGroup(w, "admin: update user", err)
			return
		}
	}
	if newPassword {
		if err := auth.SetPassword(&u, org.Domain, *req.Password); err != nil {
			s.internal(w, "admin: hash password", err)
			return
		}
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(w, http.StatusConflict, "the extension or a number is already in use")
			return
		}
		s.internal(w, "admin: update user", err)
		return
	}
	if u.Extension != old.Extension {
		// Registrations carry the old user name: the phones register again as the new one.
		if err := s.st.DeleteBindings(ctx, u.ID); err != nil {
			s.log.Error("admin: delete bindings", "user", u.ID, "error", err)
		}
	}
	if newPassword {
		s.dropSessions(u.ID, r)
	}
	oldText, newText := diff(userFields(old), userFields(u))
	if newPassword {
		oldText, newText = joinNonEmpty(oldText, "password="+passwordChanged), joinNonEmpty(newText, "password="+passwordChanged)
	}
	s.audit(ctx, org.ID, admin, "user.update", "user "+old.Extension, oldText, newText)
	s.UserChanged(ctx, u)
	s.changed(ctx, org.ID, u.ID)
	writeJSON(w, http.StatusOK, shared.AdminUserResult{User: adminUserView(u), Warnings: warnings(after)})
}

func joinNonEmpty(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "; " + b
}

func (s *Server) adminDeleteUser(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	u, ok := s.orgUser(w, r, org)
	if !ok {
		return
	}
	ctx := r.Context()
	before, err := s.st.ListUsers(ctx, org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	after, err := checkUsers(org, before, u, true)
	if err != nil {
		s.refuse(w, "admin: delete user", err)
		return
	}
	if err := provision.CheckUserUnused(ctx, s.st, org, u.Extension); err != nil {
		s.refuseGroup(w, "admin: delete user", err)
		return
	}
	s.purgeMailbox(ctx, u)
	if err := s.st.DeleteUser(ctx, org.ID, u.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no such user")
			return
		}
		s.internal(w, "admin: delete user", err)
		return
	}
	s.dropSessions(u.ID, nil)
	s.audit(ctx, org.ID, admin, "user.delete", "user "+u.Extension, summary(userFields(u)), "")
	if s.deps.Directory != nil {
		s.deps.Directory.Invalidate(org.ID)
	}
	s.changed(ctx, org.ID, u.ID)
	writeJSON(w, http.StatusOK, shared.AdminUserResult{User: adminUserView(u), Warnings: warnings(after)})
}

func (s *Server) adminSetPassword(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	u, ok := s.orgUser(w, r, org)
	if !ok {
		return
	}
	var req shared.AdminPassword
	if !decodeBody(w, r, &req) {
		return
	}
	if err := auth.ValidatePassword(req.Password, u.Extension); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx := r.Context()
	if err := auth.SetPassword(&u, org.Domain, req.Password); err != nil {
		s.internal(w, "admin: hash password", err)
		return
	}
	if err := s.st.UpdateUser(ctx, u); err != nil {
		s.internal(w, "admin: set password", err)
		return
	}
	s.dropSessions(u.ID, r)
	s.audit(ctx, org.ID, admin, "user.password", "user "+u.Extension, "", "password="+passwordChanged)
	s.changed(ctx, org.ID, u.ID)
	w.WriteHeader(http.StatusNoContent)
}

// purgeMailbox deletes a leaving user's messages with their files (the records alone would go
// with the user, leaving the audio on disk). A failure is logged: the deletion goes on, and
// the mailbox's recovery keeps unclaimed files for an administrator.
func (s *Server) purgeMailbox(ctx context.Context, u store.User) {
	if s.deps.Voicemail == nil {
		return
	}
	vs, err := s.deps.Voicemail.List(ctx, u.ID)
	if err != nil {
		s.log.Error("admin: delete user: list mailbox", "user", u.ID, "error", err)
		return
	}
	for _, v := range vs {
		if err := s.deps.Voicemail.Delete(ctx, u.ID, v.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Error("admin: delete user: delete message", "user", u.ID, "message", v.ID, "error", err)
		}
	}
}

// adminSetPIN sets a user's voicemail PIN (ORG-2, VM-1: for listening from other phones).
func (s *Server) adminSetPIN(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	u, ok := s.orgUser(w, r, org)
	if !ok {
		return
	}
	var req shared.VoicemailPIN
	if !decodeBody(w, r, &req) {
		return
	}
	if !shared.ValidPIN(req.PIN) {
		writeError(w, http.StatusBadRequest, "a PIN is 4 to 8 digits")
		return
	}
	if !s.needVoicemail(w) {
		return
	}
	if err := s.deps.Voicemail.SetPIN(r.Context(), u.ID, req.PIN); err != nil {
		s.internal(w, "admin: set pin", err)
		return
	}
	s.audit(r.Context(), org.ID, admin, "user.pin", "user "+u.Extension, "", "pin="+passwordChanged)
	w.WriteHeader(http.StatusNoContent)
}

// dropSessions ends the user's API sessions after a new password or a deletion, except the
// one making request r (an administrator changing their own password stays logged in).
func (s *Server) dropSessions(userID int64, r *http.Request) {
	var keep [32]byte
	if r != nil {
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			keep = tokenHash(strings.TrimSpace(token))
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, v := range s.sessions {
		if v.userID == userID && k != keep {
			delete(s.sessions, k)
		}
	}
}

// changed tells the rest of the server that an admin change was stored (Deps.Changed).
func (s *Server) changed(ctx context.Context, orgID, userID int64) {
	if s.deps.Changed != nil {
		s.deps.Changed(ctx, orgID, userID)
	}
}

// ---- activities ----

func activityFields(a sharedpresence.Activity) []field {
	return []field{{"name_fi", a.Names.FI}, {"name_sv", a.Names.SV}, {"name_en", a.Names.EN}, {"green", strconv.FormatBool(a.Green)}}
}

func (s *Server) adminActivities(w http.ResponseWriter, r *http.Request, admin store.User, _ store.Org) {
	s.activities(w, r, admin)
}

func (s *Server) adminPutActivity(w http.ResponseWriter, r *http.Request, admin store.User, _ store.Org) {
	s.putActivity(w, r, admin)
}

// ---- number pool ----

// didNumber parses the path's {number} in any form; on false it has answered 400.
func didNumber(w http.ResponseWriter, r *http.Request, org store.Org) (string, bool) {
	raw := r.PathValue("number")
	n, err := number.Parse(raw, org.CountryCode)
	if err != nil || n.Kind != number.E164 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a phone number", raw))
		return "", false
	}
	return n.Value, true
}

func didView(d store.DID) shared.DID {
	return shared.DID{Number: d.Number, Extension: d.Extension, Note: d.Note}
}

func didFields(d store.DID) []field {
	return []field{{"extension", d.Extension}, {"note", d.Note}}
}

func (s *Server) adminDIDs(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) {
	ds, err := s.st.ListDIDs(r.Context(), org.ID)
	if err != nil {
		s.internal(w, "admin: dids", err)
		return
	}
	out := shared.DIDList{DIDs: make([]shared.DID, 0, len(ds))}
	for _, d := range ds {
		out.DIDs = append(out.DIDs, didView(d))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) adminPutDID(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	num, ok := didNumber(w, r, org)
	if !ok {
		return
	}
	var req shared.DIDUpdate
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	// Ownership first: another organisation's number is a conflict whatever the body says.
	old, err := s.st.DIDByNumber(ctx, num)
	switch {
	case err == nil && old.OrgID != org.ID:
		writeError(w, http.StatusConflict, fmt.Sprintf("%s belongs to another organisation", num))
		return
	case errors.Is(err, store.ErrNotFound):
		old = store.DID{}
	case err != nil:
		s.internal(w, "admin: did", err)
		return
	}
	d := store.DID{OrgID: org.ID, Number: num}
	if d.Note, err = line("note", req.Note, maxFieldRunes); err != nil {
		s.refuse(w, "admin: did", err)
		return
	}
	if ext := strings.TrimSpace(req.Extension); ext != "" {
		vm, act := org.ServiceNumbers()
		if ext != vm && ext != act {
			if _, err := s.st.UserByExtension(ctx, org.ID, ext); errors.Is(err, store.ErrNotFound) {
				writeError(w, http.StatusBadRequest, fmt.Sprintf("extension %q: no such user or service number", ext))
				return
			} else if err != nil {
				s.internal(w, "admin: did extension", err)
				return
			}
		}
		d.Extension = ext
		if _, _, err := s.st.GroupByNumber(ctx, org.ID, num); err == nil {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s is a group's number: it cannot reach an extension", num))
			return
		}
	}
	if err := s.st.PutDID(ctx, d); err != nil {
		if errors.Is(err, store.ErrConflict) {
			writeError(w, http.StatusConflict, fmt.Sprintf("%s belongs to another organisation", num))
			return
		}
		s.internal(w, "admin: put did", err)
		return
	}
	var oldText, newText string
	if old.Number == "" {
		newText = "added; " + summary(didFields(d))
	} else {
		oldText, newText = diff(didFields(old), didFields(d))
	}
	s.audit(ctx, org.ID, admin, "did.put", "did "+num, oldText, strings.TrimSuffix(newText, "; "))
	s.changed(ctx, org.ID, 0)
	writeJSON(w, http.StatusOK, didView(d))
}

func (s *Server) adminDeleteDID(w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	num, ok := didNumber(w, r, org)
	if !ok {
		return
	}
	ctx := r.Context()
	old, err := s.st.DIDByNumber(ctx, num)
	if errors.Is(err, store.ErrNotFound) || (err == nil && old.OrgID != org.ID) {
		writeError(w, http.StatusNotFound, "no such number in the organisation's pool")
		return
	}
	if err != nil {
		s.internal(w, "admin: did", err)
		return
	}
	if err := s.st.DeleteDID(ctx, org.ID, num); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			writeError(w, http.StatusNotFound, "no such number in the organisation's pool")
			return
		}
		if errors.Is(err, store.ErrConflict) { // migration 7: a group answers it
			writeError(w, http.StatusConflict, fmt.Sprintf("%s is a group's number: give the group another number first", num))
			return
		}
		s.internal(w, "admin: delete did", err)
		return
	}
	s.audit(ctx, org.ID, admin, "did.delete", "did "+num, joinNonEmpty("number="+num, summary(didFields(old))), "")
	s.changed(ctx, org.ID, 0)
	w.WriteHeader(http.StatusNoContent)
}

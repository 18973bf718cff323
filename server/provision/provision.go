// Package provision creates and changes organisations and users on behalf of an operator (the
// `vaihde org|user` commands): it validates every field first, so that bad input (an
// InputError) leaves the store untouched, normalises numbers to E.164 with the organisation's
// country code (ORG-3), hashes passwords the one way the server checks them (server/auth), and
// writes an audit entry for each change.
package provision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/api"
)

// Store is what provisioning needs of the database.
type Store interface {
	store.Orgs
	store.Users
	store.Provisioning
	store.NumberPool
	store.Audit
}

// Actor names the CLI in the audit log.
const Actor = "cli"

// Defaults of a new organisation.
const (
	DefaultCountryCode = "358"
	DefaultTimeZone    = store.DefaultTimeZone
)

// OrgSpec is a new organisation as given by the operator.
type OrgSpec struct {
	Domain      string
	Name        string
	CountryCode string // "" = DefaultCountryCode
	TimeZone    string // "" = DefaultTimeZone
}

// UserSpec is a new user as given by the operator. Numbers may be in any form (ORG-3).
type UserSpec struct {
	Org           string // the organisation's domain
	Extension     string
	Name          string
	CompanyNumber string
	MobileNumber  string
	Email         string
	Language      string // "" = fi in a Finnish (358) organisation, else en
	Admin         bool
}

// Service provisions on one store. Now stamps audit entries (time.Now when nil); Log (may be
// nil) hears of audit entries that could not be written.
type Service struct {
	St  Store
	Now func() time.Time
	Log *slog.Logger
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Validate checks spec and returns the organisation it describes, defaults filled in.
func (spec OrgSpec) Validate() (store.Org, error) {
	domain, err := NormalizeDomain(spec.Domain)
	if err != nil {
		return store.Org{}, err
	}
	name, err := validName("organisation name", spec.Name)
	if err != nil {
		return store.Org{}, err
	}
	cc := cmpOr(spec.CountryCode, DefaultCountryCode)
	if err := validCountryCode(cc); err != nil {
		return store.Org{}, err
	}
	tz := cmpOr(spec.TimeZone, DefaultTimeZone)
	if err := validTimeZone(tz); err != nil {
		return store.Org{}, err
	}
	return store.Org{Name: name, Domain: domain, CountryCode: cc, TimeZone: tz}, nil
}

// CreateOrg validates spec and creates the organisation.
func (s *Service) CreateOrg(ctx context.Context, spec OrgSpec) (store.Org, error) {
	o, err := spec.Validate()
	if err != nil {
		return store.Org{}, err
	}
	domain := o.Domain
	if _, err := s.St.OrgByDomain(ctx, domain); err == nil {
		return store.Org{}, badInput("organisation %s already exists", domain)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Org{}, fmt.Errorf("provision: create org %s: %w", domain, err)
	}
	o, err = s.St.CreateOrg(ctx, o)
	if errors.Is(err, store.ErrConflict) {
		return store.Org{}, badInput("organisation %s already exists", domain)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("provision: create org %s: %w", domain, err)
	}
	s.audit(ctx, o.ID, "org.create", "org "+domain, "", fmt.Sprintf("name=%q country_code=%s time_zone=%s", o.Name, o.CountryCode, o.TimeZone))
	return o, nil
}

// org finds the organisation by domain; an unknown one is bad input.
func (s *Service) org(ctx context.Context, domain string) (store.Org, error) {
	if domain == "" {
		return store.Org{}, badInput("organisation is empty: give its domain, e.g. --org acme.example")
	}
	o, err := s.St.OrgByDomain(ctx, domain)
	if errors.Is(err, store.ErrNotFound) {
		return store.Org{}, badInput("unknown organisation %q (see vaihde org list)", domain)
	}
	if err != nil {
		return store.Org{}, fmt.Errorf("provision: organisation %s: %w", domain, err)
	}
	return o, nil
}

// user finds the organisation's user; an unknown one is bad input.
func (s *Service) user(ctx context.Context, o store.Org, ext string) (store.User, error) {
	u, err := s.St.UserByExtension(ctx, o.ID, ext)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, badInput("no user with extension %q in %s", ext, o.Domain)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("provision: user %s@%s: %w", ext, o.Domain, err)
	}
	return u, nil
}

// reserved returns the numbers no user may have as extension in o: its service numbers and
// the emergency numbers.
func reserved(o store.Org) []string {
	vm, act := o.ServiceNumbers()
	return append([]string{vm, act, routing.EmergencyNumber}, strings.Fields(o.EmergencyNumbers)...)
}

// CreateUser validates spec and password and creates the user.
func (s *Service) CreateUser(ctx context.Context, spec UserSpec, password string) (store.User, error) {
	o, err := s.org(ctx, spec.Org)
	if err != nil {
		return store.User{}, err
	}
	if err := validExtension(spec.Extension, reserved(o)); err != nil {
		return store.User{}, err
	}
	name, err := validName("name", spec.Name)
	if err != nil {
		return store.User{}, err
	}
	company, err := normalizeNumber("company number", spec.CompanyNumber, o.CountryCode)
	if err != nil {
		return store.User{}, err
	}
	mobile, err := normalizeNumber("mobile number", spec.MobileNumber, o.CountryCode)
	if err != nil {
		return store.User{}, err
	}
	if company != "" && company == mobile {
		return store.User{}, badInput("company and mobile number are the same (%s)", company)
	}
	if err := validEmail(spec.Email); err != nil {
		return store.User{}, err
	}
	lang := spec.Language
	if lang == "" {
		lang = "en"
		if o.CountryCode == "358" {
			lang = "fi"
		}
	}
	if err := validLanguage(lang); err != nil {
		return store.User{}, err
	}
	if err := validPassword(password, spec.Extension); err != nil {
		return store.User{}, err
	}
	if _, err := s.St.UserByExtension(ctx, o.ID, spec.Extension); err == nil {
		return store.User{}, badInput("extension %s already exists in %s", spec.Extension, o.Domain)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, fmt.Errorf("provision: create user %s@%s: %w", spec.Extension, o.Domain, err)
	}
	for _, n := range []string{company, mobile} {
		if n == "" {
			continue
		}
		if other, err := s.St.UserByNumber(ctx, o.ID, n); err == nil {
			return store.User{}, badInput("number %s already belongs to extension %s in %s", n, other.Extension, o.Domain)
		} else if !errors.Is(err, store.ErrNotFound) {
			return store.User{}, fmt.Errorf("provision: create user %s@%s: %w", spec.Extension, o.Domain, err)
		}
	}
	u := store.User{OrgID: o.ID, Extension: spec.Extension, Name: name, CompanyNumber: company, MobileNumber: mobile,
		Email: spec.Email, Language: lang, Admin: spec.Admin}
	if err := auth.SetPassword(&u, o.Domain, password); err != nil {
		return store.User{}, fmt.Errorf("provision: create user %s@%s: %w", spec.Extension, o.Domain, err)
	}
	u, err = s.St.CreateUser(ctx, u)
	if errors.Is(err, store.ErrConflict) { // created concurrently
		return store.User{}, badInput("extension %s or one of its numbers already exists in %s", spec.Extension, o.Domain)
	}
	if err != nil {
		return store.User{}, fmt.Errorf("provision: create user %s@%s: %w", spec.Extension, o.Domain, err)
	}
	s.audit(ctx, o.ID, "user.create", "user "+u.Extension, "",
		fmt.Sprintf("name=%q company=%s mobile=%s email=%s lang=%s admin=%t", u.Name, u.CompanyNumber, u.MobileNumber, u.Email, u.Language, u.Admin))
	return u, nil
}

// SetPassword gives the user a new password (SIP digest and HTTP API alike).
func (s *Service) SetPassword(ctx context.Context, domain, ext, password string) error {
	o, err := s.org(ctx, domain)
	if err != nil {
		return err
	}
	u, err := s.user(ctx, o, ext)
	if err != nil {
		return err
	}
	if err := validPassword(password, ext); err != nil {
		return err
	}
	if err := auth.SetPassword(&u, o.Domain, password); err != nil {
		return fmt.Errorf("provision: password of %s@%s: %w", ext, o.Domain, err)
	}
	if err := s.St.UpdateUser(ctx, u); err != nil {
		return fmt.Errorf("provision: password of %s@%s: %w", ext, o.Domain, err)
	}
	s.audit(ctx, o.ID, "user.password", "user "+ext, "", "(changed)")
	return nil
}

// DeleteUser removes the user and returns the removed record; the user's voicemail files are
// the caller's to remove (store.Provisioning). The last administrator cannot be removed while
// other users remain, nor one of two while two or more users remain (seed 004).
func (s *Service) DeleteUser(ctx context.Context, domain, ext string) (store.User, error) {
	o, err := s.org(ctx, domain)
	if err != nil {
		return store.User{}, err
	}
	u, err := s.user(ctx, o, ext)
	if err != nil {
		return store.User{}, err
	}
	if u.Admin {
		users, err := s.St.ListUsers(ctx, o.ID)
		if err != nil {
			return store.User{}, fmt.Errorf("provision: delete user %s@%s: %w", ext, o.Domain, err)
		}
		// The admin API's rule (store.CheckAdmins, seed 004), except that the only user of an
		// organisation may go: the operator at the console is trusted further than an admin.
		var after []store.User
		for _, v := range users {
			if v.ID != u.ID {
				after = append(after, v)
			}
		}
		switch err := store.CheckAdmins(users, after); {
		case err == store.ErrLastAdmin && len(after) > 0:
			return store.User{}, badInput("%s is the last administrator of %s: create another administrator first", ext, o.Domain)
		case err == store.ErrSecondAdmin:
			return store.User{}, badInput("%s of two or more users keeps at least two administrators: create another administrator before deleting %s", o.Domain, ext)
		}
	}
	if rd, ok := s.St.(GroupReader); ok {
		if err := CheckUserUnused(ctx, rd, o, u.Extension); err != nil {
			return store.User{}, err
		}
	}
	if err := s.St.DeleteUser(ctx, o.ID, u.ID); err != nil {
		return store.User{}, fmt.Errorf("provision: delete user %s@%s: %w", ext, o.Domain, err)
	}
	s.audit(ctx, o.ID, "user.delete", "user "+ext, fmt.Sprintf("name=%q", u.Name), "")
	return u, nil
}

// AdminWarning returns api.WarnSecondAdmin while the organisation has two or more users but
// fewer than two administrators (seed 004), else "".
func (s *Service) AdminWarning(ctx context.Context, domain string) (string, error) {
	_, users, err := s.Users(ctx, domain)
	if err != nil {
		return "", err
	}
	if store.LacksSecondAdmin(users) {
		return api.WarnSecondAdmin, nil
	}
	return "", nil
}

// Users returns the organisation's users ordered by extension.
func (s *Service) Users(ctx context.Context, domain string) (store.Org, []store.User, error) {
	o, err := s.org(ctx, domain)
	if err != nil {
		return store.Org{}, nil, err
	}
	us, err := s.St.ListUsers(ctx, o.ID)
	if err != nil {
		return store.Org{}, nil, fmt.Errorf("provision: users of %s: %w", domain, err)
	}
	return o, us, nil
}

// Orgs returns every organisation.
func (s *Service) Orgs(ctx context.Context) ([]store.Org, error) {
	orgs, err := s.St.ListOrgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("provision: organisations: %w", err)
	}
	return orgs, nil
}

// audit records a change. The change is made already and stands, so a failed audit write
// (the database failing right after a successful write) is logged, not returned.
func (s *Service) audit(ctx context.Context, orgID int64, action, target, old, new string) {
	_, err := s.St.AddAudit(ctx, store.AuditEntry{OrgID: orgID, Actor: Actor, At: s.now().UTC(),
		Action: action, Target: target, Old: old, New: new})
	if err != nil && s.Log != nil {
		s.Log.Warn("audit log not written", "action", action, "target", target, "error", err)
	}
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

package provision

// Groups (SPEC section 6): the one validation of customer-service queues, hunt groups and IVR
// menus, shared by the admin API and the CLI. CheckQueue, CheckHuntGroup and CheckMenu take the
// record as the caller built it (from JSON or from flags), check every field against the rules
// and the organisation's users and groups, and return it normalised (numbers in E.164 or as
// extensions, skills 1–3, defaults filled in). The store then refuses, atomically, a number that
// a user or another group took meanwhile (*store.NumberError).

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
)

// GroupReader is what group validation reads of the organisation.
type GroupReader interface {
	ListUsers(ctx context.Context, orgID int64) ([]store.User, error)
	Queues(ctx context.Context, orgID int64) ([]store.Queue, error)
	HuntGroups(ctx context.Context, orgID int64) ([]store.HuntGroup, error)
	Menus(ctx context.Context, orgID int64) ([]store.Menu, error)
}

// Limits of group settings: durations are non-negative and at most these.
const (
	MaxGroupWait       = 24 * time.Hour  // maximum wait, rush wait, callback offer thresholds
	MaxRingTime        = 5 * time.Minute // a member's ring time, a callback attempt's
	MaxWrapUp          = time.Hour       // wrap-up after a call
	MaxProgressEvery   = time.Hour       // progress announcement interval
	MaxCallbackValid   = 7 * 24 * time.Hour
	MaxOfferAfterOpen  = 1440 * time.Minute // seed 003: "Enimmäisarvo on 1440 minuuttia"
	MaxStopBeforeClose = 1440 * time.Minute
	MaxMenuTimeout     = time.Minute
	maxGroupCount      = 10000 // calls queued, thresholds
	maxSmallCount      = 100   // attempts, agents at once, auto-logout, repeats
	maxMemberOrder     = 1000
)

// Callback defaults applied when callback is switched on without them (GRP-6).
const (
	DefaultCallbackRingTime = 30 * time.Second
	DefaultCallbackAttempts = 3
	DefaultCallbackValidity = 4 * time.Hour
)

// MenuKeys are the keys an IVR menu option may have (GRP-10).
const MenuKeys = "0123456789*#"

// VoicemailTarget prefixes an overflow target that is a user's voicemail: "voicemail:1001".
const VoicemailTarget = "voicemail:"

// orgGroups indexes the organisation's users and group numbers for the checks.
type orgGroups struct {
	org    store.Org
	users  map[int64]store.User
	byExt  map[string]store.User
	groups map[string]groupRef // number → group
}

type groupRef struct {
	kind store.GroupKind
	id   int64
	name string
}

func loadGroups(ctx context.Context, st GroupReader, org store.Org) (orgGroups, error) {
	g := orgGroups{org: org, users: map[int64]store.User{}, byExt: map[string]store.User{}, groups: map[string]groupRef{}}
	users, err := st.ListUsers(ctx, org.ID)
	if err != nil {
		return g, fmt.Errorf("provision: users of %s: %w", org.Domain, err)
	}
	for _, u := range users {
		g.users[u.ID], g.byExt[u.Extension] = u, u
	}
	qs, err := st.Queues(ctx, org.ID)
	if err != nil {
		return g, fmt.Errorf("provision: queues of %s: %w", org.Domain, err)
	}
	for _, q := range qs {
		g.groups[q.Number] = groupRef{store.KindQueue, q.ID, q.Name}
	}
	hs, err := st.HuntGroups(ctx, org.ID)
	if err != nil {
		return g, fmt.Errorf("provision: hunt groups of %s: %w", org.Domain, err)
	}
	for _, h := range hs {
		g.groups[h.Number] = groupRef{store.KindHunt, h.ID, h.Name}
	}
	ms, err := st.Menus(ctx, org.ID)
	if err != nil {
		return g, fmt.Errorf("provision: menus of %s: %w", org.Domain, err)
	}
	for _, m := range ms {
		g.groups[m.Number] = groupRef{store.KindMenu, m.ID, m.Name}
	}
	return g, nil
}

// conflictInput is bad input that breaks a rule of the organisation (a role not held, a
// number taken): the API answers it 409, the CLI like any bad input.
func conflictInput(format string, args ...any) error {
	return &InputError{msg: fmt.Sprintf(format, args...), conflict: true}
}

// IsConflict reports whether err is bad input against a rule of the organisation.
func IsConflict(err error) bool {
	var ie *InputError
	return errors.As(err, &ie) && ie.conflict
}

// GroupNumber normalises the number a group answers: a test number 8000–8099, or a number of
// the pool in any form (ORG-3) as E.164. Whether it is free is the store's to say.
func GroupNumber(raw string, org store.Org) (string, error) {
	raw = strings.TrimSpace(raw)
	if store.IsTestNumber(raw) {
		for _, r := range reserved(org) {
			if r == raw {
				return "", badInput("number %s is a service or emergency number of the organisation", raw)
			}
		}
		return raw, nil
	}
	n, err := number.Parse(raw, org.CountryCode)
	if err != nil || n.Kind != number.E164 {
		return "", badInput("number %q: give a test number %d–%d or a number of the organisation's pool",
			raw, store.FirstTestNumber, store.LastTestNumber)
	}
	return n.Value, nil
}

// target checks an overflow or menu target: "" (busy/replay, if allowed), "voicemail:<ext>"
// of a user, a user's extension, a service number, another group's or menu's number, or an
// outside number (E.164). self is the group's own number, never a target of its overflow.
func (g orgGroups) target(field, raw, self string, selfID int64) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	if ext, ok := strings.CutPrefix(raw, VoicemailTarget); ok {
		if _, ok := g.byExt[strings.TrimSpace(ext)]; !ok {
			return "", badInput("%s %q: no user with extension %q for voicemail", field, raw, ext)
		}
		return VoicemailTarget + strings.TrimSpace(ext), nil
	}
	n, err := number.Parse(raw, g.org.CountryCode)
	if err != nil || n.Kind == number.Service {
		return "", badInput("%s %q: give an extension, a group number, %s<extension> or a phone number", field, raw, VoicemailTarget)
	}
	v := n.Value
	if v == self {
		return "", badInput("%s %s is the group's own number", field, v)
	}
	if slices.Contains(emergencyNumbersOf(g.org), v) {
		return "", badInput("%s %s is an emergency number", field, v)
	}
	if ref, ok := g.groups[v]; ok && ref.id != selfID {
		return v, nil
	}
	if n.Kind == number.E164 {
		return v, nil // an outside number or one of the pool
	}
	if _, ok := g.byExt[v]; ok {
		return v, nil
	}
	if vm, act := g.org.ServiceNumbers(); v == vm || v == act {
		return v, nil
	}
	return "", badInput("%s %s: no user, group or menu has this number in %s", field, v, g.org.Domain)
}

func emergencyNumbersOf(o store.Org) []string {
	r := reserved(o)
	return r[2:] // reserved = voicemail, activity, 112, extra emergency numbers
}

func duration(field string, d, max time.Duration) error {
	if d < 0 || d > max {
		return badInput("%s must be between 0 and %s", field, max)
	}
	return nil
}

func countIn(field string, n, max int) error {
	if n < 0 || n > max {
		return badInput("%s must be between 0 and %d", field, max)
	}
	return nil
}

func promptName(field, v string) (string, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", nil
	}
	if len(v) > 100 || strings.ContainsAny(v, "\r\n\t") {
		return "", badInput("%s must be one line of at most 100 characters", field)
	}
	return v, nil
}

func checkHours(field string, h *store.OfficeHours) (*store.OfficeHours, error) {
	if h == nil {
		return nil, nil
	}
	out := *h
	out.Outside = "" // groups go to their NightTarget outside the hours
	if out.Start < 0 || out.End > 24*60 || out.End <= out.Start {
		return nil, badInput("%s: the end must be after the start, within one day", field)
	}
	if out.Days == ([7]bool{}) {
		return nil, badInput("%s: give at least one day", field)
	}
	return &out, nil
}

// common checks the fields every kind has.
func (g orgGroups) common(name, num string) (string, string, error) {
	n, err := validName("name", name)
	if err != nil {
		return "", "", err
	}
	num, err = GroupNumber(num, g.org)
	return n, num, err
}

func checkDevices(d store.Devices) store.Devices {
	if d.Softphone && d.Desk && d.Mobile {
		return store.Devices{} // every device: the same as none chosen
	}
	return d
}

// CheckQueue validates a customer-service queue of org (GRP-1…8) and returns it normalised.
// Members must hold the agent (or operator, for switchboard queues) role and supervisors the
// supervisor role (ORG-2).
func CheckQueue(ctx context.Context, st GroupReader, org store.Org, q store.Queue) (store.Queue, error) {
	g, err := loadGroups(ctx, st, org)
	if err != nil {
		return store.Queue{}, err
	}
	q.OrgID = org.ID
	if q.Name, q.Number, err = g.common(q.Name, q.Number); err != nil {
		return store.Queue{}, err
	}
	if q.BillingID, err = promptName("billing id", q.BillingID); err != nil {
		return store.Queue{}, err
	}
	switch q.Show {
	case store.ShowCaller, store.ShowGroupNumber:
		if q.Affix != "" {
			return store.Queue{}, badInput("affix is only for show=%s", store.ShowCallerAffix)
		}
	case store.ShowCallerAffix:
		if q.Affix == "" || len(q.Affix) > 8 || strings.Trim(q.Affix, "0123456789*#") != "" {
			return store.Queue{}, badInput("affix must be 1–8 of the characters 0–9, * and #, e.g. 1*")
		}
	default:
		return store.Queue{}, badInput("show %q: give %q (the caller), %q or %q", q.Show, store.ShowCaller, store.ShowGroupNumber, store.ShowCallerAffix)
	}
	for _, d := range []struct {
		field string
		d     time.Duration
		max   time.Duration
	}{
		{"maximum wait", q.MaxWait, MaxGroupWait}, {"rush maximum wait", q.RushMaxWait, MaxGroupWait},
		{"wrap-up time", q.WrapUp, MaxWrapUp}, {"ring time", q.RingTime, MaxRingTime},
		{"progress interval", q.ProgressEvery, MaxProgressEvery},
		{"callback ring time", q.CallbackRingTime, MaxRingTime}, {"callback validity", q.CallbackValidity, MaxCallbackValid},
		{"offer callback after open", q.OfferAfterOpen, MaxOfferAfterOpen},
		{"offer callback when the longest wait is over", q.OfferLongestOver, MaxGroupWait},
		{"offer callback when the estimated wait is over", q.OfferEstimateOver, MaxGroupWait},
		{"stop offering callback before closing", q.StopBeforeClose, MaxStopBeforeClose},
	} {
		if err := duration(d.field, d.d, d.max); err != nil {
			return store.Queue{}, err
		}
	}
	for _, c := range []struct {
		field string
		n     int
		max   int
	}{
		{"maximum queued", q.MaxQueued, maxGroupCount}, {"rush reopen", q.RushReopen, maxGroupCount},
		{"maximum ring attempts", q.MaxRingAttempts, maxSmallCount}, {"agents rung at once", q.RingAtOnce, maxSmallCount},
		{"auto-logout after", q.AutoLogoutAfter, maxSmallCount}, {"callback attempts", q.CallbackAttempts, maxSmallCount},
		{"offer callback when queued over", q.OfferQueuedOver, maxGroupCount},
	} {
		if err := countIn(c.field, c.n, c.max); err != nil {
			return store.Queue{}, err
		}
	}
	if q.RushReopen > 0 && (q.MaxQueued == 0 || q.RushReopen >= q.MaxQueued) {
		return store.Queue{}, badInput("rush reopen (%d) must be below maximum queued (%d)", q.RushReopen, q.MaxQueued)
	}
	if q.Callback {
		if q.CallbackRingTime == 0 {
			q.CallbackRingTime = DefaultCallbackRingTime
		}
		if q.CallbackAttempts == 0 {
			q.CallbackAttempts = DefaultCallbackAttempts
		}
		if q.CallbackValidity == 0 {
			q.CallbackValidity = DefaultCallbackValidity
		}
	}
	if q.CallbackText, err = promptName("callback text", q.CallbackText); err != nil {
		return store.Queue{}, err
	}
	for _, p := range []struct {
		field string
		v     *string
	}{
		{"entry announcement", &q.EntryPrompt}, {"music", &q.Music}, {"progress announcement", &q.ProgressPrompt},
		{"callback announcement for the agent", &q.CallbackAgentPrompt}, {"callback offer announcement", &q.CallbackOfferPrompt},
	} {
		if *p.v, err = promptName(p.field, *p.v); err != nil {
			return store.Queue{}, err
		}
	}
	for _, t := range []struct {
		field string
		v     *string
	}{
		{"maximum wait target", &q.MaxWaitTarget}, {"rush target", &q.RushTarget}, {"no-answer target", &q.NoAnswerTarget},
		{"no-agents target", &q.NoAgentsTarget}, {"night target", &q.NightTarget},
	} {
		if *t.v, err = g.target(t.field, *t.v, q.Number, q.ID); err != nil {
			return store.Queue{}, err
		}
	}
	if q.Hours, err = checkHours("opening hours", q.Hours); err != nil {
		return store.Queue{}, err
	}
	q.Devices = checkDevices(q.Devices)
	seen := map[int64]bool{}
	for i, m := range q.Members {
		u, ok := g.users[m.UserID]
		if !ok {
			return store.Queue{}, badInput("member %d is not a user of %s", m.UserID, org.Domain)
		}
		if seen[m.UserID] {
			return store.Queue{}, badInput("member %s is listed twice", u.Extension)
		}
		seen[m.UserID] = true
		if !u.Agent && !u.Operator {
			return store.Queue{}, conflictInput("%s (%s) does not hold the agent role: give it first (agent licences)", u.Extension, u.Name)
		}
		if m.Skill == 0 {
			q.Members[i].Skill = 3
		} else if m.Skill < 1 || m.Skill > 3 {
			return store.Queue{}, badInput("skill of %s must be 1 (best) to 3", u.Extension)
		}
		if m.Order < 0 || m.Order > maxMemberOrder {
			return store.Queue{}, badInput("ring order of %s must be 0 (unordered) to %d", u.Extension, maxMemberOrder)
		}
	}
	seen = map[int64]bool{}
	for _, id := range q.Supervisors {
		u, ok := g.users[id]
		if !ok {
			return store.Queue{}, badInput("supervisor %d is not a user of %s", id, org.Domain)
		}
		if seen[id] {
			return store.Queue{}, badInput("supervisor %s is listed twice", u.Extension)
		}
		seen[id] = true
		if !u.Supervisor {
			return store.Queue{}, conflictInput("%s (%s) does not hold the supervisor role: give it first (supervisor licences)", u.Extension, u.Name)
		}
	}
	return q, nil
}

// CheckHuntGroup validates a hunt group of org (GRP-11) and returns it normalised.
func CheckHuntGroup(ctx context.Context, st GroupReader, org store.Org, h store.HuntGroup) (store.HuntGroup, error) {
	g, err := loadGroups(ctx, st, org)
	if err != nil {
		return store.HuntGroup{}, err
	}
	h.OrgID = org.ID
	if h.Name, h.Number, err = g.common(h.Name, h.Number); err != nil {
		return store.HuntGroup{}, err
	}
	switch h.Mode {
	case "":
		h.Mode = store.HuntParallel
	case store.HuntParallel, store.HuntSerial, store.HuntRandom:
	default:
		return store.HuntGroup{}, badInput("mode %q: give parallel, serial or random", h.Mode)
	}
	if err := duration("ring time", h.RingTime, MaxRingTime); err != nil {
		return store.HuntGroup{}, err
	}
	if err := countIn("attempts", h.Attempts, maxSmallCount); err != nil {
		return store.HuntGroup{}, err
	}
	seen := map[int64]bool{}
	for _, id := range h.Members {
		u, ok := g.users[id]
		if !ok {
			return store.HuntGroup{}, badInput("member %d is not a user of %s", id, org.Domain)
		}
		if seen[id] {
			return store.HuntGroup{}, badInput("member %s is listed twice", u.Extension)
		}
		seen[id] = true
	}
	acts := map[int]bool{}
	for _, a := range h.StopActivities {
		if a < 0 || a > 99 || acts[a] {
			return store.HuntGroup{}, badInput("stop activities: %d is not an activity number 0–99 or is listed twice", a)
		}
		acts[a] = true
	}
	for _, t := range []struct {
		field string
		v     *string
	}{{"after-attempts target", &h.AfterTarget}, {"night target", &h.NightTarget}} {
		if *t.v, err = g.target(t.field, *t.v, h.Number, h.ID); err != nil {
			return store.HuntGroup{}, err
		}
	}
	for _, p := range []struct {
		field string
		v     *string
	}{{"announcement before", &h.BeforePrompt}, {"announcement after", &h.AfterPrompt}} {
		if *p.v, err = promptName(p.field, *p.v); err != nil {
			return store.HuntGroup{}, err
		}
	}
	if h.Hours, err = checkHours("opening hours", h.Hours); err != nil {
		return store.HuntGroup{}, err
	}
	h.Devices = checkDevices(h.Devices)
	return h, nil
}

// CheckMenu validates an IVR menu of org (GRP-10) and returns it normalised. An option's
// target may be the menu's own number (replay, as "").
func CheckMenu(ctx context.Context, st GroupReader, org store.Org, m store.Menu) (store.Menu, error) {
	g, err := loadGroups(ctx, st, org)
	if err != nil {
		return store.Menu{}, err
	}
	m.OrgID = org.ID
	if m.Name, m.Number, err = g.common(m.Name, m.Number); err != nil {
		return store.Menu{}, err
	}
	if m.Prompt, err = promptName("announcement", m.Prompt); err != nil {
		return store.Menu{}, err
	}
	if err := duration("timeout", m.Timeout, MaxMenuTimeout); err != nil {
		return store.Menu{}, err
	}
	if err := countIn("repeats", m.Repeats, 10); err != nil {
		return store.Menu{}, err
	}
	opts := make(map[string]string, len(m.Options))
	for k, v := range m.Options {
		if len(k) != 1 || !strings.Contains(MenuKeys, k) {
			return store.Menu{}, badInput("menu key %q: give one of 0–9, * and #", k)
		}
		if strings.TrimSpace(v) == m.Number {
			opts[k] = ""
			continue
		}
		t, err := g.target("key "+k, v, m.Number, m.ID)
		if err != nil {
			return store.Menu{}, err
		}
		opts[k] = t
	}
	m.Options = opts
	for _, t := range []struct {
		field string
		v     *string
	}{{"timeout target", &m.TimeoutTarget}, {"invalid-key target", &m.InvalidTarget}, {"night target", &m.NightTarget}} {
		if *t.v, err = g.target(t.field, *t.v, m.Number, m.ID); err != nil {
			return store.Menu{}, err
		}
	}
	if m.Hours, err = checkHours("opening hours", m.Hours); err != nil {
		return store.Menu{}, err
	}
	return m, nil
}

// StoreError turns a store refusal of a group write into bad input for the operator: a number
// taken meanwhile (*store.NumberError) or a member who is no longer a user; other errors stay.
func StoreError(err error) error {
	var ne *store.NumberError
	switch {
	case errors.As(err, &ne):
		return conflictInput("%s", ne.Error())
	case errors.Is(err, store.ErrNotFound):
		return badInput("a member or supervisor is not a user of the organisation")
	}
	return err
}

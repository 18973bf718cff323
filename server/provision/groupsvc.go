package provision

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// The `vaihde queue|hunt|menu` commands: groups are addressed by their number, members by
// extension. Validation is CheckQueue / CheckHuntGroup / CheckMenu, the admin API's.

// MemberSpec is a queue member as the operator gives it: "1004" or "1004:2" (skill 2).
type MemberSpec struct {
	Extension string
	Skill     int // 0 = 3
	Order     int // 0 = unordered
}

// QueueSpec is a new queue as given on the command line; the other settings keep their
// defaults and are changed through the admin API.
type QueueSpec struct {
	Org         string
	Name        string
	Number      string
	Members     []MemberSpec
	Supervisors []string // extensions
	RingAtOnce  int
	RingTime    time.Duration
}

// HuntSpec is a new hunt group as given on the command line.
type HuntSpec struct {
	Org     string
	Name    string
	Number  string
	Mode    store.HuntMode // "" = parallel
	Members []string       // extensions, in ring order
}

// MenuSpec is a new IVR menu as given on the command line.
type MenuSpec struct {
	Org     string
	Name    string
	Number  string
	Prompt  string
	Options map[string]string // key → number
}

// Pair is one named value of a group, as the audit log shows it.
type Pair struct{ Name, Value string }

func durText(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s" }

func hoursText(h *store.OfficeHours) string {
	if h == nil {
		return ""
	}
	var days []string
	for d, in := range h.Days {
		if in {
			days = append(days, time.Weekday(d).String()[:3])
		}
	}
	return fmt.Sprintf("%s %02d:%02d-%02d:%02d", strings.Join(days, ","), h.Start/60, h.Start%60, h.End/60, h.End%60)
}

func devicesText(d store.Devices) string {
	if d.All() {
		return "all"
	}
	var out []string
	for _, x := range []struct {
		on   bool
		name string
	}{{d.Softphone, "softphone"}, {d.Desk, "desk"}, {d.Mobile, "mobile"}} {
		if x.on {
			out = append(out, x.name)
		}
	}
	return strings.Join(out, " ")
}

func usersText(ids []int64, exts map[int64]string) string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = cmpOr(exts[id], strconv.FormatInt(id, 10))
	}
	return strings.Join(out, " ")
}

// QueueFields are the queue's settings for the audit log; exts names users by extension.
func QueueFields(q store.Queue, exts map[int64]string) []Pair {
	b, i, d := strconv.FormatBool, strconv.Itoa, durText
	var members []string
	for _, m := range q.Members {
		members = append(members, fmt.Sprintf("%s:skill%d:order%d", cmpOr(exts[m.UserID], strconv.FormatInt(m.UserID, 10)), m.Skill, m.Order))
	}
	return []Pair{
		{"name", q.Name}, {"number", q.Number}, {"billing_id", q.BillingID}, {"hide_from_directory", b(q.HideFromDir)},
		{"present_number", b(q.PresentNumber)}, {"show", string(q.Show)}, {"affix", q.Affix}, {"affix_suffix", b(q.AffixSuffix)},
		{"max_wait", d(q.MaxWait)}, {"max_wait_target", q.MaxWaitTarget}, {"max_queued", i(q.MaxQueued)},
		{"rush_reopen", i(q.RushReopen)}, {"rush_max_wait", d(q.RushMaxWait)}, {"rush_target", q.RushTarget},
		{"max_ring_attempts", i(q.MaxRingAttempts)}, {"no_answer_target", q.NoAnswerTarget},
		{"no_agents_target", q.NoAgentsTarget}, {"no_agents_if_none_free", b(q.NoAgentsIfNoneFree)},
		{"red_stops", b(q.RedStops)}, {"longest_idle", b(q.LongestIdle)}, {"devices", devicesText(q.Devices)},
		{"ring_at_once", i(q.RingAtOnce)}, {"wrap_up", d(q.WrapUp)}, {"ring_time", d(q.RingTime)},
		{"auto_logout_after", i(q.AutoLogoutAfter)}, {"entry_prompt", q.EntryPrompt}, {"music", q.Music},
		{"progress_prompt", q.ProgressPrompt}, {"progress_every", d(q.ProgressEvery)},
		{"ringback_on_connect", b(q.RingbackOnConnect)}, {"say_position", b(q.SayPosition)}, {"say_estimate", b(q.SayEstimate)},
		{"callback", b(q.Callback)}, {"callback_ring_time", d(q.CallbackRingTime)}, {"callback_attempts", i(q.CallbackAttempts)},
		{"callback_validity", d(q.CallbackValidity)}, {"callback_text", q.CallbackText},
		{"callback_agent_prompt", q.CallbackAgentPrompt}, {"callback_offer_prompt", q.CallbackOfferPrompt},
		{"offer_after_open", d(q.OfferAfterOpen)}, {"offer_queued_over", i(q.OfferQueuedOver)},
		{"offer_longest_over", d(q.OfferLongestOver)}, {"offer_estimate_over", d(q.OfferEstimateOver)},
		{"stop_before_close", d(q.StopBeforeClose)}, {"hours", hoursText(q.Hours)}, {"night_manual", b(q.NightManual)},
		{"night_target", q.NightTarget}, {"members", strings.Join(members, " ")}, {"supervisors", usersText(q.Supervisors, exts)},
	}
}

// HuntFields are the hunt group's settings for the audit log.
func HuntFields(h store.HuntGroup, exts map[int64]string) []Pair {
	acts := make([]string, len(h.StopActivities))
	for i, a := range h.StopActivities {
		acts[i] = strconv.Itoa(a)
	}
	return []Pair{
		{"name", h.Name}, {"number", h.Number}, {"mode", string(h.Mode)}, {"members", usersText(h.Members, exts)},
		{"devices", devicesText(h.Devices)}, {"ring_time", durText(h.RingTime)}, {"stop_activities", strings.Join(acts, " ")},
		{"stop_red", strconv.FormatBool(h.StopRed)}, {"attempts", strconv.Itoa(h.Attempts)}, {"after_target", h.AfterTarget},
		{"before_prompt", h.BeforePrompt}, {"after_prompt", h.AfterPrompt}, {"hours", hoursText(h.Hours)},
		{"night_target", h.NightTarget}, {"hide_from_directory", strconv.FormatBool(h.HideFromDir)},
	}
}

// MenuFields are the menu's settings for the audit log.
func MenuFields(m store.Menu) []Pair {
	keys := make([]string, 0, len(m.Options))
	for k := range m.Options {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	opts := make([]string, len(keys))
	for i, k := range keys {
		opts[i] = k + "=" + m.Options[k]
	}
	return []Pair{
		{"name", m.Name}, {"number", m.Number}, {"prompt", m.Prompt}, {"options", strings.Join(opts, " ")},
		{"timeout", durText(m.Timeout)}, {"repeats", strconv.Itoa(m.Repeats)}, {"timeout_target", m.TimeoutTarget},
		{"invalid_target", m.InvalidTarget}, {"hours", hoursText(m.Hours)}, {"night_target", m.NightTarget},
	}
}

// PairsSummary lists the set values of fs, for a group created or deleted.
func PairsSummary(fs []Pair) string {
	var out []string
	for _, f := range fs {
		if f.Value != "" && f.Value != "false" && f.Value != "0" && f.Value != "0s" {
			out = append(out, f.Name+"="+f.Value)
		}
	}
	return strings.Join(out, "; ")
}

// PairsDiff returns the values that differ between before and after.
func PairsDiff(before, after []Pair) (old, new string) {
	var o, n []string
	for i := range after {
		if i < len(before) && before[i].Value == after[i].Value {
			continue
		}
		if i < len(before) {
			o = append(o, before[i].Name+"="+before[i].Value)
		}
		n = append(n, after[i].Name+"="+after[i].Value)
	}
	return strings.Join(o, "; "), strings.Join(n, "; ")
}

// Extensions maps the organisation's user IDs to extensions, for the audit log.
func Extensions(users []store.User) map[int64]string {
	m := make(map[int64]string, len(users))
	for _, u := range users {
		m[u.ID] = u.Extension
	}
	return m
}

// groupStore is the store the group commands need.
func (s *Service) groups() (store.GroupStore, error) {
	gs, ok := s.St.(store.GroupStore)
	if !ok {
		return nil, errors.New("provision: the store has no groups")
	}
	return gs, nil
}

// orgUsers returns the organisation with its users by extension.
func (s *Service) orgUsers(ctx context.Context, domain string) (store.Org, map[string]store.User, map[int64]string, error) {
	o, users, err := s.Users(ctx, domain)
	if err != nil {
		return store.Org{}, nil, nil, err
	}
	byExt := make(map[string]store.User, len(users))
	for _, u := range users {
		byExt[u.Extension] = u
	}
	return o, byExt, Extensions(users), nil
}

func (s *Service) reader() (GroupReader, error) {
	r, ok := s.St.(GroupReader)
	if !ok {
		return nil, errors.New("provision: the store has no groups")
	}
	return r, nil
}

func memberID(byExt map[string]store.User, o store.Org, ext string) (int64, error) {
	u, ok := byExt[strings.TrimSpace(ext)]
	if !ok {
		return 0, badInput("no user with extension %q in %s", ext, o.Domain)
	}
	return u.ID, nil
}

// CreateQueue validates spec and creates the queue.
func (s *Service) CreateQueue(ctx context.Context, spec QueueSpec) (store.Queue, error) {
	gs, err := s.groups()
	if err != nil {
		return store.Queue{}, err
	}
	rd, err := s.reader()
	if err != nil {
		return store.Queue{}, err
	}
	o, byExt, exts, err := s.orgUsers(ctx, spec.Org)
	if err != nil {
		return store.Queue{}, err
	}
	q := store.Queue{Name: spec.Name, Number: spec.Number, RingAtOnce: spec.RingAtOnce, RingTime: spec.RingTime}
	for _, m := range spec.Members {
		id, err := memberID(byExt, o, m.Extension)
		if err != nil {
			return store.Queue{}, err
		}
		q.Members = append(q.Members, store.QueueMember{UserID: id, Skill: m.Skill, Order: m.Order})
	}
	for _, ext := range spec.Supervisors {
		id, err := memberID(byExt, o, ext)
		if err != nil {
			return store.Queue{}, err
		}
		q.Supervisors = append(q.Supervisors, id)
	}
	if q, err = CheckQueue(ctx, rd, o, q); err != nil {
		return store.Queue{}, err
	}
	if q, err = gs.CreateQueue(ctx, q); err != nil {
		return store.Queue{}, fmt.Errorf("provision: create queue %s: %w", spec.Number, StoreError(err))
	}
	s.audit(ctx, o.ID, "queue.create", "queue "+q.Number, "", PairsSummary(QueueFields(q, exts)))
	return q, nil
}

// queueByNumber finds the organisation's queue answering num.
func (s *Service) queueByNumber(ctx context.Context, gs store.GroupStore, o store.Org, num string, kind store.GroupKind) (int64, error) {
	n, err := GroupNumber(num, o)
	if err != nil {
		return 0, err
	}
	k, id, err := gs.GroupByNumber(ctx, o.ID, n)
	if errors.Is(err, store.ErrNotFound) || err == nil && k != kind {
		return 0, badInput("no %s with number %s in %s", kindWord[kind], n, o.Domain)
	}
	if err != nil {
		return 0, fmt.Errorf("provision: %s %s: %w", kindWord[kind], n, err)
	}
	return id, nil
}

var kindWord = map[store.GroupKind]string{store.KindQueue: "queue", store.KindHunt: "hunt group", store.KindMenu: "menu"}

// Queues returns the organisation's queues with its users' extensions by ID.
func (s *Service) Queues(ctx context.Context, domain string) ([]store.Queue, map[int64]string, error) {
	gs, err := s.groups()
	if err != nil {
		return nil, nil, err
	}
	o, _, exts, err := s.orgUsers(ctx, domain)
	if err != nil {
		return nil, nil, err
	}
	qs, err := gs.Queues(ctx, o.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("provision: queues of %s: %w", domain, err)
	}
	return qs, exts, nil
}

// DeleteQueue removes the queue answering num.
func (s *Service) DeleteQueue(ctx context.Context, domain, num string) (store.Queue, error) {
	return deleteGroup(ctx, s, domain, num, store.KindQueue, "queue", store.GroupStore.Queue, store.GroupStore.DeleteQueue,
		func(q store.Queue) string { return q.Number }, QueueFields)
}

// deleteGroup removes the group of kind answering num, unless something still sends calls to
// it, and audits what it was.
func deleteGroup[G any](ctx context.Context, s *Service, domain, num string, kind store.GroupKind, action string,
	get func(store.GroupStore, context.Context, int64, int64) (G, error),
	remove func(store.GroupStore, context.Context, int64, int64) error,
	number func(G) string, fields func(G, map[int64]string) []Pair) (G, error) {
	var zero G
	gs, err := s.groups()
	if err != nil {
		return zero, err
	}
	rd, err := s.reader()
	if err != nil {
		return zero, err
	}
	o, _, exts, err := s.orgUsers(ctx, domain)
	if err != nil {
		return zero, err
	}
	id, err := s.queueByNumber(ctx, gs, o, num, kind)
	if err != nil {
		return zero, err
	}
	g, err := get(gs, ctx, o.ID, id)
	if err == nil {
		if err := CheckUnused(ctx, rd, o, number(g), id); err != nil {
			return zero, err
		}
		err = remove(gs, ctx, o.ID, id)
	}
	if err != nil {
		return zero, fmt.Errorf("provision: delete %s %s: %w", kindWord[kind], num, err)
	}
	s.audit(ctx, o.ID, action+".delete", action+" "+number(g), PairsSummary(fields(g, exts)), "")
	return g, nil
}

// SetQueueMember adds the member to the queue answering num, or changes their skill and order.
func (s *Service) SetQueueMember(ctx context.Context, domain, num string, m MemberSpec) (store.Queue, error) {
	return s.changeQueue(ctx, domain, num, func(q *store.Queue, byExt map[string]store.User, o store.Org) error {
		id, err := memberID(byExt, o, m.Extension)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(q.Members, func(x store.QueueMember) bool { return x.UserID == id })
		if i < 0 {
			q.Members = append(q.Members, store.QueueMember{UserID: id})
			i = len(q.Members) - 1
		}
		q.Members[i].Skill, q.Members[i].Order = m.Skill, m.Order
		return nil
	})
}

// RemoveQueueMember removes the member from the queue answering num.
func (s *Service) RemoveQueueMember(ctx context.Context, domain, num, ext string) (store.Queue, error) {
	return s.changeQueue(ctx, domain, num, func(q *store.Queue, byExt map[string]store.User, o store.Org) error {
		id, err := memberID(byExt, o, ext)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(q.Members, func(x store.QueueMember) bool { return x.UserID == id })
		if i < 0 {
			return badInput("%s is no member of queue %s", ext, q.Number)
		}
		q.Members = slices.Delete(q.Members, i, i+1)
		return nil
	})
}

func (s *Service) changeQueue(ctx context.Context, domain, num string, change func(*store.Queue, map[string]store.User, store.Org) error) (store.Queue, error) {
	gs, err := s.groups()
	if err != nil {
		return store.Queue{}, err
	}
	rd, err := s.reader()
	if err != nil {
		return store.Queue{}, err
	}
	o, byExt, exts, err := s.orgUsers(ctx, domain)
	if err != nil {
		return store.Queue{}, err
	}
	id, err := s.queueByNumber(ctx, gs, o, num, store.KindQueue)
	if err != nil {
		return store.Queue{}, err
	}
	old, err := gs.Queue(ctx, o.ID, id)
	if err != nil {
		return store.Queue{}, fmt.Errorf("provision: queue %s: %w", num, err)
	}
	q := old
	q.Members = slices.Clone(old.Members)
	if err := change(&q, byExt, o); err != nil {
		return store.Queue{}, err
	}
	if q, err = CheckQueue(ctx, rd, o, q); err != nil {
		return store.Queue{}, err
	}
	if err := gs.UpdateQueue(ctx, q); err != nil {
		return store.Queue{}, fmt.Errorf("provision: update queue %s: %w", num, StoreError(err))
	}
	oldText, newText := PairsDiff(QueueFields(old, exts), QueueFields(q, exts))
	s.audit(ctx, o.ID, "queue.update", "queue "+q.Number, oldText, newText)
	return q, nil
}

// CreateHuntGroup validates spec and creates the hunt group.
func (s *Service) CreateHuntGroup(ctx context.Context, spec HuntSpec) (store.HuntGroup, error) {
	gs, err := s.groups()
	if err != nil {
		return store.HuntGroup{}, err
	}
	rd, err := s.reader()
	if err != nil {
		return store.HuntGroup{}, err
	}
	o, byExt, exts, err := s.orgUsers(ctx, spec.Org)
	if err != nil {
		return store.HuntGroup{}, err
	}
	h := store.HuntGroup{Name: spec.Name, Number: spec.Number, Mode: spec.Mode}
	for _, ext := range spec.Members {
		id, err := memberID(byExt, o, ext)
		if err != nil {
			return store.HuntGroup{}, err
		}
		h.Members = append(h.Members, id)
	}
	if h, err = CheckHuntGroup(ctx, rd, o, h); err != nil {
		return store.HuntGroup{}, err
	}
	if h, err = gs.CreateHuntGroup(ctx, h); err != nil {
		return store.HuntGroup{}, fmt.Errorf("provision: create hunt group %s: %w", spec.Number, StoreError(err))
	}
	s.audit(ctx, o.ID, "hunt.create", "hunt "+h.Number, "", PairsSummary(HuntFields(h, exts)))
	return h, nil
}

// HuntGroups returns the organisation's hunt groups with its users' extensions by ID.
func (s *Service) HuntGroups(ctx context.Context, domain string) ([]store.HuntGroup, map[int64]string, error) {
	gs, err := s.groups()
	if err != nil {
		return nil, nil, err
	}
	o, _, exts, err := s.orgUsers(ctx, domain)
	if err != nil {
		return nil, nil, err
	}
	hs, err := gs.HuntGroups(ctx, o.ID)
	if err != nil {
		return nil, nil, fmt.Errorf("provision: hunt groups of %s: %w", domain, err)
	}
	return hs, exts, nil
}

// DeleteHuntGroup removes the hunt group answering num.
func (s *Service) DeleteHuntGroup(ctx context.Context, domain, num string) (store.HuntGroup, error) {
	return deleteGroup(ctx, s, domain, num, store.KindHunt, "hunt", store.GroupStore.HuntGroup, store.GroupStore.DeleteHuntGroup,
		func(h store.HuntGroup) string { return h.Number }, HuntFields)
}

// CreateMenu validates spec and creates the IVR menu.
func (s *Service) CreateMenu(ctx context.Context, spec MenuSpec) (store.Menu, error) {
	gs, err := s.groups()
	if err != nil {
		return store.Menu{}, err
	}
	rd, err := s.reader()
	if err != nil {
		return store.Menu{}, err
	}
	o, err := s.org(ctx, spec.Org)
	if err != nil {
		return store.Menu{}, err
	}
	m := store.Menu{Name: spec.Name, Number: spec.Number, Prompt: spec.Prompt, Options: spec.Options}
	if m, err = CheckMenu(ctx, rd, o, m); err != nil {
		return store.Menu{}, err
	}
	if m, err = gs.CreateMenu(ctx, m); err != nil {
		return store.Menu{}, fmt.Errorf("provision: create menu %s: %w", spec.Number, StoreError(err))
	}
	s.audit(ctx, o.ID, "menu.create", "menu "+m.Number, "", PairsSummary(MenuFields(m)))
	return m, nil
}

// Menus returns the organisation's IVR menus.
func (s *Service) Menus(ctx context.Context, domain string) ([]store.Menu, error) {
	gs, err := s.groups()
	if err != nil {
		return nil, err
	}
	o, err := s.org(ctx, domain)
	if err != nil {
		return nil, err
	}
	ms, err := gs.Menus(ctx, o.ID)
	if err != nil {
		return nil, fmt.Errorf("provision: menus of %s: %w", domain, err)
	}
	return ms, nil
}

// DeleteMenu removes the menu answering num.
func (s *Service) DeleteMenu(ctx context.Context, domain, num string) (store.Menu, error) {
	return deleteGroup(ctx, s, domain, num, store.KindMenu, "menu", store.GroupStore.Menu, store.GroupStore.DeleteMenu,
		func(m store.Menu) string { return m.Number }, func(m store.Menu, _ map[int64]string) []Pair { return MenuFields(m) })
}

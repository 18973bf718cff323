package api

// Groups in the admin API (routes and rules in shared/api/groups.go): queues, hunt groups and
// IVR menus. The handlers only translate JSON to store records and back; every rule is checked
// by server/provision (CheckQueue, CheckHuntGroup, CheckMenu), the same code as the CLI's.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/provision"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// refuseGroup answers a refused group change: provision's bad input as 400 (409 for a rule
// of the organisation), anything else as 500.
func (s *Server) refuseGroup(w http.ResponseWriter, op string, err error) {
	err = provision.StoreError(err)
	switch {
	case provision.IsConflict(err):
		writeError(w, http.StatusConflict, err.Error())
	case provision.IsInput(err):
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		s.refuse(w, op, err)
	}
}

// secs converts whole seconds of a request; absurd values become one that the checks refuse.
func secs(v int) time.Duration {
	if v > math.MaxInt32 || v < math.MinInt32 {
		return -1
	}
	return time.Duration(v) * time.Second
}

func secsOut(d time.Duration) int { return int(d / time.Second) }

func devicesIn(ds []string) (store.Devices, error) {
	var d store.Devices
	for _, x := range ds {
		switch x {
		case shared.DeviceSoftphone:
			d.Softphone = true
		case shared.DeviceDesk:
			d.Desk = true
		case shared.DeviceMobile:
			d.Mobile = true
		default:
			return d, bad("device %q: use softphone, desk or mobile", x)
		}
	}
	return d, nil
}

func devicesOut(d store.Devices) []string {
	out := []string{}
	if d.Softphone {
		out = append(out, shared.DeviceSoftphone)
	}
	if d.Desk {
		out = append(out, shared.DeviceDesk)
	}
	if d.Mobile {
		out = append(out, shared.DeviceMobile)
	}
	return out
}

func hhmm(field, v string) (int, error) {
	var hh, mm int
	if n, err := fmt.Sscanf(v, "%d:%d", &hh, &mm); err != nil || n != 2 || len(v) != 5 ||
		hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, bad("%s: bad time %q (give HH:MM)", field, v)
	}
	return hh*60 + mm, nil
}

func hoursIn(h *shared.GroupHours) (*store.OfficeHours, error) {
	if h == nil {
		return nil, nil
	}
	out := &store.OfficeHours{}
	for _, d := range h.Days {
		if d < 0 || d > 6 {
			return nil, bad("opening hours: bad day %d (0 = Sunday … 6 = Saturday)", d)
		}
		out.Days[d] = true
	}
	var err error
	if out.Start, err = hhmm("opening hours", h.Start); err != nil {
		return nil, err
	}
	if out.End, err = hhmm("opening hours", h.End); err != nil {
		return nil, err
	}
	return out, nil
}

func hoursOut(h *store.OfficeHours) *shared.GroupHours {
	if h == nil {
		return nil
	}
	out := &shared.GroupHours{Days: []int{}, Start: fmt.Sprintf("%02d:%02d", h.Start/60, h.Start%60),
		End: fmt.Sprintf("%02d:%02d", h.End/60, h.End%60)}
	for d, in := range h.Days {
		if in {
			out.Days = append(out.Days, d)
		}
	}
	return out
}

// orgUsers indexes the organisation's users for member translation.
type orgUsers struct {
	byID  map[int64]store.User
	byExt map[string]store.User
}

func (s *Server) loadOrgUsers(ctx context.Context, orgID int64) (orgUsers, []store.User, error) {
	users, err := s.st.ListUsers(ctx, orgID)
	if err != nil {
		return orgUsers{}, nil, err
	}
	ou := orgUsers{byID: map[int64]store.User{}, byExt: map[string]store.User{}}
	for _, u := range users {
		ou.byID[u.ID], ou.byExt[u.Extension] = u, u
	}
	return ou, users, nil
}

// memberIn resolves a member given by user_id or, without one, by extension; a user of
// another organisation is left for the checks to refuse as not the organisation's.
func (ou orgUsers) memberIn(m shared.GroupMember) (int64, error) {
	if m.UserID != 0 {
		return m.UserID, nil
	}
	u, ok := ou.byExt[m.Extension]
	if !ok {
		return 0, bad("member %q: give user_id or the extension of a user of the organisation", m.Extension)
	}
	return u.ID, nil
}

func (ou orgUsers) memberOut(id int64, order, skill int) shared.GroupMember {
	u := ou.byID[id]
	return shared.GroupMember{UserID: id, Extension: u.Extension, Name: u.Name, Order: order, Skill: skill}
}

func queueIn(in shared.AdminQueue, ou orgUsers) (store.Queue, error) {
	devices, err := devicesIn(in.Devices)
	if err != nil {
		return store.Queue{}, err
	}
	hours, err := hoursIn(in.Hours)
	if err != nil {
		return store.Queue{}, err
	}
	q := store.Queue{
		Name: in.Name, Number: in.Number, BillingID: in.BillingID, HideFromDir: in.HideFromDirectory,
		PresentNumber: in.PresentNumber, Show: store.ShowNumber(in.Show), Affix: in.Affix, AffixSuffix: in.AffixSuffix,
		MaxWait: secs(in.MaxWaitSec), MaxWaitTarget: in.MaxWaitTarget, MaxQueued: in.MaxQueued, RushReopen: in.RushReopen,
		RushMaxWait: secs(in.RushMaxWaitSec), RushTarget: in.RushTarget, MaxRingAttempts: in.MaxRingAttempts,
		NoAnswerTarget: in.NoAnswerTarget, NoAgentsTarget: in.NoAgentsTarget, NoAgentsIfNoneFree: in.NoAgentsIfNoneFree,
		RedStops: in.RedStops, LongestIdle: in.LongestIdle, Devices: devices, RingAtOnce: in.RingAtOnce,
		WrapUp: secs(in.WrapUpSec), RingTime: secs(in.RingTimeSec), AutoLogoutAfter: in.AutoLogoutAfter,
		EntryPrompt: in.EntryPrompt, Music: in.Music, ProgressPrompt: in.ProgressPrompt, ProgressEvery: secs(in.ProgressEverySec),
		RingbackOnConnect: in.RingbackOnConnect, SayPosition: in.SayPosition, SayEstimate: in.SayEstimate,
		Callback: in.Callback, CallbackRingTime: secs(in.CallbackRingTimeSec), CallbackAttempts: in.CallbackAttempts,
		CallbackValidity: secs(in.CallbackValiditySec), CallbackText: in.CallbackText,
		CallbackAgentPrompt: in.CallbackAgentPrompt, CallbackOfferPrompt: in.CallbackOfferPrompt,
		OfferAfterOpen: secs(in.OfferAfterOpenSec), OfferQueuedOver: in.OfferQueuedOver,
		OfferLongestOver: secs(in.OfferLongestOverSec), OfferEstimateOver: secs(in.OfferEstimateOverSec),
		StopBeforeClose: secs(in.StopBeforeCloseSec), Hours: hours, NightManual: in.NightManual, NightTarget: in.NightTarget,
	}
	for _, m := range in.Members {
		id, err := ou.memberIn(m)
		if err != nil {
			return store.Queue{}, err
		}
		q.Members = append(q.Members, store.QueueMember{UserID: id, Order: m.Order, Skill: m.Skill})
	}
	for _, m := range in.Supervisors {
		id, err := ou.memberIn(m)
		if err != nil {
			return store.Queue{}, err
		}
		q.Supervisors = append(q.Supervisors, id)
	}
	return q, nil
}

func queueOut(q store.Queue, ou orgUsers) shared.AdminQueue {
	out := shared.AdminQueue{
		ID: q.ID, Name: q.Name, Number: q.Number, BillingID: q.BillingID, HideFromDirectory: q.HideFromDir,
		PresentNumber: q.PresentNumber, Show: string(q.Show), Affix: q.Affix, AffixSuffix: q.AffixSuffix,
		MaxWaitSec: secsOut(q.MaxWait), MaxWaitTarget: q.MaxWaitTarget, MaxQueued: q.MaxQueued, RushReopen: q.RushReopen,
		RushMaxWaitSec: secsOut(q.RushMaxWait), RushTarget: q.RushTarget, MaxRingAttempts: q.MaxRingAttempts,
		NoAnswerTarget: q.NoAnswerTarget, NoAgentsTarget: q.NoAgentsTarget, NoAgentsIfNoneFree: q.NoAgentsIfNoneFree,
		RedStops: q.RedStops, LongestIdle: q.LongestIdle, Devices: devicesOut(q.Devices), RingAtOnce: q.RingAtOnce,
		WrapUpSec: secsOut(q.WrapUp), RingTimeSec: secsOut(q.RingTime), AutoLogoutAfter: q.AutoLogoutAfter,
		EntryPrompt: q.EntryPrompt, Music: q.Music, ProgressPrompt: q.ProgressPrompt, ProgressEverySec: secsOut(q.ProgressEvery),
		RingbackOnConnect: q.RingbackOnConnect, SayPosition: q.SayPosition, SayEstimate: q.SayEstimate,
		Callback: q.Callback, CallbackRingTimeSec: secsOut(q.CallbackRingTime), CallbackAttempts: q.CallbackAttempts,
		CallbackValiditySec: secsOut(q.CallbackValidity), CallbackText: q.CallbackText,
		CallbackAgentPrompt: q.CallbackAgentPrompt, CallbackOfferPrompt: q.CallbackOfferPrompt,
		OfferAfterOpenSec: secsOut(q.OfferAfterOpen), OfferQueuedOver: q.OfferQueuedOver,
		OfferLongestOverSec: secsOut(q.OfferLongestOver), OfferEstimateOverSec: secsOut(q.OfferEstimateOver),
		StopBeforeCloseSec: secsOut(q.StopBeforeClose), Hours: hoursOut(q.Hours), NightManual: q.NightManual,
		NightTarget: q.NightTarget, Members: []shared.GroupMember{}, Supervisors: []shared.GroupMember{},
	}
	for _, m := range q.Members {
		out.Members = append(out.Members, ou.memberOut(m.UserID, m.Order, m.Skill))
	}
	for _, id := range q.Supervisors {
		out.Supervisors = append(out.Supervisors, ou.memberOut(id, 0, 0))
	}
	return out
}

func huntIn(in shared.AdminHuntGroup, ou orgUsers) (store.HuntGroup, error) {
	devices, err := devicesIn(in.Devices)
	if err != nil {
		return store.HuntGroup{}, err
	}
	hours, err := hoursIn(in.Hours)
	if err != nil {
		return store.HuntGroup{}, err
	}
	h := store.HuntGroup{Name: in.Name, Number: in.Number, Mode: store.HuntMode(in.Mode), Devices: devices,
		RingTime: secs(in.RingTimeSec), StopActivities: slices.Clone(in.StopActivities), StopRed: in.StopRed,
		Attempts: in.Attempts, AfterTarget: in.AfterTarget, BeforePrompt: in.BeforePrompt, AfterPrompt: in.AfterPrompt,
		Hours: hours, NightTarget: in.NightTarget, HideFromDir: in.HideFromDirectory}
	for _, m := range in.Members {
		id, err := ou.memberIn(m)
		if err != nil {
			return store.HuntGroup{}, err
		}
		h.Members = append(h.Members, id)
	}
	return h, nil
}

func huntOut(h store.HuntGroup, ou orgUsers) shared.AdminHuntGroup {
	out := shared.AdminHuntGroup{ID: h.ID, Name: h.Name, Number: h.Number, Mode: string(h.Mode), Members: []shared.GroupMember{},
		Devices: devicesOut(h.Devices), RingTimeSec: secsOut(h.RingTime), StopActivities: append([]int{}, h.StopActivities...),
		StopRed: h.StopRed, Attempts: h.Attempts, AfterTarget: h.AfterTarget, BeforePrompt: h.BeforePrompt,
		AfterPrompt: h.AfterPrompt, Hours: hoursOut(h.Hours), NightTarget: h.NightTarget, HideFromDirectory: h.HideFromDir}
	for i, id := range h.Members {
		out.Members = append(out.Members, ou.memberOut(id, i+1, 0))
	}
	return out
}

func menuIn(in shared.AdminMenu) (store.Menu, error) {
	hours, err := hoursIn(in.Hours)
	if err != nil {
		return store.Menu{}, err
	}
	return store.Menu{Name: in.Name, Number: in.Number, Prompt: in.Prompt, Options: in.Options,
		Timeout: secs(in.TimeoutSec), Repeats: in.Repeats, TimeoutTarget: in.TimeoutTarget, InvalidTarget: in.InvalidTarget,
		Hours: hours, NightTarget: in.NightTarget}, nil
}

func menuOut(m store.Menu) shared.AdminMenu {
	opts := make(map[string]string, len(m.Options))
	for k, v := range m.Options {
		opts[k] = v
	}
	return shared.AdminMenu{ID: m.ID, Name: m.Name, Number: m.Number, Prompt: m.Prompt, Options: opts,
		TimeoutSec: secsOut(m.Timeout), Repeats: m.Repeats, TimeoutTarget: m.TimeoutTarget, InvalidTarget: m.InvalidTarget,
		Hours: hoursOut(m.Hours), NightTarget: m.NightTarget}
}

func pairs(ps []provision.Pair) []field {
	out := make([]field, len(ps))
	for i, p := range ps {
		out[i] = field{p.Name, p.Value}
	}
	return out
}

// groupID parses the path's {id}; on false it has answered 404.
func groupID(w http.ResponseWriter, r *http.Request, what string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeError(w, http.StatusNotFound, "no such "+what)
		return 0, false
	}
	return id, true
}

// loaded answers a failed load of a group: 404 for a missing one or another organisation's.
func (s *Server) loaded(w http.ResponseWriter, what string, err error) bool {
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no such "+what)
		return false
	}
	if err != nil {
		s.internal(w, "admin: "+what, err)
		return false
	}
	return true
}

// groupKind is one kind of group (queue, hunt group, IVR menu) as the admin handlers see it: the
// kinds differ only in their store calls, JSON and audit fields, so one set of handlers serves all.
type groupKind[G, J any] struct {
	what   string // "hunt group": in errors and log operations
	action string // "hunt": the audit action prefix and target
	list   func(ctx context.Context, orgID int64) ([]G, error)
	get    func(ctx context.Context, orgID, id int64) (G, error)
	in     func(J, orgUsers) (G, error)
	out    func(G, orgUsers) J
	wrap   func([]J) any // the list response
	check  func(ctx context.Context, org store.Org, g G) (G, error)
	create func(ctx context.Context, g G) (G, error)
	update func(ctx context.Context, g G) error
	remove func(ctx context.Context, orgID, id int64) error
	fields func(g G, exts map[int64]string) []provision.Pair
	id     func(*G) *int64
	number func(G) string
}

func (s *Server) queueKind() groupKind[store.Queue, shared.AdminQueue] {
	return groupKind[store.Queue, shared.AdminQueue]{
		what: "queue", action: "queue",
		list: s.st.Queues, get: s.st.Queue, in: queueIn, out: queueOut,
		wrap: func(js []shared.AdminQueue) any { return shared.AdminQueueList{Queues: js} },
		check: func(ctx context.Context, org store.Org, q store.Queue) (store.Queue, error) {
			return provision.CheckQueue(ctx, s.st, org, q)
		},
		create: s.st.CreateQueue, update: s.st.UpdateQueue, remove: s.st.DeleteQueue,
		fields: provision.QueueFields,
		id:     func(q *store.Queue) *int64 { return &q.ID },
		number: func(q store.Queue) string { return q.Number },
	}
}

func (s *Server) huntKind() groupKind[store.HuntGroup, shared.AdminHuntGroup] {
	return groupKind[store.HuntGroup, shared.AdminHuntGroup]{
		what: "hunt group", action: "hunt",
		list: s.st.HuntGroups, get: s.st.HuntGroup, in: huntIn, out: huntOut,
		wrap: func(js []shared.AdminHuntGroup) any { return shared.AdminHuntGroupList{HuntGroups: js} },
		check: func(ctx context.Context, org store.Org, h store.HuntGroup) (store.HuntGroup, error) {
			return provision.CheckHuntGroup(ctx, s.st, org, h)
		},
		create: s.st.CreateHuntGroup, update: s.st.UpdateHuntGroup, remove: s.st.DeleteHuntGroup,
		fields: provision.HuntFields,
		id:     func(h *store.HuntGroup) *int64 { return &h.ID },
		number: func(h store.HuntGroup) string { return h.Number },
	}
}

func (s *Server) menuKind() groupKind[store.Menu, shared.AdminMenu] {
	return groupKind[store.Menu, shared.AdminMenu]{
		what: "menu", action: "menu",
		list: s.st.Menus, get: s.st.Menu,
		in:   func(j shared.AdminMenu, _ orgUsers) (store.Menu, error) { return menuIn(j) },
		out:  func(m store.Menu, _ orgUsers) shared.AdminMenu { return menuOut(m) },
		wrap: func(js []shared.AdminMenu) any { return shared.AdminMenuList{Menus: js} },
		check: func(ctx context.Context, org store.Org, m store.Menu) (store.Menu, error) {
			return provision.CheckMenu(ctx, s.st, org, m)
		},
		create: s.st.CreateMenu, update: s.st.UpdateMenu, remove: s.st.DeleteMenu,
		fields: func(m store.Menu, _ map[int64]string) []provision.Pair { return provision.MenuFields(m) },
		id:     func(m *store.Menu) *int64 { return &m.ID },
		number: func(m store.Menu) string { return m.Number },
	}
}

// groupHandlers are the five admin handlers of one kind of group.
type groupHandlers struct{ list, get, create, update, remove adminHandler }

func handlersFor[G, J any](s *Server, k groupKind[G, J]) groupHandlers {
	return groupHandlers{
		list: func(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) { listGroups(s, k, w, r, org) },
		get:  func(w http.ResponseWriter, r *http.Request, _ store.User, org store.Org) { getGroup(s, k, w, r, org) },
		create: func(w http.ResponseWriter, r *http.Request, a store.User, org store.Org) {
			createGroup(s, k, w, r, a, org)
		},
		update: func(w http.ResponseWriter, r *http.Request, a store.User, org store.Org) {
			updateGroup(s, k, w, r, a, org)
		},
		remove: func(w http.ResponseWriter, r *http.Request, a store.User, org store.Org) {
			deleteGroup(s, k, w, r, a, org)
		},
	}
}

func listGroups[G, J any](s *Server, k groupKind[G, J], w http.ResponseWriter, r *http.Request, org store.Org) {
	ou, _, err := s.loadOrgUsers(r.Context(), org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	gs, err := k.list(r.Context(), org.ID)
	if err != nil {
		s.internal(w, "admin: "+k.what+"s", err)
		return
	}
	out := make([]J, 0, len(gs))
	for _, g := range gs {
		out = append(out, k.out(g, ou))
	}
	writeJSON(w, http.StatusOK, k.wrap(out))
}

func getGroup[G, J any](s *Server, k groupKind[G, J], w http.ResponseWriter, r *http.Request, org store.Org) {
	id, ok := groupID(w, r, k.what)
	if !ok {
		return
	}
	g, err := k.get(r.Context(), org.ID, id)
	if !s.loaded(w, k.what, err) {
		return
	}
	ou, _, err := s.loadOrgUsers(r.Context(), org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	writeJSON(w, http.StatusOK, k.out(g, ou))
}

func createGroup[G, J any](s *Server, k groupKind[G, J], w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	var zero G
	putGroup(s, k, w, r, admin, org, zero)
}

func updateGroup[G, J any](s *Server, k groupKind[G, J], w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	id, ok := groupID(w, r, k.what)
	if !ok {
		return
	}
	old, err := k.get(r.Context(), org.ID, id)
	if !s.loaded(w, k.what, err) {
		return
	}
	putGroup(s, k, w, r, admin, org, old)
}

// putGroup creates (old's ID 0) or replaces a group from the request body.
func putGroup[G, J any](s *Server, k groupKind[G, J], w http.ResponseWriter, r *http.Request, admin store.User, org store.Org, old G) {
	var req J
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	ou, users, err := s.loadOrgUsers(ctx, org.ID)
	if err != nil {
		s.internal(w, "admin: users", err)
		return
	}
	g, err := k.in(req, ou)
	if err != nil {
		s.refuse(w, "admin: "+k.what, err)
		return
	}
	oldID := *k.id(&old)
	*k.id(&g) = oldID
	if g, err = k.check(ctx, org, g); err != nil {
		s.refuseGroup(w, "admin: "+k.what, err)
		return
	}
	exts := provision.Extensions(users)
	if oldID == 0 {
		if g, err = k.create(ctx, g); err != nil {
			s.refuseGroup(w, "admin: create "+k.what, err)
			return
		}
		s.audit(ctx, org.ID, admin, k.action+".create", k.action+" "+k.number(g), "", provision.PairsSummary(k.fields(g, exts)))
	} else {
		if err := k.update(ctx, g); err != nil {
			s.refuseGroup(w, "admin: update "+k.what, err)
			return
		}
		o, n := diff(pairs(k.fields(old, exts)), pairs(k.fields(g, exts)))
		s.audit(ctx, org.ID, admin, k.action+".update", k.action+" "+k.number(old), o, n)
	}
	s.changed(ctx, org.ID, 0)
	code := http.StatusOK
	if oldID == 0 {
		code = http.StatusCreated
	}
	writeJSON(w, code, k.out(g, ou))
}

func deleteGroup[G, J any](s *Server, k groupKind[G, J], w http.ResponseWriter, r *http.Request, admin store.User, org store.Org) {
	id, ok := groupID(w, r, k.what)
	if !ok {
		return
	}
	ctx := r.Context()
	g, err := k.get(ctx, org.ID, id)
	if !s.loaded(w, k.what, err) {
		return
	}
	if err := provision.CheckUnused(ctx, s.st, org, k.number(g), id); err != nil {
		s.refuseGroup(w, "admin: delete "+k.what, err)
		return
	}
	if !s.loaded(w, k.what, k.remove(ctx, org.ID, id)) {
		return
	}
	_, users, _ := s.loadOrgUsers(ctx, org.ID)
	s.audit(ctx, org.ID, admin, k.action+".delete", k.action+" "+k.number(g), provision.PairsSummary(k.fields(g, provision.Extensions(users))), "")
	s.changed(ctx, org.ID, 0)
	w.WriteHeader(http.StatusNoContent)
}

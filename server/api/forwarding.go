package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/number"
)

// Bounds of the no-answer ring time (ROUTE-2).
const (
	minRingSeconds = 5
	maxRingSeconds = 120
)

// number normalises a number the user typed for field: "" stays "", an extension must be a
// colleague's, a phone number becomes E.164; service codes and anything else are refused
// with a badRequest naming field.
func (s *Server) number(ctx context.Context, org store.Org, field, raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	n, err := number.Parse(raw, org.CountryCode)
	if err != nil || (n.Kind != number.Extension && n.Kind != number.E164) {
		return "", badRequest{field + ": not a phone number"}
	}
	if n.Kind == number.Extension {
		_, err := s.st.UserByExtension(ctx, org.ID, n.Value)
		if errors.Is(err, store.ErrNotFound) {
			return "", badRequest{fmt.Sprintf("%s: no such extension %s", field, n.Value)}
		}
		if err != nil {
			return "", fmt.Errorf("%s: look up extension %s: %w", field, n.Value, err)
		}
	}
	return n.Value, nil
}

// target normalises a forwarding target: "" or "voicemail" → "" (voicemail), "none" →
// store.ForwardNone, else a number that is not the user's own.
func (s *Server) target(ctx context.Context, org store.Org, u store.User, field, raw string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "", shared.ForwardVoicemail:
		return "", nil
	case shared.ForwardNone:
		return store.ForwardNone, nil
	}
	return s.forwardNumber(ctx, org, u, field, raw)
}

// forwardNumber is number plus the refusal of the user's own extension and numbers, which
// would send the call back to where it came from.
func (s *Server) forwardNumber(ctx context.Context, org store.Org, u store.User, field, raw string) (string, error) {
	v, err := s.number(ctx, org, field, raw)
	if err != nil || v == "" {
		return v, err
	}
	if v == u.Extension || v == u.CompanyNumber || v == u.MobileNumber {
		return "", badRequest{field + ": forwarding to yourself"}
	}
	return v, nil
}

// targetOut shows a stored target: voicemail explicitly, so a client need not know that ""
// means it.
func targetOut(t string) string {
	if t == "" {
		return shared.ForwardVoicemail
	}
	return t
}

// activityNumbers returns the numbers of the organisation's activities.
func (s *Server) activityNumbers(ctx context.Context, orgID int64) (map[int]bool, error) {
	nums := map[int]bool{}
	if s.deps.Presence != nil {
		acts, err := s.deps.Presence.Activities(ctx, orgID)
		if err != nil {
			return nil, fmt.Errorf("activities of org %d: %w", orgID, err)
		}
		for _, a := range acts {
			nums[a.Number] = true
		}
		return nums, nil
	}
	acts, err := s.st.Activities(ctx, orgID)
	if err != nil {
		return nil, fmt.Errorf("activities of org %d: %w", orgID, err)
	}
	for _, a := range acts {
		nums[a.Number] = true
	}
	return nums, nil
}

// validForwarding checks req and returns the record to store.
func (s *Server) validForwarding(ctx context.Context, u store.User, org store.Org, req shared.Forwarding) (store.Forwarding, error) {
	f := store.Forwarding{UserID: u.ID}
	var err error
	if f.Immediate, err = s.forwardNumber(ctx, org, u, "immediate", req.Immediate); err != nil {
		return f, err
	}
	for _, t := range []struct {
		field, raw string
		dst        *string
	}{
		{"busy", req.Busy, &f.Busy},
		{"no answer", req.NoAnswer, &f.NoAnswer},
		{"unreachable", req.Unreachable, &f.Unreachable},
	} {
		if *t.dst, err = s.target(ctx, org, u, t.field, t.raw); err != nil {
			return f, err
		}
	}
	if req.RingTimeSeconds != 0 && (req.RingTimeSeconds < minRingSeconds || req.RingTimeSeconds > maxRingSeconds) {
		return f, badRequest{fmt.Sprintf("ring time must be %d–%d seconds", minRingSeconds, maxRingSeconds)}
	}
	f.RingTime = time.Duration(req.RingTimeSeconds) * time.Second
	if len(req.Activities) > 0 {
		known, err := s.activityNumbers(ctx, u.OrgID)
		if err != nil {
			return f, err
		}
		f.Activities = make(map[int]string, len(req.Activities))
		for _, a := range req.Activities {
			if !known[a.Activity] {
				return f, badRequest{fmt.Sprintf("unknown activity %d", a.Activity)}
			}
			if _, dup := f.Activities[a.Activity]; dup {
				return f, badRequest{fmt.Sprintf("activity %d listed twice", a.Activity)}
			}
			if f.Activities[a.Activity], err = s.target(ctx, org, u, fmt.Sprintf("activity %d", a.Activity), a.Target); err != nil {
				return f, err
			}
		}
	}
	if req.Hours != nil {
		if f.Hours, err = s.officeHours(ctx, org, u, *req.Hours); err != nil {
			return f, err
		}
	}
	return f, nil
}

// officeHours checks the office hours of a request (ROUTE-3).
func (s *Server) officeHours(ctx context.Context, org store.Org, u store.User, req shared.OfficeHours) (*store.OfficeHours, error) {
	h := &store.OfficeHours{}
	for _, d := range req.Days {
		if d < 0 || d > 6 {
			return nil, badRequest{fmt.Sprintf("office hours: bad day %d", d)}
		}
		h.Days[d] = true
	}
	var err error
	if h.Start, err = clockMinutes(req.Start); err != nil {
		return nil, err
	}
	if h.End, err = clockMinutes(req.End); err != nil {
		return nil, err
	}
	if h.End <= h.Start {
		return nil, badRequest{"office hours: end must be after start"}
	}
	if h.Outside, err = s.target(ctx, org, u, "office hours", req.Outside); err != nil {
		return nil, err
	}
	return h, nil
}

// clockMinutes reads "HH:MM" (24-hour; "24:00" is the end of the day) as minutes after midnight.
func clockMinutes(v string) (int, error) {
	var hh, mm int
	if n, err := fmt.Sscanf(v, "%d:%d", &hh, &mm); err != nil || n != 2 || len(v) != 5 ||
		hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
		return 0, badRequest{fmt.Sprintf("office hours: bad time %q", v)}
	}
	return hh*60 + mm, nil
}

// forwardingOut converts a record; VIPs come from the user's contacts.
func forwardingOut(f store.Forwarding, vips []string) shared.Forwarding {
	out := shared.Forwarding{Immediate: f.Immediate, Busy: targetOut(f.Busy), NoAnswer: targetOut(f.NoAnswer),
		RingTimeSeconds: int(f.RingTime / time.Second), Unreachable: targetOut(f.Unreachable),
		Activities: make([]shared.ActivityRoute, 0, len(f.Activities)), VIPs: vips}
	for a, t := range f.Activities {
		out.Activities = append(out.Activities, shared.ActivityRoute{Activity: a, Target: targetOut(t)})
	}
	slices.SortFunc(out.Activities, func(a, b shared.ActivityRoute) int { return a.Activity - b.Activity })
	if h := f.Hours; h != nil {
		oh := &shared.OfficeHours{Days: []int{}, Start: fmt.Sprintf("%02d:%02d", h.Start/60, h.Start%60),
			End: fmt.Sprintf("%02d:%02d", h.End/60, h.End%60), Outside: targetOut(h.Outside)}
		for d, in := range h.Days {
			if in {
				oh.Days = append(oh.Days, d)
			}
		}
		out.Hours = oh
	}
	return out
}

// vips returns the numbers that pass the user's away notice (AWAY-1): those of personal
// contacts marked VIP and, for a VIP contact that is a colleague, the colleague's extension
// and numbers (matching is by number, so both forms count). Sorted, without duplicates.
func (s *Server) vips(ctx context.Context, u store.User) ([]string, error) {
	contacts, err := s.st.ContactsOf(ctx, u.OrgID, u.ID)
	if err != nil {
		return nil, fmt.Errorf("contacts of user %d: %w", u.ID, err)
	}
	var out []string
	for _, c := range contacts {
		if !c.VIP {
			continue
		}
		out = append(out, c.Mobile, c.Phone)
		if c.UserID == 0 {
			continue
		}
		col, err := s.st.UserByID(ctx, c.UserID)
		if errors.Is(err, store.ErrNotFound) {
			continue // the colleague left; the contact's own numbers still count
		}
		if err != nil {
			return nil, fmt.Errorf("vip colleague %d: %w", c.UserID, err)
		}
		if col.OrgID == u.OrgID {
			out = append(out, col.Extension, col.CompanyNumber, col.MobileNumber)
		}
	}
	out = slices.DeleteFunc(out, func(n string) bool { return n == "" })
	slices.Sort(out)
	return slices.Compact(out), nil
}

func (s *Server) forwarding(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	f, err := s.st.Forwarding(ctx, u.ID)
	if err != nil {
		s.internal(w, "forwarding", err)
		return
	}
	s.writeForwarding(w, r, u, f)
}

func (s *Server) writeForwarding(w http.ResponseWriter, r *http.Request, u store.User, f store.Forwarding) {
	vips, err := s.vips(r.Context(), u)
	if err != nil {
		s.internal(w, "forwarding: vips", err)
		return
	}
	writeJSON(w, http.StatusOK, forwardingOut(f, vips))
}

// putForwarding replaces the user's routing; VIPs are ignored (they follow the contacts).
func (s *Server) putForwarding(w http.ResponseWriter, r *http.Request, u store.User) {
	var req shared.Forwarding
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	org, err := s.st.OrgByID(ctx, u.OrgID)
	if err != nil {
		s.internal(w, "forwarding: load org", err)
		return
	}
	f, err := s.validForwarding(ctx, u, org, req)
	var bad badRequest
	if errors.As(err, &bad) {
		writeError(w, http.StatusBadRequest, bad.msg)
		return
	}
	if err != nil {
		s.internal(w, "forwarding", err)
		return
	}
	f.UpdatedAt = s.now()
	if err := s.st.PutForwarding(ctx, f); err != nil {
		s.internal(w, "put forwarding", err)
		return
	}
	s.log.Info("forwarding changed", "user", u.ID, "immediate", f.Immediate != "")
	s.writeForwarding(w, r, u, f)
}

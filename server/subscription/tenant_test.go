package subscription

import (
	"testing"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/store"
)

// subscribeIn builds a SUBSCRIBE from u as ext@domain for user@toDomain (the organisation is
// chosen by the To domain; the Request-URI is the server's address).
func (u *ua) subscribeIn(ext, domain, user, toDomain, event string) *sip.Request {
	req, _ := u.subscribeReq(user, event, 600)
	req.From().Address = sip.Uri{Scheme: "sip", User: ext, Host: domain}
	req.To().Address = sip.Uri{Scheme: "sip", User: user, Host: toDomain}
	return req
}

// TestIntegrationSubscribeAcrossOrganisationsRefused (ORG-1): for presence, dialog and
// message-summary, a user of the other organisation cannot watch the demo organisation's
// users — by naming the demo domain (refused in that realm) or by number from its own
// organisation (not found there) — and the same extension in both organisations stays two
// people: other.test's 1001 watching "1001" watches itself, not demo's 1001.
func TestIntegrationSubscribeAcrossOrganisationsRefused(t *testing.T) {
	h := newHarness(t)
	other, err := h.st.OrgByDomain(h.ctx, "other.test")
	if err != nil {
		t.Fatal(err)
	}
	twin, err := h.st.CreateUser(h.ctx, store.User{OrgID: other.ID, Extension: "1001", Name: "Other 1001",
		HA1MD5: auth.HA1MD5("1001", other.Domain, "otherpw"), HA1SHA256: auth.HA1SHA256("1001", other.Domain, "otherpw")})
	if err != nil {
		t.Fatal(err)
	}
	o := h.newUA("2001")
	for _, event := range []string{EventPresence, EventDialog, EventMessageSummary} {
		t.Run(event, func(t *testing.T) {
			o.t = t
			before := h.svc.Count()
			if res := o.do(o.subscribeIn("2001", other.Domain, "1002", demo.Domain, event), o.pass); res.StatusCode != 403 {
				t.Fatalf("SUBSCRIBE to 1002@%s from other.test: %d %s, want 403", demo.Domain, res.StatusCode, res.Reason)
			}
			res := o.do(o.subscribeIn("2001", other.Domain, h.users["1002"].CompanyNumber, other.Domain, event), o.pass)
			switch event {
			case EventMessageSummary:
				// A mailbox subscription for someone unknown is one's own mailbox, never theirs.
				if res.StatusCode != 200 {
					t.Fatalf("message-summary by demo's number: %d", res.StatusCode)
				}
				for _, sb := range h.subsNow() {
					if sb.target.OrgID != other.ID {
						t.Fatalf("subscription of %s watches user %d of organisation %d", sb.subscriber.Extension, sb.target.ID, sb.target.OrgID)
					}
				}
			default:
				if res.StatusCode != 404 {
					t.Fatalf("SUBSCRIBE to demo's number from other.test: %d %s, want 404", res.StatusCode, res.Reason)
				}
				if n := h.svc.Count(); n != before {
					t.Fatalf("%d subscriptions after refusals, want %d", n, before)
				}
			}
		})
	}
	// Same extension, two people.
	tw := h.newUA("1001")
	tw.pass = "otherpw"
	// Its credentials mean nothing in the demo realm, where a 1001 exists too.
	if res := tw.do(tw.subscribeIn("1001", other.Domain, "1002", demo.Domain, EventPresence), tw.pass); res.StatusCode != 403 {
		t.Fatalf("other.test 1001 into the demo realm: %d, want 403", res.StatusCode)
	}
	if res := tw.do(tw.subscribeIn("1001", other.Domain, "1001", other.Domain, EventPresence), tw.pass); res.StatusCode != 200 {
		t.Fatalf("other.test 1001 watching its own 1001: %d", res.StatusCode)
	}
	found := false
	for _, sb := range h.subsNow() {
		if sb.subscriber.ID == twin.ID {
			found = true
			if sb.target.ID != twin.ID {
				t.Fatalf("other.test 1001 watches user %d, want itself (%d), not demo's 1001 (%d)", sb.target.ID, twin.ID, h.users["1001"].ID)
			}
		}
	}
	if !found {
		t.Fatal("no subscription of other.test's 1001")
	}
}

// subsNow returns the active subscriptions.
func (h *harness) subsNow() []*sub {
	h.svc.mu.Lock()
	defer h.svc.mu.Unlock()
	out := make([]*sub, 0, len(h.svc.subs))
	for _, sb := range h.svc.subs {
		out = append(out, sb)
	}
	return out
}

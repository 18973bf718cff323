package b2bua

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/routing"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// otherDomain is the second organisation of the tenant tests; it has extensions 1001 and 1002
// too, with other passwords.
const otherDomain = "acme.example"

// addOrg creates a second organisation (not the demo one) with users 1001 and 1002 and returns
// it; h.pass/h.users keep the demo organisation's, the returned maps the new one's.
func (h *harness) addOrg(domain string) (store.Org, map[string]store.User, map[string]string) {
	t := h.t
	t.Helper()
	org, err := h.st.CreateOrg(h.ctx, store.Org{Name: "Acme Oy", Domain: domain, CountryCode: "358"})
	if err != nil {
		t.Fatal(err)
	}
	users, pass := map[string]store.User{}, map[string]string{}
	for i := 1; i <= 2; i++ {
		ext := fmt.Sprintf("100%d", i)
		pw := "acme" + ext
		u, err := h.st.CreateUser(h.ctx, store.User{
			OrgID: org.ID, Extension: ext, Name: "Acme " + ext, Language: "en",
			CompanyNumber: fmt.Sprintf("+3589111100%02d", i),
			HA1MD5:        auth.HA1MD5(ext, domain, pw), HA1SHA256: auth.HA1SHA256(ext, domain, pw),
		})
		if err != nil {
			t.Fatal(err)
		}
		users[ext], pass[ext] = u, pw
	}
	return org, users, pass
}

// phoneIn creates a phone for ext@domain and registers it (Request-URI sip:domain, sent to
// the server's address).
func (h *harness) phoneIn(domain, ext, pass string) *testPhone {
	t := h.t
	t.Helper()
	p := newTestPhone(t, h.ctx, "phone-"+ext+"@"+domain, ext, pass, []sdpmedia.Codec{sdpmedia.PCMU, sdpmedia.PCMA})
	req := sip.NewRequest(sip.REGISTER, sip.Uri{Scheme: "sip", Host: domain})
	aor := sip.Uri{Scheme: "sip", User: ext, Host: domain}
	fp := sip.NewParams()
	fp.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(&sip.FromHeader{Address: aor, Params: fp})
	req.AppendHeader(&sip.ToHeader{Address: aor})
	host, port, _ := sip.ParseAddr(p.addr)
	req.AppendHeader(&sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: ext, Host: host, Port: port}})
	req.AppendHeader(sip.NewHeader("Expires", "300"))
	req.SetDestination(fmt.Sprintf("%s:%d", h.host, h.port))
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	res, err := p.cli.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = p.cli.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: ext, Password: pass})
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("register %s@%s: %v %v", ext, domain, res, err)
	}
	return p
}

// dialDomain calls user@domain from p (Request-URI in that domain, sent to the server) with
// p's own credentials and waits for the final answer.
func (h *harness) dialDomain(ctx context.Context, p *testPhone, fromDomain, user, domain string, extra ...sip.Header) (*sipgo.DialogClientSession, error) {
	uri := sip.Uri{Scheme: "sip", User: user, Host: domain}
	req := sip.NewRequest(sip.INVITE, uri)
	from := &sip.FromHeader{Address: sip.Uri{Scheme: "sip", User: p.user, Host: fromDomain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: uri})
	for _, x := range extra {
		req.AppendHeader(x)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(p.sdp(sdpmedia.SendRecv))
	req.SetDestination(fmt.Sprintf("%s:%d", h.host, h.port))
	sess, err := p.dcc.WriteInvite(ctx, req)
	if err != nil {
		return nil, err
	}
	if err := sess.WaitAnswer(ctx, sipgo.AnswerOptions{Username: p.user, Password: p.pass}); err != nil {
		return sess, err
	}
	return sess, sess.Ack(ctx)
}

// noCall fails if p receives an INVITE within d.
func noCall(t *testing.T, p *testPhone, d time.Duration, what string) {
	t.Helper()
	select {
	case in := <-p.incoming:
		t.Fatalf("%s: %s received INVITE %s", what, p.name, in.req.Recipient.String())
	case <-time.After(d):
	}
}

// carrierHarness is a harness whose trunk is a test phone playing the carrier.
func carrierHarness(t *testing.T, adjust func(*Trunk)) (*harness, *testPhone) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMA})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	h := newHarnessWith(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example",
			DIDs: map[string]string{"+35891230000": "1002"}}
		if adjust != nil {
			adjust(&c.Trunk)
		}
	})
	return h, carrier
}

// fromCarrier is a call from the carrier to a DID, answered by the user's phone.
func (h *harness) fromCarrier(t *testing.T, carrier, callee *testPhone, did string) (*sipgo.DialogClientSession, *inbound) {
	t.Helper()
	done := make(chan dialResult, 1)
	go func() {
		s, err := carrier.dialAs(h.ctx, fmt.Sprintf("sip:%s@%s:%d", did, h.host, h.port), "+358501112222")
		done <- dialResult{s, err}
	}()
	in := callee.expectCall(t)
	in.answer(t, 200)
	return answered(t, done, "call from the carrier"), in
}

// TestIntegrationReferFromTrunkNeverDialsOut (NF-1 toll fraud): an outside caller who sends
// REFER on its call from the carrier is refused with 403 and the carrier never receives an
// INVITE; the user on the same call may transfer the caller out (so an INVITE would be seen).
func TestIntegrationReferFromTrunkNeverDialsOut(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	b := h.phone("1002")
	sess, inB := h.fromCarrier(t, carrier, b, "+35891230000")
	target := sess.InviteResponse.Contact().Address
	for _, referTo := range []string{
		"sip:+46701234567@" + h.host,     // abroad
		"sip:0401234567@carrier.example", // national
		"sip:1003@" + demo.Domain,        // even a colleague: outsiders do not transfer
	} {
		res, err := inDialog(h.ctx, sess, target, sip.REFER, nil, sip.NewHeader("Refer-To", "<"+referTo+">"))
		if err != nil {
			t.Fatalf("REFER to %s: %v", referTo, err)
		}
		if res.StatusCode != 403 {
			t.Fatalf("REFER from the trunk to %s answered %d %s, want 403", referTo, res.StatusCode, res.Reason)
		}
	}
	noCall(t, carrier, 1500*time.Millisecond, "REFER from the trunk")
	checkAudio(t, carrier, sess.InviteResponse.Body(), b) // the call is untouched

	// The user may transfer the outside caller out: then the carrier does see an INVITE.
	res, err := inDialog(h.ctx, inB.sess, inB.req.Contact().Address, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<sip:0401234567@"+demo.Domain+">"))
	if err != nil || res.StatusCode != 202 {
		t.Fatalf("user's REFER: %v %v", res, err)
	}
	in := carrier.expectCall(t)
	if got := in.req.Recipient.User; got != "+358401234567" {
		t.Fatalf("carrier got %q", got)
	}
	in.answer(t, 486)
	waitNotify(t, b, "486")
}

// TestIntegrationOutsideCallNeedsAUser: a transfer whose outside target nobody of the
// organisation authorised never goes out, whichever path asks (allowOutside is the one gate).
func TestIntegrationOutsideCallNeedsAUser(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	b := h.phone("1002")
	sess, _ := h.fromCarrier(t, carrier, b, "+35891230000")
	// The carrier leg's party has no user: a transfer on its behalf (as a REFER or the
	// transfer code from that side would make) must fail without dialling.
	h.eng.mu.Lock()
	var l, other *leg
	var c *call
	for cc := range h.eng.calls {
		c = cc
		if cc.a.party.user.ID == 0 {
			l, other = cc.a, cc.b
		} else {
			l, other = cc.b, cc.a
		}
	}
	h.eng.mu.Unlock()
	if code := h.eng.transferTo(l, c, other, "+46701234567", nil); code != 403 {
		t.Fatalf("transfer authorised by nobody = %d, want 403", code)
	}
	noCall(t, carrier, time.Second, "transfer authorised by nobody")
	if o, u := h.eng.outside.current(h.org.ID, 0); o != 0 || u != 0 {
		t.Fatalf("outside slots held after the refusal: org %d, user %d", o, u)
	}
	checkAudio(t, carrier, sess.InviteResponse.Body(), b)
}

// TestIntegrationTenantsSameExtension: two organisations each have 1001 and 1002; calls stay in
// the caller's organisation.
func TestIntegrationTenantsSameExtension(t *testing.T) {
	h := newHarness(t)
	_, _, apass := h.addOrg(otherDomain)
	d1, d2 := h.phone("1001"), h.phone("1002")
	a1, a2 := h.phoneIn(otherDomain, "1001", apass["1001"]), h.phoneIn(otherDomain, "1002", apass["1002"])

	done := make(chan dialResult, 1)
	go func() {
		s, err := h.dialDomain(h.ctx, a1, otherDomain, "1002", otherDomain)
		done <- dialResult{s, err}
	}()
	in := a2.expectCall(t)
	if from := in.req.From().Address.User; from != "1001" {
		t.Fatalf("acme 1002 sees %q", from)
	}
	in.answer(t, 200)
	sess := answered(t, done, "acme 1001 → acme 1002")
	noCall(t, d2, 500*time.Millisecond, "call inside acme")
	checkAudio(t, a1, sess.InviteResponse.Body(), a2)
	h.hangUp(t, sess, a2, "BYE at acme 1002")

	sessD, _ := h.connect(d1, d2) // the demo organisation's 1001 → 1002 rings its own 1002
	noCall(t, a2, 500*time.Millisecond, "call inside demo")
	h.hangUp(t, sessD, d2, "BYE at demo 1002")
}

// TestIntegrationCrossOrgInviteRefused: a user of one organisation cannot call into another by
// naming its domain: the request is challenged in that organisation's realm, where the caller's
// credentials are worthless.
func TestIntegrationCrossOrgInviteRefused(t *testing.T) {
	h := newHarness(t)
	_, _, apass := h.addOrg(otherDomain)
	d2 := h.phone("1002")
	a1 := h.phoneIn(otherDomain, "1001", apass["1001"])
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	_, err := h.dialDomain(ctx, a1, otherDomain, "1002", demo.Domain)
	if code := statusOf(err); code != 403 && code != 407 {
		t.Fatalf("acme 1001 calling 1002@%s: %d (%v), want refused", demo.Domain, code, err)
	}
	noCall(t, d2, time.Second, "cross-organisation INVITE")
}

// TestIntegrationCrossOrgReferRefused: a REFER whose Refer-To names a user of another
// organisation is refused, and nobody there is called.
func TestIntegrationCrossOrgReferRefused(t *testing.T) {
	h := newHarness(t)
	_, _, apass := h.addOrg(otherDomain)
	d1, d2 := h.phone("1001"), h.phone("1002")
	a1 := h.phoneIn(otherDomain, "1001", apass["1001"])
	sess, in := h.connect(d1, d2)
	res, err := inDialog(h.ctx, in.sess, in.req.Contact().Address, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<sip:1001@"+otherDomain+">"))
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("REFER to another organisation: %v %v, want 403", res, err)
	}
	noCall(t, a1, time.Second, "cross-organisation REFER")
	noCall(t, d1, 200*time.Millisecond, "cross-organisation REFER")
	checkAudio(t, d1, sess.InviteResponse.Body(), d2)
	h.hangUp(t, sess, d2, "BYE")
}

// TestIntegrationCrossOrgReplacesRefused: an INVITE with Replaces naming a dialog of another
// organisation's call is refused (403), whether sent directly or as a REFER's Replaces, and the
// call goes on.
func TestIntegrationCrossOrgReplacesRefused(t *testing.T) {
	h := newHarness(t)
	_, _, apass := h.addOrg(otherDomain)
	d1, d2 := h.phone("1001"), h.phone("1002")
	a1, a2 := h.phoneIn(otherDomain, "1001", apass["1001"]), h.phoneIn(otherDomain, "1002", apass["1002"])
	sess, in := h.connect(d1, d2)
	bTag, _ := in.sess.InviteResponse.To().Params.Get("tag")
	srvTag, _ := in.req.From().Params.Get("tag")
	rep := fmt.Sprintf("%s;to-tag=%s;from-tag=%s", in.req.CallID().Value(), bTag, srvTag)

	// Acme's 1002 tries to take over demo 1002's leg, authenticated in its own organisation.
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	_, err := h.dialDomain(ctx, a2, otherDomain, "1001", otherDomain, sip.NewHeader("Replaces", rep))
	if code := statusOf(err); code != 403 {
		t.Fatalf("INVITE/Replaces of another organisation's dialog: %d (%v), want 403", code, err)
	}
	noCall(t, a1, 500*time.Millisecond, "cross-organisation Replaces")

	// An acme call whose REFER names the demo dialog in Replaces is refused too.
	done := make(chan dialResult, 1)
	go func() {
		s, err := h.dialDomain(h.ctx, a1, otherDomain, "1002", otherDomain)
		done <- dialResult{s, err}
	}()
	inA := a2.expectCall(t)
	inA.answer(t, 200)
	sessA := answered(t, done, "acme call")
	res, err := inDialog(h.ctx, inA.sess, inA.req.Contact().Address, sip.REFER, nil,
		sip.NewHeader("Refer-To", "<sip:1002@"+otherDomain+"?Replaces="+url.QueryEscape(rep)+">"))
	if err != nil || res.StatusCode != 403 {
		t.Fatalf("REFER with a foreign Replaces: %v %v, want 403", res, err)
	}
	if n := d2.byeCount.Load(); n != 0 {
		t.Fatalf("demo 1002 got %d BYEs", n)
	}
	checkAudio(t, d1, sess.InviteResponse.Body(), d2)
	checkAudio(t, a1, sessA.InviteResponse.Body(), a2)
	hangUpOne(t, h, sess, d2, "BYE")
	h.hangUp(t, sessA, a2, "BYE")
}

// TestIntegrationDIDsRouteToTheirOrganisation (CALL-3, ORG-1): a DID of acme's number pool
// rings acme's 1002; a number only in the trunk's DIDs map still rings the demo organisation's
// 1002; an unassigned pool number rings nobody.
func TestIntegrationDIDsRouteToTheirOrganisation(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	acme, _, apass := h.addOrg(otherDomain)
	if err := h.st.PutDID(h.ctx, store.DID{OrgID: acme.ID, Number: "+35891110000", Extension: "1002"}); err != nil {
		t.Fatal(err)
	}
	if err := h.st.PutDID(h.ctx, store.DID{OrgID: acme.ID, Number: "+35891110099"}); err != nil {
		t.Fatal(err)
	}
	d2 := h.phone("1002")
	a2 := h.phoneIn(otherDomain, "1002", apass["1002"])

	sess, _ := h.fromCarrier(t, carrier, a2, "+35891110000")
	noCall(t, d2, 300*time.Millisecond, "acme DID")
	h.hangUp(t, sess, a2, "BYE at acme 1002")

	// National form from the carrier reaches the same DID.
	sess, _ = h.fromCarrier(t, carrier, a2, "091110000")
	h.hangUp(t, sess, a2, "BYE at acme 1002")

	sess, _ = h.fromCarrier(t, carrier, d2, "+35891230000")
	noCall(t, a2, 300*time.Millisecond, "configured DID")
	h.hangUp(t, sess, d2, "BYE at demo 1002")

	_, err := carrier.dialAs(h.ctx, fmt.Sprintf("sip:+35891110099@%s:%d", h.host, h.port), "+358501112222")
	if code := statusOf(err); code != 404 {
		t.Fatalf("unassigned DID: %d (%v), want 404", code, err)
	}
}

// hangUpOne ends one call of several: BYE on s, awaited at peer.
func hangUpOne(t *testing.T, h *harness, s interface{ Bye(context.Context) error }, peer *testPhone, what string) {
	t.Helper()
	if err := s.Bye(h.ctx); err != nil {
		t.Fatal(err)
	}
	recvWithin(t, peer.byes, what)
}

// setOrg applies change to the demo organisation and makes the server see it at once.
func (h *harness) setOrg(change func(*store.Org)) {
	h.t.Helper()
	o, err := h.st.OrgByID(h.ctx, h.org.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	change(&o)
	if err := h.st.UpdateOrg(h.ctx, o); err != nil {
		h.t.Fatal(err)
	}
	h.org = o
	h.sig.InvalidateUsers()
}

func (h *harness) setUser(ext string, change func(*store.User)) {
	h.t.Helper()
	u, err := h.st.UserByID(h.ctx, h.users[ext].ID)
	if err != nil {
		h.t.Fatal(err)
	}
	change(&u)
	if err := h.st.UpdateUser(h.ctx, u); err != nil {
		h.t.Fatal(err)
	}
	h.users[ext] = u
	h.sig.InvalidateUsers()
}

// expectRefused dials number from p and checks the status and that the reason says why.
func expectRefused(t *testing.T, h *harness, p *testPhone, number string, code int, reason string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(h.ctx, 10*time.Second)
	defer cancel()
	_, err := p.dial(ctx, h.uri(number))
	if got := statusOf(err); got != code {
		t.Fatalf("%s calling %s: %d (%v), want %d", p.user, number, got, err, code)
	}
	var de *sipgo.ErrDialogResponse
	if !asDialogErr(err, &de) || !strings.Contains(strings.ToLower(de.Res.Reason), strings.ToLower(reason)) {
		t.Fatalf("%s calling %s: reason %v, want containing %q", p.user, number, err, reason)
	}
}

// TestIntegrationBarringAndLimits (NF-1): organisation and user barring refuse calls with a
// clear reason and nothing reaches the carrier; the outside-call limits refuse the call over
// the limit; emergency calls pass both.
func TestIntegrationBarringAndLimits(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	a, b := h.phone("1001"), h.phone("1002")

	h.setOrg(func(o *store.Org) { o.BarInternational, o.BarPremium = true, true })
	expectRefused(t, h, a, "+46701234567", 403, "international")
	expectRefused(t, h, a, "0600123456", 403, "premium")
	noCall(t, carrier, 500*time.Millisecond, "barred numbers")
	h.expectLog("1001", store.Outgoing, store.Failed, "+358600123456")

	h.setOrg(func(o *store.Org) { o.BarInternational, o.BarPremium = false, false })
	h.setUser("1001", func(u *store.User) { u.BarOutside = true })
	expectRefused(t, h, a, "0401234567", 403, "outside calls barred")
	h.setUser("1001", func(u *store.User) { u.BarOutside, u.BarInternational = false, true })
	expectRefused(t, h, a, "+46701234567", 403, "international")
	noCall(t, carrier, 500*time.Millisecond, "numbers barred for the user")

	// Limits: one outside call per user, two per organisation.
	h.setUser("1001", func(u *store.User) { u.BarInternational = false })
	h.setOrg(func(o *store.Org) { o.MaxOutsideCalls, o.MaxOutsideCallsPerUser = 2, 1 })
	done := a.dialAsync(h.ctx, h.uri("0401234567"))
	in := carrier.expectCall(t)
	in.answer(t, 200)
	first := answered(t, done, "first outside call")
	expectRefused(t, h, a, "0401234568", 403, "too many outside calls for this user")
	done = b.dialAsync(h.ctx, h.uri("0401234569"))
	in2 := carrier.expectCall(t)
	in2.answer(t, 200)
	second := answered(t, done, "second outside call")
	c := h.phone("1003")
	expectRefused(t, h, c, "0401234570", 503, "too many outside calls in the organisation")
	noCall(t, carrier, 300*time.Millisecond, "calls over the limit")

	// An emergency call is never refused for the limit.
	h.setUser("1003", func(u *store.User) { u.EmergencyArea = "0900" })
	done = c.dialAsync(h.ctx, h.uri("112"))
	inE := carrier.expectCall(t)
	if got := inE.req.Recipient.User; got != "112" {
		t.Fatalf("emergency call went to %q", got)
	}
	if got := headerValue(inE.req, "X-Emergency-Area"); got != "0900" {
		t.Fatalf("X-Emergency-Area = %q, want 0900", got)
	}
	inE.answer(t, 200)
	em := answered(t, done, "emergency call")
	hangUpOne(t, h, em, carrier, "BYE of the emergency call")
	hangUpOne(t, h, first, carrier, "BYE of the first call")
	// The slot is free again.
	done = a.dialAsync(h.ctx, h.uri("0401234571"))
	in3 := carrier.expectCall(t)
	in3.answer(t, 200)
	third := answered(t, done, "call after a slot was freed")
	hangUpOne(t, h, third, carrier, "BYE")
	h.hangUp(t, second, carrier, "BYE")
	if o, u := h.eng.outside.current(h.org.ID, h.users["1001"].ID); o != 0 || u != 0 {
		t.Fatalf("outside slots after all calls ended: org %d, user %d", o, u)
	}
}

// TestIntegrationEmergencyBypassesRulesAndBarring (CALL-10): a user barred from outside calls
// calls 112 and an extra emergency number of the organisation: both go straight to the carrier
// with the area prefixed (trunk setting "prefix"), while an ordinary outside call stays barred.
// (server/interop's TestIntegrationEmergencyCallReachesCarrier adds forwarding and a red
// activity, against SIPp.)
func TestIntegrationEmergencyBypassesRulesAndBarring(t *testing.T) {
	h, carrier := carrierHarness(t, func(tr *Trunk) { tr.EmergencyArea = "prefix" })
	a := h.phone("1001")
	h.setOrg(func(o *store.Org) { o.EmergencyNumbers = "116117"; o.BarInternational = true })
	h.setUser("1001", func(u *store.User) { u.BarOutside = true; u.EmergencyArea = "1234" })
	for _, n := range []string{"112", "116117"} {
		done := a.dialAsync(h.ctx, h.uri(n))
		in := carrier.expectCall(t)
		if got := in.req.Recipient.User; got != "1234"+n {
			t.Fatalf("emergency call %s reached the carrier as %q, want 1234%s", n, got, n)
		}
		in.answer(t, 200)
		s := answered(t, done, "emergency call "+n)
		h.hangUp(t, s, carrier, "BYE")
	}
	expectRefused(t, h, a, "0401234567", 403, "outside calls barred")
}

func asDialogErr(err error, de **sipgo.ErrDialogResponse) bool { return errors.As(err, de) }

// TestIntegrationReferFromElsewhereRefused: a REFER that names a user's dialog correctly (Call-ID
// and tags seen on the network) but comes from another address than the user's phone is refused,
// and nothing is dialled.
func TestIntegrationReferFromElsewhereRefused(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	a, b := h.phone("1001"), h.phone("1002")
	sess, in := h.connect(a, b)
	conn, err := net.ListenPacket("udp4", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot bind 127.0.0.2: %v", err)
	}
	defer conn.Close()
	phoneTag, _ := in.sess.InviteResponse.To().Params.Get("tag")
	serverTag, _ := in.req.From().Params.Get("tag")
	local := conn.LocalAddr().String()
	msg := strings.Join([]string{
		fmt.Sprintf("REFER sip:vaihde@%s:%d SIP/2.0", h.host, h.port),
		"Via: SIP/2.0/UDP " + local + ";branch=z9hG4bK-spoof-" + sip.GenerateTagN(8) + ";rport",
		"Max-Forwards: 70",
		"From: <sip:1002@" + demo.Domain + ">;tag=" + phoneTag,
		"To: <sip:1001@" + demo.Domain + ">;tag=" + serverTag,
		"Call-ID: " + in.req.CallID().Value(),
		"CSeq: 900 REFER",
		"Contact: <sip:1002@" + local + ">",
		"Refer-To: <sip:+46701234567@" + demo.Domain + ">",
		"Content-Length: 0", "", "",
	}, "\r\n")
	server, _ := net.ResolveUDPAddr("udp4", fmt.Sprintf("%s:%d", h.host, h.port))
	if _, err := conn.WriteTo([]byte(msg), server); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 4096)
	var status string
	for status == "" || strings.HasPrefix(status, "SIP/2.0 1") {
		n, _, err := conn.ReadFrom(buf)
		if err != nil {
			t.Fatalf("no answer to the spoofed REFER: %v", err)
		}
		status, _, _ = strings.Cut(string(buf[:n]), "\r\n")
	}
	if !strings.HasPrefix(status, "SIP/2.0 403") {
		t.Fatalf("spoofed REFER answered %q, want 403", status)
	}
	noCall(t, carrier, time.Second, "spoofed REFER")
	checkAudio(t, a, sess.InviteResponse.Body(), b)
	h.hangUp(t, sess, b, "BYE")
}

// TestIntegrationEmergencyWithoutTrunk: with no trunk configured an emergency call cannot go
// out; the caller is told why (503) rather than "not found".
func TestIntegrationEmergencyWithoutTrunk(t *testing.T) {
	h := newHarness(t)
	a := h.phone("1001")
	expectRefused(t, h, a, "112", 503, "no trunk for emergency calls")
	h.expectLog("1001", store.Outgoing, store.Failed, "112")
}

// TestIntegrationTrunkReplacesOfUserDialogRefused: the carrier cannot take over a user's leg
// with INVITE/Replaces (it would hijack a colleague's call).
func TestIntegrationTrunkReplacesOfUserDialogRefused(t *testing.T) {
	h, carrier := carrierHarness(t, nil)
	a, b := h.phone("1001"), h.phone("1002")
	sess, in := h.connect(a, b)
	bTag, _ := in.sess.InviteResponse.To().Params.Get("tag")
	srvTag, _ := in.req.From().Params.Get("tag")
	var uri sip.Uri
	_ = sip.ParseUri(h.uri("1001"), &uri)
	req := sip.NewRequest(sip.INVITE, uri)
	req.AppendHeader(sip.NewHeader("Replaces", fmt.Sprintf("%s;to-tag=%s;from-tag=%s", in.req.CallID().Value(), bTag, srvTag)))
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	req.SetBody(carrier.sdp(sdpmedia.SendRecv))
	s, err := carrier.dcc.WriteInvite(h.ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	err = s.WaitAnswer(h.ctx, sipgo.AnswerOptions{})
	if code := statusOf(err); code != 403 {
		t.Fatalf("carrier's INVITE/Replaces of 1002's dialog: %d (%v), want 403", code, err)
	}
	if n := b.byeCount.Load(); n != 0 {
		t.Fatalf("1002 got %d BYEs", n)
	}
	checkAudio(t, a, sess.InviteResponse.Body(), b)
	h.hangUp(t, sess, b, "BYE")
}

// TestIntegrationHandOverOutsideOnOwnersAuthority: an outside caller in a mailbox's application
// is handed to an outside number only on the authority of the user who set the number
// (mediaapp.ConnectorAs, the mailbox owner); Connect alone, on the outside caller's authority,
// never dials out.
func TestIntegrationHandOverOutsideOnOwnersAuthority(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMA})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	// Set after the harness starts, read by the flow: the network is no happens-before for -race.
	var owner atomic.Int64
	refused, connected := make(chan error, 1), make(chan error, 1)
	flow := func(ctx context.Context, ch mediaapp.Channel) error {
		refused <- ch.(mediaapp.Connector).Connect(ctx, "0401234567", false)
		err := ch.(mediaapp.ConnectorAs).ConnectAs(ctx, owner.Load(), "0401234567", false)
		connected <- err
		return err
	}
	p := &scriptedPersonal{rules: map[string]Diversion{
		"1002 arriving": {Action: routing.Action{Kind: routing.Announce}, Flow: flow},
	}}
	h := newHarnessPersonal(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example",
			DIDs: map[string]string{"+35891230000": "1002"}}
	}, nil, p)
	owner.Store(h.users["1002"].ID)
	done := make(chan dialResult, 1)
	go func() {
		s, err := carrier.dialAs(h.ctx, fmt.Sprintf("sip:+35891230000@%s:%d", h.host, h.port), "+358501112222")
		done <- dialResult{s, err}
	}()
	if err := recvWithin(t, refused, "hand-over without authority"); err == nil {
		t.Fatal("an outside caller was handed to an outside number on its own authority")
	}
	in := carrier.expectCall(t) // the owner's number, dialled on the owner's authority
	if got := in.req.Recipient.User; got != "+358401234567" {
		t.Fatalf("hand-over dialled %q", got)
	}
	in.answer(t, 200)
	if err := recvWithin(t, connected, "hand-over on the owner's authority"); err != nil {
		t.Fatalf("ConnectAs: %v", err)
	}
	sess := answered(t, done, "caller in the application")
	h.hangUp(t, sess, carrier, "BYE at the hand-over target")
}

package signaling

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store"
)

// defaultExpires applies when a REGISTER gives neither an Expires header nor parameter.
const defaultExpires = 3600

// requestTimeout bounds the store work of one request.
const requestTimeout = 5 * time.Second

// contactChange is one Contact of a REGISTER after validation.
type contactChange struct {
	contact  string
	expires  int // seconds; 0 removes
	instance string
}

// handleRegister is the registrar (RFC 3261 section 10.3, CALL-1).
func (s *Server) handleRegister(req *sip.Request, tx sip.ServerTransaction) {
	// Registration is idempotent, so a retransmitted REGISTER may simply be processed again.
	// Ending the transaction at once (instead of keeping it for Timer J, 32 s over UDP) keeps
	// memory flat under thousands of registrations a second.
	defer tx.Terminate()
	if !wellFormed(req) {
		respond(tx, req, 400, "Bad Request")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	if s.limiter.Blocked("ip:" + sourceIP(req)) {
		respond(tx, req, 403, "Too many failed attempts")
		return
	}
	org, err := s.orgFor(ctx, req.Recipient.Host, req.To().Address.Host)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			respond(tx, req, 404, "Not Found")
		} else {
			s.log.Error("register: resolve organisation", "error", err)
			respond(tx, req, 500, "Server Internal Error")
		}
		return
	}
	u, ok := s.authenticate(ctx, req, tx, org, false)
	if !ok {
		return
	}
	if req.To().Address.User != u.Extension {
		// A user may register only their own address of record.
		respond(tx, req, 403, "Forbidden")
		return
	}
	changes, wildcard, code, reason := s.parseContacts(req)
	if code != 0 {
		var hdrs []sip.Header
		if code == 423 {
			hdrs = append(hdrs, sip.NewHeader("Min-Expires", itoa(s.cfg.RegisterMinExpires)))
		}
		respond(tx, req, code, reason, hdrs...)
		return
	}
	transport, src := sourceOf(req)
	meta := store.Binding{
		UserID:    u.ID,
		Source:    transport + ":" + src,
		CallID:    req.CallID().Value(),
		CSeq:      req.CSeq().SeqNo,
		UpdatedAt: time.Now(),
	}
	if h := req.GetHeader("User-Agent"); h != nil {
		meta.UserAgent = truncate(h.Value(), 200)
	}
	current, changed, err := s.applyBindings(ctx, meta, changes, wildcard)
	if err != nil {
		s.log.Error("register: store bindings", "user", u.ID, "error", err)
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	if changed {
		s.log.Info("registration changed", "org", org.Domain, "ext", u.Extension, "source", meta.Source, "bindings", len(current))
		s.bindingsChanged(u.ID)
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	now := time.Now()
	for _, b := range current {
		left := int((b.Expires.Sub(now) + time.Second - 1) / time.Second)
		v := "<" + b.Contact + ">;expires=" + itoa(left)
		if b.InstanceID != "" {
			v += `;+sip.instance="` + b.InstanceID + `"`
		}
		res.AppendHeader(sip.NewHeader("Contact", v))
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	res.AppendHeader(sip.NewHeader("Server", UserAgentName))
	if err := tx.Respond(res); err != nil {
		s.log.Debug("respond register", "error", err)
	}
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// parseContacts validates the Contact headers and expiry of a REGISTER. A non-zero code is the
// error response to send.
func (s *Server) parseContacts(req *sip.Request) (changes []contactChange, wildcard bool, code int, reason string) {
	headerExpires := -1
	if h := req.GetHeader("Expires"); h != nil {
		n, err := strconv.Atoi(strings.TrimSpace(h.Value()))
		if err != nil || n < 0 {
			return nil, false, 400, "Bad Expires"
		}
		headerExpires = n
	}
	hdrs := req.GetHeaders("Contact")
	for _, h := range hdrs {
		ch, ok := h.(*sip.ContactHeader)
		if !ok {
			return nil, false, 400, "Bad Contact"
		}
		if ch.Address.Wildcard {
			wildcard = true
			continue
		}
		exp := headerExpires
		if v, ok := ch.Params.Get("expires"); ok {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, false, 400, "Bad Contact expires"
			}
			exp = n
		}
		if exp < 0 {
			exp = defaultExpires
		}
		if exp != 0 && exp < s.cfg.RegisterMinExpires {
			return nil, false, 423, "Interval Too Brief"
		}
		if exp > s.cfg.RegisterMaxExpires {
			exp = s.cfg.RegisterMaxExpires
		}
		if ch.Address.Host == "" {
			return nil, false, 400, "Bad Contact"
		}
		inst, _ := ch.Params.Get("+sip.instance")
		changes = append(changes, contactChange{contact: ch.Address.String(), expires: exp, instance: truncate(strings.Trim(inst, `"`), 200)})
	}
	if wildcard && (len(hdrs) != 1 || headerExpires != 0) {
		return nil, false, 400, "Contact * needs Expires: 0 and no other contact"
	}
	if len(changes) > maxBindingsPerUser {
		return nil, false, 403, "Too many contacts"
	}
	return changes, wildcard, 0, ""
}

// applyBindings writes the changes through to the store and memory under the user's lock, and
// returns the resulting bindings and whether the set of contacts changed.
func (s *Server) applyBindings(ctx context.Context, meta store.Binding, changes []contactChange, wildcard bool) ([]store.Binding, bool, error) {
	ub := s.reg.lockUser(meta.UserID)
	defer ub.mu.Unlock()
	now := meta.UpdatedAt
	list := unexpired(ub.list, now)
	changed := len(list) != len(ub.list)
	if wildcard {
		if err := s.st.DeleteBindings(ctx, meta.UserID); err != nil {
			return nil, false, err
		}
		ub.list = nil
		clear(ub.persisted)
		return nil, len(list) > 0 || changed, nil
	}
	for _, c := range changes {
		i := indexOf(list, c.contact)
		if c.expires == 0 {
			if i >= 0 {
				if err := s.st.DeleteBinding(ctx, meta.UserID, c.contact); err != nil {
					return nil, false, err
				}
				list = append(list[:i], list[i+1:]...)
				delete(ub.persisted, c.contact)
				changed = true
			}
			continue
		}
		if i >= 0 && list[i].CallID == meta.CallID && list[i].CSeq > meta.CSeq {
			continue // an older REGISTER arriving late must not undo a newer one
		}
		b := meta
		b.Contact = c.contact
		b.InstanceID = c.instance
		b.Expires = now.Add(time.Duration(c.expires) * time.Second)
		if i < 0 && len(list) >= maxBindingsPerUser {
			// Make room: drop the binding that would expire first.
			first := 0
			for j := range list {
				if list[j].Expires.Before(list[first].Expires) {
					first = j
				}
			}
			if err := s.st.DeleteBinding(ctx, meta.UserID, list[first].Contact); err != nil {
				return nil, false, err
			}
			delete(ub.persisted, list[first].Contact)
			list = append(list[:first], list[first+1:]...)
			i = -1
		}
		same := i >= 0 && list[i].Source == b.Source && list[i].InstanceID == b.InstanceID && list[i].UserAgent == b.UserAgent
		if p, ok := ub.persisted[b.Contact]; !same || !ok || b.Expires.Before(p) || b.Expires.Sub(p) >= persistSlack {
			if err := s.st.PutBinding(ctx, b); err != nil {
				return nil, false, err
			}
			ub.persisted[b.Contact] = b.Expires
		}
		if i >= 0 {
			if list[i].Source != b.Source {
				changed = true
			}
			list[i] = b
		} else {
			list = append(list, b)
			changed = true
		}
	}
	ub.list = list
	return append([]store.Binding(nil), list...), changed, nil
}

func indexOf(list []store.Binding, contact string) int {
	for i := range list {
		if list[i].Contact == contact {
			return i
		}
	}
	return -1
}

// authenticate runs the digest exchange on req: WWW-Authenticate/401 for REGISTER (proxy=false),
// Proxy-Authenticate/407 otherwise. When it returns ok=false it has answered the transaction.
func (s *Server) authenticate(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, org store.Org, proxy bool) (store.User, bool) {
	credHdr, chalHdr, code, reason := "Authorization", "WWW-Authenticate", 401, "Unauthorized"
	if proxy {
		credHdr, chalHdr, code, reason = "Proxy-Authorization", "Proxy-Authenticate", 407, "Proxy Authentication Required"
	}
	ipKey := "ip:" + sourceIP(req)
	if s.limiter.Blocked(ipKey) {
		respond(tx, req, 403, "Too many failed attempts")
		return store.User{}, false
	}
	challenge := func(stale bool) {
		var hdrs []sip.Header
		chals := s.digest.Challenges
		if s.md5OnlyClient(req) {
			chals = s.digest.MD5Only
		}
		for _, v := range chals(org.Domain, stale) {
			hdrs = append(hdrs, sip.NewHeader(chalHdr, v))
		}
		respond(tx, req, code, reason, hdrs...)
	}
	ip := sourceIP(req)
	// A failure blocks its source. It counts against the user only from a source that has not
	// proven itself for the user, and a blocked user is refused only to such sources: whoever
	// guesses a user's password elsewhere slows down strangers, never the user's own phones.
	fail := func(userKey string) {
		blocked := s.limiter.Fail(ipKey)
		if userKey != "" && !s.limiter.Proven(userKey, ip) && s.limiter.Fail(userKey) {
			blocked = true
		}
		if blocked {
			respond(tx, req, 403, "Too many failed attempts")
		} else {
			respond(tx, req, 403, "Forbidden")
		}
	}
	// Several credentials may be present (one per realm); use the one for this realm.
	var creds auth.Credentials
	found, parseErr := false, false
	for _, h := range req.GetHeaders(credHdr) {
		c, err := auth.ParseAuthorization(h.Value())
		if err != nil {
			parseErr = true
			continue
		}
		if strings.EqualFold(c.Realm, org.Domain) {
			creds, found = c, true
			break
		}
	}
	if !found {
		if parseErr {
			s.log.Debug("malformed credentials", "source", req.Source(), "method", req.Method.String())
			s.limiter.Fail(ipKey)
		}
		challenge(false)
		return store.User{}, false
	}
	userKey := "user:" + strconv.FormatInt(org.ID, 10) + "/" + creds.Username
	if s.limiter.Blocked(userKey) && !s.limiter.Proven(userKey, ip) {
		s.log.Info("authentication refused", "reason", "user locked for unproven sources", "org", org.Domain, "source", req.Source(), "method", req.Method.String())
		respond(tx, req, 403, "Too many failed attempts")
		return store.User{}, false
	}
	u, err := s.users.get(ctx, org.ID, creds.Username)
	if errors.Is(err, store.ErrNotFound) {
		// Same answer as a wrong password: do not reveal which extensions exist.
		s.log.Info("authentication failed", "reason", "unknown user", "org", org.Domain, "source", req.Source(), "method", req.Method.String())
		fail("")
		return store.User{}, false
	}
	if err != nil {
		s.log.Error("authenticate: look up user", "error", err)
		respond(tx, req, 500, "Server Internal Error")
		return store.User{}, false
	}
	creds.Realm = org.Domain // matched case-insensitively above
	reqURI := req.Recipient.String()
	if s.namesServer(creds.URI, org) {
		// SIPp puts the server's own address in uri whatever the Request-URI says. Such
		// credentials name no other resource, and the method and the nonce count still bind
		// them to one request; a uri naming anything else must be the Request-URI.
		reqURI = creds.URI
	}
	switch res := s.digest.Verify(creds, req.Method.String(), reqURI, org.Domain, u); res {
	case auth.Valid:
		s.limiter.Succeed(userKey, ip)
		return u, true
	case auth.Stale:
		challenge(true)
		return store.User{}, false
	case auth.Replayed:
		// Captured credentials sent again (or a client reusing its nonce count, or a UDP
		// retransmission that outlived its transaction): a fresh challenge, which only the
		// password holder can answer. Not a failure: the response was right, and counting it
		// locked busy phones out (baresip's SUBSCRIBE retransmissions under load).
		s.log.Info("authentication refused", "reason", "replayed credentials", "org", org.Domain, "ext", u.Extension, "source", req.Source(), "method", req.Method.String())
		challenge(true)
		return store.User{}, false
	case auth.WrongURI:
		s.log.Info("authentication refused", "reason", "digest uri is not the request-uri", "digest_uri", creds.URI, "request_uri", req.Recipient.String(), "org", org.Domain, "ext", u.Extension, "source", req.Source(), "method", req.Method.String())
		s.limiter.Fail(ipKey)
		respond(tx, req, 403, "Digest URI does not match the Request-URI")
		return store.User{}, false
	default:
		s.log.Info("authentication failed", "reason", "wrong credentials", "org", org.Domain, "ext", u.Extension, "source", req.Source(), "method", req.Method.String())
		fail(userKey)
		return store.User{}, false
	}
}

// namesServer reports whether the digest uri v names this server with no user part: the
// organisation's domain, or an IP address with one of the server's SIP ports (or none).
func (s *Server) namesServer(v string, org store.Org) bool {
	var u sip.Uri
	if err := sip.ParseUri(v, &u); err != nil || u.User != "" {
		return false
	}
	if strings.EqualFold(u.Host, org.Domain) {
		return true
	}
	if net.ParseIP(strings.Trim(u.Host, "[]")) == nil && u.Host != "localhost" {
		return false
	}
	if u.Port == 0 {
		return true
	}
	for _, tp := range []string{"udp", "tls"} {
		if _, p, err := net.SplitHostPort(s.Addr(tp)); err == nil && p == strconv.Itoa(u.Port) {
			return true
		}
	}
	return false
}

// md5OnlyClient reports whether req comes from a client configured to be offered only MD5.
func (s *Server) md5OnlyClient(req *sip.Request) bool {
	if len(s.cfg.DigestMD5UserAgents) == 0 {
		return false
	}
	h := req.GetHeader("User-Agent")
	if h == nil {
		return false
	}
	ua := strings.ToLower(h.Value())
	for _, sub := range s.cfg.DigestMD5UserAgents {
		if sub != "" && strings.Contains(ua, strings.ToLower(sub)) {
			return true
		}
	}
	return false
}

// orgFor resolves the organisation for the hosts of a request (Request-URI first, then To).
// A served domain wins; an IP address or "localhost" means the demo organisation.
func (s *Server) orgFor(ctx context.Context, hosts ...string) (store.Org, error) {
	ipSeen := false
	for _, h := range hosts {
		if h == "" {
			continue
		}
		if h == "localhost" || net.ParseIP(strings.Trim(h, "[]")) != nil {
			ipSeen = true
			continue
		}
		o, err := s.orgs.get(ctx, h)
		if err == nil {
			return o, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return store.Org{}, err
		}
	}
	if ipSeen {
		return s.orgs.get(ctx, "")
	}
	return store.Org{}, fmt.Errorf("signaling: no organisation for %q: %w", hosts, store.ErrNotFound)
}

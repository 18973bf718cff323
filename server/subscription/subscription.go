// Package subscription is the server's SIP notifier (RFC 6665) for third-party phones: it
// accepts SUBSCRIBE for the presence event package (RFC 3856, PIDF/RPID bodies), the dialog
// event package (RFC 4235, busy-lamp fields) and the message-summary package (RFC 3842,
// message-waiting indication of the subscriber's own mailbox), authenticates the subscriber,
// and sends a NOTIFY with the full state at once and another on every change the presence hub
// (or, for message-summary, MailboxChanged) reports, until the
// subscription is refreshed away, expires, or the subscriber stops answering.
package subscription

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// Event packages served.
const (
	EventPresence = "presence"
	EventDialog   = "dialog"
	allowEvents   = "presence, dialog, message-summary"
)

// Limits of subscriptions.
const (
	DefaultExpires = 3600 // seconds, when the SUBSCRIBE has no Expires
	MaxExpires     = 3600
	MinExpires     = 60
	// MaxPerUser bounds the subscriptions one subscriber may hold (a desk phone with a big
	// busy-lamp field watches a few dozen colleagues).
	MaxPerUser = 200
	// maxTotal bounds the whole table whatever the subscribers do.
	maxTotal = 100000
)

// Deps are the service's collaborators.
type Deps struct {
	Hub       *presence.Hub
	Directory signaling.Directory
	Store     store.Store
	Client    *sipgo.Client
	Logger    *slog.Logger
	// ContactHost and ContactPort are the server's SIP address put in Contact headers.
	ContactHost string
	ContactPort int
	// UA and UDPLocal (both optional): when set, a NOTIFY over UDP to a peer with no open
	// connection leaves from the server's SIP listener, as the b2bua's requests do.
	UA       *sipgo.UserAgent
	UDPLocal netip.AddrPort
	// RequestTimeout bounds each NOTIFY transaction; default 10 s. A NOTIFY that times out
	// drops the subscription.
	RequestTimeout time.Duration
	// Location overrides the time zone end times are shown in; nil: the organisation's (Org.Location).
	Location *time.Location
}

// Service holds the active subscriptions. It is safe for concurrent use.
type Service struct {
	d   Deps
	log *slog.Logger

	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	stopWatch func()

	mu     sync.Mutex
	closed bool
	// Limits, variables so tests can lower them (guarded by mu).
	minExpires int
	maxPerUser int
	closeGrace time.Duration
	subs       map[string]*sub         // by Call-ID + "|" + our tag
	byTarget   map[int64]map[*sub]bool // subscriptions watching a user
	perUser    map[int64]int           // subscriptions held by a subscriber
}

// New creates the service and starts watching the hub.
func New(d Deps) (*Service, error) {
	if d.Hub == nil || d.Directory == nil || d.Store == nil || d.Client == nil {
		return nil, errors.New("subscription: Hub, Directory, Store and Client are required")
	}
	if d.ContactHost == "" {
		return nil, errors.New("subscription: ContactHost is required")
	}
	if d.ContactPort == 0 {
		d.ContactPort = 5060
	}
	if d.RequestTimeout <= 0 {
		d.RequestTimeout = 10 * time.Second
	}
	log := d.Logger
	if log == nil {
		log = slog.Default()
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{
		d: d, log: log.With("component", "subscription"), ctx: ctx, cancel: cancel,
		minExpires: MinExpires, maxPerUser: MaxPerUser, closeGrace: closeGrace,
		subs: map[string]*sub{}, byTarget: map[int64]map[*sub]bool{}, perUser: map[int64]int{},
	}
	s.stopWatch = d.Hub.Watch(0, s.changed)
	return s, nil
}

// Attach makes srv hand SUBSCRIBE requests to the service.
func (s *Service) Attach(srv *sipgo.Server) {
	srv.OnSubscribe(s.handleSubscribe)
}

// closeGrace bounds how long Close waits for the final NOTIFYs.
const closeGrace = 2 * time.Second

// Close ends every subscription with a final NOTIFY (Subscription-State: terminated;
// reason=deactivated, so phones subscribe again at once, to the next server run), waits for
// them at most closeGrace, and stops the service's goroutines.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	grace := s.closeGrace
	subs := make([]*sub, 0, len(s.subs))
	for _, sb := range s.subs {
		subs = append(subs, sb)
	}
	s.mu.Unlock()
	s.stopWatch()
	for _, sb := range subs {
		sb.mu.Lock()
		if sb.ending == "" {
			sb.ending = "deactivated"
		}
		sb.mu.Unlock()
		sb.poke()
	}
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(grace):
	}
	s.cancel()
	<-done
	return nil
}

// Count returns how many subscriptions are active (for status pages and tests).
func (s *Service) Count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.subs)
}

// changed is the hub's watcher: it hands the new state to every subscription of the user.
func (s *Service) changed(st presence.State) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sb := range s.byTarget[st.UserID] {
		if sb.event == EventMessageSummary {
			continue // the mailbox, not presence, drives these (MailboxChanged)
		}
		sb.offer(st)
	}
}

// sub is one subscription dialog; the server is its notifier (UAS of the SUBSCRIBE).
type sub struct {
	key        string
	event      string
	eventID    string // the Event header's id parameter, echoed in NOTIFY
	subscriber store.User
	target     store.User
	org        store.Org

	callID    string
	localTag  string
	remoteTag string
	local     sip.Uri
	remote    sip.Uri
	transport string
	dest      string
	routes    []sip.Uri

	wake chan struct{}

	mu         sync.Mutex
	remoteURI  sip.Uri // the subscriber's Contact
	cseq       uint32
	remoteCSeq uint32
	expires    time.Time
	version    uint32          // dialog-info version of the next document
	state      *presence.State // latest state not yet sent
	ending     string          // "": active; else the reason of the final NOTIFY
	resetTimer bool
}

// offer records st as the state to send next and wakes the sender.
func (sb *sub) offer(st presence.State) {
	sb.mu.Lock()
	sb.state = &st
	sb.mu.Unlock()
	sb.poke()
}

func (sb *sub) poke() {
	select {
	case sb.wake <- struct{}{}:
	default:
	}
}

// handleSubscribe answers a SUBSCRIBE: a new subscription, a refresh or an unsubscribe.
func (s *Service) handleSubscribe(req *sip.Request, tx sip.ServerTransaction) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("subscribe handler panicked", "panic", r)
			respond(tx, req, 500, "Server Internal Error")
		}
	}()
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	event, eventID := parseEvent(req)
	if event != EventPresence && event != EventDialog && event != EventMessageSummary {
		respond(tx, req, 489, "Bad Event", sip.NewHeader("Allow-Events", allowEvents))
		return
	}
	if !acceptable(req, event) {
		respond(tx, req, 406, "Not Acceptable", sip.NewHeader("Accept", contentType(event)))
		return
	}
	expires, ok := parseExpires(req)
	if !ok {
		respond(tx, req, 400, "Bad Expires")
		return
	}
	s.mu.Lock()
	minExpires := s.minExpires
	s.mu.Unlock()
	if expires > 0 && expires < minExpires {
		respond(tx, req, 423, "Interval Too Brief", sip.NewHeader("Min-Expires", strconv.Itoa(minExpires)))
		return
	}
	if expires > MaxExpires {
		expires = MaxExpires
	}
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if tag, ok := req.To().Params.Get("tag"); ok && tag != "" {
		s.refresh(ctx, req, tx, tag, event, expires)
		return
	}
	if c := req.Contact(); c == nil || c.Address.Host == "" {
		respond(tx, req, 400, "Missing Contact")
		return
	}
	org, err := s.d.Directory.OrgForRequest(ctx, req)
	if err != nil {
		respond(tx, req, 404, "Not Found")
		return
	}
	u, ok := s.d.Directory.AuthenticateRequest(ctx, req, tx, org)
	if !ok {
		return // answered (407 or 403)
	}
	if u.OrgID != org.ID {
		respond(tx, req, 403, "Forbidden")
		return
	}
	target, err := s.resolve(ctx, org, req.Recipient.User)
	if event == EventMessageSummary {
		if target, err = mailboxTarget(u, target, err); err != nil {
			respond(tx, req, 403, "Forbidden")
			return
		}
	}
	if err != nil {
		respond(tx, req, 404, "Not Found")
		return
	}
	fromTag, _ := req.From().Params.Get("tag")
	if fromTag == "" {
		respond(tx, req, 400, "Missing From tag")
		return
	}
	sb := &sub{
		event: event, eventID: eventID, subscriber: u, target: target, org: org,
		callID: string(*req.CallID()), localTag: sip.GenerateTagN(16), remoteTag: fromTag,
		local: req.To().Address, remote: req.From().Address,
		transport: req.Transport(), dest: req.Source(),
		routes:     recordRoutes(req),
		wake:       make(chan struct{}, 1),
		remoteURI:  req.Contact().Address,
		cseq:       uint32(time.Now().UnixNano()%1000000) + 1,
		remoteCSeq: req.CSeq().SeqNo,
		expires:    time.Now().Add(time.Duration(expires) * time.Second),
	}
	sb.key = sb.callID + "|" + sb.localTag
	if expires == 0 {
		sb.ending = "timeout" // a fetch: one NOTIFY with the state, then terminated
	}
	st, err := s.d.Hub.Get(ctx, target.ID)
	if err != nil {
		s.log.Warn("presence of subscribed user", "user", target.ID, "error", err)
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	if code, reason := s.add(sb); code != 0 {
		respond(tx, req, code, reason)
		return
	}
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.To().Params.Add("tag", sb.localTag)
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res.AppendHeader(s.contact(sb.transport))
	if err := tx.Respond(res); err != nil {
		s.remove(sb)
		s.log.Warn("answer subscribe", "error", err)
		return
	}
	s.log.Info("subscription", "event", event, "subscriber", u.Extension, "target", target.Extension, "expires", expires)
	sb.offer(st)
	s.start(sb)
}

// refresh handles an in-dialog SUBSCRIBE (RFC 6665 section 4.2.1.2): a new expiry, or with
// Expires: 0 the end of the subscription.
func (s *Service) refresh(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, tag, event string, expires int) {
	s.mu.Lock()
	sb := s.subs[string(*req.CallID())+"|"+tag]
	s.mu.Unlock()
	if sb == nil || sb.event != event {
		respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	if fromTag, _ := req.From().Params.Get("tag"); fromTag != sb.remoteTag {
		respond(tx, req, 481, "Subscription Does Not Exist")
		return
	}
	u, ok := s.d.Directory.AuthenticateRequest(ctx, req, tx, sb.org)
	if !ok {
		return
	}
	if u.ID != sb.subscriber.ID {
		respond(tx, req, 403, "Forbidden")
		return
	}
	sb.mu.Lock()
	if req.CSeq().SeqNo <= sb.remoteCSeq {
		sb.mu.Unlock()
		respond(tx, req, 500, "Server Internal Error", sip.NewHeader("Retry-After", "1"))
		return
	}
	sb.remoteCSeq = req.CSeq().SeqNo
	if c := req.Contact(); c != nil {
		sb.remoteURI = c.Address
	}
	if expires == 0 {
		sb.ending = "timeout"
	} else {
		sb.expires = time.Now().Add(time.Duration(expires) * time.Second)
		sb.resetTimer = true
	}
	sb.mu.Unlock()
	res := sip.NewResponseFromRequest(req, 200, "OK", nil)
	res.AppendHeader(sip.NewHeader("Expires", strconv.Itoa(expires)))
	res.AppendHeader(s.contact(sb.transport))
	_ = tx.Respond(res)
	// A refresh gets a NOTIFY with the current state (RFC 6665 section 4.2.1.2).
	st, err := s.d.Hub.Get(ctx, sb.target.ID)
	if err != nil {
		sb.poke()
		return
	}
	sb.offer(st)
}

// resolve finds the subscribed user: the Request-URI's user is an extension or a number of a
// user of the organisation.
func (s *Service) resolve(ctx context.Context, org store.Org, user string) (store.User, error) {
	if user == "" {
		return store.User{}, store.ErrNotFound
	}
	n, err := number.Parse(user, org.CountryCode)
	if err != nil {
		return store.User{}, fmt.Errorf("resolve %q: %w", user, err)
	}
	switch n.Kind {
	case number.Extension:
		return s.d.Store.UserByExtension(ctx, org.ID, n.Value)
	case number.E164:
		return s.d.Store.UserByNumber(ctx, org.ID, n.Value)
	}
	return store.User{}, store.ErrNotFound
}

// add registers sb unless a limit is reached; it returns the refusal's status otherwise.
func (s *Service) add(sb *sub) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.closed:
		return 503, "Service Unavailable"
	case s.perUser[sb.subscriber.ID] >= s.maxPerUser:
		return 403, "Too Many Subscriptions"
	case len(s.subs) >= maxTotal:
		return 503, "Service Unavailable"
	}
	s.subs[sb.key] = sb
	if s.byTarget[sb.target.ID] == nil {
		s.byTarget[sb.target.ID] = map[*sub]bool{}
	}
	s.byTarget[sb.target.ID][sb] = true
	s.perUser[sb.subscriber.ID]++
	return 0, ""
}

func (s *Service) remove(sb *sub) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs[sb.key] != sb {
		return
	}
	delete(s.subs, sb.key)
	delete(s.byTarget[sb.target.ID], sb)
	if len(s.byTarget[sb.target.ID]) == 0 {
		delete(s.byTarget, sb.target.ID)
	}
	if s.perUser[sb.subscriber.ID]--; s.perUser[sb.subscriber.ID] <= 0 {
		delete(s.perUser, sb.subscriber.ID)
	}
}

// start runs the subscription's notifier: one NOTIFY at a time, always with the latest state,
// so a slow subscriber gets fewer documents, never stale ones.
func (s *Service) start(sb *sub) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.remove(sb)
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer s.remove(sb)
		s.run(sb)
	}()
}

func (s *Service) run(sb *sub) {
	timer := time.NewTimer(time.Until(sb.expiresAt()))
	defer timer.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-sb.wake:
		case <-timer.C:
			sb.mu.Lock()
			if !time.Now().Before(sb.expires) && sb.ending == "" {
				sb.ending = "timeout"
			}
			sb.mu.Unlock()
		}
		sb.mu.Lock()
		if sb.resetTimer {
			sb.resetTimer = false
			timer.Reset(time.Until(sb.expires))
		}
		st, ending := sb.state, sb.ending
		sb.state = nil
		sb.mu.Unlock()
		if st == nil && ending == "" {
			if !time.Now().Before(sb.expiresAt()) {
				timer.Reset(0)
			}
			continue
		}
		if st == nil {
			cur, err := s.d.Hub.Get(s.ctx, sb.target.ID)
			if err != nil {
				return
			}
			st = &cur
		}
		if !s.notify(sb, *st, ending) || ending != "" {
			return
		}
	}
}

func (sb *sub) expiresAt() time.Time {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	return sb.expires
}

// notify sends one NOTIFY and reports whether the subscription lives on.
func (s *Service) notify(sb *sub, st presence.State, ending string) bool {
	ctx, cancel := context.WithTimeout(s.ctx, s.d.RequestTimeout)
	defer cancel()
	req, err := s.buildNotify(ctx, sb, st, ending)
	if err != nil {
		s.log.Warn("build notify", "event", sb.event, "target", sb.target.Extension, "error", err)
		return false
	}
	res, err := s.d.Client.Do(ctx, req)
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Info("notify failed: subscription dropped", "event", sb.event, "subscriber", sb.subscriber.Extension, "target", sb.target.Extension, "error", err)
		}
		return false
	}
	switch {
	case res.IsSuccess():
		return true
	case res.StatusCode == 481 || res.StatusCode == 408 || res.StatusCode == 404 || res.StatusCode == 489:
		s.log.Info("subscriber ended the subscription", "event", sb.event, "subscriber", sb.subscriber.Extension, "status", res.StatusCode)
		return false
	}
	s.log.Warn("notify refused", "event", sb.event, "subscriber", sb.subscriber.Extension, "status", res.StatusCode)
	return true
}

// buildNotify builds the in-dialog NOTIFY (RFC 6665 section 4.2.2) carrying st.
func (s *Service) buildNotify(ctx context.Context, sb *sub, st presence.State, ending string) (*sip.Request, error) {
	sb.mu.Lock()
	target := sb.remoteURI
	sb.cseq++
	cseq := sb.cseq
	version := sb.version
	if sb.event == EventDialog {
		sb.version++
	}
	left := int(time.Until(sb.expires).Round(time.Second) / time.Second)
	sb.mu.Unlock()
	if left < 0 {
		left = 0
	}
	req := sip.NewRequest(sip.NOTIFY, target)
	from := &sip.FromHeader{Address: sb.local, Params: sip.NewParams()}
	from.Params.Add("tag", sb.localTag)
	to := &sip.ToHeader{Address: sb.remote, Params: sip.NewParams()}
	to.Params.Add("tag", sb.remoteTag)
	cid := sip.CallIDHeader(sb.callID)
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(from)
	req.AppendHeader(to)
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: cseq, MethodName: sip.NOTIFY})
	req.AppendHeader(&maxfwd)
	for _, r := range sb.routes {
		req.AppendHeader(&sip.RouteHeader{Address: r})
	}
	req.AppendHeader(s.contact(sb.transport))
	ev := sb.event
	if sb.eventID != "" {
		ev += ";id=" + sb.eventID
	}
	req.AppendHeader(sip.NewHeader("Event", ev))
	if ending != "" {
		req.AppendHeader(sip.NewHeader("Subscription-State", "terminated;reason="+ending))
	} else {
		req.AppendHeader(sip.NewHeader("Subscription-State", "active;expires="+strconv.Itoa(left)))
	}
	loc := s.d.Location
	if loc == nil {
		loc = sb.org.Location()
	}
	r := presence.Render{Domain: sb.org.Domain, Lang: sb.subscriber.Language, Now: time.Now(), Location: loc}
	var body []byte
	switch sb.event {
	case EventMessageSummary:
		b, err := s.messageSummaryBody(ctx, sb)
		if err != nil {
			return nil, err
		}
		body = b
	case EventPresence:
		acts, err := s.d.Hub.Activities(ctx, sb.org.ID)
		if err != nil {
			return nil, err
		}
		a, ok := sharedpresence.Find(acts, st.Activity)
		if !ok {
			a = sharedpresence.Activity{Number: st.Activity, Green: st.Green}
		}
		r.Activity = a
		body = presence.PIDF(st, r)
	default:
		body = presence.DialogInfo(st, version, r)
	}
	req.AppendHeader(sip.NewHeader("Content-Type", contentType(sb.event)))
	req.SetBody(body)
	s.address(req, sb.transport, sb.dest)
	return req, nil
}

// address sends the request where the subscriber's SUBSCRIBE came from (RFC 3581: the phone
// may be behind NAT), over the same transport.
func (s *Service) address(req *sip.Request, transport, dest string) {
	signaling.AddressRequest(req, transport, dest, s.d.UA, s.d.UDPLocal)
}

func (s *Service) contact(transport string) *sip.ContactHeader {
	return signaling.ServerContact(s.d.ContactHost, s.d.ContactPort, transport)
}

func contentType(event string) string {
	switch event {
	case EventDialog:
		return presence.ContentTypeDialogInfo
	case EventMessageSummary:
		return ContentTypeMessageSummary
	}
	return presence.ContentTypePIDF
}

// parseEvent returns the event package (lower case) and its id parameter.
func parseEvent(req *sip.Request) (event, id string) {
	h := req.GetHeader("Event")
	if h == nil {
		h = req.GetHeader("o") // compact form
	}
	if h == nil {
		return "", ""
	}
	parts := strings.Split(h.Value(), ";")
	event = strings.ToLower(strings.TrimSpace(parts[0]))
	for _, p := range parts[1:] {
		k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(k, "id") && validToken(v) {
			id = v
		}
	}
	return event, id
}

// acceptable checks the Accept headers against the body type of the event package; no
// Accept means the package's default type (RFC 6665 section 7.2).
func acceptable(req *sip.Request, event string) bool {
	hs := req.GetHeaders("Accept")
	if len(hs) == 0 {
		return true
	}
	want := contentType(event)
	var types []string
	for _, h := range hs {
		for _, t := range strings.Split(h.Value(), ",") {
			t, _, _ = strings.Cut(t, ";")
			t = strings.ToLower(strings.TrimSpace(t))
			if t != "" {
				types = append(types, t)
			}
		}
	}
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if t == want || t == "*/*" || t == "application/*" {
			return true
		}
	}
	return false
}

// parseExpires returns the requested duration in seconds (default when absent), false when the
// header is not a number.
func parseExpires(req *sip.Request) (int, bool) {
	h := req.GetHeader("Expires")
	if h == nil {
		return DefaultExpires, true
	}
	v := strings.TrimSpace(h.Value())
	if v == "" || len(v) > 10 {
		return 0, false
	}
	n, err := strconv.ParseUint(v, 10, 32)
	if err != nil {
		return 0, false
	}
	if n > MaxExpires {
		return MaxExpires, true
	}
	return int(n), true
}

// recordRoutes returns the route set of a dialog where we are the UAS: the Record-Route
// entries in order (RFC 3261 section 12.1.1).
func recordRoutes(req *sip.Request) []sip.Uri {
	return signaling.RouteSet(req.GetHeaders("Record-Route"), false)
}

func validToken(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-.!%*_+`'~", c)) {
			return false
		}
	}
	return true
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string, hdrs ...sip.Header) {
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, h := range hdrs {
		res.AppendHeader(h)
	}
	_ = tx.Respond(res) // the subscriber retransmits or gives up
}

// Package messaging owns instant messages between users (IM-1): SIP MESSAGE requests from any
// device are authenticated, stored, and forwarded to every registered device of the recipient;
// messages for users with no reachable device wait in the store and go out when one registers.
//
// A text message is stored before it is answered (202 Accepted), so an accepted message is never
// lost; delivery runs afterwards in a per-user single flight owned by the Service, which sends
// the recipient's undelivered messages oldest first. A message counts as delivered when any
// device answers 2xx. Typing notifications (RFC 3994) are forwarded but never stored.
package messaging

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/google/uuid"

	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
)

// Content types a MESSAGE may carry.
const (
	TextPlain   = "text/plain"
	IsComposing = "application/im-iscomposing+xml" // RFC 3994, forwarded only
	accepted    = TextPlain + ", " + IsComposing
)

// MaxBody is the largest message body accepted, in bytes.
const MaxBody = 8 << 10

// Deps are the parts messaging uses.
type Deps struct {
	Store     store.Store
	Directory signaling.Directory
	Client    *sipgo.Client
	Logger    *slog.Logger
	// ContactHost/ContactPort: the server's SIP address. Forwarded messages carry no Contact
	// (pager mode, RFC 3428) and their From is the sender's AOR in the organisation's domain,
	// so that a reply from the device comes back through the server's registrar domain.
	ContactHost string
	ContactPort int
	// UA and UDPLocal (optional): when both are set, UDP messages to a device the server has no
	// connection with yet are sent from the server's UDP listener, as the registrar's replies
	// were, so that NAT bindings and firewalls let them in.
	UA       *sipgo.UserAgent
	UDPLocal netip.AddrPort
	// RequestTimeout bounds one MESSAGE to one device; default 8 s.
	RequestTimeout time.Duration
}

// Service routes instant messages. Its methods are safe for concurrent use.
type Service struct {
	deps Deps
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	flights map[int64]*flight // per recipient: the running delivery
	watchID int
	watches map[int]func(store.Message)
}

// flight is one user's running delivery; again asks it to look once more when it is done.
type flight struct{ again bool }

// New returns a messaging service; Close stops its goroutines.
func New(deps Deps) *Service {
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	if deps.RequestTimeout <= 0 {
		deps.RequestTimeout = 8 * time.Second
	}
	s := &Service{
		deps:    deps,
		log:     deps.Logger,
		flights: map[int64]*flight{},
		watches: map[int]func(store.Message){},
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

// Attach registers the SIP MESSAGE handler on srv (before the server starts).
func (s *Service) Attach(srv *sipgo.Server) {
	srv.OnMessage(s.handleMessage)
}

// Watch calls fn (which must not block) with every text message stored, from SIP or Send,
// e.g. to push it to the recipient's Softphone as an event. cancel stops the calls.
func (s *Service) Watch(fn func(store.Message)) (cancel func()) {
	s.mu.Lock()
	s.watchID++
	id := s.watchID
	s.watches[id] = fn
	s.mu.Unlock()
	return func() {
		s.mu.Lock()
		delete(s.watches, id)
		s.mu.Unlock()
	}
}

// Errors for bad input.
var (
	ErrUnknownRecipient = errors.New("messaging: no such user")
	ErrEmpty            = errors.New("messaging: empty message")
	ErrTooLong          = errors.New("messaging: message too long")
	ErrBadEncoding      = errors.New("messaging: message is not valid UTF-8")
)

// Send stores a message from a user to a colleague (extension or number) and delivers it to
// the recipient's devices (for the HTTP API). ErrUnknownRecipient, ErrEmpty and ErrTooLong
// are returned wrapped for bad input.
func (s *Service) Send(ctx context.Context, from store.User, to, body string) (store.Message, error) {
	if err := checkBody([]byte(body)); err != nil {
		return store.Message{}, fmt.Errorf("send message to %q: %w", to, err)
	}
	org, err := s.deps.Store.OrgByID(ctx, from.OrgID)
	if err != nil {
		return store.Message{}, fmt.Errorf("send message: organisation of user %d: %w", from.ID, err)
	}
	rcpt, err := s.recipient(ctx, org, to)
	if err != nil {
		return store.Message{}, fmt.Errorf("send message to %q: %w", to, err)
	}
	return s.store(ctx, org, from, rcpt, body, TextPlain)
}

// Deliver sends the user's waiting messages to the user's devices; wire it to the registrar's
// OnBindingsChanged. It must not block.
func (s *Service) Deliver(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if f := s.flights[userID]; f != nil {
		f.again = true // the running flight looks again when it is done
		return
	}
	s.flights[userID] = &flight{}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			s.deliverWaiting(s.ctx, userID)
			s.mu.Lock()
			f := s.flights[userID]
			if !f.again || s.closed {
				delete(s.flights, userID)
				s.mu.Unlock()
				return
			}
			f.again = false
			s.mu.Unlock()
		}
	}()
}

// Close stops delivery goroutines and waits for them.
func (s *Service) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	s.wg.Wait()
	return nil
}

// handleMessage answers an out-of-dialog (or in-dialog) MESSAGE from a user's device.
func (s *Service) handleMessage(req *sip.Request, tx sip.ServerTransaction) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("panic handling MESSAGE", "panic", r)
			respond(tx, req, 500, "Server Internal Error")
		}
	}()
	ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
	defer cancel()
	if req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil {
		respond(tx, req, 400, "Bad Request")
		return
	}
	org, err := s.deps.Directory.OrgForRequest(ctx, req)
	if err != nil {
		respond(tx, req, 404, "Not Found")
		return
	}
	from, ok := s.deps.Directory.AuthenticateRequest(ctx, req, tx, org)
	if !ok {
		return
	}
	rcpt, err := s.recipient(ctx, org, req.Recipient.User)
	if err != nil && req.To().Address.User != req.Recipient.User {
		rcpt, err = s.recipient(ctx, org, req.To().Address.User)
	}
	if err != nil {
		if errors.Is(err, ErrUnknownRecipient) {
			respond(tx, req, 404, "Not Found")
		} else {
			s.log.Error("resolve message recipient", "error", err)
			respond(tx, req, 500, "Server Internal Error")
		}
		return
	}
	ctype, received := TextPlain, ""
	var params map[string]string
	if h := req.ContentType(); h != nil {
		received = h.Value()
		mt, ps, err := mime.ParseMediaType(received)
		if err != nil {
			mt = ""
		}
		ctype, params = mt, ps
	}
	body := req.Body()
	switch ctype {
	case TextPlain:
	case IsComposing:
		if len(body) == 0 || len(body) > MaxBody {
			respond(tx, req, 400, "Bad Request")
			return
		}
		respond(tx, req, 202, "Accepted")
		s.forwardComposing(org, from, rcpt, body)
		return
	default:
		unsupported(tx, req)
		return
	}
	if len(body) > MaxBody {
		respond(tx, req, 413, "Request Entity Too Large")
		return
	}
	text, stored, ok := textBody(body, params["charset"], received)
	if !ok {
		unsupported(tx, req)
		return
	}
	switch err := checkBody(text); {
	case errors.Is(err, ErrTooLong):
		respond(tx, req, 413, "Request Entity Too Large")
		return
	case err != nil:
		respond(tx, req, 400, "Bad Request")
		return
	}
	if _, err := s.store(ctx, org, from, rcpt, string(text), stored); err != nil {
		s.log.Error("store message", "from", from.Extension, "to", rcpt.Extension, "error", err)
		respond(tx, req, 500, "Server Internal Error")
		return
	}
	respond(tx, req, 202, "Accepted")
}

// unsupported answers 415 with the types a MESSAGE may carry.
func unsupported(tx sip.ServerTransaction, req *sip.Request) {
	res := sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil)
	res.AppendHeader(sip.NewHeader("Accept", accepted))
	_ = tx.Respond(res)
}

// textBody returns a text/plain body as UTF-8 and the Content-Type to store and forward it
// with: UTF-8 and ASCII as received (checkBody rejects invalid UTF-8), ISO-8859-1 converted
// to UTF-8, other charsets as received when the bytes are valid UTF-8 anyway; ok is false for
// text the server cannot read.
func textBody(body []byte, charset, received string) (text []byte, ctype string, ok bool) {
	if received == "" {
		received = TextPlain
	}
	switch strings.ToLower(charset) {
	case "", "utf-8", "utf8", "us-ascii":
		return body, received, true
	case "iso-8859-1", "iso_8859-1", "latin1", "l1":
		var b strings.Builder
		b.Grow(len(body) + len(body)/4)
		for _, c := range body {
			b.WriteRune(rune(c)) // ISO-8859-1 is the first 256 code points
		}
		return []byte(b.String()), TextPlain + ";charset=UTF-8", true
	}
	if utf8.Valid(body) {
		return body, received, true
	}
	return nil, "", false
}

// checkBody validates a text message body.
func checkBody(body []byte) error {
	switch {
	case len(strings.TrimSpace(string(body))) == 0:
		return ErrEmpty
	case len(body) > MaxBody:
		return ErrTooLong
	case !utf8.Valid(body):
		return ErrBadEncoding
	}
	return nil
}

// recipient resolves an extension or a number of a user of org; ErrUnknownRecipient otherwise.
func (s *Service) recipient(ctx context.Context, org store.Org, to string) (store.User, error) {
	n, err := number.Parse(to, org.CountryCode)
	if err != nil {
		return store.User{}, ErrUnknownRecipient
	}
	var u store.User
	switch n.Kind {
	case number.Extension:
		u, err = s.deps.Store.UserByExtension(ctx, org.ID, n.Value)
	case number.E164:
		u, err = s.deps.Store.UserByNumber(ctx, org.ID, n.Value)
	default:
		return store.User{}, ErrUnknownRecipient
	}
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrUnknownRecipient
	}
	if err != nil {
		return store.User{}, fmt.Errorf("look up %q: %w", to, err)
	}
	return u, nil
}

// store persists a text message, tells watchers and starts its delivery.
func (s *Service) store(ctx context.Context, org store.Org, from, to store.User, body, ctype string) (store.Message, error) {
	m, err := s.deps.Store.AddMessage(ctx, store.Message{
		OrgID: org.ID, FromUserID: from.ID, ToUserID: to.ID,
		Body: body, ContentType: ctype, SentAt: time.Now().UTC(),
	})
	if err != nil {
		return store.Message{}, fmt.Errorf("store message: %w", err)
	}
	s.log.Info("message stored", "id", m.ID, "from", from.Extension, "to", to.Extension, "bytes", len(body))
	s.mu.Lock()
	watches := make([]func(store.Message), 0, len(s.watches))
	for _, fn := range s.watches {
		watches = append(watches, fn)
	}
	s.mu.Unlock()
	for _, fn := range watches {
		fn(m)
	}
	s.Deliver(to.ID)
	return m, nil
}

// deliverWaiting sends the user's undelivered messages, oldest first, until they are all out,
// the user has no device, or the devices stop answering.
func (s *Service) deliverWaiting(ctx context.Context, userID int64) {
	msgs, err := s.deps.Store.Undelivered(ctx, userID)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("undelivered messages", "user", userID, "error", err)
		}
		return
	}
	if len(msgs) == 0 {
		return
	}
	targets, err := s.deps.Directory.Targets(ctx, userID)
	if err != nil || len(targets) == 0 {
		if err != nil {
			s.log.Error("message targets", "user", userID, "error", err)
		}
		return
	}
	senders := map[int64]store.User{}
	orgs := map[int64]store.Org{}
	for _, m := range msgs {
		if ctx.Err() != nil {
			return
		}
		from, ok := senders[m.FromUserID]
		if !ok {
			if from, err = s.deps.Store.UserByID(ctx, m.FromUserID); err != nil {
				s.log.Error("message sender", "id", m.ID, "error", err)
				continue
			}
			senders[m.FromUserID] = from
		}
		to, ok := senders[m.ToUserID]
		if !ok {
			if to, err = s.deps.Store.UserByID(ctx, m.ToUserID); err != nil {
				s.log.Error("message recipient", "id", m.ID, "error", err)
				return
			}
			senders[m.ToUserID] = to
		}
		org, ok := orgs[m.OrgID]
		if !ok {
			if org, err = s.deps.Store.OrgByID(ctx, m.OrgID); err != nil {
				s.log.Error("message organisation", "id", m.ID, "error", err)
				return
			}
			orgs[m.OrgID] = org
		}
		ctype := m.ContentType
		if ctype == "" {
			ctype = TextPlain
		}
		r := s.sendAll(ctx, targets, func() *sip.Request {
			return s.newMessage(org, from, to, []byte(m.Body), ctype, m.SentAt)
		})
		if r.accepted {
			if err := s.deps.Store.MarkDelivered(ctx, m.ID, time.Now().UTC()); err != nil {
				s.log.Error("mark message delivered", "id", m.ID, "error", err)
				return
			}
			s.log.Info("message delivered", "id", m.ID, "to", to.Extension)
			continue
		}
		s.log.Info("message not delivered", "id", m.ID, "to", to.Extension, "devices", len(targets), "status", r.status)
		if !r.answered {
			return // no device answers: the rest waits for the next registration
		}
	}
}

// result of sending one message to every device.
type result struct {
	accepted bool // some device answered 2xx
	answered bool // some device sent a final response or cannot take the message at all
	status   int  // the best final status seen
}

// undeliverable is sendTo's status for a device that can never take this message (too large
// for UDP and no TCP): it must not hold up the messages after it.
const undeliverable = -1

// sendAll sends a request built by mk to every target in parallel and waits for their answers.
func (s *Service) sendAll(ctx context.Context, targets []signaling.Target, mk func() *sip.Request) result {
	var (
		mu sync.Mutex
		r  result
		wg sync.WaitGroup
	)
	for _, t := range targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			code := s.sendTo(ctx, t, mk)
			mu.Lock()
			defer mu.Unlock()
			if code != 0 {
				r.answered = true
			}
			if code > 0 && (r.status == 0 || code < r.status) {
				r.status = code
			}
			if code >= 200 && code < 300 {
				r.accepted = true
			}
		}()
	}
	wg.Wait()
	return r
}

// sendTo sends a request built by mk to one device and returns the final status (0: no answer;
// undeliverable). A request too large for UDP goes over TCP to the same address instead
// (RFC 3261 section 18.1.1), as sipgo does not fragment.
func (s *Service) sendTo(ctx context.Context, t signaling.Target, mk func() *sip.Request) int {
	code, err := s.do(ctx, t, t.Transport, mk())
	if errors.Is(err, sip.ErrUDPMTUCongestion) {
		if code, err = s.do(ctx, t, "tcp", mk()); err != nil {
			s.log.Info("message too large for UDP and device unreachable over TCP", "user", t.UserID, "dest", t.Destination, "error", err)
			return undeliverable
		}
	}
	if err != nil {
		s.log.Debug("send MESSAGE", "user", t.UserID, "dest", t.Destination, "error", err)
	}
	return code
}

func (s *Service) do(ctx context.Context, t signaling.Target, transport string, req *sip.Request) (int, error) {
	req.Recipient = t.Contact
	s.address(req, transport, t.Destination)
	ctx, cancel := context.WithTimeout(ctx, s.deps.RequestTimeout)
	defer cancel()
	res, err := s.deps.Client.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	return res.StatusCode, nil
}

// newMessage builds a MESSAGE from a user to a user (Request-URI set per device by sendTo).
func (s *Service) newMessage(org store.Org, from, to store.User, body []byte, ctype string, sentAt time.Time) *sip.Request {
	req := sip.NewRequest(sip.MESSAGE, sip.Uri{Scheme: "sip", User: to.Extension, Host: org.Domain})
	fh := &sip.FromHeader{DisplayName: from.Name, Address: sip.Uri{Scheme: "sip", User: from.Extension, Host: org.Domain}, Params: sip.NewParams()}
	fh.Params.Add("tag", sip.GenerateTagN(16))
	cid := sip.CallIDHeader(uuid.NewString())
	maxfwd := sip.MaxForwardsHeader(70)
	req.AppendHeader(fh)
	req.AppendHeader(&sip.ToHeader{Address: sip.Uri{Scheme: "sip", User: to.Extension, Host: org.Domain}, Params: sip.NewParams()})
	req.AppendHeader(&cid)
	req.AppendHeader(&sip.CSeqHeader{SeqNo: 1, MethodName: sip.MESSAGE})
	req.AppendHeader(&maxfwd)
	// Date is the original send time (RFC 3428 section 7, RFC 3261 section 20.17), so a message
	// delivered late still shows when it was written.
	req.AppendHeader(sip.NewHeader("Date", sentAt.UTC().Format(http.TimeFormat)))
	req.AppendHeader(sip.NewHeader("Content-Type", ctype))
	req.SetBody(body)
	return req
}

// address sets transport and destination of a request to a device (as server/b2bua does).
func (s *Service) address(req *sip.Request, transport, dest string) {
	signaling.AddressRequest(req, transport, dest, s.deps.UA, s.deps.UDPLocal)
}

// forwardComposing sends a typing notification to the recipient's devices, best effort.
func (s *Service) forwardComposing(org store.Org, from, to store.User, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		targets, err := s.deps.Directory.Targets(s.ctx, to.ID)
		if err != nil || len(targets) == 0 {
			return
		}
		sentAt := time.Now()
		s.sendAll(s.ctx, targets, func() *sip.Request {
			return s.newMessage(org, from, to, body, IsComposing, sentAt)
		})
	}()
}

func respond(tx sip.ServerTransaction, req *sip.Request, code int, reason string) {
	_ = tx.Respond(sip.NewResponseFromRequest(req, code, reason, nil))
}

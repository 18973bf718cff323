package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/vaihde/vaihde/server/messaging"
	"github.com/vaihde/vaihde/server/sms"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Paging of message history.
const (
	defaultMessages = 50
	maxMessages     = 500
)

// extensions caches user ID → extension for one response.
type extensions struct {
	s *Server
	m map[int64]store.User
}

func (s *Server) extensions() *extensions { return &extensions{s: s, m: map[int64]store.User{}} }

func (e *extensions) user(ctx context.Context, id int64) store.User {
	if u, ok := e.m[id]; ok {
		return u
	}
	u, err := e.s.st.UserByID(ctx, id)
	if err != nil {
		u = store.User{ID: id} // deleted since: shown without extension
	}
	e.m[id] = u
	return u
}

func (e *extensions) message(ctx context.Context, m store.Message) shared.Message {
	out := shared.Message{ID: m.ID, From: e.user(ctx, m.FromUserID).Extension, To: e.user(ctx, m.ToUserID).Extension,
		Body: m.Body, SentAt: m.SentAt}
	if !m.DeliveredAt.IsZero() {
		t := m.DeliveredAt
		out.DeliveredAt = &t
	}
	if !m.ReadAt.IsZero() {
		t := m.ReadAt
		out.ReadAt = &t
	}
	return out
}

// peer resolves a colleague given by extension or number; on failure it has answered 404.
func (s *Server) peer(w http.ResponseWriter, ctx context.Context, u store.User, with string) (store.User, bool) {
	org, err := s.st.OrgByID(ctx, u.OrgID)
	if err != nil {
		s.internal(w, "peer: load org", err)
		return store.User{}, false
	}
	p, err := s.userFor(ctx, org, with)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, errUnknownUser) {
		writeError(w, http.StatusNotFound, fmt.Sprintf("no colleague %q", with))
		return store.User{}, false
	}
	if err != nil {
		s.internal(w, "peer", err)
		return store.User{}, false
	}
	return p, true
}

func (s *Server) conversations(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	convs, err := s.st.Conversations(ctx, u.ID)
	if err != nil {
		s.internal(w, "conversations", err)
		return
	}
	ex := s.extensions()
	ex.m[u.ID] = u
	out := shared.ConversationList{Conversations: make([]shared.Conversation, 0, len(convs))}
	for _, c := range convs {
		p := ex.user(ctx, c.PeerID)
		out.Conversations = append(out.Conversations, shared.Conversation{With: p.Extension, WithName: p.Name,
			Last: ex.message(ctx, c.Last), Unread: c.Unread})
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) messages(w http.ResponseWriter, r *http.Request, u store.User) {
	ctx := r.Context()
	q := r.URL.Query()
	if q.Get("with") == "" {
		writeError(w, http.StatusBadRequest, "with (the colleague's extension) is required")
		return
	}
	var before int64
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "before must be a message id")
			return
		}
		before = n
	}
	limit := defaultMessages
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 {
			writeError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = min(n, maxMessages)
	}
	p, ok := s.peer(w, ctx, u, q.Get("with"))
	if !ok {
		return
	}
	msgs, err := s.st.History(ctx, u.ID, p.ID, before, limit)
	if err != nil {
		s.internal(w, "messages", err)
		return
	}
	ex := s.extensions()
	ex.m[u.ID], ex.m[p.ID] = u, p
	out := shared.MessageList{Messages: make([]shared.Message, 0, len(msgs))}
	for _, m := range msgs {
		out.Messages = append(out.Messages, ex.message(ctx, m))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) sendMessage(w http.ResponseWriter, r *http.Request, u store.User) {
	if s.deps.Messaging == nil {
		writeError(w, http.StatusServiceUnavailable, "instant messages are not available")
		return
	}
	var req shared.SendMessage
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	m, err := s.deps.Messaging.Send(ctx, u, req.To, req.Body)
	switch {
	case errors.Is(err, messaging.ErrUnknownRecipient):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no colleague %q", req.To))
		return
	case errors.Is(err, messaging.ErrEmpty):
		writeError(w, http.StatusBadRequest, "message is empty")
		return
	case errors.Is(err, messaging.ErrTooLong):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("message longer than %d bytes", messaging.MaxBody))
		return
	case err != nil:
		s.internal(w, "send message", err)
		return
	}
	ex := s.extensions()
	ex.m[u.ID] = u
	out := ex.message(ctx, m)
	if !s.watchingMessages.Load() {
		s.publishMessage(u.OrgID, m, out)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) publishMessage(orgID int64, m store.Message, out shared.Message) {
	ev := shared.Event{Type: shared.EventMessage, Message: &out}
	s.streams.publish(orgID, m.ToUserID, ev)
	if m.FromUserID != m.ToUserID {
		s.streams.publish(orgID, m.FromUserID, ev)
	}
}

// MessageStored publishes a stored instant message, from SIP or the API, to the event streams
// of both parties; wire it to messaging.Service.Watch. Once called, sendMessage leaves the
// publishing to it.
func (s *Server) MessageStored(m store.Message) {
	s.watchingMessages.Store(true)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	s.publishMessage(m.OrgID, m, s.extensions().message(ctx, m))
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request, u store.User) {
	var req shared.MarkRead
	if !decodeBody(w, r, &req) {
		return
	}
	if req.With == "" {
		writeError(w, http.StatusBadRequest, "with (the colleague's extension) is required")
		return
	}
	ctx := r.Context()
	p, ok := s.peer(w, ctx, u, req.With)
	if !ok {
		return
	}
	if err := s.st.MarkRead(ctx, u.ID, p.ID, s.now().UTC()); err != nil {
		s.internal(w, "mark read", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) sendSMS(w http.ResponseWriter, r *http.Request, u store.User) {
	if s.deps.SMS == nil {
		writeError(w, http.StatusServiceUnavailable, "SMS is not configured")
		return
	}
	var req shared.SendSMS
	if !decodeBody(w, r, &req) {
		return
	}
	ctx := r.Context()
	org, err := s.st.OrgByID(ctx, u.OrgID)
	if err != nil {
		s.internal(w, "sms: load org", err)
		return
	}
	release, err := s.smsLimit.reserve(u.ID, org.ID, s.now())
	var lim *smsLimitError
	if errors.As(err, &lim) {
		w.Header().Set("Retry-After", strconv.Itoa(int((lim.retryAfter+time.Second-1)/time.Second)))
		s.log.Warn("sms rate limit", "user", u.ID, "org", org.ID, "limit", lim.who)
		writeError(w, http.StatusTooManyRequests, lim.Error())
		return
	}
	// The gateway gets its own bound: a hung provider must not hold the request forever.
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	m, err := s.deps.SMS.Send(sctx, org, u, req.To, req.Text)
	if errors.Is(err, sms.ErrBadNumber) || errors.Is(err, sms.ErrBadText) || errors.Is(err, sms.ErrNoGateway) || errors.Is(err, sms.ErrNoSender) {
		release() // refused before the gateway: costs nothing
	}
	switch {
	case errors.Is(err, sms.ErrBadNumber):
		writeError(w, http.StatusBadRequest, fmt.Sprintf("%q is not a valid phone number", req.To))
		return
	case errors.Is(err, sms.ErrBadText):
		writeError(w, http.StatusBadRequest, "text is empty or too long")
		return
	case errors.Is(err, sms.ErrNoGateway):
		writeError(w, http.StatusServiceUnavailable, "SMS is not configured")
		return
	case errors.Is(err, sms.ErrNoSender):
		writeError(w, http.StatusServiceUnavailable, "no SMS sender: you have no mobile number and the organisation has no SMS sender")
		return
	case err != nil:
		s.log.Warn("sms gateway", "error", err, "user", u.ID)
		writeError(w, http.StatusBadGateway, "the SMS gateway failed")
		return
	}
	writeJSON(w, http.StatusOK, shared.SMS{ID: m.ID, From: m.From, To: m.To, Text: m.Body, Parts: m.Parts, SentAt: m.SentAt})
}

// smsUsage tells an administrator how many SMS parts the organisation sent this month and in
// total (SMS-1: counted per organisation).
func (s *Server) smsUsage(w http.ResponseWriter, r *http.Request, u store.User) {
	if !u.Admin {
		writeError(w, http.StatusForbidden, "only an administrator may see SMS usage")
		return
	}
	now := s.now().UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	this, err := s.st.SMSCount(r.Context(), u.OrgID, month)
	if err != nil {
		s.internal(w, "sms usage", err)
		return
	}
	all, err := s.st.SMSCount(r.Context(), u.OrgID, time.Time{})
	if err != nil {
		s.internal(w, "sms usage", err)
		return
	}
	writeJSON(w, http.StatusOK, shared.SMSUsage{Since: month, Parts: this, Total: all})
}

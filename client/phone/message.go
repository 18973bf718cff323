package phone

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// Errors of SendMessage.
var (
	// ErrNoSuchUser is returned (wrapped) when the server answers 404: nobody has that number.
	ErrNoSuchUser = errors.New("phone: no such user")
	// ErrEmptyMessage is returned for a message with no text.
	ErrEmptyMessage = errors.New("phone: empty message")
	// ErrMessageTooLarge is returned (wrapped) for a message that does not fit one UDP
	// datagram: sipgo refuses requests within 200 bytes of the MTU and RFC 3428 asks pager
	// requests to stay below it. Send such a message through the server's API instead.
	ErrMessageTooLarge = errors.New("phone: message too long for one SIP datagram")
)

// sipAddedBytes is what the transport and the digest answer add to a MESSAGE after it is
// built: Via, Max-Forwards and Proxy-Authorization (with a SHA-256 response).
const sipAddedBytes = 450

// Session implements Controller.
func (e *Engine) Session() (apiURL, token string, ok bool) {
	e.mu.Lock()
	acct := e.acct
	e.mu.Unlock()
	if acct == nil || acct.token == "" {
		return "", "", false
	}
	_, _, apiURL, err := splitServer(acct.Account)
	if err != nil {
		return "", "", false
	}
	return apiURL, acct.token, true
}

// SendMessage implements Controller: a pager-mode MESSAGE (RFC 3428) through the server,
// answering a 401/407 challenge with the account's credentials.
func (e *Engine) SendMessage(ctx context.Context, to, body string) error {
	to = strings.TrimSpace(to)
	if to == "" {
		return errors.New("phone: no recipient")
	}
	if strings.TrimSpace(body) == "" {
		return ErrEmptyMessage
	}
	if !utf8.ValidString(body) {
		return errors.New("phone: message is not valid text")
	}
	e.mu.Lock()
	acct := e.acct
	e.mu.Unlock()
	if acct == nil {
		return ErrNotLoggedIn
	}
	target := sip.Uri{Scheme: "sip", User: dialUser(to), Host: acct.domain}
	req := sip.NewRequest(sip.MESSAGE, target)
	req.SetDestination(acct.server)
	req.AppendHeader(acct.route())
	from := &sip.FromHeader{DisplayName: acct.profile.Name,
		Address: sip.Uri{Scheme: "sip", User: acct.sipUser, Host: acct.domain}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(16))
	req.AppendHeader(from)
	req.AppendHeader(&sip.ToHeader{Address: target})
	req.AppendHeader(sip.NewHeader("User-Agent", e.cfg.UserAgent))
	req.AppendHeader(sip.NewHeader("Date", time.Now().UTC().Format(http.TimeFormat)))
	req.AppendHeader(sip.NewHeader("Content-Type", "text/plain;charset=UTF-8"))
	req.SetBody([]byte(body))
	if len(req.String())+sipAddedBytes > sip.UDPMTUSize-200 {
		return fmt.Errorf("send message to %s (%d bytes): %w", to, len(body), ErrMessageTooLarge)
	}

	ctx, cancel := context.WithTimeout(ctx, e.cfg.RequestTimeout)
	defer cancel()
	res, err := acct.client.Do(ctx, req)
	if err == nil && (res.StatusCode == 401 || res.StatusCode == 407) {
		res, err = acct.client.DoDigestAuth(ctx, req, res, sipgo.DigestAuth{Username: acct.sipUser, Password: acct.Password})
	}
	if err != nil {
		_, _, cerr := classifyErr(err) // plain words for timeouts and refused connections
		return fmt.Errorf("send message to %s: %w", to, cerr)
	}
	switch {
	case res.StatusCode >= 200 && res.StatusCode < 300:
		return nil
	case res.StatusCode == 404 || res.StatusCode == 484 || res.StatusCode == 604:
		return fmt.Errorf("send message to %s: %w", to, ErrNoSuchUser)
	case res.StatusCode == 401 || res.StatusCode == 407 || res.StatusCode == 403:
		return fmt.Errorf("send message to %s: the server refused our credentials (%d %s)", to, res.StatusCode, res.Reason)
	}
	return fmt.Errorf("send message to %s: %d %s", to, res.StatusCode, res.Reason)
}

// OnMessage implements Controller.
func (e *Engine) OnMessage(fn func(InstantMessage)) (cancel func()) {
	e.mu.Lock()
	if e.msgSubs == nil {
		e.msgSubs = map[int]func(InstantMessage){}
	}
	id := e.nextSub
	e.nextSub++
	e.msgSubs[id] = fn
	e.mu.Unlock()
	return func() {
		e.mu.Lock()
		delete(e.msgSubs, id)
		e.mu.Unlock()
	}
}

// onMessage answers an incoming MESSAGE and hands text to the subscribers. Typing
// notifications (RFC 3994) are accepted and dropped; other content types get 415.
func (e *Engine) onMessage(req *sip.Request, tx sip.ServerTransaction) {
	im, kind := parseMessage(req, time.Now())
	switch kind {
	case msgUnsupported:
		res := sip.NewResponseFromRequest(req, 415, "Unsupported Media Type", nil)
		res.AppendHeader(sip.NewHeader("Accept", "text/plain, application/im-iscomposing+xml"))
		_ = tx.Respond(res)
		return
	default:
		_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
	}
	if kind != msgText {
		return
	}
	e.mu.Lock()
	subs := make([]func(InstantMessage), 0, len(e.msgSubs))
	for _, fn := range e.msgSubs {
		subs = append(subs, fn)
	}
	e.mu.Unlock()
	e.log.Debug("instant message received", "from", im.From, "bytes", len(im.Body))
	// One message at a time, so subscribers see messages in arrival order.
	e.msgMu.Lock()
	defer e.msgMu.Unlock()
	for _, fn := range subs {
		fn(im)
	}
}

type messageKind int

const (
	msgText        messageKind = iota // a text message for the user
	msgIgnored                        // accepted but not shown (typing notification, empty)
	msgUnsupported                    // a content type we do not render
)

// parseMessage reads a MESSAGE request; now is used when it carries no valid Date header.
func parseMessage(req *sip.Request, now time.Time) (InstantMessage, messageKind) {
	ct := "text/plain"
	if h := req.ContentType(); h != nil && strings.TrimSpace(h.Value()) != "" {
		mt, _, err := mime.ParseMediaType(h.Value())
		if err != nil {
			return InstantMessage{}, msgUnsupported
		}
		ct = mt
	}
	switch ct {
	case "text/plain":
	case "application/im-iscomposing+xml":
		return InstantMessage{}, msgIgnored
	default:
		return InstantMessage{}, msgUnsupported
	}
	body := string(req.Body())
	if !utf8.ValidString(body) {
		body = strings.ToValidUTF8(body, "\uFFFD")
	}
	if strings.TrimSpace(body) == "" {
		return InstantMessage{}, msgIgnored
	}
	im := InstantMessage{Body: body, At: now}
	if f := req.From(); f != nil {
		im.From = f.Address.User
		im.FromName = strings.Trim(strings.TrimSpace(f.DisplayName), `"`)
	}
	if h := req.GetHeader("Date"); h != nil {
		if t, err := http.ParseTime(strings.TrimSpace(h.Value())); err == nil {
			im.At = t
		}
	}
	return im, msgText
}

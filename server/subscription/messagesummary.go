package subscription

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
)

// EventMessageSummary is the message-waiting event package (RFC 3842).
const (
	EventMessageSummary       = "message-summary"
	ContentTypeMessageSummary = "application/simple-message-summary"
)

// errOthersMailbox refuses a subscription to another user's mailbox.
var errOthersMailbox = errors.New("subscription: message-summary of another user's mailbox")

// mailboxTarget picks the mailbox of a message-summary subscription: users watch their own
// mailbox only. A Request-URI that names no user (phones often subscribe to the voicemail
// access number) means the subscriber's own mailbox, as the access number recognises the
// caller (VM-1); one that names another user is refused.
func mailboxTarget(subscriber, resolved store.User, resolveErr error) (store.User, error) {
	if resolveErr != nil {
		return subscriber, nil
	}
	if resolved.ID != subscriber.ID {
		return store.User{}, errOthersMailbox
	}
	return subscriber, nil
}

// MailboxChanged sends a fresh message summary to every subscription of the user's mailbox.
// The voicemail mailbox calls it after each saved, heard or deleted message.
func (s *Service) MailboxChanged(userID int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for sb := range s.byTarget[userID] {
		if sb.event == EventMessageSummary {
			// The state only wakes the sender; the body is read from the store when sent, so
			// a burst of changes costs one NOTIFY with the latest counts.
			sb.offer(presence.State{UserID: userID})
		}
	}
}

// messageSummaryBody reads the mailbox counts and renders the NOTIFY body.
func (s *Service) messageSummaryBody(ctx context.Context, sb *sub) ([]byte, error) {
	n, o, err := s.d.Store.VoicemailCounts(ctx, sb.target.ID)
	if err != nil {
		return nil, fmt.Errorf("message summary of %s: %w", sb.target.Extension, err)
	}
	return MessageSummary("sip:"+sb.target.Extension+"@"+sb.org.Domain, n, o), nil
}

// MessageSummary renders an application/simple-message-summary body (RFC 3842 section 5):
// whether messages wait, the account they wait in, and the voice-message counts new/old.
func MessageSummary(account string, newCount, oldCount int) []byte {
	var b strings.Builder
	b.WriteString("Messages-Waiting: ")
	if newCount > 0 {
		b.WriteString("yes")
	} else {
		b.WriteString("no")
	}
	b.WriteString("\r\nMessage-Account: ")
	b.WriteString(account)
	b.WriteString("\r\nVoice-Message: ")
	b.WriteString(strconv.Itoa(max(newCount, 0)))
	b.WriteByte('/')
	b.WriteString(strconv.Itoa(max(oldCount, 0)))
	b.WriteString("\r\n")
	return []byte(b.String())
}

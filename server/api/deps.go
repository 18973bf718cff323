package api

import (
	"context"
	"log/slog"
	"os"
	"time"

	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// Deps are the services the API serves. Store is required; a nil service makes its routes
// answer 503 (e.g. SMS with no gateway configured).
type Deps struct {
	Store  store.Store
	Logger *slog.Logger
	// Changed, if set, is called after every admin change is stored: of a user (userID > 0;
	// created, changed, deleted or given a new password) or of the organisation's settings,
	// number pool or groups (queues, hunt groups, menus: userID 0), so that caches,
	// registrations and the queue engine follow at once.
	Changed   func(ctx context.Context, orgID, userID int64)
	Presence  Presence  // *presence.Hub
	Directory Directory // *directory.Service
	Messaging Messaging // *messaging.Service
	SMS       SMS       // *sms.Service
	Voicemail Voicemail // *voicemail.Mailbox
	Prompts   Prompts   // *prompt.Catalog
	// Agents is the queue engine (server/queue); nil: the agent and supervisor routes answer 501.
	Agents Agents
	// Parked lists parked calls (call park); nil: GET /api/switchboard/parked answers 501.
	Parked Parked
	// SMSLimits bound how many SMS a user and an organisation may send (zero fields: defaults).
	SMSLimits SMSLimits
	// CampOns counts the callers camped on a user (camp-on); nil: a new event stream is not
	// told them at its start (only the "campon" events of later changes).
	CampOns CampOns
	// Now is the API's clock (token lifetimes, statistics periods); nil: time.Now. Tests that
	// drive the queue engine on a fake clock give the API the same one.
	Now func() time.Time
}

// Presence is what the API needs from the presence hub (server/presence.Hub).
type Presence interface {
	Get(ctx context.Context, userID int64) (presence.State, error)
	Org(ctx context.Context, orgID int64) ([]presence.State, error)
	Activities(ctx context.Context, orgID int64) ([]sharedpresence.Activity, error)
	Set(ctx context.Context, userID int64, c presence.Change) (presence.State, error)
	PutActivity(ctx context.Context, orgID int64, a sharedpresence.Activity) error
	Watch(orgID int64, fn func(presence.State)) (cancel func())
}

// Directory searches an organisation's users (server/directory.Service).
type Directory interface {
	Search(ctx context.Context, orgID int64, q string, limit int) ([]store.User, error)
	Invalidate(orgID int64)
}

// Messaging sends instant messages (server/messaging.Service).
type Messaging interface {
	Send(ctx context.Context, from store.User, to, body string) (store.Message, error)
}

// SMS sends text messages (server/sms.Service).
type SMS interface {
	Send(ctx context.Context, org store.Org, from store.User, to, text string) (store.SMS, error)
}

// Voicemail is what the API needs from the users' mailboxes (server/voicemail.Mailbox). Every
// method acts on the mailbox of userID only: another user's message is store.ErrNotFound.
type Voicemail interface {
	List(ctx context.Context, userID int64) ([]store.Voicemail, error)
	Open(ctx context.Context, userID, id int64) (*os.File, store.Voicemail, error)
	Counts(ctx context.Context, userID int64) (newCount, oldCount int, err error)
	MarkHeard(ctx context.Context, userID, id int64, heard bool) error
	Delete(ctx context.Context, userID, id int64) error
	SetPIN(ctx context.Context, userID int64, pin string) error
	// Greeting returns the path of the user's own greeting, "" when they have none.
	Greeting(ctx context.Context, userID int64) (string, error)
}

// Package groups answers an organisation's group numbers: customer-service queues (GRP-1…9, run
// by server/queue's engine), hunt groups (GRP-11) and IVR menus (GRP-10). Service implements
// b2bua.Services: it looks the dialled number up in the store's groups and returns the group's
// call flow; any other number goes to the wrapped services (queue agent codes, then the
// feature codes and voicemail of server/features).
//
// Reachability (GRP-1): a group on a test number 8000–8099 answers only callers from inside the
// organisation; a group on a DID of the number pool answers outside callers too, and so does a
// test-numbered group a pool DID is mapped to. Opening hours and night mode (GRP-7) send the call
// to the group's NightTarget before anything rings.
//
// A menu key, an overflow or night target that is another group's number runs that group's flow
// in-process on the same channel (no transfer, no re-INVITE); users and outside numbers are
// reached through mediaapp.Connector. Hunt groups ring through mediaapp.Ringer, which never
// follows personal forwarding (ROUTE-1) and logs a missed call for every member rung (CALL-13).
package groups

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
)

// Groups is what the dispatcher reads of the store (store.GroupStore satisfies it).
type Groups interface {
	GroupByNumber(ctx context.Context, orgID int64, number string) (store.GroupKind, int64, error)
	Queue(ctx context.Context, orgID, id int64) (store.Queue, error)
	HuntGroup(ctx context.Context, orgID, id int64) (store.HuntGroup, error)
	Menu(ctx context.Context, orgID, id int64) (store.Menu, error)
}

// QueueFlows runs customer-service queue calls; server/queue's engine provides it. Flow returns
// the flow that puts caller in queue q of org: it runs on the caller's channel (announcements,
// music, ringing agents through mediaapp.Ringer, its own overflows) and returns when an agent
// answered, the call overflowed, or the caller hung up. The dispatcher has already applied
// opening hours and night mode: Flow is asked for open queues only. The flow's channel is the
// call's, except that its mediaapp.Connector runs group numbers and "voicemail:<ext>" targets
// in-process (the call engine's Connect reaches users and outside numbers only).
type QueueFlows interface {
	Flow(org store.Org, q store.Queue, caller b2bua.ServiceCall) mediaapp.Flow
}

// QueueFlowFunc adapts a function to QueueFlows.
type QueueFlowFunc func(org store.Org, q store.Queue, caller b2bua.ServiceCall) mediaapp.Flow

// Flow implements QueueFlows.
func (f QueueFlowFunc) Flow(org store.Org, q store.Queue, caller b2bua.ServiceCall) mediaapp.Flow {
	return f(org, q, caller)
}

// ServicesFunc adapts a function to b2bua.Services (e.g. server/queue's agent feature codes
// 985/986).
type ServicesFunc func(ctx context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool)

// Service implements b2bua.Services.
func (f ServicesFunc) Service(ctx context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	return f(ctx, c)
}

// Presence is what hunt groups read of a member's presence; *presence.Hub satisfies it.
type Presence interface {
	Get(ctx context.Context, userID int64) (presence.State, error)
}

// Voicemail returns the deposit flow of mailbox ext for caller, for the "voicemail:<ext>"
// targets of groups; ok false when ext has no mailbox.
type Voicemail func(ctx context.Context, org store.Org, ext string, caller b2bua.ServiceCall) (mediaapp.Flow, bool)

// Deps are the dispatcher's collaborators. Only Groups is required.
type Deps struct {
	Groups Groups
	// Queues runs queue calls; nil: queue numbers are not answered (they fall through).
	Queues QueueFlows
	// AgentCodes answers the queue agents' feature codes (985<queue> log in, 986<queue> log
	// out); nil: none. Asked before Features.
	AgentCodes b2bua.Services
	// Features answers every other service number (normally *features.Service); nil: none.
	Features b2bua.Services
	// Presence reads members' presence for the hunt groups' presence rule; nil: no member is
	// skipped for presence.
	Presence Presence
	// Voicemail serves "voicemail:<ext>" targets; nil: the extension is connected instead.
	Voicemail Voicemail
	// Prompts is the voice prompt catalog; nil: tones instead of speech (tests).
	Prompts *prompt.Catalog
	Now     func() time.Time // nil: time.Now
	// IntN returns a random int in [0, n) for random hunt groups; nil: math/rand/v2.IntN.
	IntN   func(n int) int
	Logger *slog.Logger // nil discards
}

// Service is the dispatcher. It is safe for concurrent use.
type Service struct {
	deps  Deps
	log   *slog.Logger
	clips *clips
}

var _ b2bua.Services = (*Service)(nil)

// New creates the dispatcher.
func New(d Deps) *Service {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.IntN == nil {
		d.IntN = rand.IntN
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{deps: d, log: log, clips: newClips(d.Prompts, log)}
}

// IsTestNumber reports whether n is one of the test numbers 8000–8099 (store.IsTestNumber),
// which answer only callers from inside the organisation.
func IsTestNumber(n string) bool { return store.IsTestNumber(n) }

// Service implements b2bua.Services: agent codes, then feature codes and voicemail, then the
// organisation's group numbers.
func (s *Service) Service(ctx context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	if s.deps.AgentCodes != nil {
		if f, ok := s.deps.AgentCodes.Service(ctx, c); ok {
			return f, true
		}
	}
	if s.deps.Features != nil {
		if f, ok := s.deps.Features.Service(ctx, c); ok {
			return f, true
		}
	}
	g, ok := s.lookup(ctx, c.Org, c.Dialled)
	if !ok {
		return nil, false
	}
	if !c.Internal && IsTestNumber(g.number()) && c.DID == "" {
		s.log.Info("test group number refused to an outside caller", "org_id", c.Org.ID,
			"number", c.Dialled, "from", c.CallerNumber)
		return nil, false
	}
	if g.kind == store.KindQueue && s.deps.Queues == nil {
		s.log.Warn("queue number but no queue engine", "org_id", c.Org.ID, "number", c.Dialled)
		return nil, false
	}
	s.log.Info("group call", "org_id", c.Org.ID, "kind", string(g.kind), "number", c.Dialled,
		"from", c.CallerNumber, "internal", c.Internal)
	return func(ctx context.Context, ch mediaapp.Channel) error {
		return s.run(ctx, ch, s.newCall(c), g, 0)
	}, true
}

// TargetFlow returns the flow that sends caller to number the way groups do: another group's
// number runs in-process, "voicemail:<ext>" the mailbox, "" a busy message and hang-up, any
// other number through mediaapp.Connector. The queue engine may use it for its overflow
// targets so that an overflow to a hunt group or menu needs no transfer.
func (s *Service) TargetFlow(caller b2bua.ServiceCall, number string) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		return s.target(ctx, ch, s.newCall(caller), number, keyBusy, 0)
	}
}

// group is one looked-up group of any kind.
type group struct {
	kind  store.GroupKind
	queue store.Queue
	hunt  store.HuntGroup
	menu  store.Menu
}

func (g group) number() string {
	switch g.kind {
	case store.KindQueue:
		return g.queue.Number
	case store.KindHunt:
		return g.hunt.Number
	}
	return g.menu.Number
}

// lookup finds the group answering number in org; false when none does (or the store failed,
// which is logged: the call then routes as usual).
func (s *Service) lookup(ctx context.Context, org store.Org, number string) (group, bool) {
	if number == "" || s.deps.Groups == nil {
		return group{}, false
	}
	kind, id, err := s.deps.Groups.GroupByNumber(ctx, org.ID, number)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			s.log.Error("group lookup", "org_id", org.ID, "number", number, "error", err)
		}
		return group{}, false
	}
	g := group{kind: kind}
	switch kind {
	case store.KindQueue:
		g.queue, err = s.deps.Groups.Queue(ctx, org.ID, id)
	case store.KindHunt:
		g.hunt, err = s.deps.Groups.HuntGroup(ctx, org.ID, id)
	case store.KindMenu:
		g.menu, err = s.deps.Groups.Menu(ctx, org.ID, id)
	default:
		s.log.Error("group of unknown kind", "org_id", org.ID, "number", number, "kind", string(kind))
		return group{}, false
	}
	if err != nil {
		s.log.Error("group load", "org_id", org.ID, "number", number, "kind", string(kind), "error", err)
		return group{}, false
	}
	return g, true
}

// closed reports whether a group with hours and the manual night switch is in night mode now,
// in the organisation's time zone.
func (s *Service) closed(org store.Org, hours *store.OfficeHours, manual bool) bool {
	if manual {
		return true
	}
	return hours != nil && !hours.In(s.deps.Now().In(org.Location()))
}

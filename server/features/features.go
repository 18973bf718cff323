// Package features answers the organisation's service numbers with call flows: the feature
// codes 983<n> (set activity n), 984<n> (set role n) and 987[<number>] (set or clear immediate
// forwarding) of PRES-4 and ROUTE-1, the activity-change IVR, and the voicemail access number
// (whose flow the voicemail package supplies). Service implements b2bua.Services.
//
// Every flow is a small state machine over a mediaapp.Channel, so it runs in tests on a
// mediaapp.Script without a network. Callers hear prompts in their own language from the prompt
// catalog, or tones when the server has no catalog.
package features

import (
	"context"
	"log/slog"
	"strings"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/number"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// Feature-code prefixes (seed 001).
const (
	PrefixActivity   = "983"
	PrefixRole       = "984"
	PrefixForwarding = "987"
)

// Numbers are an organisation's service numbers.
type Numbers struct {
	Voicemail   string // voicemail access (VM-1)
	ActivityIVR string // activity-change IVR (PRES-4)
}

// DefaultNumbers are the demo organisation's service numbers.
var DefaultNumbers = Numbers{Voicemail: store.DefaultVoicemailNumber, ActivityIVR: store.DefaultActivityNumber}

// Presence is what the flows read and change of a user's presence; *presence.Hub implements it.
type Presence interface {
	Get(ctx context.Context, userID int64) (presence.State, error)
	Set(ctx context.Context, userID int64, c presence.Change) (presence.State, error)
	Activities(ctx context.Context, orgID int64) ([]sharedpresence.Activity, error)
}

// Deps are the service's collaborators.
type Deps struct {
	Presence Presence // required
	// Prompts is the voice prompt catalog; nil: tones instead of speech.
	Prompts *prompt.Catalog
	// Voicemail returns the voicemail access flow for a caller (ID 0 for an external caller);
	// nil or ok false: the voicemail number is not answered as a service.
	Voicemail func(org store.Org, caller store.User) (mediaapp.Flow, bool)
	// Forwarding keeps the users' immediate forwarding; nil: an in-memory store.
	Forwarding ForwardingStore
	// Numbers overrides DefaultNumbers per organisation ID.
	Numbers map[int64]Numbers
	Logger  *slog.Logger // nil discards
}

// Service answers service numbers. It is safe for concurrent use.
type Service struct {
	deps    Deps
	log     *slog.Logger
	prompts *clips
}

var _ b2bua.Services = (*Service)(nil)

// New creates the service.
func New(d Deps) *Service {
	if d.Forwarding == nil {
		d.Forwarding = NewMemoryForwarding()
	}
	log := d.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{deps: d, log: log, prompts: newClips(d.Prompts, log)}
}

// Forwarding is the store of immediate forwarding the 987 codes change.
func (s *Service) Forwarding() ForwardingStore { return s.deps.Forwarding }

// NumbersOf returns the service numbers of an organisation.
func (s *Service) NumbersOf(orgID int64) Numbers {
	n, ok := s.deps.Numbers[orgID]
	if !ok {
		return DefaultNumbers
	}
	if n.Voicemail == "" {
		n.Voicemail = DefaultNumbers.Voicemail
	}
	if n.ActivityIVR == "" {
		n.ActivityIVR = DefaultNumbers.ActivityIVR
	}
	return n
}

// Service implements b2bua.Services: the voicemail number for any caller (when a voicemail
// flow is configured); feature codes and the activity IVR for the organisation's own users.
func (s *Service) Service(_ context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	nums := s.NumbersOf(c.Org.ID)
	// The organisation's own numbers, when it set them, win (store.Org).
	if c.Org.VoicemailNumber != "" {
		nums.Voicemail = c.Org.VoicemailNumber
	}
	if c.Org.ActivityNumber != "" {
		nums.ActivityIVR = c.Org.ActivityNumber
	}
	if c.Dialled == nums.Voicemail {
		if s.deps.Voicemail == nil {
			return nil, false
		}
		return s.deps.Voicemail(c.Org, c.Caller)
	}
	if !c.Internal || c.Caller.ID == 0 || s.deps.Presence == nil {
		return nil, false
	}
	call := callCtx{org: c.Org, user: c.Caller, lang: mediaapp.Lang(prompt.Lang(c.Caller.Language))}
	if c.Dialled == nums.ActivityIVR {
		return s.activityIVR(call), true
	}
	code, ok := ParseCode(c.Dialled)
	if !ok {
		return nil, false
	}
	s.log.Info("feature code", "user_id", c.Caller.ID, "code", code.Kind.String(), "arg", code.Arg)
	return s.codeFlow(call, code), true
}

// callCtx is who a flow serves.
type callCtx struct {
	org  store.Org
	user store.User
	lang mediaapp.Lang
}

// CodeKind names a feature code.
type CodeKind int

// Feature codes.
const (
	SetActivity CodeKind = iota + 1
	SetRole
	SetForwarding // Arg "" clears it
)

func (k CodeKind) String() string {
	switch k {
	case SetActivity:
		return "activity"
	case SetRole:
		return "role"
	case SetForwarding:
		return "forwarding"
	}
	return "unknown"
}

// Code is a parsed feature code.
type Code struct {
	Kind CodeKind
	Arg  string // the digits after the prefix
}

// ParseCode recognises a dialled feature code: 983<n>, 984<n>, 987 and 987<number>. 983 and
// 984 without a number are codes too (answered with an error prompt).
func ParseCode(dialled string) (Code, bool) {
	for _, p := range []struct {
		prefix string
		kind   CodeKind
	}{{PrefixActivity, SetActivity}, {PrefixRole, SetRole}, {PrefixForwarding, SetForwarding}} {
		if arg, ok := strings.CutPrefix(dialled, p.prefix); ok && validArg(arg, p.kind) {
			return Code{Kind: p.kind, Arg: arg}, true
		}
	}
	return Code{}, false
}

// validArg keeps numbers that merely start like a code out: activity and role numbers are 1–2
// digits, a forwarding target digits with an optional leading '+'.
func validArg(arg string, k CodeKind) bool {
	digits := arg
	if k == SetForwarding {
		digits = strings.TrimPrefix(arg, "+")
		return len(digits) <= 15 && number.AllDigits(digits) && (arg == "" || digits != "")
	}
	return len(arg) <= 2 && number.AllDigits(arg)
}

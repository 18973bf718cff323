// Package campon owns camp-on (OP-1): a switchboard operator queues a caller for a busy
// colleague instead of sending them to voicemail. The caller hears "you are number N" and music
// on their own leg; when the colleague's phone becomes free the first caller waiting for them
// rings them before anyone else's call can; a colleague who does not answer is tried again the
// next time they hang up; after the time limit the caller rings back the operator who camped
// them (or, with no operator, hears goodbye).
//
// Service keeps the waiting lists in memory, per colleague, fed by the presence hub's phone
// states (PhoneState). Flows run on a mediaapp.Channel, so the call flow is tested on
// mediaapp.Script with an injected clock.
package campon

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Defaults of Config.
const (
	DefaultLimit    = 3 * time.Minute
	DefaultRingTime = 25 * time.Second
)

// Prompt keys (packaging/prompts.tsv): the queue's position prompt and goodbye.
const (
	keyPosition = "queue_position"
	keyGoodbye  = "goodbye"
)

// Clock is the time source; tests inject a fake.
type Clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, f func()) (stop func() bool)
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }
func (systemClock) AfterFunc(d time.Duration, f func()) func() bool {
	return time.AfterFunc(d, f).Stop
}

// Prompts loads prompt clips as an organisation hears them (prompt.Catalog implements it).
type Prompts interface {
	OrgClips(orgID int64, lang string, keys ...string) ([]mediaapp.Clip, error)
}

// Config tunes the service; zero values take the defaults.
type Config struct {
	Limit    time.Duration // how long a caller waits before going back to the operator
	RingTime time.Duration // how long the colleague (or the operator) rings each time
	Clock    Clock
	Prompts  Prompts // nil: no spoken position
	Music    mediaapp.Clip
	Logger   *slog.Logger
}

// Call is one camped caller, as the flow describes it.
type Call struct {
	OrgID    int64
	Target   int64 // the busy colleague
	ReturnTo int64 // the operator who camped the caller; 0: none
	Caller   string
	Lang     string
}

// Waiter is one camped caller as the colleague's Softphone and the console see it.
type Waiter struct {
	Caller   string
	Since    time.Time
	Operator int64
}

// Service holds every colleague's waiting callers. It is safe for concurrent use.
type Service struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	busy    map[int64]bool      // user ID → on a call now
	waiting map[int64][]*waiter // user ID → camped callers, first served first
	notify  func(orgID, userID int64, n int)
}

type waiter struct {
	call    Call
	since   time.Time
	wake    context.CancelFunc // stops the music: something happened
	ringNow bool               // the colleague became free: ring them
	timeout bool               // the limit passed
	left    bool               // off the list
}

// New returns a service.
func New(cfg Config) *Service {
	if cfg.Limit <= 0 {
		cfg.Limit = DefaultLimit
	}
	if cfg.RingTime <= 0 {
		cfg.RingTime = DefaultRingTime
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Music.Samples == nil {
		cfg.Music = mediaapp.HoldMusic()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{cfg: cfg, log: log, busy: map[int64]bool{}, waiting: map[int64][]*waiter{}}
}

// OnChange sets fn to be told how many callers wait for a colleague after every change (the
// colleague's Softphone shows it). fn must not block.
func (s *Service) OnChange(fn func(orgID, userID int64, n int)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify = fn
}

// Waiting returns the callers camped on userID, first served first.
func (s *Service) Waiting(userID int64) []Waiter {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Waiter, 0, len(s.waiting[userID]))
	for _, w := range s.waiting[userID] {
		out = append(out, Waiter{Caller: w.call.Caller, Since: w.since, Operator: w.call.ReturnTo})
	}
	return out
}

// PhoneState tells the service that userID is (or is no longer) on a call. When they become
// free, the first caller camped on them rings them.
func (s *Service) PhoneState(userID int64, onCall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	was := s.busy[userID]
	if onCall {
		s.busy[userID] = true
		return
	}
	delete(s.busy, userID)
	if was {
		s.wakeFirst(userID)
	}
}

// wakeFirst rings userID for their first camped caller. s.mu is held.
func (s *Service) wakeFirst(userID int64) {
	if ws := s.waiting[userID]; len(ws) > 0 {
		ws[0].ringNow = true
		if ws[0].wake != nil {
			ws[0].wake()
		}
	}
}

// Busy reports whether userID is on a call, as the service last heard.
func (s *Service) Busy(userID int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy[userID]
}

// Flow returns the flow of one camped caller.
func (s *Service) Flow(c Call) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error { return s.run(ctx, ch, c) }
}

func (s *Service) run(ctx context.Context, ch mediaapp.Channel, c Call) error {
	ringer, ok := ch.(mediaapp.Ringer)
	if !ok {
		return errors.New("campon: the channel cannot ring")
	}
	w := &waiter{call: c, since: s.cfg.Clock.Now()}
	pos := s.join(w)
	defer s.leave(w)
	stop := s.cfg.Clock.AfterFunc(s.cfg.Limit, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		w.timeout = true
		if w.wake != nil {
			w.wake()
		}
	})
	defer stop()
	if err := s.sayPosition(ctx, ch, c, pos); errors.Is(err, mediaapp.ErrHangup) || ctx.Err() != nil {
		return err
	}
	for {
		ring, timeout, err := s.wait(ctx, ch, w)
		if err != nil {
			return err
		}
		if timeout {
			s.leave(w) // no longer waiting for the colleague
			return s.giveBack(ctx, ch, ringer, c)
		}
		if ring {
			_, err := ringer.RingOut(ctx, mediaapp.Ring{Users: []int64{c.Target}, Timeout: s.cfg.RingTime,
				Group: mediaapp.GroupInfo{Kind: "campon", Shown: c.Caller}})
			switch {
			case err == nil:
				s.log.Info("camp-on connected", "org", c.OrgID, "target", c.Target, "caller", c.Caller)
				return nil
			case errors.Is(err, mediaapp.ErrHangup) || ctx.Err() != nil:
				return err
			}
			// Not answered (or busy again): wait for the next time they hang up.
		}
	}
}

// join puts w last in its colleague's list and returns its position; a colleague who is free
// already is rung at once.
func (s *Service) join(w *waiter) int {
	s.mu.Lock()
	t := w.call.Target
	s.waiting[t] = append(s.waiting[t], w)
	n := len(s.waiting[t])
	if n == 1 && !s.busy[t] {
		w.ringNow = true
	}
	fn := s.notify
	s.mu.Unlock()
	if fn != nil {
		fn(w.call.OrgID, t, n)
	}
	return n
}

// leave takes w off its colleague's list; the next caller rings them if they are free.
func (s *Service) leave(w *waiter) {
	s.mu.Lock()
	if w.left {
		s.mu.Unlock()
		return
	}
	w.left = true
	t := w.call.Target
	ws := s.waiting[t]
	for i, x := range ws {
		if x == w {
			ws = append(ws[:i:i], ws[i+1:]...)
			break
		}
	}
	if len(ws) == 0 {
		delete(s.waiting, t)
	} else {
		s.waiting[t] = ws
		if !s.busy[t] {
			s.wakeFirst(t)
		}
	}
	n, fn := len(ws), s.notify
	s.mu.Unlock()
	if fn != nil {
		fn(w.call.OrgID, t, n)
	}
}

// wait plays music until the colleague is free for w (ring), the limit passes, or the caller
// hangs up.
func (s *Service) wait(ctx context.Context, ch mediaapp.Channel, w *waiter) (ring, timeout bool, err error) {
	for {
		s.mu.Lock()
		if w.timeout {
			s.mu.Unlock()
			return false, true, nil
		}
		if w.ringNow {
			w.ringNow = false
			s.mu.Unlock()
			return true, false, nil
		}
		mctx, cancel := context.WithCancel(ctx)
		w.wake = cancel
		s.mu.Unlock()
		err := s.music(mctx, ch)
		cancel()
		s.mu.Lock()
		w.wake = nil
		s.mu.Unlock()
		if ctx.Err() != nil {
			return false, false, ctx.Err()
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			return false, false, err
		}
	}
}

func (s *Service) music(ctx context.Context, ch mediaapp.Channel) error {
	if l, ok := ch.(mediaapp.Looper); ok {
		return l.Loop(ctx, s.cfg.Music)
	}
	for {
		err := ch.Play(ctx, s.cfg.Music)
		if errors.Is(err, mediaapp.ErrBargeIn) {
			// A key while waiting means nothing; drop it so the music goes on.
			_, _ = ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, Terminator: mediaapp.NoTerminator})
			continue
		}
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// giveBack returns a caller whose limit passed to the operator who camped them.
func (s *Service) giveBack(ctx context.Context, ch mediaapp.Channel, ringer mediaapp.Ringer, c Call) error {
	s.log.Info("camp-on timed out", "org", c.OrgID, "target", c.Target, "caller", c.Caller, "operator", c.ReturnTo)
	if c.ReturnTo != 0 {
		_, err := ringer.RingOut(ctx, mediaapp.Ring{Users: []int64{c.ReturnTo}, Timeout: s.cfg.RingTime,
			Group: mediaapp.GroupInfo{Kind: "campon", Shown: c.Caller}})
		if err == nil || errors.Is(err, mediaapp.ErrHangup) || ctx.Err() != nil {
			return err
		}
	}
	if s.cfg.Prompts != nil {
		if clips, err := s.cfg.Prompts.OrgClips(c.OrgID, c.Lang, keyGoodbye); err == nil {
			_ = ch.Play(ctx, clips...)
		}
	}
	return ch.Hangup(ctx)
}

func (s *Service) sayPosition(ctx context.Context, ch mediaapp.Channel, c Call, pos int) error {
	if s.cfg.Prompts == nil {
		return nil
	}
	n, err := mediaapp.SayNumber(mediaapp.Lang(c.Lang), pos)
	if err != nil {
		return nil
	}
	clips, err := s.cfg.Prompts.OrgClips(c.OrgID, c.Lang, append([]string{keyPosition}, n...)...)
	if err != nil {
		s.log.Warn("camp-on prompts", "error", err)
		return nil
	}
	return ch.Play(ctx, clips...)
}

// Prefix is the camp-on code: a user transfers a caller to 982<extension> (blind transfer or
// the DTMF transfer code) to camp it on that colleague.
const Prefix = "982"

// Users finds an organisation's users by extension (store.Store implements it).
type Users interface {
	UserByExtension(ctx context.Context, orgID int64, ext string) (store.User, error)
}

// Transfer is a call transferred to a number, as the call engine describes it.
type Transfer struct {
	Org           store.Org
	Dialled       string
	CallerNumber  string     // the transferee as shown
	Caller        store.User // the transferee when a user (ID 0 for an outside caller)
	TransferredBy store.User // the operator; ID 0 when the number was dialled, not transferred to
}

// Serve returns the camp-on flow for a transfer to 982<ext> by a user of the organisation to a
// colleague of the same organisation; ok false for anything else (the number is then routed as
// usual). Outsiders can never camp on: only a transfer by a user reaches it.
func (s *Service) Serve(ctx context.Context, users Users, t Transfer) (mediaapp.Flow, bool) {
	ext, ok := strings.CutPrefix(t.Dialled, Prefix)
	if !ok || ext == "" || t.TransferredBy.ID == 0 || t.TransferredBy.OrgID != t.Org.ID {
		return nil, false
	}
	target, err := users.UserByExtension(ctx, t.Org.ID, ext)
	if err != nil || target.OrgID != t.Org.ID {
		return nil, false
	}
	lang := t.Caller.Language
	if lang == "" {
		lang = t.TransferredBy.Language
	}
	s.log.Info("camp-on", "org", t.Org.ID, "target", target.Extension, "caller", t.CallerNumber, "operator", t.TransferredBy.Extension)
	return s.Flow(Call{OrgID: t.Org.ID, Target: target.ID, ReturnTo: t.TransferredBy.ID, Caller: t.CallerNumber, Lang: lang}), true
}

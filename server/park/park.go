// Package park owns call park (CALL-7): the organisations' park slots, the parked calls in them
// and their ring-back timers. A user parks the party they talk to by transferring it (REFER, or
// the DTMF transfer code *#*1<number>#) to a park number; the parked party hears hold music on
// its own relay leg (the call engine runs the park flow there, b2bua.Deps.Transfers). Any user of
// the organisation retrieves it by dialling the retrieve number of the slot: the two callers are
// joined (mediaapp.Joiner). A parked call nobody retrieves within Config.RingBack rings back the
// user who parked it; if nobody answers it stays parked and rings back again later.
//
// Feature codes (slots 1..Config.Slots, org-wide "system park" slots that operators see):
//
//	988         park in the first free slot (transfer target)
//	988<slot>   park in the given slot (transfer target; refused when taken)
//	989<slot>   retrieve the call parked in the slot (from any phone of the organisation)
//	989         retrieve the call parked longest
//
// Only users of the organisation park and retrieve; an outside caller dialling the codes is
// routed as any number (not found). Organisations never see each other's slots. Service.Serve
// answers the call engine's service calls and transfers (server/cmd/vaihde adapts it to
// b2bua.Services; park does not import the engine, so the engine's tests can use it).
package park

import (
	"context"
	"errors"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

// Feature-code prefixes.
const (
	PrefixPark     = "988"
	PrefixRetrieve = "989"
)

// Defaults of Config.
const (
	DefaultSlots    = 99
	DefaultRingBack = 120 * time.Second
	DefaultRingTime = 30 * time.Second
)

// Config of the park service.
type Config struct {
	Slots    int           // slots 1..Slots per organisation; 0: DefaultSlots
	RingBack time.Duration // a parked call rings back its parker after this; 0: DefaultRingBack
	RingTime time.Duration // how long a ring-back rings; 0: DefaultRingTime
	// Now and After are the clock (tests inject theirs); nil: time.Now and time.After.
	Now   func() time.Time
	After func(time.Duration) <-chan time.Time
	// Music is what parked callers hear; empty: mediaapp.HoldMusic.
	Music  mediaapp.Clip
	Logger *slog.Logger // nil discards
}

// ParkedCall is a call waiting in a slot, as the console shows it.
type ParkedCall struct {
	OrgID        int64
	Slot         int
	Number       string // the parked party's extension or E.164 number
	Name         string // the parked party's name when it is a user
	ParkedBy     int64  // user ID of who parked it
	ParkedByExt  string
	ParkedByName string
	Since        time.Time
	RingingBack  bool // its parker's phones ring now
}

// Service keeps the parked calls. It is safe for concurrent use.
type Service struct {
	cfg   Config
	log   *slog.Logger
	music mediaapp.Clip

	mu     sync.Mutex
	slots  map[int64]map[int]*entry // by organisation, then slot
	notify func(orgID int64)
}

// OnChange sets fn to be told after every change of an organisation's parked calls (parked,
// retrieved, hung up, ringing back or no longer), so that the consoles' lists follow. fn must
// not block.
func (s *Service) OnChange(fn func(orgID int64)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.notify = fn
}

// changed tells OnChange's fn about orgID; s.mu is not held.
func (s *Service) changed(orgID int64) {
	s.mu.Lock()
	fn := s.notify
	s.mu.Unlock()
	if fn != nil {
		fn(orgID)
	}
}

// entry is one occupied slot. info is guarded by Service.mu; the parked call's flow owns the
// channel and receives retrievals on retrieve.
type entry struct {
	info     ParkedCall
	retrieve chan retrieval
	gone     chan struct{} // closed when the parked call's flow ends
}

// retrieval asks a parked call's flow to join ch's caller; the outcome arrives on done.
type retrieval struct {
	ch   mediaapp.Channel
	done chan error
}

// Call is a call for a park number (the fields of b2bua.ServiceCall that park reads).
type Call struct {
	Org store.Org
	// Caller is the calling user, or the transferee of a transfer; ID 0 for an outside party.
	Caller       store.User
	CallerNumber string
	Dialled      string
	Internal     bool // a call from a registered user of the organisation
	// TransferredBy is the user who transferred Caller to Dialled; ID 0 for a dialled call.
	TransferredBy store.User
}

// New returns the park service.
func New(cfg Config) *Service {
	if cfg.Slots <= 0 {
		cfg.Slots = DefaultSlots
	}
	if cfg.RingBack <= 0 {
		cfg.RingBack = DefaultRingBack
	}
	if cfg.RingTime <= 0 {
		cfg.RingTime = DefaultRingTime
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.After == nil {
		cfg.After = time.After
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	music := cfg.Music
	if len(music.Samples) == 0 {
		music = mediaapp.HoldMusic()
	}
	return &Service{cfg: cfg, log: log, music: music, slots: map[int64]map[int]*entry{}}
}

// Parked returns the organisation's parked calls by slot.
func (s *Service) Parked(orgID int64) []ParkedCall {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ParkedCall, 0, len(s.slots[orgID]))
	for _, e := range s.slots[orgID] {
		out = append(out, e.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Slot < out[j].Slot })
	return out
}

// slotOf reads the slot after a prefix: 0 for none, -1 for an invalid one.
func (s *Service) slotOf(rest string) int {
	if rest == "" {
		return 0
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 1 || n > s.cfg.Slots || strconv.Itoa(n) != rest {
		return -1
	}
	return n
}

// Serve returns the flow that answers c, or ok false when c is not for park (the engine then
// routes it as usual; a park whose slot is taken thus fails as a transfer).
func (s *Service) Serve(_ context.Context, c Call) (mediaapp.Flow, bool) {
	if c.Org.ID == 0 {
		return nil, false
	}
	user := c.Internal && c.Caller.ID != 0 && c.Caller.OrgID == c.Org.ID
	switch {
	case strings.HasPrefix(c.Dialled, PrefixPark):
		slot := s.slotOf(strings.TrimPrefix(c.Dialled, PrefixPark))
		if slot < 0 {
			return nil, false
		}
		if by := c.TransferredBy; by.ID != 0 && by.OrgID == c.Org.ID {
			e := s.reserve(c, slot)
			if e == nil {
				// The transfer fails and the parker keeps the call.
				s.log.Info("park refused: slot taken or none free", "org", c.Org.ID, "slot", slot, "by", by.Extension)
				return nil, false
			}
			s.log.Info("call parked", "org", c.Org.ID, "slot", e.info.Slot, "number", c.CallerNumber, "by", by.Extension)
			return s.parkedFlow(e), true
		}
		if user && c.TransferredBy.ID == 0 {
			return s.fail, true // dialled directly: there is no call to park
		}
	case strings.HasPrefix(c.Dialled, PrefixRetrieve):
		slot := s.slotOf(strings.TrimPrefix(c.Dialled, PrefixRetrieve))
		if slot < 0 || !user || c.TransferredBy.ID != 0 {
			return nil, false
		}
		return s.retrieveFlow(c.Org.ID, slot, c.Caller.Extension), true
	}
	return nil, false
}

// reserve takes slot (0: the first free one) of c's organisation for c's caller; nil when the
// slot is taken or none is free.
func (s *Service) reserve(c Call, slot int) *entry {
	e := s.take(c, slot)
	if e != nil {
		s.changed(c.Org.ID)
	}
	return e
}

// take is reserve without telling OnChange.
func (s *Service) take(c Call, slot int) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	org := s.slots[c.Org.ID]
	if org == nil {
		org = map[int]*entry{}
		s.slots[c.Org.ID] = org
	}
	if slot == 0 {
		for n := 1; n <= s.cfg.Slots; n++ {
			if org[n] == nil {
				slot = n
				break
			}
		}
		if slot == 0 {
			return nil
		}
	} else if org[slot] != nil {
		return nil
	}
	by := c.TransferredBy
	e := &entry{
		info: ParkedCall{OrgID: c.Org.ID, Slot: slot, Number: c.CallerNumber, Name: c.Caller.Name,
			ParkedBy: by.ID, ParkedByExt: by.Extension, ParkedByName: by.Name, Since: s.cfg.Now()},
		retrieve: make(chan retrieval),
		gone:     make(chan struct{}),
	}
	org[slot] = e
	return e
}

// remove frees e's slot once its flow ended.
func (s *Service) remove(e *entry) {
	s.mu.Lock()
	if org := s.slots[e.info.OrgID]; org != nil && org[e.info.Slot] == e {
		delete(org, e.info.Slot)
		if len(org) == 0 {
			delete(s.slots, e.info.OrgID)
		}
	}
	s.mu.Unlock()
	close(e.gone)
	s.changed(e.info.OrgID)
}

// lookup finds the call in slot of the organisation (0: the one parked longest).
func (s *Service) lookup(orgID int64, slot int) *entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	org := s.slots[orgID]
	if slot != 0 {
		return org[slot]
	}
	var oldest *entry
	for _, e := range org {
		if oldest == nil || e.info.Since.Before(oldest.info.Since) ||
			(e.info.Since.Equal(oldest.info.Since) && e.info.Slot < oldest.info.Slot) {
			oldest = e
		}
	}
	return oldest
}

func (s *Service) setRinging(e *entry, on bool) {
	s.mu.Lock()
	e.info.RingingBack = on
	s.mu.Unlock()
	s.changed(e.info.OrgID)
}

// fail tells a caller the code did nothing (error tone) and hangs up.
func (s *Service) fail(ctx context.Context, ch mediaapp.Channel) error {
	if err := ch.Play(ctx, mediaapp.ErrorTone()); err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
		return err
	}
	return ch.Hangup(ctx)
}

// looper is a channel that loops a clip until ctx ends (mediaapp.LegChannel.Loop).
type looper interface {
	Loop(ctx context.Context, clip mediaapp.Clip) error
}

// play loops the music on ch until ctx ends (nil) or the caller hangs up (ErrHangup).
func (s *Service) play(ctx context.Context, ch mediaapp.Channel) error {
	if l, ok := ch.(looper); ok {
		err := l.Loop(ctx, s.music)
		if ctx.Err() != nil {
			return nil
		}
		return err
	}
	for {
		err := ch.Play(ctx, s.music)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil && !errors.Is(err, mediaapp.ErrBargeIn) {
			return err
		}
		if errors.Is(err, mediaapp.ErrBargeIn) {
			_, _ = ch.Collect(ctx, mediaapp.CollectOptions{Max: 1, FirstTimeout: time.Millisecond})
		}
	}
}

// parkedFlow is the parked call's flow: music until a retrieval joins it, a ring-back answered
// by the parker takes it, or the caller hangs up.
func (s *Service) parkedFlow(e *entry) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		defer s.remove(e)
		for {
			r, err := s.wait(ctx, ch, e)
			if err != nil {
				return err
			}
			if r == nil { // nobody came: ring the parker
				var answered bool
				if r, answered, err = s.ringBack(ctx, ch, e); err != nil || answered {
					return err
				}
				if r == nil {
					continue
				}
			}
			if s.join(ctx, ch, e, *r) {
				return nil
			}
		}
	}
}

// wait plays the music until a retrieval arrives (returned) or the ring-back time passed (nil).
func (s *Service) wait(ctx context.Context, ch mediaapp.Channel, e *entry) (*retrieval, error) {
	mctx, stop := context.WithCancel(ctx)
	played := make(chan error, 1)
	go func() { played <- s.play(mctx, ch) }()
	halt := func() { stop(); <-played }
	timer := s.cfg.After(s.cfg.RingBack)
	select {
	case r := <-e.retrieve:
		halt()
		return &r, nil
	case <-timer:
		halt()
		return nil, nil
	case err := <-played:
		stop()
		if err == nil {
			err = mediaapp.ErrHangup
		}
		return nil, err
	case <-ctx.Done():
		halt()
		return nil, ctx.Err()
	}
}

// ringBack rings the parker while the parked caller hears the music. A retrieval meanwhile
// stops the ringing and is returned; answered means the parker took the call back.
func (s *Service) ringBack(ctx context.Context, ch mediaapp.Channel, e *entry) (r *retrieval, answered bool, err error) {
	ringer, ok := ch.(mediaapp.Ringer)
	if !ok {
		return nil, false, nil
	}
	s.setRinging(e, true)
	defer s.setRinging(e, false)
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan retrieval, 1)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		select {
		case q := <-e.retrieve:
			got <- q
			cancel()
		case <-rctx.Done():
		}
	}()
	music := s.music
	s.log.Info("parked call rings back", "org", e.info.OrgID, "slot", e.info.Slot, "parker", e.info.ParkedByExt)
	_, rerr := ringer.RingOut(rctx, mediaapp.Ring{Users: []int64{e.info.ParkedBy}, Timeout: s.cfg.RingTime, Hear: &music,
		Group: mediaapp.GroupInfo{Kind: "park", Shown: e.info.Number}})
	cancel()
	<-watched
	select {
	case q := <-got:
		r = &q
	default:
	}
	switch {
	case rerr == nil:
		if r != nil {
			r.done <- errors.New("park: the parker took the call back")
		}
		s.log.Info("parked call taken back by its parker", "org", e.info.OrgID, "slot", e.info.Slot)
		return nil, true, nil
	case errors.Is(rerr, mediaapp.ErrHangup):
		if r != nil {
			r.done <- rerr
		}
		return nil, false, rerr
	case ctx.Err() != nil:
		return nil, false, ctx.Err()
	}
	return r, false, nil
}

// join connects the retriever of r with the parked caller; true when they talk now.
func (s *Service) join(ctx context.Context, ch mediaapp.Channel, e *entry, r retrieval) bool {
	j, ok := ch.(mediaapp.Joiner)
	if !ok {
		r.done <- mediaapp.ErrNotJoinable
		return false
	}
	_, err := j.Join(ctx, r.ch)
	r.done <- err
	if err != nil {
		s.log.Info("retrieve failed", "org", e.info.OrgID, "slot", e.info.Slot, "error", err)
		return false
	}
	s.log.Info("parked call retrieved", "org", e.info.OrgID, "slot", e.info.Slot)
	return true
}

// retrieveFlow joins the caller with the call in slot (0: the one parked longest).
func (s *Service) retrieveFlow(orgID int64, slot int, ext string) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		e := s.lookup(orgID, slot)
		if e == nil {
			s.log.Info("retrieve: slot empty", "org", orgID, "slot", slot, "ext", ext)
			return s.fail(ctx, ch)
		}
		r := retrieval{ch: ch, done: make(chan error, 1)}
		select {
		case e.retrieve <- r:
		case <-e.gone:
			return s.fail(ctx, ch)
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case err := <-r.done:
			if err != nil {
				return s.fail(ctx, ch)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

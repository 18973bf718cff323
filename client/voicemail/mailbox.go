// Package voicemail owns the Softphone's view of the user's mailbox and personal call
// routing: the message list with its new/old counts (following the "voicemail" event of the
// /api/events stream that client/people reads, so the badge moves without polling), playing a
// message through the output device chosen in Settings (downloaded once and kept in memory,
// decoded from the server's 8 kHz WAV, marked heard when playback starts), deleting, and
// reading and saving the forwarding and voicemail settings of shared/api/voicemail.go. It has
// no Fyne dependency: client/ui renders its snapshots and tests drive it against an HTTP
// server (voicemailtest).
package voicemail

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

// Errors of the Mailbox's methods.
var (
	ErrNoSession = errors.New("voicemail: not connected to the server (log in first)")
	ErrNoAudio   = errors.New("voicemail: no sound device to play on")
	ErrNoMessage = errors.New("voicemail: no such message")
)

// Snapshot is what the UI renders. Messages is never changed in place once handed out.
type Snapshot struct {
	Loaded   bool
	Error    string          // the last load error in plain words; "" when fine
	Messages []api.Voicemail // newest first, as the server sends them
	Counts   api.VoicemailCounts
	Playing  int64 // the message playing; 0 = none
	Fetching int64 // the message whose audio is being downloaded; 0 = none
	// PlayError is why the last playback stopped early (the sound device failed); "" when it
	// played or was stopped.
	PlayError string
}

// Model is what the UI calls; *Mailbox implements it.
type Model interface {
	Subscribe(fn func(Snapshot)) (cancel func())
	Snapshot() Snapshot
	// Refresh reloads the message list.
	Refresh(ctx context.Context) error
	// Play starts playing a message, or stops it when it is the one playing; another playing
	// message stops first. It returns once playback started (after the first download).
	Play(ctx context.Context, id int64) error
	// Stop stops playback.
	Stop()
	Delete(ctx context.Context, id int64) error
	// Reset forgets the mailbox (logout).
	Reset()

	Settings(ctx context.Context) (api.VoicemailSettings, error)
	SaveSettings(ctx context.Context, s api.VoicemailSettings) (api.VoicemailSettings, error)
	SetPIN(ctx context.Context, pin string) error
	Forwarding(ctx context.Context) (api.Forwarding, error)
	SaveForwarding(ctx context.Context, f api.Forwarding) (api.Forwarding, error)
}

// Session returns the server API's base URL and the login's bearer token
// (phone.Controller.Session).
type Session func() (apiURL, token string, ok bool)

// Options configure a Mailbox.
type Options struct {
	HTTPClient *http.Client // nil: 15 s timeout
	Player     Player       // nil: Play returns ErrNoAudio
	Logger     *slog.Logger
	// CacheBytes bounds the decoded audio kept in memory; default 64 MB (about 70 minutes).
	CacheBytes int
}

// Mailbox is the live model of the user's mailbox. Create it with NewMailbox, feed it the
// event stream with HandleEvent (people.Book.OnEvent), and Close it when done. Safe for
// concurrent use.
type Mailbox struct {
	session Session
	o       Options
	log     *slog.Logger
	http    *http.Client

	mu       sync.Mutex
	snap     Snapshot
	gen      int                // bumped by Reset: results of older requests are dropped
	cache    map[int64][]int16  // decoded audio by message
	order    []int64            // cache keys, oldest first
	cached   int                // bytes in cache
	stopPlay context.CancelFunc // ends the current playback
	playDone chan struct{}
	subs     map[int]func(Snapshot)
	nextSub  int
	pubMu    sync.Mutex // serialises subscriber calls

	kick chan struct{}
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

var _ Model = (*Mailbox)(nil)

// NewMailbox returns a mailbox that reaches the server through session. Its refresher
// goroutine runs until Close.
func NewMailbox(session Session, o Options) *Mailbox {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.CacheBytes <= 0 {
		o.CacheBytes = 64 << 20
	}
	m := &Mailbox{session: session, o: o, log: o.Logger.With("component", "voicemail"),
		cache: map[int64][]int16{}, subs: map[int]func(Snapshot){}, kick: make(chan struct{}, 1)}
	m.http = o.HTTPClient
	if m.http == nil {
		m.http = &http.Client{Timeout: 15 * time.Second}
	}
	m.ctx, m.stop = context.WithCancel(context.Background())
	m.wg.Add(1)
	go m.refresher()
	return m
}

// Close stops playback and the refresher and waits for them.
func (m *Mailbox) Close() {
	m.Stop()
	m.stop()
	m.wg.Wait()
}

// HandleEvent takes one event of /api/events: "voicemail" sets the counts at once and reloads
// the list; "hello" (a new or re-established stream) reloads it. It never blocks.
func (m *Mailbox) HandleEvent(ev api.Event) {
	switch ev.Type {
	case api.EventHello:
	case "voicemail":
		if ev.Voicemail != nil {
			m.mu.Lock()
			m.snap.Counts = *ev.Voicemail
			m.mu.Unlock()
			m.publish()
		}
	default:
		return
	}
	select {
	case m.kick <- struct{}{}:
	default: // a reload is already due
	}
}

// refresher reloads the list whenever HandleEvent asks, one reload at a time.
func (m *Mailbox) refresher() {
	defer m.wg.Done()
	for {
		select {
		case <-m.ctx.Done():
			return
		case <-m.kick:
			if err := m.Refresh(m.ctx); err != nil && m.ctx.Err() == nil {
				m.log.Info("voicemail list not reloaded", "err", err)
			}
		}
	}
}

func (m *Mailbox) client() (*people.Client, error) {
	if m.session == nil {
		return nil, ErrNoSession
	}
	base, token, ok := m.session()
	if !ok {
		return nil, ErrNoSession
	}
	return &people.Client{BaseURL: strings.TrimRight(base, "/"), Token: token, HTTP: m.http}, nil
}

// Subscribe calls fn with the current snapshot and after every change, from the goroutine
// that made the change; fn must not block.
func (m *Mailbox) Subscribe(fn func(Snapshot)) (cancel func()) {
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	m.mu.Lock()
	id := m.nextSub
	m.nextSub++
	m.subs[id] = fn
	s := m.snap
	m.mu.Unlock()
	fn(s)
	return func() {
		m.mu.Lock()
		delete(m.subs, id)
		m.mu.Unlock()
	}
}

// Snapshot returns the current state.
func (m *Mailbox) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.snap
}

func (m *Mailbox) publish() {
	m.pubMu.Lock()
	defer m.pubMu.Unlock()
	m.mu.Lock()
	s := m.snap
	fns := make([]func(Snapshot), 0, len(m.subs))
	for _, fn := range m.subs {
		fns = append(fns, fn)
	}
	m.mu.Unlock()
	for _, fn := range fns {
		fn(s)
	}
}

// Refresh implements Model.
func (m *Mailbox) Refresh(ctx context.Context) error {
	c, err := m.client()
	if err != nil {
		return err
	}
	m.mu.Lock()
	gen := m.gen
	m.mu.Unlock()
	list, err := c.Voicemails(ctx)
	m.mu.Lock()
	if gen != m.gen {
		m.mu.Unlock()
		return nil
	}
	if err != nil {
		m.snap.Error = err.Error()
		m.mu.Unlock()
		m.publish()
		return err
	}
	m.snap.Loaded, m.snap.Error = true, ""
	m.snap.Messages = slices.Clone(list.Messages)
	m.snap.Counts = list.Counts
	playingGone := m.snap.Playing != 0 && m.indexLocked(m.snap.Playing) < 0
	for _, id := range slices.Clone(m.order) {
		if m.indexLocked(id) < 0 {
			m.dropLocked(id)
		}
	}
	m.mu.Unlock()
	if playingGone {
		m.Stop()
	}
	m.publish()
	return nil
}

func (m *Mailbox) indexLocked(id int64) int {
	return slices.IndexFunc(m.snap.Messages, func(v api.Voicemail) bool { return v.ID == id })
}

func (m *Mailbox) dropLocked(id int64) {
	if s, ok := m.cache[id]; ok {
		m.cached -= 2 * len(s)
		delete(m.cache, id)
		m.order = slices.DeleteFunc(m.order, func(x int64) bool { return x == id })
	}
}

func (m *Mailbox) storeLocked(id int64, s []int16) {
	m.dropLocked(id)
	for len(m.order) > 0 && m.cached+2*len(s) > m.o.CacheBytes {
		m.dropLocked(m.order[0])
	}
	m.cache[id] = s
	m.order = append(m.order, id)
	m.cached += 2 * len(s)
}

// Stop implements Model: it ends playback and waits for the player to let go of the device.
func (m *Mailbox) Stop() {
	m.mu.Lock()
	cancel, done := m.stopPlay, m.playDone
	m.stopPlay, m.playDone = nil, nil
	had := m.snap.Playing != 0
	m.snap.Playing = 0
	m.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
	if had {
		m.publish()
	}
}

// Play implements Model.
func (m *Mailbox) Play(ctx context.Context, id int64) error {
	m.mu.Lock()
	playing := m.snap.Playing
	m.mu.Unlock()
	m.Stop()
	if playing == id {
		return nil // a second press stops
	}
	if m.o.Player == nil {
		return ErrNoAudio
	}
	c, err := m.client()
	if err != nil {
		return err
	}
	m.mu.Lock()
	i := m.indexLocked(id)
	if i < 0 {
		m.mu.Unlock()
		return ErrNoMessage
	}
	msg := m.snap.Messages[i]
	samples, ok := m.cache[id]
	gen := m.gen
	if !ok {
		m.snap.Fetching = id
	}
	m.mu.Unlock()
	if !ok {
		m.publish()
		data, err := c.VoicemailAudio(ctx, id)
		if err == nil {
			samples, err = DecodeWAV(data)
		}
		m.mu.Lock()
		if m.snap.Fetching == id {
			m.snap.Fetching = 0
		}
		if err == nil && gen == m.gen {
			m.storeLocked(id, samples)
		}
		m.mu.Unlock()
		m.publish()
		if err != nil {
			return err
		}
	}

	// The last press wins: whatever plays now (another message, started while this one
	// downloaded) stops before this one starts.
	pctx, cancel := context.WithCancel(m.ctx)
	done := make(chan struct{})
	m.mu.Lock()
	if gen != m.gen {
		m.mu.Unlock()
		cancel()
		return ErrNoMessage
	}
	oldCancel, oldDone := m.stopPlay, m.playDone
	m.stopPlay, m.playDone = cancel, done
	m.snap.Playing, m.snap.PlayError = id, ""
	m.mu.Unlock()
	if oldCancel != nil {
		oldCancel()
		<-oldDone
	}
	m.publish()
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		defer close(done)
		perr := m.o.Player.Play(pctx, samples)
		if perr != nil {
			m.log.Warn("voicemail playback failed", "id", id, "err", perr)
		}
		m.mu.Lock()
		ended := m.playDone == done
		if ended {
			m.stopPlay, m.playDone = nil, nil
			m.snap.Playing = 0
			if perr != nil {
				m.snap.PlayError = perr.Error()
			}
		}
		m.mu.Unlock()
		cancel()
		if ended {
			m.publish()
		}
	}()

	if !msg.Heard {
		m.markHeard(ctx, c, id)
	}
	return nil
}

// markHeard tells the server and updates the list and counts at once; the server's
// "voicemail" event confirms them. A failure is logged: the message stays new.
func (m *Mailbox) markHeard(ctx context.Context, c *people.Client, id int64) {
	if _, err := c.MarkVoicemail(ctx, id, true); err != nil {
		m.log.Warn("voicemail not marked heard", "id", id, "err", err)
		return
	}
	m.mu.Lock()
	if i := m.indexLocked(id); i >= 0 && !m.snap.Messages[i].Heard {
		msgs := slices.Clone(m.snap.Messages)
		msgs[i].Heard = true
		m.snap.Messages = msgs
		if msgs[i].Kind == "" || msgs[i].Kind == "voice" {
			m.snap.Counts.New = max(m.snap.Counts.New-1, 0)
			m.snap.Counts.Old++
		}
	}
	m.mu.Unlock()
	m.publish()
}

// Delete implements Model.
func (m *Mailbox) Delete(ctx context.Context, id int64) error {
	c, err := m.client()
	if err != nil {
		return err
	}
	m.mu.Lock()
	playing := m.snap.Playing == id
	m.mu.Unlock()
	if playing {
		m.Stop()
	}
	if err := c.DeleteVoicemail(ctx, id); err != nil && people.StatusOf(err) != http.StatusNotFound {
		return err
	}
	m.mu.Lock()
	if i := m.indexLocked(id); i >= 0 {
		msg := m.snap.Messages[i]
		m.snap.Messages = slices.Delete(slices.Clone(m.snap.Messages), i, i+1)
		if msg.Kind == "" || msg.Kind == "voice" {
			if msg.Heard {
				m.snap.Counts.Old = max(m.snap.Counts.Old-1, 0)
			} else {
				m.snap.Counts.New = max(m.snap.Counts.New-1, 0)
			}
		}
	}
	m.dropLocked(id)
	m.mu.Unlock()
	m.publish()
	return nil
}

// Reset implements Model.
func (m *Mailbox) Reset() {
	m.Stop()
	m.mu.Lock()
	m.gen++
	m.snap = Snapshot{}
	m.cache, m.order, m.cached = map[int64][]int16{}, nil, 0
	m.mu.Unlock()
	m.publish()
}

// Settings implements Model.
func (m *Mailbox) Settings(ctx context.Context) (api.VoicemailSettings, error) {
	c, err := m.client()
	if err != nil {
		return api.VoicemailSettings{}, err
	}
	return c.VoicemailSettings(ctx)
}

// SaveSettings implements Model; a refusal is a *people.APIError whose text is the server's
// reason, for showing as it is.
func (m *Mailbox) SaveSettings(ctx context.Context, s api.VoicemailSettings) (api.VoicemailSettings, error) {
	c, err := m.client()
	if err != nil {
		return api.VoicemailSettings{}, err
	}
	return c.PutVoicemailSettings(ctx, s)
}

// SetPIN implements Model.
func (m *Mailbox) SetPIN(ctx context.Context, pin string) error {
	c, err := m.client()
	if err != nil {
		return err
	}
	return c.SetVoicemailPIN(ctx, pin)
}

// Forwarding implements Model.
func (m *Mailbox) Forwarding(ctx context.Context) (api.Forwarding, error) {
	c, err := m.client()
	if err != nil {
		return api.Forwarding{}, err
	}
	return c.Forwarding(ctx)
}

// SaveForwarding implements Model; a refusal is a *people.APIError with the server's reason.
func (m *Mailbox) SaveForwarding(ctx context.Context, f api.Forwarding) (api.Forwarding, error) {
	c, err := m.client()
	if err != nil {
		return api.Forwarding{}, err
	}
	return c.PutForwarding(ctx, f)
}

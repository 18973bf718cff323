package people

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/search"
)

// Options configure a Book.
type Options struct {
	HTTPClient *http.Client // nil: a client with sensible timeouts (the event stream has none)
	Logger     *slog.Logger
	Now        Now
	// StreamTimeout restarts the event stream when nothing (not even a ": ping") arrived for
	// this long; default 90 s.
	StreamTimeout time.Duration
	// Country is the organisation's E.164 country code (digits, e.g. "358"): colleagues'
	// numbers are also found in national form (0401234567). Default "358".
	Country string
	// RetryMin and RetryMax bound the backoff between reconnects; defaults 500 ms and 30 s.
	RetryMin, RetryMax time.Duration
}

// Errors of the Book's methods.
var (
	ErrNoSession = errors.New("people: not connected to the server (log in first)")
)

// historyLimit is how many messages OpenChat loads.
const historyLimit = 200

// dedupeWindow is how far apart the SIP copy and the API copy of one message may be dated.
const dedupeWindow = 2 * time.Minute

// Book is the live model of the organisation for one login: it implements Model. Create it
// with NewBook, Start it after each login and Close it when done. Safe for concurrent use.
type Book struct {
	ctrl   phone.Controller
	o      Options
	log    *slog.Logger
	http   *http.Client
	stream *http.Client

	mu         sync.Mutex
	closed     bool
	me         meID
	loaded     bool
	live       bool
	errText    string
	mine       api.Presence
	activities []api.Activity
	colleagues []Colleague   // copy-on-write: never changed in place once handed out
	index      *search.Index // the static fields of colleagues, in their order (filter.go)
	started    bool
	contacts   []api.Contact
	chats      map[string]*chatState
	lastIn     *api.Message
	idleSent   *bool // the last idle state the server accepted
	idleWant   bool
	subs       map[int]func(Snapshot)
	nextSub    int

	kick       chan struct{}
	notifyOnce sync.Once
	ctx        context.Context // lives until Close
	stop       context.CancelFunc
	wg         sync.WaitGroup // every goroutine of the book
	pubMu      sync.Mutex     // serialises subscriber calls

	runMu     sync.Mutex // serialises Start and Close
	runCancel context.CancelFunc
	runDone   chan struct{}
	unsubMsg  func()
	idleMu    sync.Mutex // serialises idle updates

	listeners eventListeners // OnEvent (events.go)
}

// meID identifies the logged-in user in directory and presence data.
type meID struct {
	id  int64
	ext string
}

func (m meID) is(userID int64, ext string) bool {
	if m.id != 0 && userID != 0 {
		return m.id == userID
	}
	return m.ext != "" && m.ext == ext
}

// chatState is one conversation. messages is copy-on-write like colleagues.
type chatState struct {
	chat   Chat
	opened bool
	// live are the messages seen in this session, for matching the SIP copy of a message
	// with the copy the event stream announces.
	live []liveMsg
}

type liveMsg struct {
	msg      api.Message
	sip, api bool // seen as a SIP MESSAGE / as a stored message (ID known)
}

var _ Model = (*Book)(nil)

// NewBook returns a book that reaches the server through ctrl's login (Controller.Session)
// and receives instant messages through ctrl.OnMessage. Call Start after a successful login.
func NewBook(ctrl phone.Controller, o Options) *Book {
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.StreamTimeout <= 0 {
		o.StreamTimeout = 90 * time.Second
	}
	if o.Country == "" {
		o.Country = "358"
	}
	if o.RetryMin <= 0 {
		o.RetryMin = 500 * time.Millisecond
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 30 * time.Second
	}
	b := &Book{ctrl: ctrl, o: o, log: o.Logger.With("component", "people"),
		chats: map[string]*chatState{}, subs: map[int]func(Snapshot){}, kick: make(chan struct{}, 1)}
	if o.HTTPClient != nil {
		b.http = o.HTTPClient
		sc := *o.HTTPClient
		sc.Timeout = 0 // the stream stays open; StreamTimeout watches it instead
		b.stream = &sc
	} else {
		b.http = &http.Client{Timeout: 15 * time.Second}
		b.stream = &http.Client{}
	}
	b.ctx, b.stop = context.WithCancel(context.Background())
	return b
}

// Start loads everything from the server and follows the event stream until ctx ends or Close;
// it returns at once. Starting again (after a new login) reloads.
func (b *Book) Start(ctx context.Context) {
	b.runMu.Lock()
	defer b.runMu.Unlock()
	b.stopRunLocked()
	prof := b.ctrl.Snapshot().Profile // not under b.mu: the engine has its own lock
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return
	}
	b.me = meID{id: prof.ID, ext: prof.Extension}
	b.loaded, b.live, b.errText = false, false, ""
	b.mine = api.Presence{}
	b.activities, b.colleagues, b.index, b.contacts = nil, nil, nil, nil
	b.started = true
	b.chats = map[string]*chatState{}
	b.lastIn, b.idleSent = nil, nil
	b.mu.Unlock()
	b.notifyOnce.Do(func() {
		b.wg.Add(1)
		go b.notifier()
	})
	b.changed()

	rctx, cancel := context.WithCancel(ctx)
	stopWithBook := context.AfterFunc(b.ctx, cancel)
	done := make(chan struct{})
	b.runCancel, b.runDone = cancel, done
	b.unsubMsg = b.ctrl.OnMessage(b.onPhoneMessage)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		defer close(done)
		defer stopWithBook()
		b.run(rctx)
		b.mu.Lock()
		b.live = false
		b.mu.Unlock()
		b.changed()
	}()
}

// stopRunLocked ends the current run and waits for it. Called with runMu held.
func (b *Book) stopRunLocked() {
	if b.unsubMsg != nil {
		b.unsubMsg()
		b.unsubMsg = nil
	}
	if b.runCancel != nil {
		b.runCancel()
		<-b.runDone
		b.runCancel, b.runDone = nil, nil
	}
}

// Close stops the stream and waits for the book's goroutines.
func (b *Book) Close() {
	b.runMu.Lock()
	b.stopRunLocked()
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.runMu.Unlock()
	b.stop()
	b.wg.Wait()
}

// client returns an API client for the current login.
func (b *Book) client() (*Client, error) {
	base, token, ok := b.ctrl.Session()
	if !ok {
		return nil, ErrNoSession
	}
	return &Client{BaseURL: strings.TrimRight(base, "/"), Token: token, HTTP: b.http}, nil
}

// ---------------------------------------------------------------------------------------------
// Loading and the event stream

// run keeps the book current: it opens the event stream, (re)loads everything once the stream
// is up, applies events, and reconnects with backoff when the stream breaks.
func (b *Book) run(ctx context.Context) {
	backoff := b.o.RetryMin
	for ctx.Err() == nil {
		err := b.connectAndFollow(ctx, func() { backoff = b.o.RetryMin })
		if ctx.Err() != nil {
			return
		}
		b.setLive(false, err)
		var ae *APIError
		if errors.As(err, &ae) {
			b.log.Info("people: server refused", "op", ae.Op, "status", ae.Status, "err", err, "retry_in", backoff)
		} else {
			b.log.Info("people: live updates interrupted", "err", err, "retry_in", backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, b.o.RetryMax)
	}
}

// connectAndFollow opens the stream, loads the data and applies events until the stream ends.
// connected is called once both succeeded.
func (b *Book) connectAndFollow(ctx context.Context, connected func()) error {
	c, err := b.client()
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sc := *c
	sc.HTTP = b.stream
	body, streamErr := sc.Events(sctx)
	// Load even when the stream is refused, so the lists show; the loop retries the stream.
	if err := b.load(ctx, c); err != nil {
		if body != nil {
			body.Close()
		}
		return err
	}
	if streamErr != nil {
		return fmt.Errorf("live updates: %w", streamErr)
	}
	defer body.Close()
	b.setLive(true, nil)
	connected()

	// The watchdog ends the stream when it goes silent (a dead TCP connection sends nothing).
	watchdog := time.AfterFunc(b.o.StreamTimeout, cancel)
	defer watchdog.Stop()
	r := NewEventReader(&touchReader{r: body, touch: func() { watchdog.Reset(b.o.StreamTimeout) }})
	for {
		ev, err := r.Next()
		if err != nil {
			if sctx.Err() != nil && ctx.Err() == nil {
				return errors.New("live updates: the server went silent")
			}
			if errors.Is(err, io.EOF) {
				return errors.New("live updates: the server closed the stream")
			}
			return fmt.Errorf("live updates: %w", err)
		}
		b.apply(ctx, c, ev)
	}
}

// touchReader calls touch after every read that returned data.
type touchReader struct {
	r     io.Reader
	touch func()
}

func (t *touchReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		t.touch()
	}
	return n, err
}

// load fetches activities, the directory with presence, contacts and conversations.
func (b *Book) load(ctx context.Context, c *Client) error {
	acts, err := c.Activities(ctx)
	if err != nil {
		return err
	}
	dir, err := c.Directory(ctx, "")
	if err != nil {
		return err
	}
	pres, err := c.Presence(ctx)
	if err != nil {
		return err
	}
	contacts, err := c.Contacts(ctx)
	if err != nil {
		return err
	}
	convs, err := c.Conversations(ctx)
	if err != nil {
		return err
	}

	byUser := make(map[int64]api.Presence, len(pres))
	for _, p := range pres {
		byUser[p.UserID] = p
	}
	cols := make([]Colleague, 0, len(dir))
	for _, e := range dir {
		if p, ok := byUser[e.UserID]; ok && !p.UpdatedAt.Before(e.Presence.UpdatedAt) {
			e.Presence = p
		}
		cols = append(cols, newColleague(e))
	}
	sortColleagues(cols)
	ix := buildIndex(cols, b.o.Country)

	b.mu.Lock()
	defer b.mu.Unlock()
	b.activities = acts
	b.colleagues, b.index = cols, ix
	for _, p := range pres {
		if b.me.is(p.UserID, p.Extension) {
			b.mine = p
		}
	}
	for _, col := range cols {
		if b.me.is(col.UserID, col.Extension) && col.Presence.UpdatedAt.After(b.mine.UpdatedAt) {
			b.mine = col.Presence
		}
	}
	b.contacts = slices.Clone(contacts)
	sortContacts(b.contacts)
	for _, cv := range convs {
		cs := b.chatLocked(cv.With)
		cs.chat.WithName = cmp.Or(cv.WithName, cs.chat.WithName)
		if cv.Last.SentAt.After(cs.chat.Last.SentAt) || cs.chat.Last.ID == 0 {
			cs.chat.Last = cv.Last
		}
		cs.chat.Unread = cv.Unread
	}
	b.loaded = true
	b.changed()
	return nil
}

func sortContacts(cs []api.Contact) {
	slices.SortStableFunc(cs, func(a, b api.Contact) int {
		return cmp.Or(strings.Compare(search.Fold(a.Name), search.Fold(b.Name)), cmp.Compare(a.ID, b.ID))
	})
}

func (b *Book) setLive(live bool, err error) {
	b.mu.Lock()
	b.live = live
	b.errText = plainError(err)
	b.mu.Unlock()
	b.changed()
}

// plainError says what went wrong in words for the user; "" for nil.
func plainError(err error) string {
	var nerr net.Error
	var oerr *net.OpError
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrNoSession):
		return "Not connected to the server's API; log in again."
	case StatusOf(err) == http.StatusUnauthorized:
		return "The server no longer accepts this login; log in again."
	case errors.As(err, &oerr), errors.As(err, &nerr) && nerr.Timeout():
		return "Cannot reach the server; retrying. (" + err.Error() + ")"
	}
	return err.Error()
}

// apply merges one event into the book; c reloads what an event only announces.
func (b *Book) apply(ctx context.Context, c *Client, ev api.Event) {
	b.listeners.send(ev)
	switch ev.Type {
	case api.EventPresence:
		if ev.Presence != nil {
			b.applyPresence(*ev.Presence)
		}
	case api.EventDirectory:
		if ev.Entry != nil {
			b.applyEntry(*ev.Entry)
		}
	case api.EventMessage:
		if ev.Message != nil {
			b.applyStoredMessage(*ev.Message)
		}
	case api.EventContacts:
		if c == nil {
			return
		}
		cs, err := c.Contacts(ctx)
		if err != nil {
			b.log.Info("contacts not reloaded", "err", err)
			return
		}
		cs = slices.Clone(cs)
		sortContacts(cs)
		b.mu.Lock()
		b.contacts = cs
		b.mu.Unlock()
		b.changed()
	}
}

// applyPresence updates a colleague and, when it is ours, Me. Older updates than what we
// have are ignored: a load and the stream can deliver the same change in either order.
func (b *Book) applyPresence(p api.Presence) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.applyPresenceLocked(p)
}

func (b *Book) applyPresenceLocked(p api.Presence) {
	changed := false
	if b.me.is(p.UserID, p.Extension) && !p.UpdatedAt.Before(b.mine.UpdatedAt) {
		b.mine = p
		changed = true
	}
	i := slices.IndexFunc(b.colleagues, func(c Colleague) bool {
		if p.UserID != 0 && c.UserID != 0 {
			return c.UserID == p.UserID
		}
		return c.Extension == p.Extension
	})
	if i >= 0 && !p.UpdatedAt.Before(b.colleagues[i].Presence.UpdatedAt) {
		cols := slices.Clone(b.colleagues)
		e := cols[i].DirectoryEntry
		e.Presence = p
		cols[i] = newColleague(e)
		b.colleagues = cols // same order: the index stays valid
		changed = true
	}
	if changed {
		b.changed()
	}
}

// applyEntry adds or replaces a directory entry. The list is re-sorted and re-indexed outside
// the lock (a large directory takes a while); presence that changed meanwhile is kept.
func (b *Book) applyEntry(e api.DirectoryEntry) {
	b.mu.Lock()
	cols := slices.Clone(b.colleagues)
	b.mu.Unlock()
	i := slices.IndexFunc(cols, func(c Colleague) bool { return c.UserID == e.UserID })
	if i >= 0 {
		if e.Presence.UpdatedAt.Before(cols[i].Presence.UpdatedAt) {
			e.Presence = cols[i].Presence
		}
		cols[i] = newColleague(e)
	} else {
		cols = append(cols, newColleague(e))
	}
	sortColleagues(cols)
	ix := buildIndex(cols, b.o.Country)

	b.mu.Lock()
	defer b.mu.Unlock()
	now := make(map[int64]api.Presence, len(b.colleagues))
	for _, c := range b.colleagues {
		now[c.UserID] = c.Presence
	}
	for j, c := range cols {
		if p, ok := now[c.UserID]; ok && p.UpdatedAt.After(c.Presence.UpdatedAt) {
			d := c.DirectoryEntry
			d.Presence = p
			cols[j] = newColleague(d)
		}
	}
	b.colleagues, b.index = cols, ix
	if b.me.is(e.UserID, e.Extension) && e.Presence.UpdatedAt.After(b.mine.UpdatedAt) {
		b.mine = e.Presence
	}
	b.changed()
}

// ---------------------------------------------------------------------------------------------
// Snapshots

// Subscribe implements Model: fn gets the current snapshot at once and then every change,
// from the book's goroutine. fn must not block.
func (b *Book) Subscribe(fn func(Snapshot)) (cancel func()) {
	b.mu.Lock()
	id := b.nextSub
	b.nextSub++
	b.subs[id] = fn
	s := b.snapshotLocked()
	b.mu.Unlock()
	b.pubMu.Lock()
	fn(s)
	b.pubMu.Unlock()
	return func() {
		b.mu.Lock()
		delete(b.subs, id)
		b.mu.Unlock()
	}
}

// Snapshot implements Model.
func (b *Book) Snapshot() Snapshot {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.snapshotLocked()
}

func (b *Book) snapshotLocked() Snapshot {
	s := Snapshot{Loaded: b.loaded, Live: b.live, Error: b.errText, Me: b.mine,
		Activities: b.activities, Colleagues: b.colleagues, Contacts: b.contacts}
	s.Chats = make([]Chat, 0, len(b.chats))
	for _, cs := range b.chats {
		s.Chats = append(s.Chats, cs.chat)
		s.Unread += cs.chat.Unread
	}
	slices.SortFunc(s.Chats, func(x, y Chat) int {
		return cmp.Or(y.Last.SentAt.Compare(x.Last.SentAt), strings.Compare(x.With, y.With))
	})
	if b.lastIn != nil {
		m := *b.lastIn
		s.LastIncoming = &m
	}
	return s
}

// changed schedules a snapshot for the subscribers; callable with or without b.mu held.
func (b *Book) changed() {
	select {
	case b.kick <- struct{}{}:
	default:
	}
}

// notifier delivers snapshots from one goroutine, never under b.mu.
func (b *Book) notifier() {
	defer b.wg.Done()
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-b.kick:
		}
		b.mu.Lock()
		s := b.snapshotLocked()
		subs := make([]func(Snapshot), 0, len(b.subs))
		for _, id := range slices.Sorted(maps.Keys(b.subs)) {
			subs = append(subs, b.subs[id])
		}
		b.mu.Unlock()
		b.pubMu.Lock()
		for _, fn := range subs {
			fn(s)
		}
		b.pubMu.Unlock()
	}
}

// ---------------------------------------------------------------------------------------------
// Own presence

// SetPresence implements Model: it checks the change, sends it, and shows the server's answer
// at once (the event that follows changes nothing).
func (b *Book) SetPresence(ctx context.Context, u api.PresenceUpdate) error {
	if err := b.checkUpdate(u); err != nil {
		return fmt.Errorf("set presence: %w", err)
	}
	c, err := b.client()
	if err != nil {
		return err
	}
	p, err := c.SetPresence(ctx, u)
	if err != nil {
		return fmt.Errorf("set presence: %w", err)
	}
	b.mu.Lock()
	if p.UserID == 0 && p.Extension == "" {
		p.UserID, p.Extension = b.me.id, b.me.ext
	}
	b.applyPresenceLocked(p)
	b.mu.Unlock()
	return nil
}

// checkUpdate refuses what the server would refuse, with the same words, before a round trip.
func (b *Book) checkUpdate(u api.PresenceUpdate) error {
	if u.Activity != nil {
		b.mu.Lock()
		acts := b.activities
		b.mu.Unlock()
		if len(acts) > 0 && !slices.ContainsFunc(acts, func(a api.Activity) bool { return a.Number == *u.Activity }) {
			return fmt.Errorf("%w: %d", presence.ErrUnknownActivity, *u.Activity)
		}
	}
	if u.Role != nil && !presence.Role(*u.Role).Valid() {
		return fmt.Errorf("%w: %d", presence.ErrUnknownRole, *u.Role)
	}
	if u.Note != nil {
		if err := presence.ValidateNote(*u.Note); err != nil {
			return err
		}
	}
	if u.Until != nil && !u.ClearUntil {
		if err := presence.ValidateUntil(*u.Until, b.o.Now()); err != nil {
			return err
		}
	}
	return nil
}

// SetIdle implements Model: the change is sent in the background, only when it differs from
// what the server last accepted.
func (b *Book) SetIdle(idle bool) {
	b.mu.Lock()
	b.idleWant = idle
	if !b.started || b.closed {
		b.mu.Unlock()
		return
	}
	b.wg.Add(1) // under mu: Close sets closed before it waits
	b.mu.Unlock()
	go func() {
		defer b.wg.Done()
		b.idleMu.Lock()
		defer b.idleMu.Unlock()
		b.mu.Lock()
		want := b.idleWant
		same := b.idleSent != nil && *b.idleSent == want
		b.mu.Unlock()
		if same {
			return
		}
		c, err := b.client()
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
		defer cancel()
		p, err := c.SetPresence(ctx, api.PresenceUpdate{Idle: &want})
		if err != nil {
			b.log.Info("idle state not sent", "idle", want, "err", err)
			return
		}
		b.mu.Lock()
		b.idleSent = &want
		if p.UserID == 0 && p.Extension == "" {
			p.UserID, p.Extension = b.me.id, b.me.ext
		}
		b.applyPresenceLocked(p)
		b.mu.Unlock()
	}()
}

// ---------------------------------------------------------------------------------------------
// Contacts

// SaveContact implements Model.
func (b *Book) SaveContact(ctx context.Context, ct api.Contact) (api.Contact, error) {
	if strings.TrimSpace(ct.Name) == "" {
		return ct, errors.New("save contact: a contact needs a name")
	}
	c, err := b.client()
	if err != nil {
		return ct, err
	}
	saved, err := c.SaveContact(ctx, ct)
	if err != nil {
		return ct, fmt.Errorf("save contact: %w", err)
	}
	b.mu.Lock()
	cs := slices.Clone(b.contacts)
	if i := slices.IndexFunc(cs, func(x api.Contact) bool { return x.ID == saved.ID }); i >= 0 {
		cs[i] = saved
	} else {
		cs = append(cs, saved)
	}
	sortContacts(cs)
	b.contacts = cs
	b.mu.Unlock()
	b.changed()
	return saved, nil
}

// DeleteContact implements Model.
func (b *Book) DeleteContact(ctx context.Context, id int64) error {
	c, err := b.client()
	if err != nil {
		return err
	}
	if err := c.DeleteContact(ctx, id); err != nil && StatusOf(err) != http.StatusNotFound {
		return fmt.Errorf("delete contact: %w", err)
	}
	b.mu.Lock()
	b.contacts = slices.DeleteFunc(slices.Clone(b.contacts), func(x api.Contact) bool { return x.ID == id })
	b.mu.Unlock()
	b.changed()
	return nil
}

// ---------------------------------------------------------------------------------------------
// Chats

// chatLocked returns the conversation with ext, creating it.
func (b *Book) chatLocked(ext string) *chatState {
	cs, ok := b.chats[ext]
	if !ok {
		cs = &chatState{chat: Chat{With: ext, WithName: b.nameOfLocked(ext)}}
		b.chats[ext] = cs
	}
	return cs
}

func (b *Book) nameOfLocked(ext string) string {
	for _, c := range b.colleagues {
		if c.Extension == ext {
			return c.Name
		}
	}
	return ""
}

// extensionOfLocked maps a number of a colleague to the extension chats are keyed by.
func (b *Book) extensionOfLocked(to string) string {
	n := strings.NewReplacer(" ", "", "-", "").Replace(to)
	for _, c := range b.colleagues {
		if c.Extension == n || (n != "" && (c.MobileNumber == n || c.CompanyNumber == n)) {
			return c.Extension
		}
	}
	return n
}

// addLocked records a live message in cs: it merges the two copies of one message (the SIP
// MESSAGE and the stored one from the stream) and reports whether the message is new. mine
// marks a message the user just sent: it is the newest whatever the clocks say.
func (cs *chatState) addLocked(m api.Message, viaSIP, mine bool) bool {
	for i := range cs.live {
		l := &cs.live[i]
		if m.ID != 0 && l.msg.ID == m.ID {
			l.api = true
			return false
		}
		same := l.msg.From == m.From && l.msg.Body == m.Body &&
			m.SentAt.Sub(l.msg.SentAt).Abs() <= dedupeWindow
		if same && ((viaSIP && !l.sip) || (!viaSIP && !l.api)) {
			if m.ID != 0 {
				l.msg.ID = m.ID
				cs.setIDLocked(l.msg, m)
			}
			l.sip = l.sip || viaSIP
			l.api = l.api || !viaSIP
			return false
		}
	}
	for _, h := range cs.chat.Messages {
		if m.ID != 0 && h.ID == m.ID {
			return false // already in the loaded history
		}
	}
	cs.live = append(cs.live, liveMsg{msg: m, sip: viaSIP, api: !viaSIP})
	if cs.opened {
		cs.chat.Messages = append(slices.Clip(cs.chat.Messages), m)
	}
	// The newest by send time; SIP's Date header has whole seconds, so within one second the
	// later arrival wins. A late copy of an older message (offline backlog) does not.
	if !m.SentAt.Truncate(time.Second).Before(cs.chat.Last.SentAt.Truncate(time.Second)) || mine {
		cs.chat.Last = m
	}
	return true
}

// setIDLocked gives the shown copy of old the stored message's ID and marks.
func (cs *chatState) setIDLocked(old, stored api.Message) {
	msgs := slices.Clone(cs.chat.Messages)
	for i := range msgs {
		if msgs[i].ID == 0 && msgs[i].From == old.From && msgs[i].Body == old.Body {
			msgs[i] = stored
			break
		}
	}
	cs.chat.Messages = msgs
	if cs.chat.Last.ID == 0 && cs.chat.Last.From == old.From && cs.chat.Last.Body == old.Body {
		cs.chat.Last = stored
	}
}

// onPhoneMessage takes an instant message from the phone engine (IM-1).
func (b *Book) onPhoneMessage(im phone.InstantMessage) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return
	}
	m := api.Message{From: im.From, To: b.me.ext, Body: im.Body, SentAt: im.At}
	if m.SentAt.IsZero() {
		m.SentAt = b.o.Now()
	}
	cs := b.chatLocked(im.From)
	if cs.chat.WithName == "" {
		cs.chat.WithName = im.FromName
	}
	if cs.addLocked(m, true, false) {
		cs.chat.Unread++
		b.lastIn = &m
	}
	b.changed()
}

// applyStoredMessage takes a message the server stored for us (stream event "message").
func (b *Book) applyStoredMessage(m api.Message) {
	b.mu.Lock()
	defer b.mu.Unlock()
	incoming := m.From != b.me.ext
	with := m.From
	if !incoming {
		with = m.To
	}
	if with == "" {
		return
	}
	cs := b.chatLocked(with)
	if cs.addLocked(m, false, false) && incoming && m.ReadAt == nil {
		cs.chat.Unread++
		b.lastIn = &m
	}
	b.changed()
}

// OpenChat implements Model: it loads the newest history (oldest first in the snapshot) and
// marks the conversation read.
func (b *Book) OpenChat(ctx context.Context, with string) error {
	with = strings.TrimSpace(with)
	if with == "" {
		return errors.New("open chat: no colleague given")
	}
	c, err := b.client()
	if err != nil {
		return err
	}
	hist, err := c.Messages(ctx, with, 0, historyLimit)
	if err != nil {
		return fmt.Errorf("open chat with %s: %w", with, err)
	}
	slices.Reverse(hist) // the API answers newest first
	if err := c.MarkRead(ctx, with); err != nil {
		return fmt.Errorf("mark chat with %s read: %w", with, err)
	}
	b.mu.Lock()
	cs := b.chatLocked(with)
	msgs := hist
	// Live messages the history does not hold yet (sent a moment ago) stay visible.
	for _, l := range cs.live {
		found := slices.ContainsFunc(hist, func(h api.Message) bool {
			return (l.msg.ID != 0 && h.ID == l.msg.ID) || (h.From == l.msg.From && h.Body == l.msg.Body &&
				h.SentAt.Sub(l.msg.SentAt).Abs() <= dedupeWindow)
		})
		if !found {
			msgs = append(msgs, l.msg)
		}
	}
	slices.SortStableFunc(msgs, func(x, y api.Message) int { return x.SentAt.Compare(y.SentAt) })
	cs.chat.Messages = msgs
	cs.opened = true
	cs.chat.Unread = 0
	if n := len(msgs); n > 0 && !msgs[n-1].SentAt.Before(cs.chat.Last.SentAt) {
		cs.chat.Last = msgs[n-1]
	}
	b.mu.Unlock()
	b.changed()
	return nil
}

// MarkRead marks the conversation read without reloading its history: for a chat window that
// is open while messages arrive. (Not part of Model; OpenChat does this too.)
func (b *Book) MarkRead(ctx context.Context, with string) error {
	c, err := b.client()
	if err != nil {
		return err
	}
	if err := c.MarkRead(ctx, with); err != nil {
		return fmt.Errorf("mark chat with %s read: %w", with, err)
	}
	b.mu.Lock()
	if cs, ok := b.chats[with]; ok {
		cs.chat.Unread = 0
	}
	b.mu.Unlock()
	b.changed()
	return nil
}

// SendChat implements Model: the message goes over SIP (Controller.SendMessage); once the
// server accepted it, it shows in the conversation. A message too long for one SIP datagram
// goes through the API, which stores it and delivers it the same way.
func (b *Book) SendChat(ctx context.Context, to, body string) error {
	to = strings.TrimSpace(to)
	if to == "" {
		return errors.New("send message: no recipient")
	}
	m := api.Message{Body: body}
	viaSIP := true
	err := b.ctrl.SendMessage(ctx, to, body)
	if errors.Is(err, phone.ErrMessageTooLarge) {
		c, cerr := b.client()
		if cerr != nil {
			return err
		}
		if m, err = c.SendMessage(ctx, to, body); err != nil {
			if StatusOf(err) == http.StatusNotFound {
				err = fmt.Errorf("%w: %w", phone.ErrNoSuchUser, err)
			}
			return fmt.Errorf("send message to %s: %w", to, err)
		}
		viaSIP = false
	}
	if err != nil {
		return err
	}
	b.mu.Lock()
	with := m.To
	if with == "" {
		with = b.extensionOfLocked(to)
	}
	m.From, m.To = cmp.Or(m.From, b.me.ext), with
	if m.SentAt.IsZero() {
		m.SentAt = b.o.Now()
	}
	b.chatLocked(with).addLocked(m, viaSIP, true)
	b.mu.Unlock()
	b.changed()
	return nil
}

// SendSMS implements Model.
func (b *Book) SendSMS(ctx context.Context, to, text string) (api.SMS, error) {
	if strings.TrimSpace(to) == "" {
		return api.SMS{}, errors.New("send SMS: no number given")
	}
	if strings.TrimSpace(text) == "" {
		return api.SMS{}, errors.New("send SMS: the message is empty")
	}
	c, err := b.client()
	if err != nil {
		return api.SMS{}, err
	}
	sms, err := c.SendSMS(ctx, to, text)
	if err != nil {
		return api.SMS{}, fmt.Errorf("send SMS: %w", err)
	}
	return sms, nil
}

package people

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

// fakeServer speaks the JSON of shared/api/presence.go over a real socket on 127.0.0.1, from
// in-memory data, and lets a test push events into every open /api/events stream.
type fakeServer struct {
	t   *testing.T
	srv *httptest.Server

	mu         sync.Mutex
	token      string
	activities []api.Activity
	dir        []api.DirectoryEntry
	contacts   []api.Contact
	nextID     int64
	convs      []api.Conversation
	history    map[string][]api.Message // newest first
	requests   []string                 // "METHOD path"
	bodies     map[string][]string      // request bodies by "METHOD path"
	streams    map[int]chan string      // raw SSE text to write
	nextStream int
	connects   int
	failNext   map[string]int // "METHOD path" → status to answer once
	silent     bool           // streams send no hello
}

const fakeToken = "tok-1001"

func newFakeServer(t *testing.T) *fakeServer {
	t.Helper()
	f := &fakeServer{t: t, token: fakeToken, history: map[string][]api.Message{},
		bodies: map[string][]string{}, streams: map[int]chan string{}, failNext: map[string]int{}, nextID: 100}
	for _, a := range presence.DefaultActivities() {
		f.activities = append(f.activities, api.Activity{Number: a.Number, Name: a.Names.EN, NameFI: a.Names.FI,
			NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green})
	}
	t0 := time.Now().Add(-3 * time.Hour).UTC().Truncate(time.Second) // before any test's "now"
	avail := func(id int64, ext string) api.Presence {
		return api.Presence{UserID: id, Extension: ext, Activity: 1, ActivityName: "Available", Green: true,
			Online: true, Phone: "idle", UpdatedAt: t0}
	}
	f.dir = []api.DirectoryEntry{
		{UserID: 2, Name: "Bertta Öhman", Extension: "1002", MobileNumber: "+358401110002", Department: "Sales",
			Title: "Account manager", Presence: avail(2, "1002")},
		{UserID: 1, Name: "Aino Ääkkönen", Extension: "1001", MobileNumber: "+358401110001", Email: "aino@example.org",
			Department: "Support", Presence: avail(1, "1001")},
		{UserID: 3, Name: "Élise Carlsson", Extension: "1003", Department: "Support", Keywords: "french swedish",
			Presence: avail(3, "1003")},
	}
	f.contacts = []api.Contact{{ID: 7, Name: "Zed Plumber", Mobile: "+358409999999"}}
	f.convs = []api.Conversation{{With: "1003", WithName: "Élise Carlsson", Unread: 1,
		Last: api.Message{ID: 12, From: "1003", To: "1001", Body: "Salut", SentAt: t0.Add(time.Hour)}}}
	f.history["1003"] = []api.Message{
		{ID: 12, From: "1003", To: "1001", Body: "Salut", SentAt: t0.Add(time.Hour)},
		{ID: 11, From: "1001", To: "1003", Body: "Hello", SentAt: t0.Add(30 * time.Minute)},
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/activities", f.json(func(r *http.Request) (any, int) {
		return api.ActivityList{Activities: f.activities}, 200
	}))
	mux.HandleFunc("GET /api/presence", f.json(func(r *http.Request) (any, int) {
		var out api.PresenceList
		for _, e := range f.dir {
			out.Presence = append(out.Presence, e.Presence)
		}
		return out, 200
	}))
	mux.HandleFunc("PUT /api/presence", f.json(func(r *http.Request) (any, int) {
		var u api.PresenceUpdate
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			return api.Error{Error: "bad json"}, 400
		}
		i := slices.IndexFunc(f.dir, func(e api.DirectoryEntry) bool { return e.Extension == "1001" })
		p := f.dir[i].Presence
		if u.Activity != nil {
			if *u.Activity < 1 || *u.Activity > len(f.activities) {
				return api.Error{Error: "unknown activity " + strconv.Itoa(*u.Activity)}, 400
			}
			p.Activity, p.ActivityName, p.Green = *u.Activity, f.activities[*u.Activity-1].Name, f.activities[*u.Activity-1].Green
		}
		if u.Note != nil {
			p.Note = *u.Note
		}
		if u.Until != nil {
			p.Until = u.Until
		}
		if u.ClearUntil {
			p.Until = nil
		}
		if u.Idle != nil {
			p.Idle = *u.Idle
		}
		p.UpdatedAt = time.Now()
		f.dir[i].Presence = p
		return p, 200
	}))
	mux.HandleFunc("GET /api/directory", f.json(func(r *http.Request) (any, int) {
		return api.Directory{Entries: f.dir}, 200
	}))
	mux.HandleFunc("GET /api/contacts", f.json(func(r *http.Request) (any, int) {
		return api.ContactList{Contacts: f.contacts}, 200
	}))
	mux.HandleFunc("POST /api/contacts", f.json(func(r *http.Request) (any, int) {
		var c api.Contact
		_ = json.NewDecoder(r.Body).Decode(&c)
		f.nextID++
		c.ID = f.nextID
		f.contacts = append(f.contacts, c)
		return c, 201
	}))
	mux.HandleFunc("PUT /api/contacts/{id}", f.json(func(r *http.Request) (any, int) {
		var c api.Contact
		_ = json.NewDecoder(r.Body).Decode(&c)
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		i := slices.IndexFunc(f.contacts, func(x api.Contact) bool { return x.ID == id })
		if i < 0 {
			return api.Error{Error: "no such contact"}, 404
		}
		c.ID = id
		f.contacts[i] = c
		return c, 200
	}))
	mux.HandleFunc("DELETE /api/contacts/{id}", f.json(func(r *http.Request) (any, int) {
		id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
		f.contacts = slices.DeleteFunc(f.contacts, func(x api.Contact) bool { return x.ID == id })
		return nil, 204
	}))
	mux.HandleFunc("GET /api/conversations", f.json(func(r *http.Request) (any, int) {
		return api.ConversationList{Conversations: f.convs}, 200
	}))
	mux.HandleFunc("GET /api/messages", f.json(func(r *http.Request) (any, int) {
		return api.MessageList{Messages: f.history[r.URL.Query().Get("with")]}, 200
	}))
	mux.HandleFunc("POST /api/messages", f.json(func(r *http.Request) (any, int) {
		var m api.SendMessage
		_ = json.NewDecoder(r.Body).Decode(&m)
		if m.To != "1002" {
			return api.Error{Error: "messaging: no such user"}, 404
		}
		f.nextID++
		return api.Message{ID: f.nextID, From: "1001", To: m.To, Body: m.Body, SentAt: time.Now()}, 200
	}))
	mux.HandleFunc("POST /api/messages/read", f.json(func(r *http.Request) (any, int) { return nil, 204 }))
	mux.HandleFunc("POST /api/sms", f.json(func(r *http.Request) (any, int) {
		var s api.SendSMS
		_ = json.NewDecoder(r.Body).Decode(&s)
		if s.To != "0401234567" {
			return api.Error{Error: "not a mobile number: " + s.To}, 400
		}
		return api.SMS{ID: 1, From: "+358401110001", To: "+358401234567", Text: s.Text, Parts: 1, SentAt: time.Now()}, 200
	}))
	mux.HandleFunc("GET /api/events", f.events)

	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.srv = &httptest.Server{Listener: l, Config: &http.Server{Handler: mux}}
	f.srv.Start()
	t.Cleanup(func() {
		f.dropStreams()
		f.srv.CloseClientConnections()
		f.srv.Close()
	})
	return f
}

// json wraps a handler: auth check, request log, forced failures, JSON answer.
func (f *fakeServer) json(h func(r *http.Request) (any, int)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		var body []byte
		if r.Body != nil {
			body, _ = readAll(r)
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests = append(f.requests, key)
		f.bodies[key] = append(f.bodies[key], string(body))
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			w.WriteHeader(401)
			_ = json.NewEncoder(w).Encode(api.Error{Error: "not logged in"})
			return
		}
		if code := f.failNext[key]; code != 0 {
			delete(f.failNext, key)
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(api.Error{Error: "forced failure"})
			return
		}
		r.Body = nopBody(body)
		out, code := h(r)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		if out != nil {
			_ = json.NewEncoder(w).Encode(out)
		}
	}
}

func (f *fakeServer) events(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer "+fakeToken {
		w.WriteHeader(401)
		return
	}
	ch := make(chan string, 64)
	f.mu.Lock()
	id := f.nextStream
	f.nextStream++
	f.streams[id] = ch
	f.connects++
	silent := f.silent
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.streams, id)
		f.mu.Unlock()
	}()
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	if !silent {
		fmt.Fprint(w, "event: hello\ndata: {\"type\":\"hello\"}\n\n")
	}
	fl.Flush()
	for {
		select {
		case <-r.Context().Done():
			return
		case s, ok := <-ch:
			if !ok {
				return
			}
			fmt.Fprint(w, s)
			fl.Flush()
		}
	}
}

// push sends an event to every open stream.
func (f *fakeServer) push(ev api.Event) {
	b, _ := json.Marshal(ev)
	f.pushRaw("event: " + ev.Type + "\ndata: " + string(b) + "\n\n")
}

func (f *fakeServer) pushRaw(s string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, ch := range f.streams {
		ch <- s
	}
}

// dropStreams ends every open stream (the server restarts or the network breaks).
func (f *fakeServer) dropStreams() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, ch := range f.streams {
		close(ch)
		delete(f.streams, id)
	}
}

func (f *fakeServer) count(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if r == key {
			n++
		}
	}
	return n
}

func (f *fakeServer) lastBody(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	b := f.bodies[key]
	if len(b) == 0 {
		return ""
	}
	return b[len(b)-1]
}

func (f *fakeServer) connections() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.connects
}

func (f *fakeServer) with(fn func(f *fakeServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

// fakePhone is the part of the phone engine a Book uses (a fake for unit tests of logic).
type fakePhone struct {
	phone.Controller // nil: calling anything else panics, which is a test failure
	url              string
	mu               sync.Mutex
	sent             []string // "to: body"
	sendErr          error
	subs             map[int]func(phone.InstantMessage)
	next             int
}

func newFakePhone(url string) *fakePhone {
	return &fakePhone{url: url, subs: map[int]func(phone.InstantMessage){}}
}

func (p *fakePhone) Snapshot() phone.Snapshot {
	return phone.Snapshot{Reg: phone.Registered, Profile: api.Profile{ID: 1, Extension: "1001", Name: "Aino Ääkkönen"}}
}

func (p *fakePhone) Session() (string, string, bool) { return p.url, fakeToken, p.url != "" }

func (p *fakePhone) SendMessage(ctx context.Context, to, body string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sendErr != nil {
		return p.sendErr
	}
	p.sent = append(p.sent, to+": "+body)
	return nil
}

func (p *fakePhone) OnMessage(fn func(phone.InstantMessage)) func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	id := p.next
	p.next++
	p.subs[id] = fn
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		delete(p.subs, id)
	}
}

// deliver hands a message to the subscribers as the engine does.
func (p *fakePhone) deliver(im phone.InstantMessage) {
	p.mu.Lock()
	subs := make([]func(phone.InstantMessage), 0, len(p.subs))
	for _, fn := range p.subs {
		subs = append(subs, fn)
	}
	p.mu.Unlock()
	for _, fn := range subs {
		fn(im)
	}
}

func (p *fakePhone) subscribers() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.subs)
}

// waitFor polls cond until it holds or a generous deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startedBook returns a Book over a fake server and phone, loaded and live.
func startedBook(t *testing.T, o Options) (*Book, *fakeServer, *fakePhone) {
	t.Helper()
	f := newFakeServer(t)
	ph := newFakePhone(f.srv.URL)
	if o.Logger == nil {
		o.Logger = quiet
	}
	if o.RetryMin == 0 {
		o.RetryMin = 20 * time.Millisecond
	}
	b := NewBook(ph, o)
	t.Cleanup(b.Close)
	b.Start(context.Background())
	waitFor(t, "book loaded and live", func() bool { s := b.Snapshot(); return s.Loaded && s.Live })
	return b, f, ph
}

func readAll(r *http.Request) ([]byte, error) { return io.ReadAll(io.LimitReader(r.Body, 1<<20)) }

func nopBody(b []byte) io.ReadCloser { return io.NopCloser(bytes.NewReader(b)) }

var quiet = slog.New(slog.DiscardHandler)

package ui

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/park"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
	shared "github.com/vaihde/vaihde/shared/api"
)

// ceParked is park's list as the API serves it (server/cmd/vaihde's parkServices does the same).
type ceParked struct{ p *park.Service }

func (c ceParked) Parked(orgID int64) []shared.ParkedCall {
	var out []shared.ParkedCall
	for _, pc := range c.p.Parked(orgID) {
		out = append(out, shared.ParkedCall{Slot: pc.Slot, Number: pc.Number, Name: pc.Name, ParkedBy: pc.ParkedByExt,
			ParkedByName: pc.ParkedByName, Since: pc.Since, RingingBack: pc.RingingBack, Retrieve: park.PrefixRetrieve + strconv.Itoa(pc.Slot)})
	}
	return out
}

// ceFollow feeds the user's /api/events stream to fn until the test ends.
func ceFollow(t *testing.T, c *people.Client, fn func(shared.Event)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	body, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hello := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer body.Close()
		r := people.NewEventReader(body)
		for {
			ev, err := r.Next()
			if err != nil {
				return
			}
			if ev.Type == shared.EventHello {
				close(hello)
			}
			fn(ev)
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	select {
	case <-hello:
	case <-time.After(seGuard):
		t.Fatal("no hello on the event stream")
	}
}

// ceEventually polls cond (state the event streams reach) with a deadlock guard.
func ceEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(seGuard)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// demoStore is a real SQLite store with the demo organisation, and its users by extension.
func demoStore(t *testing.T) (*sqlite.Store, store.Org, map[string]store.User) {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "demo.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	org, accts, err := demo.Seed(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	user := map[string]store.User{}
	for _, a := range accts {
		user[a.User.Extension] = a.User
	}
	return st, org, user
}

// TestIntegrationConsoleEventsReachTheSoftphone: the real call park (server/park) wired to the
// real API as server/cmd/vaihde wires it, over loopback HTTP: the operator's switchboard model
// loads the parked calls through agent.Board and then follows the "parked" events as a call is
// parked and hangs up; a "campon" event for colleague 1004 makes 1004's call panel say that a
// caller waits, and reaches the operator too.
func TestIntegrationConsoleEventsReachTheSoftphone(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	ctx := context.Background()
	log := slog.New(slog.DiscardHandler)
	st, org, user := demoStore(t)
	never := make(chan time.Time)     // no ring-back during the test
	start := t0.Add(-2 * time.Minute) // parked two minutes before the switchboard's clock (t0)
	pk := park.New(park.Config{Now: func() time.Time { return start }, After: func(time.Duration) <-chan time.Time { return never }})
	hub := presence.New(st, nil, log)
	t.Cleanup(func() { hub.Close() })
	srv := api.New(api.Deps{Store: st, Logger: log, Presence: hub, Parked: ceParked{pk}})
	pk.OnChange(srv.ParkedChanged)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	t.Cleanup(srv.CloseStreams)

	// The operator's switchboard over the real console routes and event stream.
	op := seLogin(t, hs.URL, "1009", "demo1009")
	r := newSwRig(t)
	r.vm.SetConsole(agent.NewBoard(func() (string, string, bool) { return op.BaseURL, op.Token, true }, agent.Options{Logger: log}))
	var opMu sync.Mutex
	var opCampOn []shared.CampOnWaiting
	ceFollow(t, op, func(ev shared.Event) {
		r.vm.HandleEvent(ev)
		if ev.CampOn != nil {
			opMu.Lock()
			opCampOn = append(opCampOn, *ev.CampOn)
			opMu.Unlock()
		}
	})
	// Colleague 1004's call model.
	colleague := user["1004"]
	f := newFake()
	f.set(phone.Snapshot{Reg: phone.Registered, Profile: shared.Profile{ID: colleague.ID, Name: colleague.Name, Extension: "1004"}})
	m := NewModel(f, NewStrings("en"), func() time.Time { return start })
	f.Subscribe(m.Update)
	ceFollow(t, seLogin(t, hs.URL, "1004", "demo1004"), func(ev shared.Event) { m.HandleEvent(ev) })

	if err := r.vm.RefreshParked(ctx); err != nil {
		t.Fatal(err)
	}
	if p := r.vm.Panel(); len(p.Parked) != 0 || p.NoParked == "" {
		t.Fatalf("before parking: %+v", p.Parked)
	}
	// The operator parks an outside caller (a transfer to 988).
	flow, ok := pk.Serve(ctx, park.Call{Org: org, CallerNumber: "+358401112222", Dialled: park.PrefixPark, TransferredBy: user["1009"]})
	if !ok {
		t.Fatal("988 is not a park")
	}
	caller := &seCaller{Script: mediaapp.NewScript(), number: "+358401112222", hang: make(chan struct{}), music: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(caller.done)
		_ = flow(ctx, caller)
	}()
	t.Cleanup(func() {
		select {
		case <-caller.hang:
		default:
			close(caller.hang)
		}
		<-caller.done
	})
	ceEventually(t, "the parked call on the switchboard", func() bool { return len(r.vm.Panel().Parked) == 1 })
	if row := r.vm.Panel().Parked[0]; row.Slot != 1 || row.Retrieve != "9891" ||
		row.Text != "Slot 1 · +358401112222 · 2:00 · parked by "+user["1009"].Name+" (1009) · dial 9891" {
		t.Fatalf("parked row %+v", row)
	}

	// The operator camps a caller on 1004 (campon.Service.OnChange is wired to this).
	srv.CampOnChanged(org.ID, colleague.ID, 1)
	ceEventually(t, "1004's camp-on line", func() bool { return m.View().CampOn == "1 caller waiting for you (camp-on)" })
	srv.CampOnChanged(org.ID, colleague.ID, 0)
	ceEventually(t, "1004's camp-on line cleared", func() bool { return m.View().CampOn == "" })
	ceEventually(t, "the operator's camp-on events", func() bool {
		opMu.Lock()
		defer opMu.Unlock()
		return len(opCampOn) == 2
	})
	opMu.Lock()
	if opCampOn[0] != (shared.CampOnWaiting{UserID: colleague.ID, Waiting: 1}) || opCampOn[1].Waiting != 0 {
		t.Errorf("operator's camp-on events %+v", opCampOn)
	}
	opMu.Unlock()

	// The parked caller hangs up: the switchboard's list empties.
	close(caller.hang)
	<-caller.done
	ceEventually(t, "the parked list emptied", func() bool { return len(r.vm.Panel().Parked) == 0 })
}

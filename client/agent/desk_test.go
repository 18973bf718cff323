package agent

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

var demoQueues = []api.AgentQueue{
	{ID: 1, Name: "Asiakaspalvelu", Number: "8000", Skill: 1, Waiting: 2},
	{ID: 2, Name: "Laskutus", Number: "8002", Skill: 2},
	{ID: 3, Name: "Vaihde", Number: "8010", Skill: 3},
}

func fixture(t *testing.T) (*agenttest.Server, *Desk) {
	t.Helper()
	srv := agenttest.New(t, 1004, demoQueues...)
	d := NewDesk(func() (string, string, bool) { return srv.URL, agenttest.Token, true }, Options{})
	t.Cleanup(d.Close)
	return srv, d
}

func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func loggedIn(s Snapshot) []int64 {
	var ids []int64
	for _, q := range s.View.Queues {
		if q.LoggedIn {
			ids = append(ids, q.ID)
		}
	}
	return ids
}

func TestLoginLogoutPauseResume(t *testing.T) {
	srv, d := fixture(t)
	ctx := context.Background()
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	s := d.Snapshot()
	if !s.Loaded || s.View.State != api.AgentLoggedOut || len(s.View.Queues) != 3 || s.View.Queues[0].Name != "Asiakaspalvelu" {
		t.Fatalf("first view %+v", s)
	}
	if err := d.Pause(ctx, "lunch"); err == nil || people.StatusOf(err) != http.StatusConflict {
		t.Fatalf("pause while logged out: %v, want the server's 409", err)
	}
	if d.Snapshot().Error == "" {
		t.Fatal("refused pause left no error to show")
	}
	for _, id := range []int64{1, 2} {
		if err := d.Login(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	s = d.Snapshot()
	if got := loggedIn(s); !slices.Equal(got, []int64{1, 2}) || s.View.State != api.AgentAvailable || s.Error != "" {
		t.Fatalf("after two logins: in %v, state %q, error %q", got, s.View.State, s.Error)
	}
	if err := d.Pause(ctx, "  "); !errors.Is(err, ErrNoReason) {
		t.Fatalf("blank reason: %v", err)
	}
	if err := d.Pause(ctx, " Coffee\n  break "); err != nil {
		t.Fatal(err)
	}
	if s = d.Snapshot(); s.View.State != api.AgentPaused || s.View.PauseReason != "Coffee break" || s.Busy != 0 {
		t.Fatalf("paused view %+v", s)
	}
	if err := d.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Login(ctx, 1, false); err != nil {
		t.Fatal(err)
	}
	s = d.Snapshot()
	if got := loggedIn(s); !slices.Equal(got, []int64{2}) || s.View.State != api.AgentAvailable {
		t.Fatalf("after resume and one logout: in %v, state %q", got, s.View.State)
	}
	if err := d.Login(ctx, 99, true); !errors.Is(err, ErrNoQueue) {
		t.Fatalf("unknown queue: %v", err)
	}
	want := []string{"GET /api/agent", "POST /api/agent/pause", "POST /api/agent/queues/1/login",
		"POST /api/agent/queues/2/login", "POST /api/agent/pause", "POST /api/agent/resume", "POST /api/agent/queues/1/logout"}
	if got := srv.Requests(); !slices.Equal(got, want) {
		t.Fatalf("requests\n got %v\nwant %v", got, want)
	}
}

func TestServerErrorKeepsViewAndClearsBusy(t *testing.T) {
	srv, d := fixture(t)
	ctx := context.Background()
	_ = d.Refresh(ctx)
	srv.FailNext("POST /api/agent/queues/3/login", http.StatusInternalServerError)
	var busySeen bool
	cancel := d.Subscribe(func(s Snapshot) {
		if s.Busy == 3 {
			busySeen = true
		}
	})
	defer cancel()
	if err := d.Login(ctx, 3, true); people.StatusOf(err) != 500 {
		t.Fatalf("login: %v, want the forced 500", err)
	}
	s := d.Snapshot()
	if !busySeen || s.Busy != 0 || s.Error == "" || len(loggedIn(s)) != 0 || len(s.View.Queues) != 3 {
		t.Fatalf("after a failed login: busy seen %v, %+v", busySeen, s)
	}
}

func TestNotAnAgent(t *testing.T) {
	for _, st := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusNotImplemented} {
		srv, d := fixture(t)
		srv.FailNext("GET /api/agent", st)
		if err := d.Refresh(context.Background()); err != nil {
			t.Fatalf("%d: refresh of a non-agent: %v", st, err)
		}
		if s := d.Snapshot(); !s.NotAgent || s.Error != "" {
			t.Fatalf("%d: non-agent snapshot %+v", st, s)
		}
	}
}

func TestPauseReasonOneLineBounded(t *testing.T) {
	srv, d := fixture(t)
	ctx := context.Background()
	_ = d.Refresh(ctx)
	if err := d.Login(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("ä", 150)
	if err := d.Pause(ctx, long); err != nil {
		t.Fatal(err)
	}
	if r := srv.View().PauseReason; len([]rune(r)) != 100 {
		t.Fatalf("reason of %d characters sent, want 100", len([]rune(r)))
	}
}

func TestNoSession(t *testing.T) {
	d := NewDesk(func() (string, string, bool) { return "", "", false }, Options{})
	defer d.Close()
	if err := d.Refresh(context.Background()); !errors.Is(err, ErrNoSession) {
		t.Fatalf("refresh without login: %v", err)
	}
}

// TestEventsFollowTheStream reads the server's /api/events stream as client/people does and
// checks that "hello" loads the view and "agent" events replace it: wrap-up with its end, a
// queue call offered with the callback text, a pause made elsewhere (the 985/986 feature codes).
func TestEventsFollowTheStream(t *testing.T) {
	srv, d := fixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c := &people.Client{BaseURL: srv.URL, Token: agenttest.Token, HTTP: &http.Client{}}
	body, err := c.Events(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer body.Close()
		r := people.NewEventReader(body)
		for {
			ev, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					t.Errorf("stream: %v", err)
				}
				return
			}
			d.HandleEvent(ev)
		}
	}()
	until(t, "hello loads the view", func() bool { return d.Snapshot().Loaded })

	end := time.Date(2026, 3, 2, 10, 0, 30, 0, time.UTC)
	v := srv.View()
	v.Queues[0].LoggedIn, v.Queues[1].LoggedIn = true, true
	v.State, v.WrapUpUntil = api.AgentWrapUp, &end
	srv.Set(v)
	until(t, "wrap-up arrives", func() bool { return d.Snapshot().View.State == api.AgentWrapUp })
	if s := d.Snapshot(); s.View.WrapUpUntil == nil || !s.View.WrapUpUntil.Equal(end) || len(loggedIn(s)) != 2 {
		t.Fatalf("wrap-up view %+v", s.View)
	}

	v.State, v.WrapUpUntil = api.AgentRinging, nil
	v.Offer = &api.QueueOffer{QueueID: 1, Queue: "Asiakaspalvelu", Caller: "+358401234567", Callback: "Please call about invoice 1234"}
	srv.Set(v)
	until(t, "the offer arrives", func() bool { return d.Snapshot().View.Offer != nil })
	if o := d.Snapshot().View.Offer; o.Callback != "Please call about invoice 1234" || d.Snapshot().View.WrapUpUntil != nil {
		t.Fatalf("offer %+v", o)
	}

	d.HandleEvent(api.Event{Type: api.EventAgent}) // no view: ignored
	d.HandleEvent(api.Event{Type: "presence"})     // someone else's business
	if d.Snapshot().View.State != api.AgentRinging {
		t.Fatal("an event without a view changed the state")
	}
	cancel()
	<-done
}

func TestResetDropsLateAnswers(t *testing.T) {
	_, d := fixture(t)
	if err := d.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	d.Reset()
	if s := d.Snapshot(); s.Loaded || len(s.View.Queues) != 0 {
		t.Fatalf("after reset %+v", s)
	}
}

// TestAnswerOlderThanEventIgnored: a queue call rings (an "agent" event) while the answer to a
// login is on its way; the older answer must not take the view back to "available".
func TestAnswerOlderThanEventIgnored(t *testing.T) {
	srv, d := fixture(t)
	ctx := context.Background()
	if err := d.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := d.Login(ctx, 1, true); err != nil {
		t.Fatal(err)
	}
	srv.BeforeAnswer(func(req string) {
		if req != "POST /api/agent/queues/2/login" {
			return
		}
		v := srv.View()
		v.State = api.AgentRinging
		v.Offer = &api.QueueOffer{QueueID: 1, Queue: "Asiakaspalvelu", Caller: "+358401234567"}
		d.HandleEvent(api.Event{Type: api.EventAgent, Agent: &v})
	})
	if err := d.Login(ctx, 2, true); err != nil {
		t.Fatal(err)
	}
	s := d.Snapshot()
	if s.View.State != api.AgentRinging || s.View.Offer == nil || s.Busy != 0 || !slices.Equal(loggedIn(s), []int64{1, 2}) {
		t.Fatalf("after a login answered behind an event: %+v", s)
	}
	srv.BeforeAnswer(nil)
	if err := d.Login(ctx, 3, true); err != nil {
		t.Fatal(err)
	}
	if got := loggedIn(d.Snapshot()); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("a login without events meanwhile is applied from the answer: %v", got)
	}
}

package queue

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/api"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// Entry announcement, music, position and estimate, progress announcements (GRP-5).
func TestAnnouncements(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", EntryPrompt: "custom/welcome", Music: "music/jazz",
		SayPosition: true, SayEstimate: true, ProgressEvery: 45 * time.Second, Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true) // expected free in 90 s (half the 3 min prior)
	first := h.call(1, "+358401111111")
	h.parked(1, 1)
	second := h.call(1, "+358402222222")
	h.parked(1, 2)
	// Second in line: the first takes the agent at 90 s, the second at 90 + 180 s → 5 min.
	want := []string{"custom/welcome", keyPosition, "num/2", keyEstimate, "num/5", keyMinutes}
	if got := second.ch.Played(); !slices.Equal(got, want) {
		t.Errorf("entry: played %v, want %v", got, want)
	}
	if got := first.ch.Played(); !slices.Equal(got, []string{"custom/welcome", keyPosition, "num/1", keyEstimate, "num/2", keyMinutes}) {
		t.Errorf("first caller: played %v", got)
	}
	second.mu.Lock()
	notes := slices.Clone(second.notes)
	second.mu.Unlock()
	if len(notes) == 0 || notes[0] != "music music/jazz" {
		t.Errorf("music %v, want the queue's", notes)
	}
	first.hangup()
	first.wait(t)
	h.clock.Advance(45 * time.Second)
	h.parked(1, 1)
	h.eventually("progress", func() bool { return len(second.ch.Played()) > len(want) })
	got := second.ch.Played()[len(want):]
	// Now first in line: the agent (on a call not from the queue) is expected free in 90 s.
	if !slices.Equal(got, []string{keyProgress, keyPosition, "num/1", keyEstimate, "num/2", keyMinutes}) {
		t.Errorf("progress: played %v", got)
	}
	second.hangup()
	second.wait(t)
}

func TestEstimateKeys(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want []string
	}{
		{30 * time.Second, []string{keyEstimate, keyUnderMinute}},
		{time.Minute, []string{keyEstimate, "num/1", keyMinute}},
		{61 * time.Second, []string{keyEstimate, "num/2", keyMinutes}},
		{125 * time.Minute, []string{keyEstimate, "num/100", "num/25", keyMinutes}},
	}
	for _, tt := range tests {
		if got := estimateKeys("fi", tt.d); !slices.Equal(got, tt.want) {
			t.Errorf("estimateKeys(%v) = %v, want %v", tt.d, got, tt.want)
		}
	}
}

// An overflow target the call engine cannot reach: the caller hears the error tone.
func TestOverflowConnectFails(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", NoAgentsTarget: "1000", Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q})
	h.e.Login(context.Background(), testOrg, 101, 1, false)
	ch := mediaapp.NewScript()
	err := h.e.QueueFlow(testOrg, 1, Caller{Number: "+358401111111"})(context.Background(), ch)
	// A bare Script cannot connect: busy.
	if err != nil || !slices.Equal(ch.Played(), []string{"tone/busy"}) || !ch.HungUp() {
		t.Fatalf("err %v played %v", err, ch.Played())
	}
}

// Flow by number; unknown numbers are not found.
func TestFlowByNumber(t *testing.T) {
	h := newHarness(t, []store.Queue{{ID: 1, Name: "A", Number: "8000", Members: members(skill(101, 1))}})
	if _, err := h.e.Flow(context.Background(), testOrg, "8000", Caller{}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.Flow(context.Background(), testOrg, "8099", Caller{}); !errorsIs(err, store.ErrNotFound) {
		t.Fatalf("unknown number: %v", err)
	}
	if _, err := h.e.Flow(context.Background(), 77, "8000", Caller{}); !errorsIs(err, store.ErrNotFound) {
		t.Fatalf("unknown org: %v", err)
	}
}

// Supervisor statistics (GRP-9), live and over a period, and the throttled events.
func TestStatsAndEvents(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", MaxWait: 5 * time.Minute, MaxWaitTarget: "1000", Supervisors: []int64{150},
		Members: members(skill(101, 1), skill(102, 2))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true)
	h.e.PhoneState(102, true)
	c1 := h.call(1, "+358401111111")
	h.parked(1, 1)
	h.clock.Advance(30 * time.Second)
	c2 := h.call(1, "+358402222222")
	c3 := h.call(1, "+358403333333")
	h.parked(1, 3)
	st, err := h.e.Stats(context.Background(), testOrg, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Waiting != 3 || st.LongestWaitSec != 30 || st.Name != "A" {
		t.Errorf("live %+v", st)
	}
	h.e.PhoneState(101, false)
	end := h.nextRing().answer(h, 101)
	c1.wait(t)
	c2.hangup()
	c2.wait(t)
	h.clock.Advance(5 * time.Minute) // c3 overflows (max wait)
	h.nextConnect()
	c3.wait(t)
	end()
	h.waitState(101, shared.AgentAvailable)
	st, err = h.e.Stats(context.Background(), testOrg, 1, t0)
	if err != nil {
		t.Fatal(err)
	}
	if st.Waiting != 0 || st.Answered != 1 || st.Abandoned != 1 || st.Overflowed != 1 || st.LastWaitSec != 30 || st.AvgWaitSec != 30 {
		t.Errorf("period %+v", st)
	}
	if len(st.Agents) != 2 || st.Agents[0].UserID != 101 || st.Agents[0].Answered != 1 || st.Agents[0].State != shared.AgentAvailable ||
		st.Agents[1].State != shared.AgentInCall {
		t.Errorf("agents %+v", st.Agents)
	}
	// A period after the calls has none of them.
	st, _ = h.e.Stats(context.Background(), testOrg, 1, h.clock.Now())
	if st.Answered != 0 || st.Abandoned != 0 {
		t.Errorf("empty period %+v", st)
	}

	// Events: agent views on each change; queue stats at most once a second per queue.
	h.evMu.Lock()
	var states []string
	for _, ev := range h.events {
		if ev.Agent != nil && ev.UserID == 101 {
			if len(states) == 0 || states[len(states)-1] != ev.Agent.State {
				states = append(states, ev.Agent.State)
			}
		}
	}
	h.events = nil
	h.evMu.Unlock()
	if want := []string{shared.AgentInCall, shared.AgentRinging, shared.AgentInCall, shared.AgentAvailable}; !slices.Equal(states, want) {
		t.Errorf("agent 101 states %v, want %v", states, want)
	}
	queueEvents := func() []api.AgentEvent {
		h.evMu.Lock()
		defer h.evMu.Unlock()
		var out []api.AgentEvent
		for _, ev := range h.events {
			if ev.Queue != nil {
				out = append(out, ev)
			}
		}
		return out
	}
	h.clock.Advance(time.Second)
	h.clock.Advance(time.Second)
	h.evMu.Lock()
	h.events = nil
	h.evMu.Unlock()
	for i := range 5 {
		h.e.Pause(context.Background(), testOrg, 101, "x")
		h.e.Resume(context.Background(), testOrg, 101)
		_ = i
	}
	if n := len(queueEvents()); n != 1 {
		t.Fatalf("%d queue events in one instant, want 1", n)
	}
	h.clock.Advance(time.Second)
	evs := queueEvents()
	if len(evs) != 2 {
		t.Fatalf("%d queue events after a second, want the trailing one", len(evs))
	}
	if !slices.Equal(evs[1].Supervisors, []int64{150}) || evs[1].OrgID != testOrg || evs[1].Queue.Answered != 1 {
		t.Errorf("queue event %+v %+v", evs[1], evs[1].Queue)
	}
}

// Feature codes 985/986 (package doc).
func TestFeatureCodes(t *testing.T) {
	for _, tt := range []struct {
		in     string
		login  bool
		number string
		ok     bool
	}{
		{"985", true, "", true}, {"9858000", true, "8000", true}, {"986", false, "", true}, {"9868001", false, "8001", true},
		{"98", false, "", false}, {"9851a", false, "", false}, {"1985", false, "", false}, {"987", false, "", false},
	} {
		login, number, ok := ParseFeature(tt.in)
		if login != tt.login || number != tt.number || ok != tt.ok {
			t.Errorf("ParseFeature(%q) = %v %q %v", tt.in, login, number, ok)
		}
	}
	a := store.Queue{ID: 1, Name: "A", Number: "8000", Members: members(skill(101, 1), skill(102, 1))}
	b := store.Queue{ID: 2, Name: "B", Number: "8001", Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{a, b})
	u := h.dir.users[102]
	u.Agent = false
	h.dir.users[102] = u
	h.e.Load(context.Background(), testOrg)
	dial := func(user int64, code string) []string {
		f, ok := h.e.FeatureFlow(testOrg, user, code)
		if !ok {
			t.Fatalf("%s not a feature code", code)
		}
		ch := mediaapp.NewScript()
		if err := f(context.Background(), ch); err != nil {
			t.Fatal(err)
		}
		if !ch.HungUp() {
			t.Errorf("%s: no hangup", code)
		}
		return ch.Played()
	}
	if p := dial(101, "986"); !slices.Equal(p, []string{keyAgentLoggedOut}) || h.st.login(1, 101) || h.st.login(2, 101) {
		t.Fatalf("986: %v", p)
	}
	if p := dial(101, "9858001"); !slices.Equal(p, []string{keyAgentLoggedIn}) || h.st.login(1, 101) || !h.st.login(2, 101) {
		t.Fatalf("9858001: %v", p)
	}
	if p := dial(101, "985"); !slices.Equal(p, []string{keyAgentLoggedIn}) || !h.st.login(1, 101) {
		t.Fatalf("985: %v", p)
	}
	if p := dial(101, "9868000"); !slices.Equal(p, []string{keyAgentLoggedOut}) || h.st.login(1, 101) || !h.st.login(2, 101) {
		t.Fatalf("9868000: %v", p)
	}
	if p := dial(101, "9858099"); !slices.Equal(p, []string{keyAgentNotMember}) {
		t.Fatalf("unknown queue: %v", p)
	}
	if p := dial(102, "985"); !slices.Equal(p, []string{keyAgentNotMember}) {
		t.Fatalf("non-agent: %v", p)
	}
	if _, ok := h.e.FeatureFlow(testOrg, 101, "1001"); ok {
		t.Error("1001 taken for a feature code")
	}
}

// Every prompt key the flows play has a row in packaging/prompts.tsv.
func TestPromptKeysInTSV(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "packaging", "prompts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	have := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if row := sc.Text(); row != "" && !strings.HasPrefix(row, "#") {
			cols := strings.Split(row, "\t")
			if len(cols) != 4 {
				t.Fatalf("bad row %q", row)
			}
			have[cols[0]] = true
		}
	}
	for _, k := range PromptKeys {
		if !have[k] {
			t.Errorf("prompts.tsv lacks %q", k)
		}
	}
	for n := 0; n <= 9; n++ {
		if !have["num/"+string(rune('0'+n))] {
			t.Errorf("prompts.tsv lacks num/%d", n)
		}
	}
}

// The prompt catalog is what the engine loads prompts from in production.
var _ Prompts = (*prompt.Catalog)(nil)

// A call counts as answered from the answer on, not from its end; once it ends (and its
// record is in the store) it still counts once. The queue event says the same.
func TestStatsCountCallInProgress(t *testing.T) {
	q := store.Queue{ID: 1, Name: "A", Number: "8000", Supervisors: []int64{150}, Members: members(skill(101, 1))}
	h := newHarness(t, []store.Queue{q})
	h.e.PhoneState(101, true)
	c := h.call(1, "+358401111111")
	h.parked(1, 1)
	h.clock.Advance(10 * time.Second)
	h.e.PhoneState(101, false)
	end := h.nextRing().answer(h, 101)
	c.wait(t)
	h.waitState(101, shared.AgentInCall)
	check := func(when string) {
		t.Helper()
		st, err := h.e.Stats(context.Background(), testOrg, 1, t0)
		if err != nil {
			t.Fatal(err)
		}
		if st.Answered != 1 || st.AvgWaitSec != 10 || st.LastWaitSec != 10 || len(st.Agents) != 1 || st.Agents[0].Answered != 1 {
			t.Errorf("%s: %+v", when, st)
		}
	}
	check("in the call")
	h.clock.Advance(time.Second) // past the event throttle
	h.e.Pause(context.Background(), testOrg, 101, "x")
	h.evMu.Lock()
	var last *shared.QueueStats
	for _, ev := range h.events {
		if ev.Queue != nil {
			last = ev.Queue
		}
	}
	h.evMu.Unlock()
	if last == nil || last.Answered != 1 || last.Agents[0].Answered != 1 {
		t.Errorf("queue event in the call: %+v", last)
	}
	end()
	h.waitState(101, shared.AgentPaused)
	h.eventually("the call stored", func() bool { return slices.Equal(h.st.outcomes(), []string{"answered"}) })
	check("after the call")
}

package groups_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/groups"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

var org = store.Org{ID: 1, Name: "Demo", CountryCode: "358", TimeZone: "Europe/Helsinki"}

// weekdays 08:00–16:00.
var officeHours = &store.OfficeHours{
	Days:  [7]bool{time.Monday: true, time.Tuesday: true, time.Wednesday: true, time.Thursday: true, time.Friday: true},
	Start: 8 * 60, End: 16 * 60,
}

// helsinki returns a clock at the given local time in Helsinki.
func helsinki(t *testing.T, s string) func() time.Time {
	t.Helper()
	loc, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	at, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		t.Fatal(err)
	}
	return func() time.Time { return at.UTC() }
}

// testGroups are the demo organisation's groups plus a few for the tests.
func testGroups() *memGroups {
	g := newMemGroups()
	g.addQueue(store.Queue{OrgID: 1, Name: "Asiakaspalvelu", Number: "8000"})
	g.addHunt(store.HuntGroup{OrgID: 1, Name: "Myynti", Number: "8001", Mode: store.HuntParallel, Members: []int64{7, 8}})
	g.addMenu(store.Menu{OrgID: 1, Name: "Päävalikko", Number: "8020", Options: map[string]string{"1": "8000", "2": "8001"}})
	g.addHunt(store.HuntGroup{OrgID: 1, Name: "Tuki", Number: "+358201234567", Mode: store.HuntSerial, Members: []int64{7}})
	g.addHunt(store.HuntGroup{OrgID: 1, Name: "Päivystys", Number: "8002", Mode: store.HuntParallel, Members: []int64{7},
		Hours: officeHours, NightTarget: "+358401112222"})
	g.addHunt(store.HuntGroup{OrgID: 2, Name: "Muu", Number: "8003", Mode: store.HuntParallel, Members: []int64{9}})
	return g
}

type fallback struct{ asked []string }

func (f *fallback) Service(_ context.Context, c b2bua.ServiceCall) (mediaapp.Flow, bool) {
	f.asked = append(f.asked, c.Dialled)
	if c.Dialled == "9000" {
		return func(ctx context.Context, ch mediaapp.Channel) error {
			return ch.Play(ctx, mediaapp.Clip{Name: "voicemail"})
		}, true
	}
	return nil, false
}

func TestDispatcher(t *testing.T) {
	internal := b2bua.ServiceCall{Org: org, Caller: store.User{ID: 4, Extension: "1004", Language: "fi"}, CallerNumber: "1004", Internal: true}
	outside := b2bua.ServiceCall{Org: org, CallerNumber: "+358409998888"}
	with := func(c b2bua.ServiceCall, dialled, did string) b2bua.ServiceCall {
		c.Dialled, c.DID = dialled, did
		return c
	}
	for _, tc := range []struct {
		name  string
		call  b2bua.ServiceCall
		ok    bool
		rings [][]int64 // hunt members rung
		queue string    // queue asked for
		conn  string    // connected to
		play  string    // a clip that must play
	}{
		{"internal caller reaches test-number hunt group", with(internal, "8001", ""), true, [][]int64{{7, 8}}, "", "", ""},
		{"outside caller cannot reach test number", with(outside, "8001", ""), false, nil, "", "", ""},
		{"outside caller on a DID mapped to a test number", with(outside, "8001", "+358201111111"), true, [][]int64{{7, 8}}, "", "", ""},
		{"outside caller reaches DID-numbered group", with(outside, "+358201234567", ""), true, [][]int64{{7}}, "", "", ""},
		{"internal caller reaches queue", with(internal, "8000", ""), true, nil, "8000", "", "queue/8000"},
		{"unknown number falls through", with(internal, "1005", ""), false, nil, "", "", ""},
		{"other organisation's group is not found", with(internal, "8003", ""), false, nil, "", "", ""},
		{"feature service answers first", with(outside, "9000", ""), true, nil, "", "", "voicemail"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			qf := &queueFlows{}
			fb := &fallback{}
			s := groups.New(groups.Deps{Groups: testGroups(), Queues: qf, Features: fb, Now: helsinki(t, "2026-12-07 10:00")})
			flow, ok := s.Service(context.Background(), tc.call)
			if ok != tc.ok {
				t.Fatalf("Service(%s) ok = %v, want %v", tc.call.Dialled, ok, tc.ok)
			}
			if !slices.Contains(fb.asked, tc.call.Dialled) {
				t.Errorf("features not asked about %s", tc.call.Dialled)
			}
			if !ok {
				return
			}
			ch := newChannel()
			if err := flow(context.Background(), ch); err != nil && !errors.Is(err, mediaapp.ErrHangup) {
				t.Fatalf("flow: %v", err)
			}
			if got := ch.ringUsers(); !slices.EqualFunc(got, tc.rings, slices.Equal) {
				t.Errorf("rang %v, want %v", got, tc.rings)
			}
			if tc.queue != "" && !slices.Equal(qf.asked, []string{tc.queue}) {
				t.Errorf("queues asked %v, want %s", qf.asked, tc.queue)
			}
			if tc.play != "" && !slices.Contains(ch.Played(), tc.play) {
				t.Errorf("played %v, want %s", ch.Played(), tc.play)
			}
		})
	}
}

// Opening hours are read in the organisation's time zone (Europe/Helsinki, UTC+2 in winter):
// 15:59 local is open, 16:00 local (14:00 UTC) is closed, Saturday is closed.
func TestDispatcherOpeningHours(t *testing.T) {
	for _, tc := range []struct {
		at     string
		closed bool
	}{
		{"2026-12-07 07:59", true},
		{"2026-12-07 08:00", false},
		{"2026-12-07 15:59", false},
		{"2026-12-07 16:00", true},
		{"2026-12-12 10:00", true}, // Saturday
	} {
		t.Run(tc.at, func(t *testing.T) {
			s := groups.New(groups.Deps{Groups: testGroups(), Now: helsinki(t, tc.at)})
			flow, ok := s.Service(context.Background(), b2bua.ServiceCall{Org: org, Caller: store.User{ID: 4}, CallerNumber: "1004", Dialled: "8002", Internal: true})
			if !ok {
				t.Fatal("8002 not answered")
			}
			ch := newChannel()
			if err := flow(context.Background(), ch); err != nil {
				t.Fatal(err)
			}
			night := slices.Equal(ch.Connected(), []string{"+358401112222"})
			if night != tc.closed {
				t.Errorf("closed = %v (connected %v, rang %v), want %v", night, ch.Connected(), ch.ringUsers(), tc.closed)
			}
			if !tc.closed && len(ch.Rings()) != 1 {
				t.Errorf("open group rang %v", ch.ringUsers())
			}
		})
	}
}

// The manual night switch of a queue and an empty night target: the caller hears "closed".
func TestQueueNightManual(t *testing.T) {
	g := newMemGroups()
	g.addQueue(store.Queue{OrgID: 1, Number: "8010", NightManual: true})
	qf := &queueFlows{}
	s := groups.New(groups.Deps{Groups: g, Queues: qf})
	flow, ok := s.Service(context.Background(), b2bua.ServiceCall{Org: org, Dialled: "8010", Internal: true, Caller: store.User{ID: 4}})
	if !ok {
		t.Fatal("not answered")
	}
	ch := newChannel()
	if err := flow(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if len(qf.asked) != 0 || !slices.Contains(ch.Played(), "group_closed") || !ch.HungUp() {
		t.Errorf("queue asked %v, played %v, hung up %v; want closed prompt and hang-up", qf.asked, ch.Played(), ch.HungUp())
	}
}

// A failing store is logged and the number routes as usual.
func TestDispatcherStoreError(t *testing.T) {
	g := testGroups()
	g.err = errors.New("disk on fire")
	s := groups.New(groups.Deps{Groups: g})
	if _, ok := s.Service(context.Background(), b2bua.ServiceCall{Org: org, Dialled: "8001", Internal: true}); ok {
		t.Error("answered despite the store error")
	}
}

func huntService(t *testing.T, h store.HuntGroup, p groups.Presence) (*groups.Service, *memGroups) {
	t.Helper()
	g := newMemGroups()
	h.OrgID, h.Number = 1, "8001"
	g.addHunt(h)
	return groups.New(groups.Deps{Groups: g, Presence: p, IntN: func(n int) int { return 0 }}), g
}

func runHunt(t *testing.T, s *groups.Service, ch *channel) {
	t.Helper()
	flow, ok := s.Service(context.Background(), b2bua.ServiceCall{Org: org, Dialled: "8001", CallerNumber: "1004", Internal: true, Caller: store.User{ID: 99}})
	if !ok {
		t.Fatal("hunt group not answered")
	}
	if err := flow(context.Background(), ch); err != nil && !errors.Is(err, mediaapp.ErrHangup) {
		t.Fatal(err)
	}
}

func TestHuntParallelRingsAllAtOnce(t *testing.T) {
	s, _ := huntService(t, store.HuntGroup{Name: "Myynti", Mode: store.HuntParallel, Members: []int64{7, 8},
		RingTime: 15 * time.Second, Devices: store.Devices{Softphone: true, Mobile: true}, BeforePrompt: "welcome_sales"}, nil)
	ch := newChannel()
	ch.answer = func(r mediaapp.Ring) (int64, error) { return r.Users[1], nil }
	runHunt(t, s, ch)
	rings := ch.Rings()
	if len(rings) != 1 || !slices.Equal(rings[0].Users, []int64{7, 8}) {
		t.Fatalf("rings %v, want one RingOut of [7 8]", ch.ringUsers())
	}
	r := rings[0]
	if r.Timeout != 15*time.Second || !slices.Equal(r.Devices, []string{"softphone", "mobile"}) {
		t.Errorf("ring timeout %v devices %v", r.Timeout, r.Devices)
	}
	want := mediaapp.GroupInfo{Kind: "hunt", ID: 1, Name: "Myynti", Number: "8001", Shown: "1004"}
	if r.Group != want {
		t.Errorf("group info %+v, want %+v", r.Group, want)
	}
	if !slices.Contains(ch.Played(), "welcome_sales") {
		t.Errorf("before prompt not played: %v", ch.Played())
	}
	if len(ch.Connected()) != 0 || ch.HungUp() {
		t.Errorf("answered call connected %v / hung up %v", ch.Connected(), ch.HungUp())
	}
}

func TestHuntSerialOrderThenForward(t *testing.T) {
	s, _ := huntService(t, store.HuntGroup{Mode: store.HuntSerial, Members: []int64{3, 1, 2}, Attempts: 2,
		AfterPrompt: "sorry", AfterTarget: "+358501234567"}, nil)
	ch := newChannel()
	ch.answer = func(r mediaapp.Ring) (int64, error) {
		if r.Users[0] == 1 {
			return 0, mediaapp.ErrBusy
		}
		return 0, nil
	}
	runHunt(t, s, ch)
	want := [][]int64{{3}, {1}, {2}, {3}, {1}, {2}}
	if got := ch.ringUsers(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("rang %v, want %v", got, want)
	}
	for _, r := range ch.Rings() {
		if r.Timeout != groups.DefaultRingTime {
			t.Errorf("ring time %v, want default %v", r.Timeout, groups.DefaultRingTime)
		}
	}
	if !slices.Equal(ch.Connected(), []string{"+358501234567"}) {
		t.Errorf("connected %v, want the after target", ch.Connected())
	}
	if p := ch.Played(); !slices.Contains(p, "sorry") {
		t.Errorf("after prompt not played: %v", p)
	}
}

func TestHuntSerialStopsAtAnswer(t *testing.T) {
	s, _ := huntService(t, store.HuntGroup{Mode: store.HuntSerial, Members: []int64{1, 2, 3}, AfterTarget: "1009"}, nil)
	ch := newChannel()
	ch.answer = func(r mediaapp.Ring) (int64, error) {
		if r.Users[0] == 2 {
			return 2, nil
		}
		return 0, nil
	}
	runHunt(t, s, ch)
	if got := ch.ringUsers(); !slices.EqualFunc(got, [][]int64{{1}, {2}}, slices.Equal) || len(ch.Connected()) != 0 {
		t.Errorf("rang %v connected %v, want 1 then 2 and no forward", got, ch.Connected())
	}
}

func TestHuntRandomUsesInjectedRand(t *testing.T) {
	g := newMemGroups()
	g.addHunt(store.HuntGroup{OrgID: 1, Number: "8001", Mode: store.HuntRandom, Members: []int64{1, 2, 3}, Attempts: 2})
	// A rand that always picks the last index leaves the order as is; one that picks 0 rotates.
	var picks []int
	s := groups.New(groups.Deps{Groups: g, IntN: func(n int) int { picks = append(picks, n); return 0 }})
	ch := newChannel()
	runHunt(t, s, ch)
	// Fisher–Yates with j=0: [1 2 3] → swap(2,0) [3 2 1] → swap(1,0) [2 3 1].
	want := [][]int64{{2}, {3}, {1}, {2}, {3}, {1}}
	if got := ch.ringUsers(); !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("rang %v, want %v", got, want)
	}
	if !slices.Equal(picks, []int{3, 2, 3, 2}) {
		t.Errorf("rand asked %v, want a fresh shuffle each round", picks)
	}
	if !ch.HungUp() || !slices.Contains(ch.Played(), "group_busy") {
		t.Errorf("no after target: want busy prompt and hang-up, played %v", ch.Played())
	}
}

func TestHuntPresenceRule(t *testing.T) {
	p := fakePresence{
		1: {UserID: 1, Activity: 4, Green: false, Phone: sharedpresence.PhoneIdle},  // meeting: red
		2: {UserID: 2, Activity: 3, Green: true, Phone: sharedpresence.PhoneIdle},   // lunch, listed
		3: {UserID: 3, Activity: 1, Green: true, Phone: sharedpresence.PhoneOnCall}, // in a call
		4: {UserID: 4, Activity: 1, Green: true, Phone: sharedpresence.PhoneIdle},
	}
	for _, tc := range []struct {
		name string
		h    store.HuntGroup
		want [][]int64
	}{
		{"activities and red", store.HuntGroup{Mode: store.HuntParallel, Members: []int64{1, 2, 3, 4}, StopActivities: []int{3}, StopRed: true}, [][]int64{{4}}},
		{"only in-call skipped", store.HuntGroup{Mode: store.HuntParallel, Members: []int64{1, 2, 3, 4}}, [][]int64{{1, 2, 4}}},
		{"serial skips", store.HuntGroup{Mode: store.HuntSerial, Members: []int64{1, 2, 3, 4}, StopRed: true}, [][]int64{{2}, {4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := huntService(t, tc.h, p)
			ch := newChannel()
			runHunt(t, s, ch)
			if got := ch.ringUsers(); !slices.EqualFunc(got, tc.want, slices.Equal) {
				t.Errorf("rang %v, want %v", got, tc.want)
			}
		})
	}
}

// Nobody available: no ringing at all, straight to the after target (not once per attempt).
func TestHuntNobodyAvailableForwards(t *testing.T) {
	p := fakePresence{1: presence.State{UserID: 1, Phone: sharedpresence.PhoneOnCall}}
	s, _ := huntService(t, store.HuntGroup{Mode: store.HuntParallel, Members: []int64{1}, Attempts: 3, AfterTarget: "1009"}, p)
	ch := newChannel()
	runHunt(t, s, ch)
	if len(ch.Rings()) != 0 || !slices.Equal(ch.Connected(), []string{"1009"}) {
		t.Errorf("rang %v connected %v, want no ring and 1009", ch.ringUsers(), ch.Connected())
	}
}

// A caller who hangs up while members ring ends the flow: no forward.
func TestHuntCallerHangsUp(t *testing.T) {
	s, _ := huntService(t, store.HuntGroup{Mode: store.HuntSerial, Members: []int64{1, 2}, AfterTarget: "1009"}, nil)
	ch := newChannel()
	ch.answer = func(mediaapp.Ring) (int64, error) { return 0, mediaapp.ErrHangup }
	flow, _ := s.Service(context.Background(), b2bua.ServiceCall{Org: org, Dialled: "8001", Internal: true, Caller: store.User{ID: 4}})
	if err := flow(context.Background(), ch); !errors.Is(err, mediaapp.ErrHangup) {
		t.Errorf("flow error %v, want ErrHangup", err)
	}
	if len(ch.Rings()) != 1 || len(ch.Connected()) != 0 {
		t.Errorf("rang %v connected %v after hangup", ch.ringUsers(), ch.Connected())
	}
}

func menuService(t *testing.T, g *memGroups) (*groups.Service, *queueFlows) {
	t.Helper()
	qf := &queueFlows{}
	return groups.New(groups.Deps{Groups: g, Queues: qf}), qf
}

func runMenu(t *testing.T, s *groups.Service, number string, ch *channel) error {
	t.Helper()
	flow, ok := s.Service(context.Background(), b2bua.ServiceCall{Org: org, Dialled: number, CallerNumber: "1004", Internal: true, Caller: store.User{ID: 4}})
	if !ok {
		t.Fatalf("%s not answered", number)
	}
	return flow(context.Background(), ch)
}

func TestMenuDigitRunsGroup(t *testing.T) {
	s, qf := menuService(t, testGroups())
	ch := newChannel("2")
	ch.answer = func(r mediaapp.Ring) (int64, error) { return 8, nil }
	if err := runMenu(t, s, "8020", ch); err != nil {
		t.Fatal(err)
	}
	if got := ch.ringUsers(); !slices.EqualFunc(got, [][]int64{{7, 8}}, slices.Equal) {
		t.Errorf("key 2 rang %v, want the hunt group 8001's [7 8]", got)
	}
	if len(qf.asked) != 0 || len(ch.Connected()) != 0 {
		t.Errorf("queues %v connected %v", qf.asked, ch.Connected())
	}
	// The generated menu names both targets and their keys.
	played := strings.Join(ch.Played(), " ")
	for _, want := range []string{"menu_choose menu_option_queue press num/1", "menu_option_hunt num/8 num/0 num/0 num/1 press num/2"} {
		if !strings.Contains(played, want) {
			t.Errorf("menu prompt %q lacks %q", played, want)
		}
	}

	ch = newChannel("1")
	if err := runMenu(t, s, "8020", ch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(qf.asked, []string{"8000"}) || !slices.Contains(ch.Played(), "queue/8000") {
		t.Errorf("key 1: queues %v played %v, want queue 8000's flow", qf.asked, ch.Played())
	}
}

func TestMenuUserConnect(t *testing.T) {
	g := newMemGroups()
	g.addMenu(store.Menu{OrgID: 1, Number: "8020", Prompt: "main_menu", Options: map[string]string{"0": "1009"}})
	s, _ := menuService(t, g)
	ch := newChannel("0")
	if err := runMenu(t, s, "8020", ch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ch.Connected(), []string{"1009"}) {
		t.Errorf("connected %v, want 1009", ch.Connected())
	}
	if p := ch.Played(); !slices.Contains(p, "main_menu") || slices.Contains(p, "menu_choose") {
		t.Errorf("played %v, want the menu's own prompt", p)
	}
}

func TestMenuInvalidAndTimeout(t *testing.T) {
	g := newMemGroups()
	g.addMenu(store.Menu{OrgID: 1, Number: "8020", Options: map[string]string{"1": "1005"}, Repeats: 2,
		InvalidTarget: "1009", TimeoutTarget: "1010"})
	s, _ := menuService(t, g)
	for _, tc := range []struct {
		name   string
		inputs []string
		conn   string
		errKey string
	}{
		{"invalid three times", []string{"7", "8", "9"}, "1009", "invalid_choice"},
		{"silent three times", []string{"", "", ""}, "1010", "no_input"},
		{"invalid then right", []string{"7", "1"}, "1005", "invalid_choice"},
		{"timeout then right", []string{"", "", "1"}, "1005", "no_input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ch := newChannel(tc.inputs...)
			if err := runMenu(t, s, "8020", ch); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ch.Connected(), []string{tc.conn}) {
				t.Errorf("connected %v, want %s", ch.Connected(), tc.conn)
			}
			n := 0
			for _, p := range ch.Played() {
				if p == "menu_choose" {
					n++
				}
			}
			if n != len(tc.inputs) {
				t.Errorf("menu played %d times, want %d", n, len(tc.inputs))
			}
			if !slices.Contains(ch.Played(), tc.errKey) {
				t.Errorf("played %v, want %s", ch.Played(), tc.errKey)
			}
		})
	}
}

// Empty targets: the caller hears busy and the call ends.
func TestMenuTimeoutNoTarget(t *testing.T) {
	g := newMemGroups()
	g.addMenu(store.Menu{OrgID: 1, Number: "8020", Options: map[string]string{"1": "1005"}, Repeats: 1})
	s, _ := menuService(t, g)
	ch := newChannel("", "")
	if err := runMenu(t, s, "8020", ch); err != nil {
		t.Fatal(err)
	}
	if !ch.HungUp() || !slices.Contains(ch.Played(), "group_busy") || len(ch.Connected()) != 0 {
		t.Errorf("played %v hung up %v connected %v", ch.Played(), ch.HungUp(), ch.Connected())
	}
}

func TestMenuNested(t *testing.T) {
	g := testGroups()
	g.addMenu(store.Menu{OrgID: 1, Number: "8021", Prompt: "top", Options: map[string]string{"9": "8020", "#": "8021"}})
	s, qf := menuService(t, g)
	// # replays 8021 itself, 9 enters 8020, 1 there reaches queue 8000.
	ch := newChannel("#", "9", "1")
	if err := runMenu(t, s, "8021", ch); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(qf.asked, []string{"8000"}) {
		t.Errorf("queues %v, want 8000 through the nested menu", qf.asked)
	}
	if n := strings.Count(strings.Join(ch.Played(), " "), "top"); n != 2 {
		t.Errorf("top menu played %d times, want 2 (# replays)", n)
	}
}

func TestMenuLoopGuard(t *testing.T) {
	g := newMemGroups()
	g.addMenu(store.Menu{OrgID: 1, Number: "8030", Prompt: "a", Options: map[string]string{"1": "8031"}})
	g.addMenu(store.Menu{OrgID: 1, Number: "8031", Prompt: "b", Options: map[string]string{"1": "8030"}})
	s, _ := menuService(t, g)
	inputs := make([]string, 50)
	for i := range inputs {
		inputs[i] = "1"
	}
	ch := newChannel(inputs...)
	err := runMenu(t, s, "8030", ch)
	if !errors.Is(err, groups.ErrLoop) {
		t.Fatalf("error %v, want ErrLoop", err)
	}
	if got := len(ch.Remaining()); got != 50-groups.MaxDepth {
		t.Errorf("%d keys left, want %d: the loop stops after %d menus", got, 50-groups.MaxDepth, groups.MaxDepth)
	}
	if !ch.HungUp() {
		t.Error("loop did not hang up")
	}
}

// Night mode of a menu sends the caller to its night target, which may be another group.
func TestMenuNightTargetGroup(t *testing.T) {
	g := testGroups()
	g.addMenu(store.Menu{OrgID: 1, Number: "8022", Prompt: "day", Options: map[string]string{"1": "8000"},
		Hours: officeHours, NightTarget: "8001"})
	s := groups.New(groups.Deps{Groups: g, Now: helsinki(t, "2026-12-07 20:00")})
	ch := newChannel()
	if err := runMenu(t, s, "8022", ch); err != nil && !errors.Is(err, mediaapp.ErrHangup) {
		t.Fatal(err)
	}
	if slices.Contains(ch.Played(), "day") || !slices.EqualFunc(ch.ringUsers(), [][]int64{{7, 8}}, slices.Equal) {
		t.Errorf("played %v rang %v, want the night target hunt group rung", ch.Played(), ch.ringUsers())
	}
}

func TestIsTestNumber(t *testing.T) {
	for n, want := range map[string]bool{"8000": true, "8099": true, "8050": true, "8100": false, "7999": false, "800": false, "80a0": false, "+3588000": false} {
		if got := groups.IsTestNumber(n); got != want {
			t.Errorf("IsTestNumber(%q) = %v", n, got)
		}
	}
}

// "voicemail:<ext>" targets run the mailbox's deposit flow on the same channel.
func TestHuntAfterTargetVoicemail(t *testing.T) {
	g := newMemGroups()
	g.addHunt(store.HuntGroup{OrgID: 1, Number: "8001", Mode: store.HuntParallel, Members: []int64{1}, AfterTarget: "voicemail:1005"})
	var box string
	s := groups.New(groups.Deps{Groups: g, Voicemail: func(_ context.Context, _ store.Org, ext string, _ b2bua.ServiceCall) (mediaapp.Flow, bool) {
		box = ext
		return func(ctx context.Context, ch mediaapp.Channel) error {
			return ch.Play(ctx, mediaapp.Clip{Name: "deposit/" + ext})
		}, true
	}})
	ch := newChannel()
	runHunt(t, s, ch)
	if box != "1005" || !slices.Contains(ch.Played(), "deposit/1005") || len(ch.Connected()) != 0 {
		t.Errorf("mailbox %q played %v connected %v, want 1005's deposit flow", box, ch.Played(), ch.Connected())
	}
}

// A member calling their own group rings only the others.
func TestHuntCallerNotRung(t *testing.T) {
	s, _ := huntService(t, store.HuntGroup{Mode: store.HuntParallel, Members: []int64{99, 7}}, nil)
	ch := newChannel()
	runHunt(t, s, ch) // the caller is user 99
	if got := ch.ringUsers(); !slices.EqualFunc(got, [][]int64{{7}}, slices.Equal) {
		t.Errorf("rang %v, want only 7", got)
	}
}

// TargetFlow (for the queue engine's overflows) runs a group's number in-process and connects
// anything else.
func TestTargetFlow(t *testing.T) {
	s := groups.New(groups.Deps{Groups: testGroups()})
	c := b2bua.ServiceCall{Org: org, CallerNumber: "+358409998888"}
	ch := newChannel()
	if err := s.TargetFlow(c, "8001")(context.Background(), ch); err != nil {
		t.Fatal(err)
	}
	if got := ch.ringUsers(); !slices.EqualFunc(got, [][]int64{{7, 8}}, slices.Equal) {
		t.Errorf("overflow to 8001 rang %v, want [7 8]", got)
	}
	ch = newChannel()
	if err := s.TargetFlow(c, "1009")(context.Background(), ch); err != nil || !slices.Equal(ch.Connected(), []string{"1009"}) {
		t.Errorf("overflow to 1009: %v, connected %v", err, ch.Connected())
	}
}

// overflowQueue is a queue engine whose every call overflows to target through the channel's
// Connector, as server/queue does; it loops music first when the channel can.
type overflowQueue struct{ target string }

func (o overflowQueue) Flow(_ store.Org, _ store.Queue, _ b2bua.ServiceCall) mediaapp.Flow {
	return func(ctx context.Context, ch mediaapp.Channel) error {
		if _, ok := ch.(groups.Looper); !ok {
			return errors.New("queue channel is no Looper")
		}
		if _, ok := ch.(mediaapp.Ringer); !ok {
			return errors.New("queue channel is no Ringer")
		}
		c, ok := ch.(mediaapp.Connector)
		if !ok {
			return errors.New("queue channel is no Connector")
		}
		return c.Connect(ctx, o.target, false)
	}
}

// A queue's overflow to a group number or a mailbox runs that flow on the same call; other
// numbers go to the call engine's Connect.
func TestQueueOverflowTargetsInProcess(t *testing.T) {
	vm := func(_ context.Context, _ store.Org, ext string, _ b2bua.ServiceCall) (mediaapp.Flow, bool) {
		return func(ctx context.Context, ch mediaapp.Channel) error {
			return ch.Play(ctx, mediaapp.Clip{Name: "deposit/" + ext})
		}, true
	}
	call := b2bua.ServiceCall{Org: org, Dialled: "8000", Internal: true, Caller: store.User{ID: 4}}
	for _, tc := range []struct {
		target string
		rings  [][]int64
		conn   []string
		played string
	}{
		{"8001", [][]int64{{7, 8}}, nil, ""},
		{"voicemail:1005", nil, nil, "deposit/1005"},
		{"1009", nil, []string{"1009"}, ""},
	} {
		t.Run(tc.target, func(t *testing.T) {
			s := groups.New(groups.Deps{Groups: testGroups(), Queues: overflowQueue{tc.target}, Voicemail: vm})
			flow, ok := s.Service(context.Background(), call)
			if !ok {
				t.Fatal("queue not answered")
			}
			ch := newChannel()
			if err := flow(context.Background(), ch); err != nil {
				t.Fatal(err)
			}
			if got := ch.ringUsers(); !slices.EqualFunc(got, tc.rings, slices.Equal) {
				t.Errorf("rang %v, want %v", got, tc.rings)
			}
			if !slices.Equal(ch.Connected(), tc.conn) {
				t.Errorf("connected %v, want %v", ch.Connected(), tc.conn)
			}
			if tc.played != "" && !slices.Contains(ch.Played(), tc.played) {
				t.Errorf("played %v, want %s", ch.Played(), tc.played)
			}
		})
	}
}

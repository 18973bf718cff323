package queue

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEstimateWaitReplay(t *testing.T) {
	tests := []struct {
		name   string
		pos    int
		agents []agentLoad
		want   time.Duration
		ok     bool
	}{
		{name: "nobody works", pos: 1, ok: false},
		{name: "a free agent", pos: 1, agents: []agentLoad{{handle: time.Minute}}, want: 0, ok: true},
		{name: "second behind one free agent", pos: 2, agents: []agentLoad{{handle: time.Minute}}, want: time.Minute, ok: true},
		{name: "the agent who frees first", pos: 1, agents: []agentLoad{{handle: time.Minute, freeIn: 40 * time.Second}, {handle: time.Minute, freeIn: 10 * time.Second}},
			want: 10 * time.Second, ok: true},
		// Two agents free in 10 s and 40 s, handling 60 s and 300 s: slots at 10, 40, 70, 130.
		{name: "replay with different handling times", pos: 4, agents: []agentLoad{{handle: time.Minute, freeIn: 10 * time.Second}, {handle: 5 * time.Minute, freeIn: 40 * time.Second}},
			want: 130 * time.Second, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := estimateWait(tt.pos, tt.agents)
			if ok != tt.ok || got != tt.want {
				t.Fatalf("estimateWait(%d) = %v %v, want %v %v", tt.pos, got, ok, tt.want, tt.ok)
			}
		})
	}
	if r := residual(time.Minute, 2*time.Minute); r != 18*time.Second {
		t.Errorf("residual of an overlong call %v, want 30%% of the mean", r)
	}
}

// ---- the accuracy simulation (GRP-5, acceptance 3's table) ----

type simScenario struct {
	name   string
	means  []float64 // each agent's true mean talk time, s
	load   float64   // offered load as a fraction of the full team's capacity
	hours  float64
	wrap   float64 // s
	shifts func(r *rand.Rand, n int, hours float64) []simShift
}

type simShift struct {
	at    float64 // s
	agent int
	in    bool
}

type simResult struct {
	name                    string
	callers                 int
	meanWait                float64
	maeOurs, maeAst, maePos float64
}

// simulate runs one scenario: Poisson arrivals, gamma(2) talk times per agent, FIFO to the
// longest idle agent, agents logging in and out; at every arrival each estimator predicts the
// caller's wait, compared with the wait that followed.
func simulate(sc simScenario, seed uint64) simResult {
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	type simAgent struct {
		mean                float64
		in, wantOut         bool
		busy                bool
		busyUntil, answered float64
		idleSince           float64
	}
	type simCaller struct {
		arrive float64
		pred   [3]float64
	}
	agents := make([]*simAgent, len(sc.means))
	capacity := 0.0
	for i, m := range sc.means {
		agents[i] = &simAgent{mean: m, in: true}
		capacity += 1 / (m + sc.wrap)
	}
	var shifts []simShift
	if sc.shifts != nil {
		shifts = sc.shifts(r, len(agents), sc.hours)
		slices.SortFunc(shifts, func(a, b simShift) int { return int(math.Copysign(1, a.at-b.at)) })
		// Agents whose first change is a login start the day logged out.
		seen := map[int]bool{}
		for _, s := range shifts {
			if !seen[s.agent] {
				seen[s.agent] = true
				agents[s.agent].in = !s.in
			}
		}
	}
	lambda := sc.load * capacity
	end := sc.hours * 3600
	warm := 1800.0
	var h handling
	astHold, astTalk := 0.0, 0.0 // Asterisk's holdtime (waits) and the talk-time average, (3·old+new)/4
	var queue []*simCaller
	var res simResult
	res.name = sc.name
	var sumOurs, sumAst, sumPos, sumWait float64
	now := 0.0
	nextArrival := r.ExpFloat64() / lambda
	for now < end || len(queue) > 0 {
		// Hand waiting callers to free agents, longest idle first.
		for len(queue) > 0 {
			var best *simAgent
			bi := -1
			for i, a := range agents {
				if a.in && !a.busy && (best == nil || a.idleSince < best.idleSince) {
					best, bi = a, i
				}
			}
			if best == nil {
				break
			}
			c := queue[0]
			queue = queue[1:]
			wait := now - c.arrive
			talk := best.mean / 2 * (r.ExpFloat64() + r.ExpFloat64())
			best.busy, best.answered, best.busyUntil = true, now, now+talk+sc.wrap
			if astHold == 0 {
				astHold = wait
			} else {
				astHold = (3*astHold + wait) / 4
			}
			if astTalk == 0 {
				astTalk = talk
			} else {
				astTalk = (3*astTalk + talk) / 4
			}
			_ = bi
			if c.arrive >= warm {
				res.callers++
				sumWait += wait
				sumOurs += math.Abs(c.pred[0] - wait)
				sumAst += math.Abs(c.pred[1] - wait)
				sumPos += math.Abs(c.pred[2] - wait)
			}
		}
		// The next event.
		next, kind, who := math.Inf(1), 0, -1
		if now < end {
			next, kind = nextArrival, 1
		}
		for i, a := range agents {
			if a.busy && a.busyUntil < next {
				next, kind, who = a.busyUntil, 2, i
			}
		}
		if len(shifts) > 0 && shifts[0].at < next {
			next, kind, who = shifts[0].at, 3, shifts[0].agent
		}
		if math.IsInf(next, 1) {
			break
		}
		now = next
		switch kind {
		case 1:
			nextArrival = now + r.ExpFloat64()/lambda
			pos := len(queue) + 1
			var loads []agentLoad
			for i, a := range agents {
				if !a.in {
					continue
				}
				hm := h.mean(int64(i))
				l := agentLoad{handle: hm}
				if a.busy {
					l.freeIn = residual(hm, secs(now-a.answered))
				}
				loads = append(loads, l)
			}
			c := &simCaller{arrive: now}
			if d, ok := estimateWait(pos, loads); ok {
				c.pred[0] = d.Seconds()
			} else {
				c.pred[0] = float64(pos) * h.mean(-1).Seconds()
			}
			c.pred[1] = astHold
			c.pred[2] = astTalk * float64(pos)
			queue = append(queue, c)
		case 2:
			a := agents[who]
			a.busy, a.idleSince = false, now
			h.add(int64(who), secs(now-a.answered))
			if a.wantOut {
				a.in, a.wantOut = false, false
			}
		case 3:
			s := shifts[0]
			shifts = shifts[1:]
			a := agents[who]
			if s.in {
				a.in, a.wantOut, a.idleSince = true, false, now
			} else if a.busy {
				a.wantOut = true
			} else {
				a.in = false
			}
		}
	}
	n := float64(res.callers)
	res.meanWait, res.maeOurs, res.maeAst, res.maePos = sumWait/n, sumOurs/n, sumAst/n, sumPos/n
	return res
}

func secs(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

var simScenarios = []simScenario{
	{name: "steady, 6 agents, load 0.90", means: []float64{150, 200, 240, 300, 360, 420}, load: 0.90, hours: 40, wrap: 15},
	{name: "busy, 10 agents, load 0.95", means: []float64{120, 150, 180, 180, 210, 240, 240, 300, 330, 400}, load: 0.95, hours: 40, wrap: 20},
	{name: "shifts, 8 agents log in/out", means: []float64{140, 180, 200, 240, 260, 300, 340, 380}, load: 0.75, hours: 40, wrap: 15,
		shifts: func(r *rand.Rand, n int, hours float64) []simShift {
			var out []simShift
			// Every 8 hours: half the team arrives at 1 h and leaves at 7 h; everyone takes a
			// 15-minute break at a random time.
			for day := 0.0; day < hours; day += 8 {
				base := day * 3600
				for a := 0; a < n; a++ {
					if a%2 == 1 {
						out = append(out, simShift{at: base + 3600, agent: a, in: true}, simShift{at: base + 7*3600, agent: a})
					}
					b := base + 3600 + r.Float64()*5*3600
					out = append(out, simShift{at: b, agent: a}, simShift{at: b + 900, agent: a, in: true})
				}
			}
			return out
		}},
}

// TestEstimateAccuracy compares the estimate with Asterisk's on the simulation: mean absolute
// error of the predicted wait at entry. Print the table with
//
//	go test ./server/queue -run TestEstimateAccuracy -v
func TestEstimateAccuracy(t *testing.T) {
	var b strings.Builder
	fmt.Fprintf(&b, "\n| scenario | callers | mean wait s | MAE Vaihde s | MAE Asterisk holdtime s | MAE Asterisk talk×position s |\n|---|---|---|---|---|---|\n")
	for _, sc := range simScenarios {
		res := simulate(sc, 2026)
		fmt.Fprintf(&b, "| %s | %d | %.0f | %.0f | %.0f | %.0f |\n", res.name, res.callers, res.meanWait, res.maeOurs, res.maeAst, res.maePos)
		if res.callers < 1000 {
			t.Errorf("%s: only %d callers", sc.name, res.callers)
		}
		if res.maeOurs >= res.maeAst || res.maeOurs >= res.maePos {
			t.Errorf("%s: Vaihde MAE %.0f s does not beat Asterisk's %.0f s (holdtime) and %.0f s (talk × position)",
				sc.name, res.maeOurs, res.maeAst, res.maePos)
		}
	}
	t.Log(b.String())
}

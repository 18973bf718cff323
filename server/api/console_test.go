package api

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/vaihde/vaihde/server/store"
	shared "github.com/vaihde/vaihde/shared/api"
)

// TestConsoleQueueRoutes: a queue's waiting callers are for its members, supervisors and the
// organisation's admins; its night switch for the operators among its members, supervisors and
// admins; another organisation gets 404 and never reaches the engine.
func TestConsoleQueueRoutes(t *testing.T) {
	a := newAdminEnv(t)
	fa := newFakeAgents(a.st)
	a.s.deps.Agents = fa
	ctx := context.Background()
	org := a.demo.ID
	queueOf := func(number string) store.Queue {
		_, id, err := a.st.GroupByNumber(ctx, org, number)
		if err != nil {
			t.Fatal(err)
		}
		q, err := a.st.Queue(ctx, org, id)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	service, board := queueOf("8000"), queueOf("8010") // agents 1004–1006 (supervisor 1005); operator 1009
	path := func(q store.Queue, what string) string { return "/api/queues/" + itoa(q.ID) + "/" + what }
	tokens := map[string]string{"admin": a.demoAdmin, "colleague": a.demoUser, "acme": a.acmeAdmin,
		"1004": a.login(t, "1004"), "1005": a.login(t, "1005"), "1009": a.login(t, "1009")}

	for _, tt := range []struct {
		who, method string
		q           store.Queue
		what        string
		night       bool
		want        int
	}{
		{"1004", "GET", service, "waiting", false, 200},      // member
		{"1005", "GET", service, "waiting", false, 200},      // supervisor
		{"admin", "GET", service, "waiting", false, 200},     // admin
		{"colleague", "GET", service, "waiting", false, 403}, // not a member
		{"1009", "GET", service, "waiting", false, 403},      // an operator, but not of this queue
		{"acme", "GET", service, "waiting", false, 404},      // another organisation
		{"1009", "GET", board, "waiting", false, 200},
		{"1004", "POST", service, "night", true, 403}, // an agent, not an operator
		{"colleague", "POST", board, "night", true, 403},
		{"acme", "POST", board, "night", true, 404},
		{"1009", "POST", board, "night", true, 200}, // the operator of the switchboard queue
		{"1005", "POST", service, "night", true, 200},
		{"admin", "POST", service, "night", false, 200},
		{"1009", "POST", board, "waiting/7/take", false, 200}, // a member answers a chosen caller
		{"1004", "POST", service, "waiting/7/take", false, 200},
		{"admin", "POST", service, "waiting/7/take", false, 403}, // sees the callers, answers none
		{"colleague", "POST", board, "waiting/7/take", false, 403},
		{"acme", "POST", board, "waiting/7/take", false, 404},
		{"1009", "POST", board, "waiting/x/take", false, 400},
	} {
		code, body := a.do(t, tt.method, path(tt.q, tt.what), tokens[tt.who], shared.QueueNight{Night: tt.night})
		if code != tt.want {
			t.Fatalf("%s %s %s of %s: %d %s, want %d", tt.who, tt.method, tt.what, tt.q.Number, code, body, tt.want)
		}
		if code != 200 {
			continue
		}
		var w shared.QueueWaiting
		if err := json.Unmarshal(body, &w); err != nil || w.QueueID != tt.q.ID || len(w.Callers) != 1 {
			t.Fatalf("%s %s: %s (%v)", tt.who, tt.what, body, err)
		}
		if tt.what == "night" {
			if got := queueOf(tt.q.Number); got.NightManual != tt.night {
				t.Fatalf("%s switched night %t, store has %t", tt.who, tt.night, got.NightManual)
			}
		}
	}
	if got := queueOf("8010"); !got.NightManual {
		t.Fatal("the operator's night switch did not stay on")
	}
	var audited int
	for _, e := range a.auditOf(t, org) {
		if e.Action == "queue.night" {
			audited++
		}
	}
	if audited != 3 {
		t.Fatalf("%d queue.night audit entries, want 3 (one per switch)", audited)
	}
	if !slices.Contains(fa.took(), "take "+itoa(org)+" "+itoa(board.ID)+" "+itoa(a.accts["1009"].ID)+" 7") {
		t.Fatalf("the operator's take did not reach the engine as asked: %q", fa.took())
	}
	for _, c := range fa.took() {
		if c == "waiting "+itoa(a.acme.ID)+" "+itoa(service.ID) || c == "waiting "+itoa(a.acme.ID)+" "+itoa(board.ID) {
			t.Fatalf("acme reached the engine with demo's queue: %q", c)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/presence"
	shared "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// TestIntegrationRunQueues: the server started in-process with the demo organisation serves the
// queue engine through the agent API (1004 is logged in to Asiakaspalvelu with skill 1 and
// available), a pause and a logout over the API show in the agent's view, and the shutdown is
// clean with the engine running.
func TestIntegrationRunQueues(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	httpAddr := freePort(t)
	env := map[string]string{"VAIHDE_DB_PATH": filepath.Join(t.TempDir(), "v.db")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-http-addr", httpAddr, "-https-addr", freePort(t), "-sip-addr", freePort(t)},
			func(k string) string { return env[k] }, &out, &errOut)
	}()
	call := func(method, path, token string, body, into any) int {
		t.Helper()
		var b []byte
		if body != nil {
			b, _ = json.Marshal(body)
		}
		req, _ := http.NewRequest(method, "http://"+httpAddr+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0
		}
		defer res.Body.Close()
		if into != nil && res.StatusCode == http.StatusOK {
			if err := json.NewDecoder(res.Body).Decode(into); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
		}
		return res.StatusCode
	}
	var lr shared.LoginResponse
	deadline := time.Now().Add(20 * time.Second)
	for call(http.MethodPost, "/api/login", "", shared.LoginRequest{User: "1004", Password: "demo1004"}, &lr) != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up:\n%s", errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Call park is wired: the console's list of parked calls answers (none parked).
	var parked shared.ParkedCalls
	if code := call(http.MethodGet, "/api/switchboard/parked", lr.Token, nil, &parked); code != http.StatusOK || parked.Parked == nil || len(parked.Parked) != 0 {
		t.Fatalf("GET /api/switchboard/parked: %d %+v", code, parked)
	}
	var v shared.AgentView
	if code := call(http.MethodGet, "/api/agent", lr.Token, nil, &v); code != http.StatusOK {
		t.Fatalf("GET /api/agent: %d (the queue engine is not the API's Agents?)\n%s", code, errOut.String())
	}
	var q *shared.AgentQueue
	for i := range v.Queues {
		if v.Queues[i].Number == "8000" {
			q = &v.Queues[i]
		}
	}
	if q == nil || !q.LoggedIn || q.Skill != 1 || q.Name != "Asiakaspalvelu" || v.State != shared.AgentAvailable {
		t.Fatalf("1004's agent view at start: %+v", v)
	}
	if code := call(http.MethodPost, "/api/agent/pause", lr.Token, shared.AgentPause{Reason: "lounas"}, &v); code != http.StatusOK || v.State != shared.AgentPaused || v.PauseReason != "lounas" {
		t.Fatalf("pause: %d %+v", code, v)
	}
	if code := call(http.MethodPost, fmt.Sprintf("/api/agent/queues/%d/logout", q.ID), lr.Token, nil, &v); code != http.StatusOK {
		t.Fatalf("logout: %d", code)
	}
	for _, aq := range v.Queues {
		if aq.ID == q.ID && aq.LoggedIn {
			t.Fatalf("still logged in after logout: %+v", v)
		}
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("no graceful shutdown within 15 s")
	}
}

// TestOnCall: ringing alone is not busy (the queue's own offer rings the agent); a call that is
// up or being dialled is.
func TestOnCall(t *testing.T) {
	for _, tc := range []struct {
		s    presence.State
		want bool
	}{
		{presence.State{Phone: sharedpresence.PhoneIdle}, false},
		{presence.State{Phone: sharedpresence.PhoneRinging}, false},
		{presence.State{Phone: sharedpresence.PhoneOnCall}, true},
		{presence.State{Phone: sharedpresence.PhoneDialing}, true},
		{presence.State{Phone: sharedpresence.PhoneRinging, Calls: []presence.CallInfo{{State: sharedpresence.PhoneRinging}, {State: sharedpresence.PhoneOnCall}}}, true},
	} {
		if got := onCall(tc.s); got != tc.want {
			t.Errorf("onCall(%+v) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

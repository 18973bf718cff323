package ui

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/shared/api"
)

// TestIntegrationAgentAgainstRealServer runs the real server (demo organisation) and a
// Softphone UI with the real engine, people book and agent desk as 1004, an agent of
// "Asiakaspalvelu" (8000, skill 1, logged in at start). A second engine (1002) calls 8000: the
// queue rings 1004, whose banner shows "Asiakaspalvelu — <caller>" from the INVITE's
// X-Vaihde-Queue headers and whose agent line turns "Queue call ringing" from the live
// "agent" event; answered, the call panel keeps the queue and the agent line says "In a
// call"; after the hang-up the agent is no longer in a call. Pause and resume go through
// the Queues tab's buttons. On a server without the queue engine (GET /api/agent answers
// 501) it skips.
func TestIntegrationAgentAgainstRealServer(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	s := startRealServer(t)
	sipAddr, apiURL := "127.0.0.1:"+strconv.Itoa(s.sipPort), "http://127.0.0.1:"+strconv.Itoa(s.httpPort)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()

	eng, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	book := people.NewBook(eng, people.Options{})
	desk := agent.NewDesk(eng.Session, agent.Options{})
	stopFollow := book.OnEvent(desk.HandleEvent)
	a := test.NewTempApp(t)
	loop := &mainLoop{q: make(chan func(), 4096)}
	u := New(ctx, a, Options{Controller: eng, People: book, Agent: desk, Settings: settings.NewStore(t.TempDir()),
		Prefill: phone.Account{Server: sipAddr, APIURL: apiURL, User: "1004", Password: "demo1004"}})
	u.do = loop.do
	u.blurAfter = 0
	u.Start()
	t.Cleanup(func() {
		u.Close()
		stopFollow()
		desk.Close()
		book.Close()
		lctx, lcancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer lcancel()
		_ = eng.Logout(lctx)
		eng.Close()
	})
	loop.until(t, 30*time.Second, "1004 registered", func() bool { return eng.Snapshot().Reg == phone.Registered })
	book.Start(ctx) // what client/cmd/softphone does after each login
	loop.until(t, 30*time.Second, "the agent view loaded", func() bool { return u.agentSnap.Loaded })
	if u.agentSnap.NotAgent {
		t.Skip("this server runs no queue engine (GET /api/agent: 501)")
	}
	if !eng.Snapshot().Profile.Agent {
		t.Fatal("the login profile does not say 1004 is an agent")
	}
	loop.until(t, 10*time.Second, "the Queues tab and the agent line", func() bool {
		return u.agentBar.root.Visible() && len(u.agent.buttons) > 0 && u.agentBar.text.Text == "Agent: Available"
	})
	var queueID int64
	for _, q := range u.agentSnap.View.Queues {
		if q.Name == "Asiakaspalvelu" && q.LoggedIn {
			queueID = q.ID
		}
	}
	if queueID == 0 {
		t.Fatalf("1004 is not logged in to Asiakaspalvelu: %+v", u.agentSnap.View.Queues)
	}

	// Pause and resume from the Queues tab.
	u.agent.reason.SetText("Coffee break")
	test.Tap(u.agent.pause)
	// The live event may come before the answer to the request: Resume is enabled after both.
	loop.until(t, 10*time.Second, "paused", func() bool {
		return u.agentBar.text.Text == "Agent: Paused: Coffee break" && !u.agent.resume.Disabled()
	})
	test.Tap(u.agent.resume)
	loop.until(t, 10*time.Second, "resumed", func() bool { return u.agentBar.text.Text == "Agent: Available" })

	// 1002 calls the queue.
	caller, err := phone.New(phone.Config{ListenAddr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	defer caller.Close()
	if err := caller.Login(ctx, phone.Account{Server: sipAddr, APIURL: apiURL, User: "1002", Password: "demo1002"}); err != nil {
		t.Fatal(err)
	}
	loop.until(t, 30*time.Second, "1002 registered", func() bool { return caller.Snapshot().Reg == phone.Registered })
	out, err := caller.Dial(ctx, "8000")
	if err != nil {
		t.Fatal(err)
	}
	var in phone.Call
	loop.until(t, 30*time.Second, "the queue rings 1004", func() bool {
		for _, c := range eng.Snapshot().Calls {
			if c.State == phone.Incoming {
				in = c
				return true
			}
		}
		return false
	})
	if in.Group.Name != "Asiakaspalvelu" || in.Group.Number != "8000" {
		t.Fatalf("the queue call carries group %+v, want Asiakaspalvelu 8000", in.Group)
	}
	loop.until(t, 10*time.Second, "the banner and the agent line", func() bool {
		return strings.Contains(labelsIn(u.phone.banners), "Asiakaspalvelu — ") &&
			u.agentBar.text.Text == "Agent: Queue call ringing"
	})
	if o := u.agentSnap.View.Offer; o == nil || o.Queue != "Asiakaspalvelu" || o.QueueID != queueID {
		t.Fatalf("offer while ringing %+v", o)
	}

	if err := u.model.Answer(in.ID); err != nil {
		t.Fatal(err)
	}
	loop.until(t, 30*time.Second, "connected, shown as a queue call, agent in a call", func() bool {
		return u.phone.group != nil && strings.HasPrefix(u.phone.group.Text, "Asiakaspalvelu — ") &&
			u.agentBar.text.Text == "Agent: In a call"
	})
	loop.until(t, 30*time.Second, "the caller connected", func() bool {
		for _, c := range caller.Snapshot().Calls {
			if c.ID == out && c.State == phone.Active {
				return true
			}
		}
		return false
	})
	if err := caller.Hangup(out); err != nil {
		t.Fatal(err)
	}
	loop.until(t, 30*time.Second, "no longer in a call", func() bool {
		st := u.agentSnap.View.State
		return st == api.AgentWrapUp || st == api.AgentAvailable
	})
	t.Logf("after the call: %s", u.agentBar.text.Text)
}

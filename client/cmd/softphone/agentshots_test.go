package main

import (
	"context"
	"encoding/json"
	"image/png"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/client/agent/agenttest"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// TestIntegrationAgentScreenshots makes docs/screenshots/agent.png and queue-call.png with
// the real Softphone binary under Xvfb. The server's side of queues is stood in for by a
// registrar on 127.0.0.1 that accepts any REGISTER and an HTTP API that speaks the login
// and the agent contract of shared/api/agent.go (client/agent/agenttest), so the pictures can
// be made before and independently of the queue engine. It runs only when VAIHDE_SHOTS_DIR
// names the directory to write (packaging/screenshots.sh sets it to docs/screenshots):
//
//	VAIHDE_SHOTS_DIR=$PWD/docs/screenshots go test ./client/cmd/softphone -run AgentScreenshots -count=1
func TestIntegrationAgentScreenshots(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	out := os.Getenv("VAIHDE_SHOTS_DIR")
	if out == "" {
		t.Skip("VAIHDE_SHOTS_DIR not set")
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("Xvfb"); err != nil {
		t.Skip("Xvfb not installed")
	}
	root := moduleRoot(t)
	bin := filepath.Join(t.TempDir(), "softphone")
	build(t, root, bin, "./client/cmd/softphone")
	disp := freeDisplay(t)
	env := append(os.Environ(), "LANG=en_US.UTF-8", "FYNE_THEME=light", "FYNE_SCALE=1")
	startProc(t, "xvfb", env, "Xvfb", ":"+disp, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	waitFor(t, 20*time.Second, "Xvfb", func() bool { _, err := os.Stat("/tmp/.X11-unix/X" + disp); return err == nil })
	env = append(env, "DISPLAY=:"+disp)

	queues := []api.AgentQueue{
		{ID: 1, Name: "Asiakaspalvelu", Number: "8000", Skill: 1, Waiting: 3, LoggedIn: true},
		{ID: 2, Name: "Laskutus", Number: "8002", Skill: 2, Waiting: 1, LoggedIn: true},
		{ID: 3, Name: "Vaihde", Number: "8010", Skill: 3},
	}
	pbx := startFakePBX(t, queues)

	shoot := func(name string, after time.Duration, args ...string) *proc {
		cfg := t.TempDir()
		a := append([]string{"-config-dir", cfg, "-no-keychain", "-no-audio", "-screenshot", filepath.Join(out, name),
			"-screenshot-after", after.String(), "-server", pbx.sipAddr, "-api", pbx.api.URL,
			"-user", "1004", "-password", "demo1004"}, args...)
		return startProc(t, name, env, bin, a...)
	}
	check := func(p *proc, name string) {
		t.Helper()
		select {
		case <-p.done:
		case <-time.After(90 * time.Second):
			t.Fatalf("%s: the Softphone did not finish", name)
		}
		o := p.output()
		if !strings.Contains(o, "screenshot taken") || !strings.Contains(o, "registered=true") ||
			!strings.Contains(o, `msg="agent at screenshot" loaded=true`) {
			t.Fatalf("%s: not registered or agent view not loaded when captured:\n%s", name, o)
		}
		f, err := os.Open(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() < 400 || b.Dy() < 500 {
			t.Fatalf("%s: %v is not the window", name, b)
		}
	}

	// agent.png: logged in to two queues, out of the third, in wrap-up with its countdown. The
	// wrap-up end is set when the Softphone's stream is open, so the countdown shows ~0:45.
	v := pbx.api.View()
	v.State = api.AgentAvailable
	pbx.api.Set(v)
	p := shoot("agent.png", 5*time.Second, "-tab", "agent")
	waitFor(t, 30*time.Second, "the Softphone's event stream", func() bool { return pbx.api.Streams() > 0 })
	time.Sleep(time.Second)
	end := time.Now().Add(48 * time.Second)
	v.State, v.WrapUpUntil = api.AgentWrapUp, &end
	pbx.api.Set(v)
	check(p, "agent.png")
	waitFor(t, 10*time.Second, "the first Softphone's stream closed", func() bool { return pbx.api.Streams() == 0 })

	// queue-call.png: a callback from Asiakaspalvelu rings the agent: the banner shows the
	// queue, the caller and the callback text.
	v.State, v.WrapUpUntil = api.AgentRinging, nil
	v.Offer = &api.QueueOffer{QueueID: 1, Queue: "Asiakaspalvelu", Caller: "+358401234567",
		Callback: "Invoice 2025-114 is wrong, please call back before 16:00"}
	pbx.api.Set(v)
	p = shoot("queue-call.png", 7*time.Second)
	waitFor(t, 30*time.Second, "the Softphone registered", func() bool { return pbx.contact() != nil })
	time.Sleep(500 * time.Millisecond)
	pbx.ring(t, map[string]string{
		"X-Vaihde-Queue": "Asiakaspalvelu", "X-Vaihde-Queue-Number": "8000",
		"X-Vaihde-Callback": "Invoice 2025-114 is wrong, please call back before 16:00",
	})
	check(p, "queue-call.png")
	for _, name := range []string{"agent.png", "queue-call.png"} {
		st, err := os.Stat(filepath.Join(out, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %d bytes", name, st.Size())
	}
}

// fakePBX is a registrar and an HTTP API on 127.0.0.1 for the screenshots.
type fakePBX struct {
	sipAddr string
	api     *agenttest.Server
	ua      *sipgo.UserAgent
	client  *sipgo.Client

	mu  sync.Mutex
	reg *sip.Uri // the Softphone's contact
}

func startFakePBX(t *testing.T, queues []api.AgentQueue) *fakePBX {
	t.Helper()
	p := &fakePBX{api: agenttest.New(t, 4, queues...)}
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.sipAddr = conn.LocalAddr().String()
	p.ua, err = sipgo.NewUA(sipgo.WithUserAgent("shots-pbx"))
	if err != nil {
		t.Fatal(err)
	}
	p.client, err = sipgo.NewClient(p.ua, sipgo.WithClientConnectionAddr(p.sipAddr))
	if err != nil {
		t.Fatal(err)
	}
	srv, err := sipgo.NewServer(p.ua)
	if err != nil {
		t.Fatal(err)
	}
	srv.OnRegister(func(req *sip.Request, tx sip.ServerTransaction) {
		res := sip.NewResponseFromRequest(req, 200, "OK", nil)
		if c := req.Contact(); c != nil {
			ct := sip.ContactHeader{Address: c.Address, Params: sip.NewParams()}
			ct.Params.Add("expires", "300")
			res.AppendHeader(&ct)
			if h := req.GetHeader("Expires"); h == nil || h.Value() != "0" {
				addr := c.Address
				p.mu.Lock()
				p.reg = &addr
				p.mu.Unlock()
			}
		}
		_ = tx.Respond(res)
	})
	for _, m := range []func(sipgo.RequestHandler){srv.OnSubscribe, srv.OnOptions, srv.OnNotify, srv.OnPublish} {
		m(func(req *sip.Request, tx sip.ServerTransaction) {
			_ = tx.Respond(sip.NewResponseFromRequest(req, 200, "OK", nil))
		})
	}
	srv.OnAck(func(*sip.Request, sip.ServerTransaction) {})
	go func() { _ = srv.ServeUDP(conn) }()
	t.Cleanup(func() { _ = conn.Close(); _ = p.ua.Close() })

	me := api.Profile{ID: 4, Name: "Juha Virtanen", Extension: "1004", Language: "en", Domain: "demo.vaihde.local",
		Org: "Demo Oy", Department: "Customer service", Agent: true}
	mux := p.api.Mux
	reply := func(v any) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		}
	}
	mux.HandleFunc("POST /api/login", reply(api.LoginResponse{Token: agenttest.Token, ExpiresAt: time.Now().Add(12 * time.Hour), Profile: me}))
	mux.HandleFunc("GET /api/me", reply(me))
	var acts api.ActivityList
	for _, a := range presence.DefaultActivities() {
		acts.Activities = append(acts.Activities, api.Activity{Number: a.Number, Name: a.Names.EN, NameFI: a.Names.FI,
			NameSV: a.Names.SV, NameEN: a.Names.EN, Green: a.Green})
	}
	mux.HandleFunc("GET /api/activities", reply(acts))
	now := time.Now().UTC()
	pres := func(id int64, ext string) api.Presence {
		return api.Presence{UserID: id, Extension: ext, Activity: 1, ActivityName: "Available", Green: true, Online: true,
			Phone: "idle", UpdatedAt: now}
	}
	dir := api.Directory{Entries: []api.DirectoryEntry{
		{UserID: 4, Name: me.Name, Extension: "1004", Department: me.Department, Presence: pres(4, "1004")},
		{UserID: 5, Name: "Emma Lindqvist", Extension: "1005", Department: "Customer service", Presence: pres(5, "1005")},
		{UserID: 6, Name: "Pekka Nieminen", Extension: "1006", Department: "Customer service", Presence: pres(6, "1006")},
	}}
	mux.HandleFunc("GET /api/directory", reply(dir))
	var pl api.PresenceList
	for _, e := range dir.Entries {
		pl.Presence = append(pl.Presence, e.Presence)
	}
	mux.HandleFunc("GET /api/presence", reply(pl))
	mux.HandleFunc("PUT /api/presence", reply(pres(4, "1004")))
	// Everything else of the API (contacts, chats, voicemail, call log) is empty.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("{}"))
	})
	return p
}

func (p *fakePBX) contact() *sip.Uri {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.reg
}

// ring sends the registered Softphone an INVITE as the server does for a queue call, with
// the group headers; the call rings until the Softphone exits.
func (p *fakePBX) ring(t *testing.T, headers map[string]string) {
	t.Helper()
	target := *p.contact()
	conn, err := net.ListenPacket("udp4", "127.0.0.1:0") // the caller's RTP port; nothing is sent
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	port := conn.LocalAddr().(*net.UDPAddr).Port
	offer, err := sdpmedia.Build(sdpmedia.Media{Addr: netip.MustParseAddr("127.0.0.1"), Port: port,
		Codecs: []sdpmedia.Codec{sdpmedia.PCMU}, Direction: sdpmedia.SendRecv}, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	host, portStr, _ := net.SplitHostPort(p.sipAddr)
	sipPort, _ := strconv.Atoi(portStr)
	dua := &sipgo.DialogUA{Client: p.client, ContactHDR: sip.ContactHeader{Address: sip.Uri{Scheme: "sip", User: "8000", Host: host, Port: sipPort}}}
	req := sip.NewRequest(sip.INVITE, target)
	req.SetDestination(target.HostPort())
	from := &sip.FromHeader{DisplayName: "Matti Meikäläinen",
		Address: sip.Uri{Scheme: "sip", User: "+358401234567", Host: "demo.vaihde.local"}, Params: sip.NewParams()}
	from.Params.Add("tag", sip.GenerateTagN(8))
	req.AppendHeader(from)
	req.AppendHeader(sip.NewHeader("Content-Type", "application/sdp"))
	for k, v := range headers {
		req.AppendHeader(sip.NewHeader(k, v))
	}
	req.SetBody(offer)
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	dlg, err := dua.WriteInvite(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = dlg.WaitAnswer(ctx, sipgo.AnswerOptions{}) }()
}

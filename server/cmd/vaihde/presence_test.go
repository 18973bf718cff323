package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/sms"
	shared "github.com/vaihde/vaihde/shared/api"
	sharedpresence "github.com/vaihde/vaihde/shared/presence"
)

// demoServer runs the binary's run with the demo organisation; it stops with the test.
type demoServer struct {
	http, sip, dir string
	errOut         *syncBuffer
	stop           func() // cancels run and waits for it; idempotent
}

func startDemo(t *testing.T) *demoServer {
	t.Helper()
	d := &demoServer{http: freePort(t), sip: freePort(t), dir: t.TempDir(), errOut: &syncBuffer{}}
	env := map[string]string{"VAIHDE_DB_PATH": filepath.Join(d.dir, "v.db")}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"demo", "-http-addr", d.http, "-https-addr", freePort(t), "-sip-addr", d.sip}, func(k string) string { return env[k] }, &syncBuffer{}, d.errOut)
	}()
	d.stop = sync.OnceFunc(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("no graceful shutdown within 15 s")
		}
	})
	t.Cleanup(d.stop)
	deadline := time.Now().Add(20 * time.Second)
	for {
		res, err := http.Get("http://" + d.http + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return d
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not come up: %v\n%s", err, d.errOut.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (d *demoServer) call(t *testing.T, method, path, token string, in, out any) int {
	t.Helper()
	var body io.Reader
	if in != nil {
		b, _ := json.Marshal(in)
		body = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, "http://"+d.http+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && res.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, path, err, data)
		}
	}
	return res.StatusCode
}

func (d *demoServer) login(t *testing.T, ext string) string {
	t.Helper()
	var lr shared.LoginResponse
	if code := d.call(t, "POST", "/api/login", "", shared.LoginRequest{User: ext, Password: "demo" + ext}, &lr); code != 200 {
		t.Fatalf("login %s: %d", ext, code)
	}
	return lr.Token
}

// TestIntegrationServerPresenceMessagesSMS checks the binary's wiring of issue 3: a presence
// change reaches a colleague's event stream within a second, a message to an offline
// colleague is stored, and an SMS lands in the development outbox beside the database.
func TestIntegrationServerPresenceMessagesSMS(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	d := startDemo(t)
	aino, mikko := d.login(t, "1001"), d.login(t, "1002")

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+d.http+"/api/events", nil)
	req.Header.Set("Authorization", "Bearer "+mikko)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("events: %v %v", res, err)
	}
	defer res.Body.Close()
	events := make(chan shared.Event, 64)
	go func() {
		defer close(events)
		sc := bufio.NewScanner(res.Body)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				var ev shared.Event
				if json.Unmarshal([]byte(data), &ev) == nil {
					events <- ev
				}
			}
		}
	}()
	wait := func(what string, within time.Duration, match func(shared.Event) bool) {
		t.Helper()
		timer := time.NewTimer(within)
		defer timer.Stop()
		for {
			select {
			case ev, ok := <-events:
				if !ok {
					t.Fatalf("%s: stream ended", what)
				}
				if match(ev) {
					return
				}
			case <-timer.C:
				t.Fatalf("%s: nothing within %v", what, within)
			}
		}
	}
	wait("hello", 5*time.Second, func(ev shared.Event) bool { return ev.Type == shared.EventHello })
	if code := d.call(t, "PUT", "/api/presence", aino, shared.PresenceUpdate{Activity: ptrInt(sharedpresence.Lunch)}, nil); code != 200 {
		t.Fatalf("put presence: %d", code)
	}
	wait("presence", time.Second, func(ev shared.Event) bool {
		return ev.Type == shared.EventPresence && ev.Presence.Extension == "1001" && ev.Presence.Activity == sharedpresence.Lunch
	})

	var m shared.Message
	if code := d.call(t, "POST", "/api/messages", aino, shared.SendMessage{To: "1002", Body: "moi"}, &m); code != 200 || m.DeliveredAt != nil {
		t.Fatalf("message to an offline colleague: %d %+v", code, m)
	}
	var hist shared.MessageList
	if code := d.call(t, "GET", "/api/messages?with=1001", mikko, nil, &hist); code != 200 || len(hist.Messages) != 1 || hist.Messages[0].Body != "moi" {
		t.Fatalf("history: %d %+v", code, hist)
	}

	var s shared.SMS
	if code := d.call(t, "POST", "/api/sms", aino, shared.SendSMS{To: "040 555 1234", Text: "Hei"}, &s); code != 200 {
		t.Fatalf("sms: %d", code)
	}
	out, err := sms.ReadOutbox(filepath.Join(d.dir, "sms-outbox"))
	if err != nil || len(out) != 1 || out[0].To != "+358405551234" || out[0].From != "+358401231001" {
		t.Fatalf("outbox: %+v %v", out, err)
	}
	// Shutdown with the stream still open: the server ends it and stops in time.
	d.stop()
	for range events {
	}
}

func ptrInt(v int) *int { return &v }

package signaling

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/vaihde/vaihde/server/auth"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// TestIntegrationReloadSeesOtherProcess: another connection to the database (the CLI) changes a
// password and deletes a registered user; until Reload the server serves its cache, after it
// the new password works, the old one fails, and the deleted user's registration is gone from
// memory, with the bindings hook told.
func TestIntegrationReloadSeesOtherProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	ctx := context.Background()
	path := seededDB(t)
	ts := startServer(t, path)
	var mu sync.Mutex
	var changed []int64
	ts.OnBindingsChanged(func(id int64) { mu.Lock(); changed = append(changed, id); mu.Unlock() })
	c := newClient(t)
	addr := ts.Addr("udp")
	for _, ext := range []string{"1004", "1005"} {
		if res := c.do(t, registerReq(addr, "UDP", ext, 600, "<sip:"+ext+"@127.0.0.1:7200>"), ext, "demo"+ext); res.StatusCode != 200 {
			t.Fatalf("register %s: %d", ext, res.StatusCode)
		}
	}
	gone, _ := ts.st.UserByExtension(ctx, 1, "1004")
	kept, _ := ts.st.UserByExtension(ctx, 1, "1005")

	cli, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	u, _ := cli.UserByID(ctx, kept.ID)
	if err := auth.SetPassword(&u, testDomain, "New-pass-1005"); err != nil {
		t.Fatal(err)
	}
	if err := cli.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := cli.DeleteUser(ctx, 1, gone.ID); err != nil {
		t.Fatal(err)
	}
	// Without a reload the cached user still answers to the old password.
	if res := c.do(t, registerReq(addr, "UDP", "1005", 600, "<sip:1005@127.0.0.1:7200>"), "1005", "demo1005"); res.StatusCode != 200 {
		t.Fatalf("before reload, cached password: %d", res.StatusCode)
	}
	if n := len(ts.Bindings(gone.ID)); n != 1 {
		t.Fatalf("before reload the deleted user has %d bindings in memory, want 1 (the test needs the cache)", n)
	}

	ended, err := ts.Reload(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ended, []int64{gone.ID}) {
		t.Fatalf("ended %v, want [%d]", ended, gone.ID)
	}
	if b := ts.Bindings(gone.ID); len(b) != 0 {
		t.Fatalf("deleted user still registered: %+v", b)
	}
	if tg, _ := ts.Targets(ctx, gone.ID); len(tg) != 0 {
		t.Fatalf("deleted user still reachable: %+v", tg)
	}
	mu.Lock()
	told := slices.Contains(changed, gone.ID)
	mu.Unlock()
	if !told {
		t.Fatal("bindings hook not told of the ended registration")
	}
	if b := ts.Bindings(kept.ID); len(b) != 1 {
		t.Fatalf("the kept user lost its registration: %+v", b)
	}
	if res := c.do(t, registerReq(addr, "UDP", "1005", 600, "<sip:1005@127.0.0.1:7200>"), "1005", "demo1005"); res.StatusCode == 200 {
		t.Fatal("old password still accepted after reload")
	}
	if res := c.do(t, registerReq(addr, "UDP", "1005", 600, "<sip:1005@127.0.0.1:7200>"), "1005", "New-pass-1005"); res.StatusCode != 200 {
		t.Fatalf("new password after reload: %d", res.StatusCode)
	}
	if res := c.do(t, registerReq(addr, "UDP", "1004", 600, "<sip:1004@127.0.0.1:7200>"), "1004", "demo1004"); res.StatusCode == 200 {
		t.Fatal("deleted user registered again")
	}
}

package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/server/demo"
	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// TestQueueFlags: bad input to the queue load and its seeding is refused with a clear error
// before anything is sent; a non-loopback API address is never used.
func TestQueueFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"queue", "-agents", "0"}, "-agents 0"},
		{[]string{"queue", "-wait", "0s"}, "-wait 0s"},
		{[]string{"queue", "-talk", "2m"}, "-talk 2m0s"},
		{[]string{"queue", "-api", "http://192.0.2.1:8080"}, "not a loopback address"},
		{[]string{"queue", "-server", "192.0.2.1:5060"}, "not a loopback address"},
		{[]string{"seed-queue"}, "-db is required"},
		{[]string{"seed-queue", "-db", filepath.Join(t.TempDir(), "x.db"), "-queue", "9000"}, "a test number 8000-8099"},
		{[]string{"seed-queue", "-db", filepath.Join(t.TempDir(), "x.db"), "-agents", "5000"}, "-agents 5000"},
	} {
		err := run(context.Background(), tc.args, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v, want one containing %q", tc.args, err, tc.want)
		}
	}
}

// TestSeedQueue: seeding twice gives one queue with every agent, idempotently.
func TestSeedQueue(t *testing.T) {
	db := filepath.Join(t.TempDir(), "v.db")
	var out strings.Builder
	for range 2 {
		out.Reset()
		if err := run(context.Background(), []string{"seed-queue", "-db", db, "-agents", "3", "-queue", "8050"}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	if !strings.Contains(out.String(), "queue 8050 with 3 agents 2001-2003") {
		t.Fatalf("output %q", out.String())
	}
	ctx := context.Background()
	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	org, err := st.OrgByDomain(ctx, demo.Domain)
	if err != nil {
		t.Fatal(err)
	}
	kind, id, err := st.GroupByNumber(ctx, org.ID, "8050")
	if err != nil || kind != store.KindQueue {
		t.Fatalf("8050: %v %v", kind, err)
	}
	q, err := st.Queue(ctx, org.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.Members) != 3 || q.ProgressEvery == 0 || !q.SayPosition || !q.SayEstimate || q.WrapUp != 0 {
		t.Fatalf("queue %+v", q)
	}
	logins, err := st.AgentLogins(ctx, org.ID)
	if err != nil {
		t.Fatal(err)
	}
	in := 0
	for _, l := range logins {
		if l.QueueID == id && l.LoggedIn {
			in++
		}
	}
	if in != 3 {
		t.Fatalf("%d agents logged in to 8050, want 3: %+v", in, logins)
	}
}

package storewatch

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/server/store/sqlite"
)

// TestPollSeesAnotherProcess: with a real database, the server's store sees a commit made
// through another connection (as the CLI makes), and not its own writes.
func TestPollSeesAnotherProcess(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "v.db")
	server, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	cli, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	calls := 0
	w := New(server.DataVersion, func(context.Context) { calls++ }, nil)
	if w.Poll(ctx) || calls != 0 {
		t.Fatal("the first poll reported a change")
	}
	if _, err := server.CreateOrg(ctx, store.Org{Name: "Own", Domain: "own.example"}); err != nil {
		t.Fatal(err)
	}
	if w.Poll(ctx) {
		t.Fatal("the server's own write reported as a foreign change")
	}
	if _, err := cli.CreateOrg(ctx, store.Org{Name: "Acme", Domain: "acme.example"}); err != nil {
		t.Fatal(err)
	}
	if !w.Poll(ctx) || calls != 1 {
		t.Fatalf("the CLI's commit not seen (calls %d)", calls)
	}
	if w.Poll(ctx) || calls != 1 {
		t.Fatal("one change reported twice")
	}
}

// TestRunPollsOnTicksAndStops drives Run with a test-owned tick channel (no wall clock).
func TestRunPollsOnTicksAndStops(t *testing.T) {
	v := int64(1)
	versions := make(chan int64, 10)
	versions <- 1
	changed := make(chan struct{}, 10)
	w := New(func(context.Context) (int64, error) {
		select {
		case v = <-versions:
		default:
		}
		if v < 0 {
			return 0, errors.New("database gone")
		}
		return v, nil
	}, func(context.Context) { changed <- struct{}{} }, nil)
	ctx, cancel := context.WithCancel(context.Background())
	tick := make(chan time.Time)
	done := make(chan struct{})
	go func() { w.Run(ctx, tick); close(done) }()
	versions <- 2
	tick <- time.Time{}
	tick <- time.Time{} // Run has polled version 2 once this second tick is taken
	select {
	case <-changed:
	default:
		t.Fatal("no change reported for version 2")
	}
	versions <- -1 // an error is not a change
	tick <- time.Time{}
	versions <- 2 // back, unchanged
	tick <- time.Time{}
	tick <- time.Time{}
	if len(changed) != 0 {
		t.Fatalf("%d spurious changes", len(changed))
	}
	cancel()
	<-done
}

package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/netip"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/codec"
)

// TestIntegrationRelayChild drives the relay child process's protocol in-process: setup in,
// leg ports out, media relayed (and transcoded) between two endpoints, totals on close.
func TestIntegrationRelayChild(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	a, err := newEndpoint(localIP, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	b, err := newEndpoint(localIP, 2)
	if err != nil {
		t.Fatal(err)
	}
	defer b.close()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- runRelayChild(t.Context(), inR, outW)
		outW.Close()
	}()
	setup := relaySetup{Pairs: [][2]uint16{{a.local.Port(), b.local.Port()}}, CodecA: "PCMU", CodecB: "PCMA"}
	if err := json.NewEncoder(inW).Encode(setup); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewReader(outR)
	line, err := out.ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var legs relayLegs
	if err := json.Unmarshal(line, &legs); err != nil || len(legs.Legs) != 1 {
		t.Fatalf("legs %s: %v", line, err)
	}
	a.setRemote(netip.AddrPortFrom(localIP, legs.Legs[0][0]), codec.PCMU)
	b.setRemote(netip.AddrPortFrom(localIP, legs.Legs[0][1]), codec.PCMA)
	for range 10 {
		a.sendFrame()
		b.sendFrame()
		time.Sleep(2 * time.Millisecond)
	}
	deadline := time.Now().Add(10 * time.Second)
	for (a.rx.stats().Received < 10 || b.rx.stats().Received < 10) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	// Each side heard the other's tag through the transcoding relay.
	if s := b.rx.stats(); s.Received != 10 || !s.Tagged || s.Sender != 1 {
		t.Errorf("B heard %+v, want 10 packets from sender 1", s)
	}
	if s := a.rx.stats(); s.Received != 10 || !s.Tagged || s.Sender != 2 {
		t.Errorf("A heard %+v, want 10 packets from sender 2", s)
	}
	inW.Close()
	line, err = out.ReadBytes('\n')
	if err != nil {
		t.Fatal(err)
	}
	var totals relayTotals
	if err := json.Unmarshal(line, &totals); err != nil {
		t.Fatal(err)
	}
	if totals.PacketsIn != 20 || totals.PacketsOut != 20 || totals.Lost != 0 {
		t.Errorf("totals %+v, want 20 in and out", totals)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

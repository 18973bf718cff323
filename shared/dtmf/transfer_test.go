package dtmf

import (
	"strings"
	"testing"
	"time"
)

// feedAll feeds keys one second apart and returns the steps as letters: . none, P prefix,
// d digit, D done, C cancel.
func feedAll(t *TransferCode, keys string, start time.Time) string {
	var b strings.Builder
	now := start
	for _, k := range keys {
		now = now.Add(time.Second)
		b.WriteByte(".PdDC"[t.Feed(k, now)])
	}
	return b.String()
}

func TestTransferCode(t *testing.T) {
	tests := []struct {
		name   string
		keys   string
		steps  string
		number string // Number after the keys ("" when no Done)
	}{
		{"code", "*#*11003#", "...Pdddd" + "D", "1003"},
		{"external number", "*#*10401234567#", "...Pdddddddddd" + "D", "0401234567"},
		{"ordinary keys before", "123*#*15#", "......PdD", "5"},
		{"double star start", "**#*1" + "7#", "....P" + "dD", "7"},
		{"prefix restarts after *#*#", "*#*#*15#", ".....PdD", "5"},
		{"*#* then other key resets", "*#*2" + "1003#", "...." + ".....", ""},
		{"*#* then * restarts", "*#**#*19#", "......PdD", "9"},
		{"*#*1 needs the 1 last", "*#1*", "....", ""},
		{"star cancels", "*#*112*", "...PddC", ""},
		{"star cancels at once", "*#*1*", "...PC", ""},
		{"hash without number cancels", "*#*1#", "...PC", ""},
		{"letter cancels", "*#*12A", "...PdC", ""},
		{"max digits", "*#*1" + strings.Repeat("9", 20) + "#", "...P" + strings.Repeat("d", 20) + "D", strings.Repeat("9", 20)},
		{"21st digit cancels", "*#*1" + strings.Repeat("9", 21), "...P" + strings.Repeat("d", 20) + "C", ""},
		{"code again after cancel", "*#*1*" + "*#*12#", "...PC" + "...PdD", "2"},
		{"code twice", "*#*11#*#*12#", "...PdD...PdD", "2"},
		{"keys after done are ordinary", "*#*11#1#", "...PdD..", "1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c TransferCode
			got := feedAll(&c, tc.keys, time.Unix(1000, 0))
			want := tc.steps
			if len(want) != len(tc.keys) {
				want = strings.Repeat(".", len(tc.keys)-len(want)) + want
			}
			if got != want {
				t.Fatalf("keys %q: steps %q, want %q", tc.keys, got, want)
			}
			if c.Number() != tc.number {
				t.Fatalf("Number() = %q, want %q", c.Number(), tc.number)
			}
		})
	}
}

func TestTransferCodeTimeout(t *testing.T) {
	var c TransferCode
	t0 := time.Unix(1000, 0)
	if feedAll(&c, "*#*12", t0) != "...Pd" {
		t.Fatal("prefix not recognised")
	}
	last := t0.Add(5 * time.Second)
	if got := c.Deadline(); !got.Equal(last.Add(TransferTimeout)) {
		t.Fatalf("Deadline = %v, want %v", got, last.Add(TransferTimeout))
	}
	if s := c.Tick(last.Add(TransferTimeout)); s != None {
		t.Fatalf("Tick at the deadline = %v, want none", s)
	}
	if s := c.Tick(last.Add(TransferTimeout + time.Millisecond)); s != Cancel {
		t.Fatalf("Tick after the deadline = %v, want cancel", s)
	}
	if c.Collecting() || !c.Deadline().IsZero() {
		t.Fatal("still collecting after timeout")
	}
	if s := c.Tick(last.Add(time.Hour)); s != None {
		t.Fatalf("Tick when idle = %v", s)
	}

	// A key that comes too late cancels instead of being taken.
	feedAll(&c, "*#*1", t0)
	if s := c.Feed('3', t0.Add(4*time.Second+TransferTimeout+time.Second)); s != Cancel {
		t.Fatalf("late key = %v, want cancel", s)
	}
	// Each key restarts the wait.
	feedAll(&c, "*#*1", t0)
	now := t0.Add(4 * time.Second)
	for i := 0; i < 5; i++ {
		now = now.Add(TransferTimeout - time.Second)
		if s := c.Feed('1', now); s != Digit {
			t.Fatalf("key %d after %v = %v, want digit", i, TransferTimeout-time.Second, s)
		}
	}
	if s := c.Feed('#', now.Add(time.Second)); s != Done || c.Number() != "11111" {
		t.Fatalf("done = %v %q", s, c.Number())
	}
}

// TestDTMFTransferFlow is the call flow of the transfer code without a network (issue 4,
// acceptance 1): what the driver does at each step — music on at the prefix, digits collected,
// the transfer on #, the bridge restored on cancel or timeout.
func TestDTMFTransferFlow(t *testing.T) {
	type event struct {
		key  rune          // 0: let time pass instead
		wait time.Duration // before the key
	}
	keys := func(s string) []event {
		var out []event
		for _, k := range s {
			out = append(out, event{key: k, wait: 300 * time.Millisecond})
		}
		return out
	}
	tests := []struct {
		name   string
		events []event
		want   string // driver actions, space separated
	}{
		{"transfer to extension", keys("*#*11003#"), "music dial:1003"},
		{"transfer after talk keys", keys("55*#*11003#"), "music dial:1003"},
		{"cancel by star", keys("*#*110*"), "music bridge"},
		{"wrong key cancels", keys("*#*1B"), "music bridge"},
		{"timeout", append(keys("*#*12"), event{wait: 11 * time.Second}), "music bridge"},
		{"cancel then transfer", keys("*#*1**#*12#"), "music bridge music dial:2"},
		{"no prefix", keys("*#*2#1003#"), ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c TransferCode
			var acts []string
			now := time.Unix(5000, 0)
			act := func(s Step) {
				switch s {
				case Prefix:
					acts = append(acts, "music")
				case Done:
					acts = append(acts, "dial:"+c.Number())
				case Cancel:
					acts = append(acts, "bridge")
				}
			}
			for _, ev := range tc.events {
				// The driver's timer fires at the deadline while waiting for the next key.
				if d := c.Deadline(); !d.IsZero() && now.Add(ev.wait).After(d.Add(time.Millisecond)) {
					act(c.Tick(d.Add(time.Millisecond)))
				}
				now = now.Add(ev.wait)
				if ev.key != 0 {
					act(c.Feed(ev.key, now))
				}
			}
			if got := strings.Join(acts, " "); got != tc.want {
				t.Fatalf("actions %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzTransferCode(f *testing.F) {
	for _, s := range []string{"*#*11003#", "**#*1*", "*#*1" + strings.Repeat("1", 25), "\xff*#*1#", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, keys string) {
		var c TransferCode
		now := time.Unix(0, 0)
		for _, k := range keys {
			now = now.Add(time.Second)
			s := c.Feed(k, now)
			if s > Cancel {
				t.Fatalf("step %d", s)
			}
			if s == Done && (c.Number() == "" || len(c.Number()) > MaxTransferDigits ||
				strings.Trim(c.Number(), "0123456789") != "") {
				t.Fatalf("bad number %q", c.Number())
			}
			if len(c.Typed()) > MaxTransferDigits {
				t.Fatalf("collected %d digits", len(c.Typed()))
			}
		}
	})
}

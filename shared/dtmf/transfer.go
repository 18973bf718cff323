package dtmf

import "time"

// TransferPrefix is the key sequence that starts the DTMF transfer code *#*1<number># (CALL-6).
const TransferPrefix = "*#*1"

// Limits of the transfer code.
const (
	// MaxTransferDigits is the longest number the code accepts; one more digit cancels.
	MaxTransferDigits = 20
	// TransferTimeout is how long the code waits for the next key once the prefix is complete.
	TransferTimeout = 10 * time.Second
)

// Step is what one key (or the passing of time) did to a TransferCode.
type Step uint8

// Steps reported by TransferCode.
const (
	// None: nothing to act on (an ordinary key, or part of a prefix not yet complete).
	None Step = iota
	// Prefix: *#*1 is complete; the number follows. The other party should stop hearing the
	// transferor now.
	Prefix
	// Digit: a digit was added to the number.
	Digit
	// Done: # ended a non-empty number; Number returns it. The code is idle again.
	Done
	// Cancel: *, a key that is not a digit, a 21st digit, # with no number, or TransferTimeout
	// without a key ended the code. The code is idle again.
	Cancel
)

func (s Step) String() string {
	switch s {
	case None:
		return "none"
	case Prefix:
		return "prefix"
	case Digit:
		return "digit"
	case Done:
		return "done"
	case Cancel:
		return "cancel"
	}
	return "step?"
}

// TransferCode recognises the transfer code *#*1<number># in the keys one party presses during
// a call, one key at a time, with an injectable clock so that call-flow tests need no network and
// no waiting. Keys before the prefix are ordinary keys; the prefix may start anywhere in them
// (**#*1 and *#**#*1 both work). Its zero value is ready; it is not safe for concurrent use.
type TransferCode struct {
	matched    int       // keys of TransferPrefix matched so far (0..3) while not collecting
	collecting bool      // the prefix is complete: collecting the number
	number     []byte    // digits collected
	last       time.Time // when the last key was taken while collecting
	done       string    // the number of the last Done
}

// Collecting reports whether the prefix is complete and the number is being typed.
func (t *TransferCode) Collecting() bool { return t.collecting }

// Number returns the number of the last Done.
func (t *TransferCode) Number() string { return t.done }

// Typed returns the digits collected so far.
func (t *TransferCode) Typed() string { return string(t.number) }

// Reset returns the code to idle, forgetting any partial prefix or number.
func (t *TransferCode) Reset() {
	t.matched, t.collecting, t.number = 0, false, t.number[:0]
}

// Feed takes one key pressed at now ('0'-'9', '*', '#', 'A'-'D') and reports what it did.
func (t *TransferCode) Feed(key rune, now time.Time) Step {
	if !t.collecting {
		t.matched = advance(t.matched, key)
		if t.matched < len(TransferPrefix) {
			return None
		}
		t.matched, t.collecting, t.number, t.last = 0, true, t.number[:0], now
		return Prefix
	}
	if now.Sub(t.last) > TransferTimeout {
		t.Reset()
		return Cancel
	}
	t.last = now
	switch {
	case key >= '0' && key <= '9':
		if len(t.number) >= MaxTransferDigits {
			t.Reset()
			return Cancel
		}
		t.number = append(t.number, byte(key))
		return Digit
	case key == '#' && len(t.number) > 0:
		t.done = string(t.number)
		t.Reset()
		return Done
	}
	t.Reset()
	return Cancel
}

// Tick reports Cancel once TransferTimeout has passed since the last key while collecting, and
// None otherwise. Drivers call it from a timer; Deadline says when.
func (t *TransferCode) Tick(now time.Time) Step {
	if t.collecting && now.Sub(t.last) > TransferTimeout {
		t.Reset()
		return Cancel
	}
	return None
}

// Deadline is when the code gives up waiting for the next key; zero when not collecting.
func (t *TransferCode) Deadline() time.Time {
	if !t.collecting {
		return time.Time{}
	}
	return t.last.Add(TransferTimeout)
}

// advance returns how many keys of TransferPrefix are matched after key, given matched before:
// the longest prefix of TransferPrefix that ends the keys seen (a tiny KMP over 4 keys).
func advance(matched int, key rune) int {
	if key > 0x7f {
		return 0
	}
	seen := TransferPrefix[:matched] + string(byte(key))
	for n := min(len(seen), len(TransferPrefix)); n > 0; n-- {
		if seen[len(seen)-n:] == TransferPrefix[:n] {
			return n
		}
	}
	return 0
}

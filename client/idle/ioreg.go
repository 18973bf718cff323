package idle

import (
	"bytes"
	"errors"
	"strconv"
	"time"
)

// parseHIDIdleTime reads the first `"HIDIdleTime" = <nanoseconds>` of ioreg's output. It is
// plain Go so it is tested on every platform.
func parseHIDIdleTime(out []byte) (time.Duration, error) {
	key := []byte(`"HIDIdleTime"`)
	i := bytes.Index(out, key)
	if i < 0 {
		return 0, errors.New("idle: no HIDIdleTime in ioreg output")
	}
	rest := bytes.TrimLeft(out[i+len(key):], " \t")
	if len(rest) == 0 || rest[0] != '=' {
		return 0, errors.New("idle: malformed HIDIdleTime line")
	}
	rest = bytes.TrimLeft(rest[1:], " \t")
	end := 0
	for end < len(rest) && rest[end] >= '0' && rest[end] <= '9' {
		end++
	}
	ns, err := strconv.ParseUint(string(rest[:end]), 10, 63)
	if err != nil {
		return 0, errors.New("idle: HIDIdleTime is not a number")
	}
	return time.Duration(ns), nil
}

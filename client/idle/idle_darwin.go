//go:build darwin

package idle

import (
	"context"
	"fmt"
	"os/exec"
	"time"
)

type ioregSource struct{}

func systemSource() Source { return ioregSource{} }

func (ioregSource) Name() string { return "ioreg HIDIdleTime" }

func (ioregSource) IdleTime(ctx context.Context) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "ioreg", "-c", "IOHIDSystem", "-d", "4").Output()
	if err != nil {
		return 0, fmt.Errorf("idle: ioreg: %w", err)
	}
	return parseHIDIdleTime(out)
}

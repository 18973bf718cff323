package audio

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/gordonklaus/portaudio"
)

// The check that a chosen device is still there (probeDone) opens it in a child process, a
// copy of this program started with probeChildEnv set: PortAudio's ALSA back end can crash
// inside Pa_OpenStream when the device has just gone (seen with PulseAudio's ALSA plugin:
// "Unable to create stream: No such entity", then SIGSEGV), and that must not end the call.
// The child also starts PortAudio afresh, so it sees the devices as they are now.
const probeChildEnv = "VAIHDE_AUDIO_PROBE"

// probeTimeout bounds one probe; a device that takes longer to open counts as not there.
const probeTimeout = 5 * time.Second

func init() {
	// Before main or the tests: a probe child does its one open and exits.
	if spec, ok := os.LookupEnv(probeChildEnv); ok {
		os.Exit(probeChild(spec))
	}
}

// probeChild opens the device spec names ("in:NAME" or "out:NAME") and reports by exit status:
// 0 opened, 2 bad spec, 3 no PortAudio, 4 no such device, 5 it would not open.
func probeChild(spec string) int {
	dir, name, ok := strings.Cut(spec, ":")
	if !ok || name == "" || (dir != "in" && dir != "out") {
		return 2
	}
	input := dir == "in"
	if err := portaudio.Initialize(); err != nil {
		return 3
	}
	infos, err := portaudio.Devices()
	if err != nil {
		return 3
	}
	var dev *portaudio.DeviceInfo
	for _, d := range infos {
		if d != nil && d.Name == name && ((input && d.MaxInputChannels > 0) || (!input && d.MaxOutputChannels > 0)) {
			dev = d
			break
		}
	}
	code := 4
	if dev != nil {
		code = 5
		if probeOpen(dev, input) == nil {
			code = 0
		}
	}
	_ = portaudio.Terminate()
	return code
}

// probeInChild reports whether the device called name opens now, asking a child process.
// ctx ends the child early (the stream closed).
func probeInChild(ctx context.Context, name string, input bool) error {
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("probe %q: %w", name, err)
	}
	dir := "out"
	if input {
		dir = "in"
	}
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe)
	cmd.Env = append(os.Environ(), probeChildEnv+"="+dir+":"+name)
	// The child's output is ALSA's and JACK's chatter about devices it tried: not kept.
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("probe %q: %w", name, err)
	}
	return nil
}

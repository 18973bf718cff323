//go:build race

package audio

// raceEnabled: gordonklaus/portaudio converts a uintptr to unsafe.Pointer in OpenStream, which
// the race detector's checkptr rejects, so the real-device tests cannot run under -race.
const raceEnabled = true

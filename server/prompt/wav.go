package prompt

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// The one audio format prompts are kept in: what G.711 carries, so playing needs no resampling.
const (
	SampleRate    = 8000
	Channels      = 1
	BitsPerSample = 16
)

// ErrFormat marks a file that is not a WAV in the prompt format (8 kHz mono 16-bit PCM).
var ErrFormat = errors.New("not an 8 kHz mono 16-bit PCM WAV")

// Format is what a WAV header says about its audio.
type Format struct {
	AudioFormat   int // 1 = PCM (WAVE_FORMAT_EXTENSIBLE is reported as its sub-format)
	Channels      int
	SampleRate    int
	BitsPerSample int
	DataOffset    int64 // where the samples start in the file
	DataBytes     int64 // length of the data chunk
}

func (f Format) String() string {
	return fmt.Sprintf("format %d, %d Hz, %d channel(s), %d-bit", f.AudioFormat, f.SampleRate, f.Channels, f.BitsPerSample)
}

// Duration of the audio in milliseconds, for logs and tests.
func (f Format) DurationMillis() int64 {
	bytesPerSec := int64(f.SampleRate * f.Channels * f.BitsPerSample / 8)
	if bytesPerSec <= 0 {
		return 0
	}
	return f.DataBytes * 1000 / bytesPerSec
}

// maxChunks bounds the chunk walk so a crafted file cannot make it spin.
const maxChunks = 64

// ReadFormat parses a RIFF/WAVE header up to the start of the data chunk. It does not judge the
// format; see Check. Malformed input gives an error, never a panic.
func ReadFormat(r io.Reader) (Format, error) {
	var f Format
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return f, fmt.Errorf("read RIFF header: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return f, fmt.Errorf("not a RIFF/WAVE file: %w", ErrFormat)
	}
	off := int64(12)
	haveFmt := false
	for i := 0; i < maxChunks; i++ {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return f, fmt.Errorf("read chunk header at %d: %w", off, err)
		}
		off += 8
		id := string(hdr[0:4])
		size := int64(binary.LittleEndian.Uint32(hdr[4:8]))
		switch id {
		case "fmt ":
			if size < 16 || size > 1024 {
				return f, fmt.Errorf("fmt chunk of %d bytes: %w", size, ErrFormat)
			}
			buf := make([]byte, size+size%2)
			if _, err := io.ReadFull(r, buf); err != nil {
				return f, fmt.Errorf("read fmt chunk: %w", err)
			}
			off += int64(len(buf))
			f.AudioFormat = int(binary.LittleEndian.Uint16(buf[0:2]))
			f.Channels = int(binary.LittleEndian.Uint16(buf[2:4]))
			f.SampleRate = int(binary.LittleEndian.Uint32(buf[4:8]))
			f.BitsPerSample = int(binary.LittleEndian.Uint16(buf[14:16]))
			// WAVE_FORMAT_EXTENSIBLE: the real format is the first two bytes of the sub-format GUID.
			if f.AudioFormat == 0xFFFE && size >= 40 {
				f.AudioFormat = int(binary.LittleEndian.Uint16(buf[24:26]))
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return f, fmt.Errorf("data chunk before fmt chunk: %w", ErrFormat)
			}
			f.DataOffset = off
			f.DataBytes = size
			return f, nil
		default:
			// Skip LIST, fact and other chunks (padded to an even length).
			if _, err := io.CopyN(io.Discard, r, size+size%2); err != nil {
				return f, fmt.Errorf("skip %q chunk: %w", id, err)
			}
			off += size + size%2
		}
	}
	return f, fmt.Errorf("no data chunk in the first %d chunks: %w", maxChunks, ErrFormat)
}

// Check reports whether f is the prompt format, saying what is wrong if not.
func (f Format) Check() error {
	if f.AudioFormat != 1 || f.Channels != Channels || f.SampleRate != SampleRate || f.BitsPerSample != BitsPerSample {
		return fmt.Errorf("%s, want PCM %d Hz mono %d-bit: %w", f, SampleRate, BitsPerSample, ErrFormat)
	}
	if f.DataBytes%2 != 0 {
		return fmt.Errorf("data chunk of odd length %d: %w", f.DataBytes, ErrFormat)
	}
	return nil
}

// ValidateFile checks that the file at path is an 8 kHz mono 16-bit PCM WAV.
func ValidateFile(path string) (Format, error) {
	fh, err := os.Open(path)
	if err != nil {
		return Format{}, fmt.Errorf("open prompt: %w", err)
	}
	defer fh.Close()
	f, err := ReadFormat(fh)
	if err != nil {
		return f, fmt.Errorf("prompt %s: %w", path, err)
	}
	if err := f.Check(); err != nil {
		return f, fmt.Errorf("prompt %s: %w", path, err)
	}
	return f, nil
}

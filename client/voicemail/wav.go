package voicemail

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/shared/codec"
)

// ErrNotWAV is returned by DecodeWAV for data that is not a WAV file it can play.
var ErrNotWAV = errors.New("voicemail: not a playable WAV file")

// WAV format tags.
const (
	wavPCM   = 1
	wavALaw  = 6
	wavMuLaw = 7
	wavExt   = 0xFFFE // WAVE_FORMAT_EXTENSIBLE: the sub-format's first two bytes are the tag
)

// DecodeWAV decodes a WAV recording (16-bit PCM, A-law or µ-law; mono or stereo, which is
// mixed down) into mono samples at audio.SampleRate, resampling other rates. A data chunk whose
// size was never filled in (a recorder cut off) is read to the end of the file; malformed
// input returns an error wrapping ErrNotWAV, never panics.
func DecodeWAV(b []byte) ([]int16, error) {
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, fmt.Errorf("%w: no RIFF/WAVE header", ErrNotWAV)
	}
	var format, channels, bits uint16
	var rate uint32
	haveFmt := false
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4 : off+8]))
		body := off + 8
		switch id {
		case "fmt ":
			if size < 16 || body+16 > len(b) {
				return nil, fmt.Errorf("%w: short fmt chunk", ErrNotWAV)
			}
			format = binary.LittleEndian.Uint16(b[body:])
			channels = binary.LittleEndian.Uint16(b[body+2:])
			rate = binary.LittleEndian.Uint32(b[body+4:])
			bits = binary.LittleEndian.Uint16(b[body+14:])
			if format == wavExt && size >= 26 && body+26 <= len(b) {
				format = binary.LittleEndian.Uint16(b[body+24:])
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("%w: data before fmt", ErrNotWAV)
			}
			end := body + size
			if size == 0 || size == 0xFFFFFFFF || end > len(b) || end < body {
				end = len(b)
			}
			return decodeData(b[body:end], format, channels, bits, rate)
		}
		next := body + size + size&1 // chunks are padded to even sizes
		if next <= off {
			break
		}
		off = next
	}
	return nil, fmt.Errorf("%w: no data chunk", ErrNotWAV)
}

func decodeData(data []byte, format, channels, bits uint16, rate uint32) ([]int16, error) {
	if channels < 1 || channels > 8 || rate < 1000 || rate > 192000 {
		return nil, fmt.Errorf("%w: %d channels at %d Hz", ErrNotWAV, channels, rate)
	}
	var pcm []int16
	switch {
	case format == wavPCM && bits == 16:
		pcm = make([]int16, len(data)/2)
		for i := range pcm {
			pcm[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
		}
	case (format == wavALaw || format == wavMuLaw) && bits == 8:
		pt := codec.PCMA
		if format == wavMuLaw {
			pt = codec.PCMU
		}
		var err error
		if pcm, err = codec.Decode(pt, data, make([]int16, 0, len(data))); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrNotWAV, err)
		}
	default:
		return nil, fmt.Errorf("%w: format %d with %d bits", ErrNotWAV, format, bits)
	}
	if ch := int(channels); ch > 1 {
		mono := make([]int16, len(pcm)/ch)
		for i := range mono {
			sum := 0
			for c := range ch {
				sum += int(pcm[i*ch+c])
			}
			mono[i] = int16(sum / ch)
		}
		pcm = mono
	}
	if int(rate) != audio.SampleRate {
		pcm = audio.NewResampler(int(rate), audio.SampleRate).Process(pcm, nil)
	}
	return pcm, nil
}

package voicemailtest

import (
	"encoding/binary"
	"math"
)

// WAV encodes mono 16-bit PCM samples at rate as a WAV file.
func WAV(samples []int16, rate int) []byte {
	b := make([]byte, 44+2*len(samples))
	copy(b[0:], "RIFF")
	binary.LittleEndian.PutUint32(b[4:], uint32(36+2*len(samples)))
	copy(b[8:], "WAVEfmt ")
	binary.LittleEndian.PutUint32(b[16:], 16)
	binary.LittleEndian.PutUint16(b[20:], 1) // PCM
	binary.LittleEndian.PutUint16(b[22:], 1) // mono
	binary.LittleEndian.PutUint32(b[24:], uint32(rate))
	binary.LittleEndian.PutUint32(b[28:], uint32(2*rate))
	binary.LittleEndian.PutUint16(b[32:], 2)
	binary.LittleEndian.PutUint16(b[34:], 16)
	copy(b[36:], "data")
	binary.LittleEndian.PutUint32(b[40:], uint32(2*len(samples)))
	for i, s := range samples {
		binary.LittleEndian.PutUint16(b[44+2*i:], uint16(s))
	}
	return b
}

// Tone is a sine of freq Hz at half scale, seconds long, at rate.
func Tone(freq, seconds float64, rate int) []int16 {
	s := make([]int16, int(seconds*float64(rate)))
	for i := range s {
		s[i] = int16(16000 * math.Sin(2*math.Pi*freq*float64(i)/float64(rate)))
	}
	return s
}

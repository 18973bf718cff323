package voicemail

import (
	"encoding/binary"
	"time"
)

// wavHeader collects the first bytes of a file as it is written and reads the audio length
// from them. Files that are not RIFF/WAVE get a zero duration; they are stored all the same.
type wavHeader struct {
	buf []byte
}

const wavHeaderMax = 512

func (h *wavHeader) Write(p []byte) (int, error) {
	if room := wavHeaderMax - len(h.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		h.buf = append(h.buf, p[:room]...)
	}
	return len(p), nil
}

// duration is the audio length of a file of total bytes: the bytes after the data chunk's
// header divided by the byte rate of the fmt chunk. The data chunk's own size field is not
// trusted: a recorder that was cut off may never have filled it in.
func (h *wavHeader) duration(total int64) time.Duration {
	b := h.buf
	if len(b) < 12 || string(b[0:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return 0
	}
	var byteRate uint32
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := binary.LittleEndian.Uint32(b[off+4 : off+8])
		body := off + 8
		switch id {
		case "fmt ":
			if body+12 > len(b) {
				return 0
			}
			byteRate = binary.LittleEndian.Uint32(b[body+8 : body+12])
		case "data":
			if byteRate == 0 || total < int64(body) {
				return 0
			}
			n := total - int64(body)
			if int64(size) < n {
				n = int64(size)
			}
			if size == 0 || size == 0xffffffff {
				n = total - int64(body) // size never filled in
			}
			return time.Duration(n) * time.Second / time.Duration(byteRate)
		}
		if size > wavHeaderMax { // a chunk before data this big: give up rather than guess
			return 0
		}
		off = body + int(size) + int(size&1)
	}
	return 0
}

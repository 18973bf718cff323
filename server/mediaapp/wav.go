package mediaapp

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// wavHeaderSize is the size of the canonical 44-byte header WAVWriter writes.
const wavHeaderSize = 44

// maxWAVSamples bounds what ReadWAV accepts (about 35 minutes) so a bad file cannot exhaust memory.
const maxWAVSamples = 1 << 24

// WAVWriter writes an 8 kHz mono 16-bit PCM WAV. The sizes in the header are fixed up on Close.
// It is not safe for concurrent use.
type WAVWriter struct {
	ws      io.WriteSeeker
	start   int64    // where the header is: ws's position when the writer was made
	file    *os.File // set when the writer owns the file (CreateWAV)
	samples int
	buf     []byte
	closed  bool
}

// NewWAVWriter writes a header with zero sizes to ws and returns a writer for the samples.
// Close fixes the header up and syncs ws when it has a Sync method; it does not close ws.
func NewWAVWriter(ws io.WriteSeeker) (*WAVWriter, error) {
	start, err := ws.Seek(0, io.SeekCurrent)
	if err != nil {
		return nil, fmt.Errorf("wav writer position: %w", err)
	}
	w := &WAVWriter{ws: ws, start: start}
	if _, err := ws.Write(wavHeader(0)); err != nil {
		return nil, fmt.Errorf("write wav header: %w", err)
	}
	return w, nil
}

// CreateWAV creates (truncates) the file at path for writing a WAV. Its Close makes the
// recording durable: header fixed up, file fsynced and closed, directory entry fsynced.
func CreateWAV(path string) (*WAVWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create wav: %w", err)
	}
	w, err := NewWAVWriter(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("create wav %s: %w", path, err)
	}
	w.file = f
	return w, nil
}

// WriteSamples appends samples to the data chunk.
func (w *WAVWriter) WriteSamples(s []int16) error {
	if w.closed {
		return fmt.Errorf("write wav samples: %w", os.ErrClosed)
	}
	w.buf = w.buf[:0]
	for _, v := range s {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(v))
	}
	if _, err := w.ws.Write(w.buf); err != nil {
		return fmt.Errorf("write wav samples: %w", err)
	}
	w.samples += len(s)
	return nil
}

// Write appends raw little-endian 16-bit PCM bytes, whole samples only, so that a WAVWriter is
// an io.Writer (Record writes into it and leaves it open).
func (w *WAVWriter) Write(p []byte) (int, error) {
	if w.closed {
		return 0, fmt.Errorf("write wav: %w", os.ErrClosed)
	}
	if len(p)%2 != 0 {
		return 0, fmt.Errorf("write wav: %d bytes is not whole samples: %w", len(p), os.ErrInvalid)
	}
	n, err := w.ws.Write(p)
	w.samples += n / 2
	if err != nil {
		return n, fmt.Errorf("write wav: %w", err)
	}
	return n, nil
}

// Samples is the number of samples written so far.
func (w *WAVWriter) Samples() int { return w.samples }

// Close fixes up the header and syncs the data to stable storage before it returns.
func (w *WAVWriter) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.finish()
	if w.file != nil {
		err = errors.Join(err, w.file.Close())
		if err == nil {
			err = syncDir(filepath.Dir(w.file.Name()))
		}
	}
	if err != nil {
		return fmt.Errorf("close wav: %w", err)
	}
	return nil
}

func (w *WAVWriter) finish() error {
	if _, err := w.ws.Seek(w.start, io.SeekStart); err != nil {
		return fmt.Errorf("seek wav header: %w", err)
	}
	if _, err := w.ws.Write(wavHeader(w.samples)); err != nil {
		return fmt.Errorf("fix wav header: %w", err)
	}
	if _, err := w.ws.Seek(0, io.SeekEnd); err != nil {
		return fmt.Errorf("seek wav end: %w", err)
	}
	if s, ok := w.ws.(interface{ Sync() error }); ok {
		if err := s.Sync(); err != nil {
			return fmt.Errorf("sync wav: %w", err)
		}
	}
	return nil
}

// syncDir makes a new directory entry durable (a created file survives a crash).
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("open dir for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir %s: %w", dir, err)
	}
	return nil
}

// wavHeader is the canonical RIFF/WAVE header of n samples of 8 kHz mono 16-bit PCM.
func wavHeader(n int) []byte {
	data := uint32(n * 2)
	h := make([]byte, 0, wavHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, 36+data)
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16)
	h = binary.LittleEndian.AppendUint16(h, 1) // PCM
	h = binary.LittleEndian.AppendUint16(h, 1) // mono
	h = binary.LittleEndian.AppendUint32(h, SampleRate)
	h = binary.LittleEndian.AppendUint32(h, SampleRate*2) // byte rate
	h = binary.LittleEndian.AppendUint16(h, 2)            // block align
	h = binary.LittleEndian.AppendUint16(h, 16)           // bits per sample
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, data)
	return h
}

// EncodeWAV returns a complete WAV of samples.
func EncodeWAV(samples []int16) []byte {
	b := wavHeader(len(samples))
	for _, v := range samples {
		b = binary.LittleEndian.AppendUint16(b, uint16(v))
	}
	return b
}

// ReadWAV reads an 8 kHz mono 16-bit PCM WAV and returns its samples. Chunks other than fmt and
// data are skipped; a data size of 0 or 0xFFFFFFFF (a writer that never fixed its header up)
// means "to the end of the file".
func ReadWAV(r io.Reader) ([]int16, error) {
	br := bufio.NewReader(r)
	var riff [12]byte
	if _, err := io.ReadFull(br, riff[:]); err != nil {
		return nil, fmt.Errorf("read wav header: %w: %w", ErrWAV, err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return nil, fmt.Errorf("read wav: no RIFF/WAVE: %w", ErrWAV)
	}
	haveFmt := false
	for {
		var ch [8]byte
		if _, err := io.ReadFull(br, ch[:]); err != nil {
			return nil, fmt.Errorf("read wav chunk: %w: %w", ErrWAV, err)
		}
		id, size := string(ch[0:4]), binary.LittleEndian.Uint32(ch[4:8])
		switch id {
		case "fmt ":
			if size < 16 || size > 1024 {
				return nil, fmt.Errorf("read wav: fmt chunk of %d bytes: %w", size, ErrWAV)
			}
			f := make([]byte, size+size%2)
			if _, err := io.ReadFull(br, f); err != nil {
				return nil, fmt.Errorf("read wav fmt: %w: %w", ErrWAV, err)
			}
			format := binary.LittleEndian.Uint16(f[0:2])
			channels := binary.LittleEndian.Uint16(f[2:4])
			rate := binary.LittleEndian.Uint32(f[4:8])
			bits := binary.LittleEndian.Uint16(f[14:16])
			if format == 0xFFFE && size >= 40 { // WAVE_FORMAT_EXTENSIBLE: the subformat's first 2 bytes
				format = binary.LittleEndian.Uint16(f[24:26])
			}
			if format != 1 || channels != 1 || rate != SampleRate || bits != 16 {
				return nil, fmt.Errorf("read wav: format %d, %d channels, %d Hz, %d bits: %w",
					format, channels, rate, bits, ErrWAV)
			}
			haveFmt = true
		case "data":
			if !haveFmt {
				return nil, fmt.Errorf("read wav: data before fmt: %w", ErrWAV)
			}
			var src io.Reader = br
			if size != 0 && size != 0xFFFFFFFF {
				src = io.LimitReader(br, int64(size))
			}
			return readPCM16(src)
		default:
			if _, err := io.CopyN(io.Discard, br, int64(size)+int64(size%2)); err != nil {
				return nil, fmt.Errorf("skip wav chunk %q: %w: %w", id, ErrWAV, err)
			}
		}
	}
}

func readPCM16(r io.Reader) ([]int16, error) {
	var out []int16
	buf := make([]byte, 4096)
	var carry []byte
	for {
		n, err := r.Read(buf)
		b := append(carry, buf[:n]...)
		for len(b) >= 2 {
			out = append(out, int16(binary.LittleEndian.Uint16(b)))
			b = b[2:]
		}
		carry = append(carry[:0], b...)
		if len(out) > maxWAVSamples {
			return nil, fmt.Errorf("read wav data: more than %d samples: %w", maxWAVSamples, ErrWAV)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read wav data: %w", err)
		}
	}
}

// LoadWAV reads the WAV at path into a clip named after the file (without directory and
// extension).
func LoadWAV(path string) (Clip, error) {
	f, err := os.Open(path)
	if err != nil {
		return Clip{}, fmt.Errorf("load wav: %w", err)
	}
	defer f.Close()
	s, err := ReadWAV(f)
	if err != nil {
		return Clip{}, fmt.Errorf("load wav %s: %w", path, err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return Clip{Name: name, Samples: s}, nil
}

// sampleSink is where Record puts samples: a WAVWriter it was given (left open), one it made on
// an io.WriteSeeker (closed, so fixed up and synced), or memory written as one WAV to a plain
// io.Writer at the end.
type sampleSink struct {
	ww    *WAVWriter
	owned bool
	plain io.Writer
	buf   []int16
}

func newSampleSink(w io.Writer) (*sampleSink, error) {
	switch v := w.(type) {
	case *WAVWriter:
		return &sampleSink{ww: v}, nil
	case io.WriteSeeker:
		ww, err := NewWAVWriter(v)
		if err != nil {
			return nil, err
		}
		return &sampleSink{ww: ww, owned: true}, nil
	case nil:
		return nil, fmt.Errorf("record to nil writer: %w", os.ErrInvalid)
	default:
		return &sampleSink{plain: w}, nil
	}
}

func (s *sampleSink) write(f []int16) error {
	if s.ww != nil {
		return s.ww.WriteSamples(f)
	}
	s.buf = append(s.buf, f...)
	return nil
}

func (s *sampleSink) finish() error {
	switch {
	case s.owned:
		return s.ww.Close()
	case s.plain != nil:
		if _, err := s.plain.Write(EncodeWAV(s.buf)); err != nil {
			return fmt.Errorf("write wav: %w", err)
		}
	}
	return nil
}

package prompt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wavSpec describes a WAV the tests write.
type wavSpec struct {
	format, channels, rate, bits int
	extensible                   bool
	listChunk                    bool // a LIST chunk before fmt, as some editors write
	samples                      int
}

var goodSpec = wavSpec{format: 1, channels: 1, rate: 8000, bits: 16, samples: 800}

// makeWAV builds a WAV whose data is a 440 Hz sine (for 16-bit) of the given sample count.
func makeWAV(s wavSpec) []byte {
	var data bytes.Buffer
	for i := 0; i < s.samples*s.channels; i++ {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/8000))
		if s.bits == 16 {
			binary.Write(&data, binary.LittleEndian, v)
		} else {
			data.WriteByte(byte(v>>8) + 128)
		}
	}
	var fmtChunk bytes.Buffer
	tag := s.format
	if s.extensible {
		tag = 0xFFFE
	}
	blockAlign := s.channels * s.bits / 8
	binary.Write(&fmtChunk, binary.LittleEndian, uint16(tag))
	binary.Write(&fmtChunk, binary.LittleEndian, uint16(s.channels))
	binary.Write(&fmtChunk, binary.LittleEndian, uint32(s.rate))
	binary.Write(&fmtChunk, binary.LittleEndian, uint32(s.rate*blockAlign))
	binary.Write(&fmtChunk, binary.LittleEndian, uint16(blockAlign))
	binary.Write(&fmtChunk, binary.LittleEndian, uint16(s.bits))
	if s.extensible {
		binary.Write(&fmtChunk, binary.LittleEndian, uint16(22))       // cbSize
		binary.Write(&fmtChunk, binary.LittleEndian, uint16(s.bits))   // valid bits
		binary.Write(&fmtChunk, binary.LittleEndian, uint32(4))        // channel mask
		binary.Write(&fmtChunk, binary.LittleEndian, uint16(s.format)) // sub-format GUID starts with the tag
		fmtChunk.Write([]byte{0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71})
	}
	var body bytes.Buffer
	body.WriteString("WAVE")
	if s.listChunk {
		body.WriteString("LIST")
		binary.Write(&body, binary.LittleEndian, uint32(5))
		body.Write([]byte("INFOx\x00")) // odd size, padded
	}
	body.WriteString("fmt ")
	binary.Write(&body, binary.LittleEndian, uint32(fmtChunk.Len()))
	body.Write(fmtChunk.Bytes())
	body.WriteString("data")
	binary.Write(&body, binary.LittleEndian, uint32(data.Len()))
	body.Write(data.Bytes())
	var out bytes.Buffer
	out.WriteString("RIFF")
	binary.Write(&out, binary.LittleEndian, uint32(body.Len()))
	out.Write(body.Bytes())
	return out.Bytes()
}

func TestReadFormat(t *testing.T) {
	good := makeWAV(goodSpec)
	tests := []struct {
		name    string
		data    []byte
		wantErr bool // from ReadFormat or Check
		wantMS  int64
	}{
		{"8 kHz mono 16-bit", good, false, 100},
		{"extensible PCM", makeWAV(wavSpec{format: 1, channels: 1, rate: 8000, bits: 16, extensible: true, samples: 1600}), false, 200},
		{"LIST chunk first", makeWAV(wavSpec{format: 1, channels: 1, rate: 8000, bits: 16, listChunk: true, samples: 80}), false, 10},
		{"22.05 kHz", makeWAV(wavSpec{format: 1, channels: 1, rate: 22050, bits: 16, samples: 100}), true, 0},
		{"stereo", makeWAV(wavSpec{format: 1, channels: 2, rate: 8000, bits: 16, samples: 100}), true, 0},
		{"8-bit", makeWAV(wavSpec{format: 1, channels: 1, rate: 8000, bits: 8, samples: 100}), true, 0},
		{"A-law", makeWAV(wavSpec{format: 6, channels: 1, rate: 8000, bits: 16, samples: 100}), true, 0},
		{"not RIFF", append([]byte("RIFX"), good[4:]...), true, 0},
		{"truncated header", good[:30], true, 0},
		{"empty", nil, true, 0},
		{"no data chunk", good[:36], true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ReadFormat(bytes.NewReader(tt.data))
			if err == nil {
				err = f.Check()
			}
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v (format %s)", err, tt.wantErr, f)
			}
			if !tt.wantErr && f.DurationMillis() != tt.wantMS {
				t.Fatalf("duration %d ms, want %d", f.DurationMillis(), tt.wantMS)
			}
		})
	}
}

func TestCheckSaysWhatIsWrong(t *testing.T) {
	f, err := ReadFormat(bytes.NewReader(makeWAV(wavSpec{format: 1, channels: 2, rate: 22050, bits: 16, samples: 10})))
	if err != nil {
		t.Fatal(err)
	}
	err = f.Check()
	if !errors.Is(err, ErrFormat) || !strings.Contains(err.Error(), "22050 Hz") || !strings.Contains(err.Error(), "2 channel") {
		t.Fatalf("Check() = %v, want ErrFormat naming 22050 Hz and 2 channels", err)
	}
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// testCatalogDir: en has everything, fi some keys, sv nothing; fi and en have one override each.
func testCatalogDir(t *testing.T) string {
	dir := t.TempDir()
	good := makeWAV(goodSpec)
	for _, rel := range []string{
		"en/goodbye.wav", "en/feature_activated.wav", "en/num/14.wav", "en/month/3.wav",
		"fi/goodbye.wav", "fi/feature_activated.wav",
		"custom/fi/feature_activated.wav", "custom/en/month/3.wav",
	} {
		writeFile(t, filepath.Join(dir, filepath.FromSlash(rel)), good)
	}
	writeFile(t, filepath.Join(dir, "en", "README.txt"), []byte("not a prompt")) // ignored
	return dir
}

func TestCatalogPath(t *testing.T) {
	dir := testCatalogDir(t)
	c, err := Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	at := func(rel string) string { return filepath.Join(dir, filepath.FromSlash(rel)) }
	tests := []struct {
		lang, key string
		want      string // empty: want an error
	}{
		{"fi", "goodbye", at("fi/goodbye.wav")},
		{"fi-FI", "goodbye", at("fi/goodbye.wav")},
		{"FI", "goodbye", at("fi/goodbye.wav")},
		{"en", "goodbye", at("en/goodbye.wav")},
		{"sv", "goodbye", at("en/goodbye.wav")},                            // missing language → English
		{"de", "goodbye", at("en/goodbye.wav")},                            // unknown language → English
		{"fi", "num/14", at("en/num/14.wav")},                              // missing key → English
		{"fi", "feature_activated", at("custom/fi/feature_activated.wav")}, // override wins
		{"sv", "month/3", at("custom/en/month/3.wav")},                     // English override on fallback
		{"en", "nope", ""},
		{"en", "../en/goodbye", ""},
		{"en", "/etc/passwd", ""},
		{"en", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.lang+"/"+tt.key, func(t *testing.T) {
			got, err := c.Path(tt.lang, tt.key)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Path = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Path = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCatalogPaths(t *testing.T) {
	dir := testCatalogDir(t)
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.Paths("fi", "feature_activated", "num/14", "goodbye")
	want := []string{
		filepath.Join(dir, "custom", "fi", "feature_activated.wav"),
		filepath.Join(dir, "en", "num", "14.wav"),
		filepath.Join(dir, "fi", "goodbye.wav"),
	}
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("Paths = %v, %v; want %v", got, err, want)
	}
	if _, err := c.Paths("fi", "goodbye", "nope"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Paths with an unknown key: %v, want ErrNotFound", err)
	}
}

func TestCatalogKeysAndMissing(t *testing.T) {
	c, err := Open(testCatalogDir(t))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"feature_activated", "goodbye", "month/3", "num/14"}
	if got := c.Keys(); !slices.Equal(got, want) {
		t.Fatalf("Keys() = %v, want %v", got, want)
	}
	m := c.Missing()
	if got := m["fi"]; !slices.Equal(got, []string{"month/3", "num/14"}) {
		t.Fatalf("Missing()[fi] = %v", got)
	}
	if got := m["sv"]; len(got) != 4 {
		t.Fatalf("Missing()[sv] = %v, want all 4 keys", got)
	}
	if got := m["en"]; len(got) != 0 {
		t.Fatalf("Missing()[en] = %v, want none", got)
	}
}

func TestOpenRejects(t *testing.T) {
	bad := makeWAV(wavSpec{format: 1, channels: 1, rate: 22050, bits: 16, samples: 100})
	tests := []struct {
		name  string
		setup func(dir string)
		want  string // substring of the error
	}{
		{"no directory", func(dir string) { os.RemoveAll(dir) }, "make prompts"},
		{"no English", func(dir string) { writeFile(t, filepath.Join(dir, "fi", "goodbye.wav"), makeWAV(goodSpec)) }, "no en prompts"},
		{"22 kHz prompt", func(dir string) {
			writeFile(t, filepath.Join(dir, "en", "goodbye.wav"), makeWAV(goodSpec))
			writeFile(t, filepath.Join(dir, "sv", "goodbye.wav"), bad)
		}, filepath.Join("sv", "goodbye.wav")},
		{"22 kHz override", func(dir string) {
			writeFile(t, filepath.Join(dir, "en", "goodbye.wav"), makeWAV(goodSpec))
			writeFile(t, filepath.Join(dir, "custom", "fi", "goodbye.wav"), bad)
		}, "22050 Hz"},
		{"bad key", func(dir string) {
			writeFile(t, filepath.Join(dir, "en", "goodbye.wav"), makeWAV(goodSpec))
			writeFile(t, filepath.Join(dir, "en", "Good Bye.wav"), makeWAV(goodSpec))
		}, "bad key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(dir)
			_, err := Open(dir)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open() = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestInstallAndRemove(t *testing.T) {
	dir := testCatalogDir(t)
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	// sv has no generated prompts, so English plays until an upload succeeds.
	if err := c.Install("sv", "goodbye", bytes.NewReader(makeWAV(wavSpec{format: 1, channels: 1, rate: 44100, bits: 16, samples: 10}))); err == nil {
		t.Fatal("Install accepted a 44.1 kHz WAV")
	}
	if p, _ := c.Path("sv", "goodbye"); p != filepath.Join(dir, "en", "goodbye.wav") {
		t.Fatalf("after a rejected upload Path = %q, want the English prompt", p)
	}
	if err := c.Install("sv", "goodbye", bytes.NewReader(makeWAV(goodSpec))); err != nil {
		t.Fatalf("Install: %v", err)
	}
	want := filepath.Join(dir, "custom", "sv", "goodbye.wav")
	if p, err := c.Path("sv", "goodbye"); err != nil || p != want {
		t.Fatalf("after Install Path = %q, %v; want %q", p, err, want)
	}
	if err := c.Install("sv", "../../x", bytes.NewReader(makeWAV(goodSpec))); err == nil {
		t.Fatal("Install accepted a key that escapes the directory")
	}
	if err := c.Install("de", "goodbye", bytes.NewReader(makeWAV(goodSpec))); err == nil {
		t.Fatal("Install accepted an unknown language")
	}
	// An override broken behind the catalog's back is reported, not silently skipped.
	writeFile(t, want, []byte("RIFF junk"))
	if _, err := c.Path("sv", "goodbye"); err == nil {
		t.Fatal("Path accepted a broken override")
	}
	if err := c.Remove("sv", "goodbye"); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.Path("sv", "goodbye"); p != filepath.Join(dir, "en", "goodbye.wav") {
		t.Fatalf("after Remove Path = %q, want the English prompt", p)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "custom", "sv"))
	if len(entries) != 0 {
		t.Fatalf("custom/sv left with %d file(s) (temporary uploads not cleaned?)", len(entries))
	}
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{"fi": "fi", "sv-FI": "sv", "sv_SE": "sv", " EN ": "en", "de": "en", "": "en"} {
		if got := Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzReadFormat(f *testing.F) {
	f.Add(makeWAV(goodSpec))
	f.Add(makeWAV(wavSpec{format: 1, channels: 1, rate: 8000, bits: 16, extensible: true, listChunk: true, samples: 4}))
	f.Add([]byte("RIFF\x00\x00\x00\x00WAVEfmt \xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fm, err := ReadFormat(bytes.NewReader(data))
		if err == nil {
			_ = fm.Check()
			_ = fm.DurationMillis()
			if fm.DataOffset > int64(len(data)) {
				t.Fatalf("data offset %d beyond %d bytes", fm.DataOffset, len(data))
			}
		}
	})
}

package prompt

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/tone"
)

// scriptPath is packaging/prompts.sh seen from this package's directory.
func scriptPath(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", "packaging", "prompts.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("prompt script: %v", err)
	}
	return p
}

// runScript runs the prompt script with extra environment and returns its stderr.
func runScript(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/bash", append([]string{scriptPath(t)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = io.Discard
	err := cmd.Run()
	return stderr.String(), err
}

// readSamples returns the PCM samples of a prompt-format WAV.
func readSamples(t *testing.T, path string) []int16 {
	t.Helper()
	f, err := ValidateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	end := f.DataOffset + f.DataBytes
	if end > int64(len(data)) {
		t.Fatalf("%s: data chunk of %d bytes runs past the end of the file", path, f.DataBytes)
	}
	pcm := make([]int16, f.DataBytes/2)
	if err := binary.Read(bytes.NewReader(data[f.DataOffset:end]), binary.LittleEndian, pcm); err != nil {
		t.Fatal(err)
	}
	return pcm
}

func peak(pcm []int16) int {
	m := 0
	for _, s := range pcm {
		m = max(m, int(math.Abs(float64(s))))
	}
	return m
}

func TestIntegrationPromptScript(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	for _, tool := range []string{"espeak-ng", "sox"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s not found in PATH (run packaging/install-deps.sh, or `make test`): %v", tool, err)
		}
	}
	dir := t.TempDir()
	keys := []string{"feature_activated", "goodbye", "num/7", "time/pm"}
	env := []string{"PROMPT_KEYS=" + strings.Join(keys, " "), "FORCE="}
	if stderr, err := runScript(t, env, dir); err != nil {
		t.Fatalf("prompts.sh: %v\n%s", err, stderr)
	}

	c, err := Open(dir)
	if err != nil {
		t.Fatalf("Open on the generated prompts: %v", err)
	}
	if got := c.Keys(); !slices.Equal(got, keys) {
		t.Fatalf("Keys() = %v, want %v", got, keys)
	}
	for lang, missing := range c.Missing() {
		if len(missing) > 0 {
			t.Fatalf("%s lacks %v", lang, missing)
		}
	}
	for _, lang := range Languages {
		for _, key := range keys {
			p, err := c.Path(lang, key)
			if err != nil {
				t.Fatal(err)
			}
			if want := filepath.Join(dir, lang, filepath.FromSlash(key)+".wav"); p != want {
				t.Fatalf("Path(%s, %s) = %s, want %s", lang, key, p, want)
			}
			pcm := readSamples(t, p)
			rms, pk := tone.RMS(pcm), peak(pcm)
			// "p m" is said in English only; the others get a short silence.
			if key == "time/pm" && lang != "en" {
				if rms != 0 || len(pcm) > 800 {
					t.Errorf("%s/%s: want a short silence, got %d samples at RMS %.3f", lang, key, len(pcm), rms)
				}
				continue
			}
			// Speech: audible (well above any noise floor), normalised to about -3 dBFS peak, and
			// at least a short word long.
			if rms < 0.03 {
				t.Errorf("%s/%s: RMS %.3f of full scale, want speech (> 0.03)", lang, key, rms)
			}
			if pk < 20000 || pk > 25000 {
				t.Errorf("%s/%s: peak %d, want about -3 dBFS (23197)", lang, key, pk)
			}
			if len(pcm) < 2000 {
				t.Errorf("%s/%s: %d samples, want at least 250 ms", lang, key, len(pcm))
			}
		}
	}

	// Idempotent: a second run leaves the files alone; FORCE=1 rewrites them.
	target := filepath.Join(dir, "fi", "goodbye.wav")
	before, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if stderr, err := runScript(t, env, dir); err != nil {
		t.Fatalf("second run: %v\n%s", err, stderr)
	}
	after, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if !os.SameFile(before, after) {
		t.Fatal("second run regenerated an up-to-date prompt")
	}
	if stderr, err := runScript(t, append(env, "FORCE=1"), dir); err != nil {
		t.Fatalf("forced run: %v\n%s", err, stderr)
	}
	forced, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(before, forced) {
		t.Fatal("FORCE=1 did not regenerate the prompt")
	}

	// A changed text regenerates just that prompt.
	tsv := filepath.Join(t.TempDir(), "prompts.tsv")
	if err := os.WriteFile(tsv, []byte("goodbye\tHei hei.\tAdjö.\tBye now.\nfeature_activated\tToiminne on otettu käyttöön.\tFunktionen har aktiverats.\tFeature activated.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fa, _ := os.Stat(filepath.Join(dir, "en", "feature_activated.wav"))
	if stderr, err := runScript(t, []string{"PROMPTS_TSV=" + tsv, "PROMPT_KEYS="}, dir); err != nil {
		t.Fatalf("run with a changed text: %v\n%s", err, stderr)
	}
	changed, _ := os.Stat(target)
	fa2, _ := os.Stat(filepath.Join(dir, "en", "feature_activated.wav"))
	if os.SameFile(forced, changed) {
		t.Fatal("a changed text did not regenerate its prompt")
	}
	if fa == nil || fa2 == nil || !os.SameFile(fa, fa2) {
		t.Fatal("an unchanged text was regenerated")
	}
	// That full run (no PROMPT_KEYS) also removed the keys its text file does not have.
	if _, err := os.Stat(filepath.Join(dir, "sv", "num", "7.wav")); !os.IsNotExist(err) {
		t.Fatalf("num/7 left behind by a full run without it: %v", err)
	}
	c, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := c.Keys(); !slices.Equal(got, []string{"feature_activated", "goodbye"}) {
		t.Fatalf("after pruning Keys() = %v", got)
	}
}

func TestIntegrationPromptScriptErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	soxPath, err := exec.LookPath("sox")
	if err != nil {
		t.Fatalf("sox not found in PATH: %v", err)
	}
	// A PATH with sox but no espeak-ng.
	onlySox := t.TempDir()
	if err := os.Symlink(soxPath, filepath.Join(onlySox, "sox")); err != nil {
		t.Fatal(err)
	}
	badTSV := filepath.Join(t.TempDir(), "bad.tsv")
	if err := os.WriteFile(badTSV, []byte("# comment\n\ngoodbye\tNäkemiin.\tHej då.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// An espeak-ng that fails, to see the failure reported (everything else is real).
	espeak, err := exec.LookPath("espeak-ng")
	if err != nil {
		t.Fatalf("espeak-ng not found in PATH: %v", err)
	}
	failing := t.TempDir()
	fake := "#!/bin/sh\ncase \"$1\" in --voices*) exec " + espeak + " \"$@\" ;; esac\necho synthesis broke >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(failing, "espeak-ng"), []byte(fake), 0o755); err != nil {
		t.Fatal(err)
	}
	badKey := filepath.Join(t.TempDir(), "badkey.tsv")
	if err := os.WriteFile(badKey, []byte("../evil\ta\tb\tc\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  []string
		want string
	}{
		{"no espeak-ng", []string{"PATH=" + onlySox}, "missing espeak-ng"},
		{"three columns", []string{"PROMPTS_TSV=" + badTSV}, "bad.tsv:3: want 4 TAB-separated columns"},
		{"bad key", []string{"PROMPTS_TSV=" + badKey}, `bad key "../evil"`},
		{"unknown key", []string{"PROMPT_KEYS=no_such_prompt"}, "PROMPT_KEYS names no_such_prompt"},
		{"unknown language", []string{"PROMPT_LANGS=de"}, "unknown language de"},
		{"espeak-ng fails", []string{"PATH=" + failing + ":" + os.Getenv("PATH"), "PROMPT_KEYS=goodbye", "PROMPT_LANGS=en"}, "generating prompts failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			stderr, err := runScript(t, tt.env, dir)
			if err == nil {
				t.Fatalf("prompts.sh succeeded, want failure with %q", tt.want)
			}
			if !strings.Contains(stderr, tt.want) {
				t.Fatalf("stderr = %q, want it to contain %q", stderr, tt.want)
			}
			filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					t.Errorf("a failed run left %s", path)
				}
				return nil
			})
		})
	}
}

package prompt

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
)

func TestClips(t *testing.T) {
	dir := testCatalogDir(t)
	c, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	clips, err := c.Clips("fi", "goodbye", "num/14", "feature_activated")
	if err != nil {
		t.Fatalf("Clips: %v", err)
	}
	var names []string
	for _, cl := range clips {
		names = append(names, cl.Name)
		if len(cl.Samples) != goodSpec.samples {
			t.Errorf("clip %s has %d samples, want %d", cl.Name, len(cl.Samples), goodSpec.samples)
		}
	}
	if got := strings.Join(names, " "); got != "goodbye num/14 feature_activated" {
		t.Errorf("clip names %q, want the keys in order", got)
	}
	_, err = c.Clips("fi", "goodbye", "vm_nonexistent")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "vm_nonexistent") {
		t.Errorf("missing key: %v, want ErrNotFound naming the key", err)
	}
}

// An upload replaces a cached clip at once.
func TestClipsCacheSeesOverride(t *testing.T) {
	c, err := Open(testCatalogDir(t))
	if err != nil {
		t.Fatal(err)
	}
	before, err := c.Clips("sv", "goodbye")
	if err != nil {
		t.Fatal(err)
	}
	longer := goodSpec
	longer.samples = 1600
	if err := c.Install("sv", "goodbye", bytes.NewReader(makeWAV(longer))); err != nil {
		t.Fatal(err)
	}
	after, err := c.Clips("sv", "goodbye")
	if err != nil {
		t.Fatal(err)
	}
	if len(before[0].Samples) != 800 || len(after[0].Samples) != 1600 {
		t.Fatalf("samples before/after upload %d/%d, want 800/1600", len(before[0].Samples), len(after[0].Samples))
	}
	if err := c.Remove("sv", "goodbye"); err != nil {
		t.Fatal(err)
	}
	if again, err := c.Clips("sv", "goodbye"); err != nil || len(again[0].Samples) != 800 {
		t.Fatalf("after Remove: %v, %v; want the generated prompt", again, err)
	}
}

// Run with -race: flows load prompts from many calls at once.
func TestClipsConcurrent(t *testing.T) {
	c, err := Open(testCatalogDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 20; j++ {
				if _, err := c.Clips("en", "goodbye", "num/14", "month/3"); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

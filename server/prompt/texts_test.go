package prompt_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
)

// readTSV parses packaging/prompts.tsv into key → {fi, sv, en}, failing on any malformed row.
func readTSV(t *testing.T) (map[string][3]string, []string) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "packaging", "prompts.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	texts := map[string][3]string{}
	var order []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		row := sc.Text()
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		cols := strings.Split(row, "\t")
		if len(cols) != 4 {
			t.Fatalf("prompts.tsv:%d: %d columns, want 4 (key fi sv en)", line, len(cols))
		}
		key := cols[0]
		if !prompt.ValidKey(key) {
			t.Fatalf("prompts.tsv:%d: bad key %q", line, key)
		}
		if _, dup := texts[key]; dup {
			t.Fatalf("prompts.tsv:%d: duplicate key %q", line, key)
		}
		for i, text := range cols[1:] {
			if strings.TrimSpace(text) == "" {
				t.Fatalf("prompts.tsv:%d: empty %s text for %q (use - for silence)", line, prompt.Languages[i], key)
			}
		}
		texts[key] = [3]string{cols[1], cols[2], cols[3]}
		order = append(order, key)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return texts, order
}

// The keys the call flows of issue 4 need (feature codes, voicemail menus, greetings, away
// notice, activities and roles) must all have texts.
func TestPromptsTSVHasFlowKeys(t *testing.T) {
	texts, _ := readTSV(t)
	want := []string{
		"feature_activated", "feature_cancelled", "forwarding_set_to", "forwarding_cleared",
		"invalid_choice", "goodbye", "vm_enter_mailbox", "vm_enter_pin", "vm_main_menu",
		"vm_message_menu", "vm_you_have", "vm_new_messages", "message_saved", "leave_message",
		"greeting_default", "person_is", "press1_customer_service", "press2_reach_person",
		"time/until", "role/5",
	}
	for n := 1; n <= 9; n++ {
		want = append(want, "activity/"+string(rune('0'+n)))
	}
	for _, k := range want {
		if _, ok := texts[k]; !ok {
			t.Errorf("prompts.tsv lacks %q", k)
		}
	}
	// Seed 001's wording of the feature-code answer.
	if got := texts["feature_activated"][0]; got != "Toiminne on otettu käyttöön." {
		t.Errorf("feature_activated in Finnish = %q, want seed 001's %q", got, "Toiminne on otettu käyttöön.")
	}
}

// The spoken numbers, times and dates are concatenated by mediaapp's Say functions: every key they
// produce must be generated, with the words mediaapp means (a translator fixing one must fix both).
func TestPromptTextsMatchMediaapp(t *testing.T) {
	texts, _ := readTSV(t)
	for _, key := range mediaapp.PromptKeys {
		row, ok := texts[key]
		if !ok {
			t.Errorf("prompts.tsv lacks mediaapp key %q", key)
			continue
		}
		for i, lang := range prompt.Languages {
			want, used := mediaapp.PromptText(mediaapp.Lang(lang), key)
			if !used {
				want = "-"
			}
			if row[i] != want {
				t.Errorf("%s/%s: prompts.tsv says %q, mediaapp's words.go %q", lang, key, row[i], want)
			}
		}
	}
}

// The prompt set `make prompts` generated (make test runs it first) is complete and valid: every
// row of prompts.tsv in every language, nothing else, all 8 kHz mono 16-bit.
func TestIntegrationGeneratedCatalog(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: skipped under -short")
	}
	dir := filepath.Join("..", "..", "assets", "prompts")
	if _, err := os.Stat(filepath.Join(dir, prompt.Fallback)); err != nil {
		t.Skipf("no generated prompts (run `make prompts`; `make test` does): %v", err)
	}
	c, err := prompt.Open(dir)
	if err != nil {
		t.Fatalf("Open(%s): %v", dir, err)
	}
	_, order := readTSV(t)
	got := c.Keys()
	if len(got) != len(order) {
		t.Errorf("catalog has %d keys, prompts.tsv %d (stale or missing prompts: run `make prompts`)", len(got), len(order))
	}
	for lang, keys := range c.Missing() {
		if len(keys) > 0 {
			t.Errorf("%s lacks %d prompt(s), e.g. %s", lang, len(keys), keys[0])
		}
	}
	for _, lang := range prompt.Languages {
		if _, err := c.Path(lang, "feature_activated"); err != nil {
			t.Error(err)
		}
	}
}

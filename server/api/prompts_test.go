package api

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
	"github.com/vaihde/vaihde/server/store"
)

// TestPromptUpload: an administrator replaces a prompt with a recording, which is what callers
// hear from then on (Catalog.Clips), and deleting it brings the generated prompt back. Others
// may only listen; bad uploads are refused and change nothing.
func TestPromptUpload(t *testing.T) {
	e := newEnv(t, nil)
	dir := t.TempDir()
	generated := mediaapp.EncodeWAV(mediaapp.Tone(440, 500*time.Millisecond).Samples)
	for _, lang := range prompt.Languages {
		if err := os.MkdirAll(filepath.Join(dir, lang, "activity"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{"goodbye", "activity/4"} {
			if err := os.WriteFile(filepath.Join(dir, lang, filepath.FromSlash(key)+".wav"), generated, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	cat, err := prompt.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	e.s.deps.Prompts = cat
	admin, user := e.login(t, "1001"), e.login(t, "1002")
	org := e.accts["1001"].OrgID
	own := mediaapp.EncodeWAV(mediaapp.Tone(1000, 800*time.Millisecond).Samples)

	if code, body := e.do(t, http.MethodPut, "/api/prompts/fi/goodbye", user, string(own)); code != http.StatusForbidden {
		t.Fatalf("non-admin upload: %d %s", code, body)
	}
	for name, tc := range map[string]struct {
		path, body string
		code       int
		msg        string
	}{
		"not a wav":      {"/api/prompts/fi/goodbye", "hello", http.StatusBadRequest, "not a prompt recording"},
		"wrong rate":     {"/api/prompts/fi/goodbye", string(wav16k()), http.StatusBadRequest, "not a prompt recording"},
		"unknown key":    {"/api/prompts/fi/nosuch", string(own), http.StatusNotFound, "no such prompt"},
		"unknown lang":   {"/api/prompts/de/goodbye", string(own), http.StatusBadRequest, "unknown language"},
		"path traversal": {"/api/prompts/fi/..%2F..%2Fx", string(own), http.StatusNotFound, "no such prompt"},
	} {
		code, body := e.do(t, http.MethodPut, tc.path, admin, tc.body)
		if code != tc.code || !strings.Contains(string(body), tc.msg) {
			t.Errorf("%s: %d %s, want %d %q", name, code, body, tc.code, tc.msg)
		}
	}
	if clips, err := cat.OrgClips(org, "fi", "goodbye"); err != nil || len(clips[0].Samples) != 4000 {
		t.Fatalf("a refused upload changed the prompt: %v", err)
	}

	for _, key := range []string{"goodbye", "activity/4"} {
		if code, body := e.do(t, http.MethodPut, "/api/prompts/fi/"+key, admin, string(own)); code != http.StatusNoContent {
			t.Fatalf("upload %s: %d %s", key, code, body)
		}
		clips, err := cat.OrgClips(org, "fi", key)
		if err != nil || len(clips[0].Samples) != 6400 {
			t.Fatalf("callers of %s do not hear the upload: %v", key, err)
		}
		code, body := e.do(t, http.MethodGet, "/api/prompts/fi/"+key, user, nil)
		if code != http.StatusOK || !bytes.Equal(body, own) {
			t.Fatalf("GET %s after upload: %d, %d bytes", key, code, len(body))
		}
	}
	if clips, _ := cat.OrgClips(org, "sv", "goodbye"); len(clips[0].Samples) != 4000 {
		t.Fatal("the Finnish upload changed the Swedish prompt")
	}
	// Another organisation's administrator neither hears nor changes this organisation's
	// recordings (ORG-1): their upload and delete act on their own prompts only.
	ctx := context.Background()
	acme, err := e.st.CreateOrg(ctx, store.Org{Name: "Acme", Domain: "acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := e.st.CreateUser(ctx, store.User{OrgID: acme.ID, Extension: "1001", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	other := e.token(t, stranger.ID)
	if code, body := e.do(t, http.MethodGet, "/api/prompts/fi/goodbye", other, nil); code != http.StatusOK || !bytes.Equal(body, generated) {
		t.Fatalf("acme hears demo's recording: %d, %d bytes", code, len(body))
	}
	if code, _ := e.do(t, http.MethodDelete, "/api/prompts/fi/goodbye", other, nil); code != http.StatusNoContent {
		t.Fatalf("acme delete of its own (absent) recording: %d", code)
	}
	if clips, _ := cat.OrgClips(org, "fi", "goodbye"); len(clips[0].Samples) != 6400 {
		t.Fatal("acme's delete removed demo's recording")
	}
	acmeOwn := mediaapp.EncodeWAV(mediaapp.Tone(700, 300*time.Millisecond).Samples)
	if code, _ := e.do(t, http.MethodPut, "/api/prompts/fi/goodbye", other, string(acmeOwn)); code != http.StatusNoContent {
		t.Fatalf("acme upload: %d", code)
	}
	if clips, _ := cat.OrgClips(acme.ID, "fi", "goodbye"); len(clips[0].Samples) != 2400 {
		t.Fatal("acme's callers do not hear acme's upload")
	}
	if clips, _ := cat.OrgClips(org, "fi", "goodbye"); len(clips[0].Samples) != 6400 {
		t.Fatal("acme's upload changed demo's prompt")
	}
	if clips, _ := cat.Clips("fi", "goodbye"); len(clips[0].Samples) != 4000 {
		t.Fatal("an organisation's upload changed the server-wide prompt")
	}
	if code, _ := e.do(t, http.MethodDelete, "/api/prompts/fi/goodbye", user, nil); code != http.StatusForbidden {
		t.Fatalf("non-admin delete: %d", code)
	}
	if code, _ := e.do(t, http.MethodDelete, "/api/prompts/fi/goodbye", admin, nil); code != http.StatusNoContent {
		t.Fatalf("delete: %d", code)
	}
	if clips, _ := cat.OrgClips(org, "fi", "goodbye"); len(clips[0].Samples) != 4000 {
		t.Fatal("after delete the generated prompt does not play again")
	}
	// Every change is an admin change in the audit log, refused ones are not.
	es, err := e.st.ListAudit(context.Background(), e.accts["1001"].OrgID, 10)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range es {
		got = append(got, a.Action+" "+a.Target+" "+a.Actor)
	}
	want := []string{"prompt.delete prompt fi/goodbye 1001", "prompt.put prompt fi/activity/4 1001", "prompt.put prompt fi/goodbye 1001"}
	if !slices.Equal(got, want) {
		t.Fatalf("audit %q, want %q", got, want)
	}
}

// wav16k is a WAV at 16 kHz, which prompts are not.
func wav16k() []byte {
	b := mediaapp.EncodeWAV(make([]int16, 1600))
	// Sample rate (offset 24) and byte rate (offset 28) of the fmt chunk.
	b[24], b[25], b[26], b[27] = 0x80, 0x3e, 0, 0
	b[28], b[29], b[30], b[31] = 0x00, 0x7d, 0, 0
	return b
}

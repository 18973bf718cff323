package voicemail

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// TestSavedHook: Saved sees each new message once, after Changed and with the stored record
// (its file already in place), and never for a message Recover re-adds.
func TestSavedHook(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var order []string
	var saved []store.Voicemail
	open := func() *Mailbox {
		mb, err := New(Config{Root: e.root, Store: e.st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
			Changed: func(int64) { order = append(order, "changed") },
			Saved: func(v store.Voicemail) {
				order = append(order, "saved")
				if _, err := os.Stat(filepath.Join(e.root, filepath.FromSlash(v.Path))); err != nil {
					t.Errorf("Saved called before the file exists: %v", err)
				}
				saved = append(saved, v)
			}})
		if err != nil {
			t.Fatal(err)
		}
		return mb
	}
	mb := open()
	audio := wav(2 * time.Second)
	v, err := mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID, Caller: "+358401112222", CallerName: "Bo"}, bytes.NewReader(audio))
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) != 1 || saved[0].ID != v.ID || saved[0].Duration != 2*time.Second || saved[0].CallerName != "Bo" {
		t.Fatalf("Saved got %+v, want the record %+v", saved, v)
	}
	if len(order) != 2 || order[0] != "changed" || order[1] != "saved" {
		t.Fatalf("callback order %v, want [changed saved]", order)
	}
	if _, err := mb.Save(ctx, Message{OrgID: e.user.OrgID, UserID: e.user.ID}, bytes.NewReader(nil)); err == nil || len(saved) != 1 {
		t.Fatalf("a failed save (%v) must not call Saved: %d calls", err, len(saved))
	}

	// A file without a record (crash between rename and insert) is re-added by Recover, silently.
	if _, err := e.st.DeleteVoicemail(ctx, e.user.ID, v.ID); err != nil {
		t.Fatal(err)
	}
	rep, err := open().Recover(ctx)
	if err != nil || len(rep.Readded) != 1 {
		t.Fatalf("Recover = %+v, %v; want one re-added message", rep, err)
	}
	if len(saved) != 1 {
		t.Fatalf("Recover called Saved: %d calls", len(saved))
	}
}

package settings

import "testing"

func TestKeepInTrayDefaultsOnAndIsRemembered(t *testing.T) {
	dir := t.TempDir()
	s := NewStoreWithKeyring(dir, nil)
	st, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	if !st.KeepInTray() {
		t.Fatal("a fresh install must keep running in the tray")
	}
	st.SetKeepInTray(false)
	if err := s.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := NewStoreWithKeyring(dir, nil).Load()
	if err != nil {
		t.Fatal(err)
	}
	if got.KeepInTray() {
		t.Fatal("switched off, saved and loaded: still on")
	}
	got.SetKeepInTray(true)
	if !got.KeepInTray() {
		t.Fatal("switched on again: off")
	}
}

package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// TestRenderScreens writes PNGs of the main screens rendered over the fake engine into
// $UI_SHOTS_DIR, for reviewing the layout without a server; skipped when the variable is unset.
func TestRenderScreens(t *testing.T) {
	dir := os.Getenv("UI_SHOTS_DIR")
	if dir == "" {
		t.Skip("UI_SHOTS_DIR not set")
	}
	r := registeredRig(t)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	r.u.win.Resize(fyne.NewSize(420, 680))
	shot := func(name string) {
		img := r.u.win.Canvas().Capture()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, img); err != nil {
			t.Fatal(err)
		}
	}
	test.Type(r.u.phone.number, "040 123")
	shot("dev-main.png")
	r.setCalls(phone.Call{ID: "a", Remote: "1002", RemoteName: "Bertta Berg", State: phone.Active, AnsweredAt: t0.Add(-135 * time.Second)})
	shot("dev-call.png")
	r.setCalls(phone.Call{ID: "a", Remote: "1002", RemoteName: "Bertta Berg", State: phone.Active, AnsweredAt: t0.Add(-135 * time.Second)},
		phone.Call{ID: "b", Remote: "0401234567", State: phone.Incoming})
	test.Tap(r.u.phone.keypadBtn)
	shot("dev-waiting.png")
	r.setCalls(phone.Call{ID: "b", Remote: "0401234567", RemoteName: "Cecilia", State: phone.Incoming})
	shot("dev-incoming.png")
	r.setCalls(phone.Call{ID: "a", Remote: "1002", RemoteName: "Bertta Berg", State: phone.Active, AnsweredAt: t0.Add(-135 * time.Second)})
	test.Tap(r.u.phone.xferButton)
	test.Type(r.u.phone.xferEntry, "1003")
	shot("dev-xferdialog.png")
	test.Tap(r.u.phone.xferConsult)
	r.setCalls(phone.Call{ID: "a", Remote: "1002", RemoteName: "Bertta Berg", State: phone.OnHold, AnsweredAt: t0.Add(-135 * time.Second)},
		phone.Call{ID: "out1", Remote: "1003", State: phone.Active, AnsweredAt: t0.Add(-5 * time.Second)})
	shot("dev-consult.png")
	r.setCalls()
	answered := t0.Add(5 * time.Second)
	r.f.log = []api.CallEntry{
		{ID: 3, Direction: "in", Peer: "1003", PeerName: "Cecilia", Outcome: "missed", StartedAt: t0.Add(-time.Hour)},
		{ID: 2, Direction: "out", Peer: "0401234567", Outcome: "answered", StartedAt: t0, AnsweredAt: &answered, Seconds: 135},
		{ID: 1, Direction: "in", Peer: "1002", PeerName: "Bertta Berg", Outcome: "answered", StartedAt: t0.Add(-26 * time.Hour), AnsweredAt: &answered, Seconds: 3725},
	}
	r.u.SelectTab(TabCallLog)
	shot("dev-log.png")
	r.u.SelectTab(TabSettings)
	shot("dev-settings.png")
	r.u.logout()
	shot("dev-login.png")
}

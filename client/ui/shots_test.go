package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/shared/api"
)

// shooter returns a function that writes a PNG of win's canvas as dir/name.
func shooter(t *testing.T, win fyne.Window, dir string) func(name string) {
	return func(name string) {
		t.Helper()
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if err := png.Encode(f, win.Canvas().Capture()); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRenderScreens writes PNGs of the main screens rendered over the fake engine into
// $UI_SHOTS_DIR, for reviewing the layout without a server; skipped when the variable is unset.
func TestRenderScreens(t *testing.T) {
	dir := os.Getenv("UI_SHOTS_DIR")
	if dir == "" {
		t.Skip("UI_SHOTS_DIR not set")
	}
	r := registeredRig(t)
	fyne.CurrentApp().Settings().SetTheme(Theme())
	r.u.win.Resize(fyne.NewSize(540, 720))
	shot := shooter(t, r.u.win, dir)
	test.Type(r.u.phone.number, "040 123")
	shot("dev-main.png")
	r.setCalls(phone.Call{ID: "a", Remote: "1002", RemoteName: "Bertta Berg", State: phone.Active, AnsweredAt: t0.Add(-135 * time.Second)})
	shot("dev-call.png")
	r.setCalls(phone.Call{ID: "e", Direction: phone.Outgoing, Remote: "112", State: phone.Active, AnsweredAt: t0.Add(-42 * time.Second)})
	shot("dev-emergency.png")
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
	r.u.SelectTab(TabPhone)
	s := demoPeople()
	msg := api.Message{ID: 7, From: "1003", To: "1001", Body: "Lunch at noon?", SentAt: t0}
	s.Chats = []people.Chat{{With: "1003", WithName: "Cecilia Lind", Last: msg, Unread: 1,
		Messages: []api.Message{{ID: 5, From: "1001", To: "1003", Body: "Hi Cecilia, do you have the Q3 report?", SentAt: t0.Add(-20 * time.Minute)},
			{ID: 6, From: "1003", To: "1001", Body: "Yes, I'll send it after the meeting.", SentAt: t0.Add(-18 * time.Minute)}, msg}}}
	s.Unread = 1
	r.people.set(s)
	s.LastIncoming = &msg
	r.people.set(s)
	shot("dev-banner.png")
	r.u.ShowPresencePanel()
	shot("dev-presence.png")
	r.u.closePresencePanel()
	r.u.SearchColleagues("s")
	shot("dev-colleagues.png")
	r.u.SelectTab(TabContacts)
	shot("dev-contacts.png")
	r.u.OpenChat("1003")
	shot("dev-chat.png")
	r.u.logout()
	shot("dev-login.png")
}

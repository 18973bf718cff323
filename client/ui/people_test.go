package ui

import (
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/shared/api"
)

// demoPeople is a loaded organisation: the user (1001) and three colleagues.
func demoPeople() people.Snapshot {
	lunch := t0.Add(3 * time.Hour)
	col := func(name, ext, mobile, dept string, p api.Presence) people.Colleague {
		p.Extension = ext
		id := int64(ext[3] - '0')
		p.UserID = id
		return people.Colleague{DirectoryEntry: api.DirectoryEntry{UserID: id, Name: name, Extension: ext, MobileNumber: mobile, Department: dept, Presence: p}}
	}
	acts := []api.Activity{
		{Number: 1, NameEN: "Available", NameFI: "Tavoitettavissa", Green: true},
		{Number: 2, NameEN: "Busy", NameFI: "Varattu"},
		{Number: 3, NameEN: "At lunch", NameFI: "Lounaalla"},
	}
	me := api.Presence{Extension: "1001", Activity: 1, Green: true, Role: 1, Online: true, Note: "Ask me about invoices"}
	return people.Snapshot{
		Loaded: true, Live: true, Me: me, Activities: acts,
		Colleagues: []people.Colleague{
			col("Anna Virtanen", "1001", "+358401111111", "Sales", me),
			col("Bertta Berg", "1002", "+358402222222", "Support", api.Presence{Activity: 1, Green: true, Online: true, Phone: "on-call"}),
			col("Cecilia Lind", "1003", "", "Support", api.Presence{Activity: 3, Until: &lunch, Online: true, Note: "Back at one"}),
			col("Pekka Ström", "1004", "+358404444444", "Sales", api.Presence{Activity: 2}),
		},
		Contacts: []api.Contact{
			{ID: 1, Name: "Bertta Berg", UserID: 2, Favourite: true},
			{ID: 2, Name: "Kalle Asiakas", Company: "Asiakas Oy", Mobile: "+358405555555", VIP: true},
			{ID: 3, Name: "Huolto", Org: true, Phone: "+35891234567"},
		},
	}
}

// peopleRig is a registered UI with the demo organisation loaded.
func peopleRig(t *testing.T) *rig {
	t.Helper()
	r := registeredRig(t)
	r.people.set(demoPeople())
	return r
}

func TestOwnPresenceAlwaysVisible(t *testing.T) {
	r := peopleRig(t)
	if got := r.u.pres.text.Text; got != "Available" {
		t.Fatalf("own presence %q", got)
	}
	if got := r.u.pres.note.Text; got != "Ask me about invoices" {
		t.Fatalf("own note %q", got)
	}
	s := demoPeople()
	until := t0.Add(time.Hour)
	s.Me.Activity, s.Me.Green, s.Me.Until = 3, false, &until
	r.people.set(s)
	if got := r.u.pres.text.Text; got != "At lunch until 11:00" {
		t.Fatalf("own presence after change %q", got)
	}
	if r.u.pres.dot.FillColor != presenceColor(false, true, false) {
		t.Fatal("a red activity shows a red dot")
	}
}

func TestColleagueSearchAsYouType(t *testing.T) {
	r := peopleRig(t)
	v := r.u.dir
	rows := func() []ColleagueRow {
		out := make([]ColleagueRow, len(v.cols))
		for i := range v.cols {
			out[i] = v.row(i)
		}
		return out
	}
	r.u.SelectTab(TabColleagues)
	if len(rows()) != 4 {
		t.Fatalf("all colleagues listed without a search: %d", len(rows()))
	}
	test.Type(v.search, "sup")
	if len(rows()) != 2 || rows()[0].Name != "Bertta Berg" || rows()[1].Name != "Cecilia Lind" {
		t.Fatalf("rows for %q: %+v", v.search.Text, rows())
	}
	if r.people.filters != 3 {
		t.Fatalf("the filter runs once per keystroke: %d", r.people.filters)
	}
	test.Type(v.search, " c")
	if len(rows()) != 1 || rows()[0].Extension != "1003" {
		t.Fatalf("two terms: %+v", rows())
	}
	if rows()[0].Presence.Line() != "At lunch until 13:00" || rows()[0].Presence.Note != "Back at one" {
		t.Fatalf("row presence %+v", rows()[0].Presence)
	}
	v.search.SetText("zz")
	if len(rows()) != 0 || v.empty.Hidden || !strings.Contains(v.empty.Text, "zz") {
		t.Fatalf("no match: rows %d, empty %q hidden=%v", len(rows()), v.empty.Text, v.empty.Hidden)
	}
	v.search.SetText("")
	if len(rows()) != 4 || !v.empty.Hidden {
		t.Fatal("clearing the search lists everyone again")
	}
	if rows()[1].Presence.Phone != "On a call" || !rows()[3].Presence.Dim() {
		t.Fatalf("phone state and dimming: %+v / %+v", rows()[1].Presence, rows()[3].Presence)
	}
}

func TestColleagueRowActions(t *testing.T) {
	r := peopleRig(t)
	v := r.u.dir
	r.u.SelectTab(TabColleagues)
	o := v.newRow()
	v.updateRow(1, o) // Bertta
	p := o.(*itemBox).parts.(*colleagueParts)
	if p.phone.Text != "On a call" || !strings.Contains(p.name.Text, "1002") {
		t.Fatalf("row shows %q / %q", p.name.Text, p.phone.Text)
	}
	test.Tap(p.call)
	r.wantAction("dial 1002")
	if r.u.tabs.SelectedIndex() != 0 {
		t.Fatal("calling shows the Phone tab")
	}
	test.Tap(p.chat)
	if r.u.tabs.Selected() != r.u.chatTab || r.u.chat.open != "1002" {
		t.Fatal("Chat opens the conversation")
	}
	if got := r.people.last(); got != "open 1002" {
		t.Fatalf("history load: %q", got)
	}
	if p.sms.Hidden {
		t.Fatal("a colleague with a mobile number has SMS")
	}
	test.Tap(p.sms)
	if r.u.smsDlg == nil || r.u.smsDlg.to.Text != "+358402222222" {
		t.Fatal("SMS opens the dialog with the mobile number")
	}
	v.updateRow(2, o) // Cecilia: no mobile
	if !p.sms.Hidden {
		t.Fatal("no SMS without a mobile number")
	}
	v.updateRow(0, o) // the user
	if !p.call.Disabled() || !strings.Contains(p.name.Text, "(you)") {
		t.Fatal("no calling oneself")
	}
}

func TestPresencePanelSave(t *testing.T) {
	r := peopleRig(t)
	test.Tap(r.u.pres.root.(*tapArea))
	p := r.u.presPanel
	if p == nil || r.u.centre.Objects[0] != p.root {
		t.Fatal("one click opens the presence panel")
	}
	if len(p.actBtns) != 3 {
		t.Fatalf("activities from the snapshot: %d", len(p.actBtns))
	}
	test.Tap(p.actBtns[3])
	test.Type(p.custom, "25:99")
	test.Tap(p.save)
	if p.errText.Hidden || p.errText.Text != en.T(KErrTimeFormat) {
		t.Fatalf("bad time: error %q hidden=%v", p.errText.Text, p.errText.Hidden)
	}
	if strings.HasPrefix(r.people.last(), "presence") {
		t.Fatal("nothing is saved with a bad time")
	}
	p.custom.SetText("9:00") // already past at 10:00
	test.Tap(p.save)
	if p.errText.Text != en.T(KErrTimePast) {
		t.Fatalf("past time: %q", p.errText.Text)
	}
	p.note.SetText(strings.Repeat("n", 501))
	if p.counter.Text != "501/500" {
		t.Fatalf("counter %q", p.counter.Text)
	}
	p.custom.SetText("")
	test.Tap(p.quick["+1 h"])
	test.Tap(p.save)
	if !strings.Contains(p.errText.Text, "at most 500") {
		t.Fatalf("long note: %q", p.errText.Text)
	}
	p.note.SetText("Lunch with a client")
	p.custom.SetText("13:30")
	test.Tap(p.save)
	want := `presence activity=3 role=1 until=2026-11-22 13:30 note="Lunch with a client"`
	if got := r.people.last(); got != want {
		t.Fatalf("saved %q, want %q", got, want)
	}
	if r.u.presPanel != nil || r.u.centre.Objects[0] != r.u.tabs {
		t.Fatal("the panel closes after saving")
	}
}

func TestPresencePanelServerError(t *testing.T) {
	r := peopleRig(t)
	r.u.ShowPresencePanel()
	p := r.u.presPanel
	r.people.fail = errors.New("unknown activity")
	test.Tap(p.quick["No end time"])
	test.Tap(p.save)
	if r.u.presPanel == nil || p.errText.Hidden || !strings.Contains(p.errText.Text, "unknown activity") {
		t.Fatalf("a refused save keeps the panel open with the reason: %q", p.errText.Text)
	}
	if got := r.people.last(); got != `presence activity=1 role=1 until=none note="Ask me about invoices"` {
		t.Fatalf("sent %q", got)
	}
	test.Tap(p.cancel)
	if r.u.presPanel != nil {
		t.Fatal("Cancel closes the panel")
	}
}

func TestChatUnreadAndNotification(t *testing.T) {
	r := peopleRig(t)
	s := demoPeople()
	msg := api.Message{ID: 7, From: "1003", To: "1001", Body: "Lunch?", SentAt: t0}
	s.Chats = []people.Chat{
		{With: "1003", WithName: "Cecilia Lind", Last: msg, Unread: 2},
		{With: "1002", WithName: "Bertta Berg", Last: api.Message{ID: 3, From: "1001", To: "1002", Body: "ok", SentAt: t0.Add(-time.Hour)}, Unread: 1},
	}
	s.Unread = 3
	s.LastIncoming = &msg
	r.people.set(s)
	if r.u.chatTab.Text != "Chat (3)" {
		t.Fatalf("tab title %q", r.u.chatTab.Text)
	}
	if len(r.u.chat.rows) != 2 || r.u.chat.rows[0].Unread != "2" || r.u.chat.rows[1].Preview != "You: ok" {
		t.Fatalf("chat rows %+v", r.u.chat.rows)
	}
	if r.u.msgOpen == nil || len(r.u.msgBanner.Objects) != 1 {
		t.Fatal("a new message shows a banner")
	}
	if r.u.tabs.SelectedIndex() != 0 {
		t.Fatal("the banner must not switch tabs")
	}
	test.Tap(r.u.msgOpen)
	if r.u.chat.open != "1003" || r.people.last() != "open 1003" || len(r.u.msgBanner.Objects) != 0 {
		t.Fatalf("Open shows the conversation: open=%q last=%q", r.u.chat.open, r.people.last())
	}

	// History arrives; the conversation shows it, the unread count clears.
	s.Chats[0].Messages = []api.Message{{ID: 6, From: "1001", To: "1003", Body: "Hi", SentAt: t0.Add(-time.Minute)}, msg}
	s.Chats[0].Unread, s.Unread = 0, 1
	r.people.set(s)
	if r.u.chatTab.Text != "Chat (1)" || r.u.chat.shown != 2 || len(r.u.chat.history.Objects) != 2 {
		t.Fatalf("after reading: title %q shown %d", r.u.chatTab.Text, r.u.chat.shown)
	}
	test.Type(r.u.chat.entry, "Yes, 12:00")
	test.Tap(r.u.chat.send)
	if got := r.people.last(); got != `chat 1003 "Yes, 12:00"` {
		t.Fatalf("sent %q", got)
	}
	if r.u.chat.entry.Text != "" {
		t.Fatal("the entry clears after sending")
	}

	// A message in the open conversation marks it read instead of a banner.
	msg2 := api.Message{ID: 8, From: "1003", To: "1001", Body: "Great", SentAt: t0.Add(time.Minute)}
	s.LastIncoming = &msg2
	r.people.set(s)
	if len(r.u.msgBanner.Objects) != 0 || r.people.last() != "open 1003" {
		t.Fatalf("open conversation: banner %d, last %q", len(r.u.msgBanner.Objects), r.people.last())
	}

	// In the background: a system notification as well as the banner.
	r.u.foreground = false
	msg3 := api.Message{ID: 9, From: "1002", To: "1001", Body: "Meeting moved\nto 3 pm", SentAt: t0.Add(2 * time.Minute)}
	s.LastIncoming = &msg3
	test.AssertNotificationSent(t, fyne.NewNotification("Message from Bertta Berg", "Meeting moved to 3 pm"), func() { r.people.set(s) })
	if len(r.u.msgBanner.Objects) != 1 {
		t.Fatal("the banner shows too")
	}
	r.u.foreground = true
	msg4 := api.Message{ID: 10, From: "1002", To: "1001", Body: "ok", SentAt: t0.Add(3 * time.Minute)}
	s.LastIncoming = &msg4
	test.AssertNotificationSent(t, nil, func() { r.people.set(s) })

	// A send failure is shown.
	r.people.fail = errors.New("user 9999 not found")
	test.Type(r.u.chat.entry, "x")
	test.Tap(r.u.chat.send)
	if r.u.chat.errText.Hidden || !strings.Contains(r.u.chat.errText.Text, "9999 not found") {
		t.Fatalf("send error %q", r.u.chat.errText.Text)
	}
}

func TestSMSDialog(t *testing.T) {
	r := peopleRig(t)
	r.u.openSMS("040 555 5555", "Kalle")
	f := r.u.smsDlg
	if f.counter.Text != "0 characters · 0 SMS" {
		t.Fatalf("counter %q", f.counter.Text)
	}
	test.Tap(f.send)
	if f.result.Hidden || f.result.Text != en.T(KErrSMSEmpty) {
		t.Fatalf("empty text: %q", f.result.Text)
	}
	test.Type(f.text, strings.Repeat("a", 161))
	if f.counter.Text != "161 characters · 2 SMS" {
		t.Fatalf("counter %q", f.counter.Text)
	}
	test.Tap(f.send)
	if got := r.people.last(); !strings.HasPrefix(got, "sms 040 555 5555 ") {
		t.Fatalf("sent %q", got)
	}
	if f.result.Text != "Sent to +35840 555 5555 (2 SMS)." || f.text.Text != "" {
		t.Fatalf("result %q", f.result.Text)
	}
	f.to.SetText("not a number")
	test.Type(f.text, "Hei")
	test.Tap(f.send)
	if f.result.Text != en.T(KErrSMSNumber) {
		t.Fatalf("bad number: %q", f.result.Text)
	}
	r.people.fail = errors.New("gateway down")
	f.to.SetText("0405555555")
	test.Tap(f.send)
	if !strings.Contains(f.result.Text, "gateway down") {
		t.Fatalf("gateway error: %q", f.result.Text)
	}
}

func TestContactsTab(t *testing.T) {
	r := peopleRig(t)
	v := r.u.cons
	var got []string
	for _, it := range v.items {
		got = append(got, it.Header+it.Contact.Name)
	}
	if s := strings.Join(got, "|"); s != "Favourites|Bertta Berg|My contacts|Kalle Asiakas|Company contacts|Huolto" {
		t.Fatalf("contacts %s", s)
	}
	o := v.newRow()
	v.updateRow(3, o) // Kalle: VIP, external
	p := o.(*itemBox).parts.(*contactParts)
	if p.star.Hidden || p.sms.Hidden || p.edit.Hidden || p.header.Visible() {
		t.Fatal("VIP external contact: star, SMS and edit")
	}
	test.Tap(p.call)
	r.wantAction("dial +358405555555")
	v.updateRow(1, o) // Bertta: internal favourite, called on her extension
	test.Tap(p.call)
	r.wantAction("dial 1002")
	v.updateRow(5, o) // organisation contact: read-only
	if !p.edit.Hidden || !p.del.Hidden {
		t.Fatal("organisation contacts cannot be edited here")
	}
}

func TestContactFormValidation(t *testing.T) {
	r := peopleRig(t)
	r.u.editContact(api.Contact{}, false)
	f := r.u.contactDlg
	test.Tap(f.save)
	if f.errText.Hidden || f.errText.Text != en.T(KErrContactName) {
		t.Fatalf("empty form: %q", f.errText.Text)
	}
	test.Type(f.name, "Kalle")
	test.Tap(f.save)
	if f.errText.Text != en.T(KErrContactReach) {
		t.Fatalf("no number: %q", f.errText.Text)
	}
	test.Type(f.email, "kalle-at-example")
	test.Tap(f.save)
	if !strings.Contains(f.errText.Text, "not an email address") {
		t.Fatalf("bad email: %q", f.errText.Text)
	}
	if strings.HasPrefix(r.people.last(), "contact") {
		t.Fatal("nothing saved while invalid")
	}
	f.email.SetText("kalle@example.com")
	test.Type(f.mobile, "040 123 4567")
	test.Tap(f.vip)
	test.Tap(f.save)
	if got := r.people.last(); got != `contact save id=0 user=0 name="Kalle" mobile="040 123 4567" fav=false vip=true` {
		t.Fatalf("saved %q", got)
	}

	// Internal: pick a colleague (the user is not offered).
	r.u.editContact(api.Contact{}, true)
	f = r.u.contactDlg
	if len(f.pick.Options) != 3 {
		t.Fatalf("colleagues offered: %v", f.pick.Options)
	}
	test.Tap(f.save)
	if f.errText.Text != en.T(KErrContactPick) {
		t.Fatalf("no colleague picked: %q", f.errText.Text)
	}
	f.pick.SetSelectedIndex(1)
	test.Tap(f.favourite)
	test.Tap(f.save)
	if got := r.people.last(); got != `contact save id=0 user=3 name="Cecilia Lind" mobile="" fav=true vip=false` {
		t.Fatalf("saved %q", got)
	}
}

// BenchmarkColleagueKeystroke is the UI's share of one keystroke in the search field over
// 10,000 colleagues (the people model's Filter is measured in client/people): setting the
// shown colleagues, refreshing the list and rendering the visible rows. Must stay far under
// a 16 ms frame.
func BenchmarkColleagueKeystroke(b *testing.B) {
	dir := b.TempDir()
	if err := settings.NewStore(dir).Save(settings.Settings{Server: "pbx.test", User: "1001", Password: "pw"}); err != nil {
		b.Fatal(err)
	}
	a := test.NewTempApp(b)
	fp := newFakePeople()
	u := New(b.Context(), a, Options{Controller: newFake(), People: fp, Settings: settings.NewStore(dir)})
	u.goAsync = func(fn func()) { fn() }
	u.accountOp = func(fn func()) { fn() }
	u.Start()
	defer u.Close()
	s := demoPeople()
	s.Colleagues = nil
	for i := range 10000 {
		ext := strconv.Itoa(10000 + i)
		s.Colleagues = append(s.Colleagues, people.Colleague{DirectoryEntry: api.DirectoryEntry{
			UserID: int64(i + 1), Name: "Colleague " + ext, Extension: ext, MobileNumber: "+35840" + ext,
			Presence: api.Presence{Activity: 1 + i%3, Green: i%3 == 0, Online: i%5 != 0, Phone: "idle"}}})
	}
	fp.set(s)
	// Two different results alternate, so every refresh renders new texts in the visible rows.
	results := [][]people.Colleague{s.Colleagues, slices.Clone(s.Colleagues)}
	slices.Reverse(results[1])
	u.SelectTab(TabColleagues)
	u.win.Resize(fyne.NewSize(540, 720))
	b.ResetTimer()
	for i := range b.N {
		u.peopleSnap.Colleagues = results[i%2]
		u.dir.query = "" // the whole list: the most rows the UI ever handles
		u.dir.refresh()
	}
}

// TestActivityReportsInput: keys, clicks and tab changes in the window reach the idle
// detection (OnActivity), its fallback where the system cannot tell.
func TestActivityReportsInput(t *testing.T) {
	r := peopleRig(t)
	n := 0
	r.u.o.OnActivity = func() { n++ }
	test.TypeOnCanvas(r.u.win.Canvas(), "1")
	if n == 0 {
		t.Fatal("typing in the window is input")
	}
	n = 0
	r.u.SelectTab(TabColleagues)
	test.Type(r.u.dir.search, "be")
	if n < 3 {
		t.Fatalf("tab change and two keystrokes: %d reports", n)
	}
	n = 0
	test.Tap(r.u.pres.button)
	if n != 1 || r.u.presPanel == nil {
		t.Fatalf("the presence button: %d reports", n)
	}
}

// TestSMSFromTypedNumber: the Phone tab's SMS button opens the SMS dialog for the number typed.
func TestSMSFromTypedNumber(t *testing.T) {
	r := peopleRig(t)
	test.Type(r.u.phone.number, "040 123 4567")
	test.Tap(r.u.phone.smsButton)
	if r.u.smsDlg == nil || r.u.smsDlg.to.Text != "0401234567" {
		t.Fatalf("SMS dialog for the typed number: %+v", r.u.smsDlg)
	}
}

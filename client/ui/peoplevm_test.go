package ui

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

var en = NewStrings("en")

func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestParseUntil(t *testing.T) {
	now := t0 // 22.11.2026 10:00
	dec := at(2026, 12, 30, 10, 0)
	tests := []struct {
		name, in string
		now      time.Time
		want     time.Time
		err      Key
	}{
		{"empty is no end time", "  ", now, time.Time{}, ""},
		{"time today", "14:30", now, at(2026, 11, 22, 14, 30), ""},
		{"time with a dot", "14.30", now, at(2026, 11, 22, 14, 30), ""},
		{"spaces tolerated", "  14:30 ", now, at(2026, 11, 22, 14, 30), ""},
		{"date without year", "24.12. 8:00", now, at(2026, 12, 24, 8, 0), ""},
		{"full date", "24.12.2026 8:00", now, at(2026, 12, 24, 8, 0), ""},
		{"ISO", "2026-12-24 08:00", now, at(2026, 12, 24, 8, 0), ""},
		{"next January from December", "2.1. 8:00", dec, at(2027, 1, 2, 8, 0), ""},
		{"past time today", "9:00", now, time.Time{}, KErrTimePast},
		{"past date", "1.1.2026 8:00", now, time.Time{}, KErrTimePast},
		{"too far", "1.1.2030 8:00", now, time.Time{}, KErrTimeTooFar},
		{"hour out of range", "25:00", now, time.Time{}, KErrTimeFormat},
		{"minute out of range", "14:61", now, time.Time{}, KErrTimeFormat},
		{"not a time", "tomorrow-ish", now, time.Time{}, KErrTimeFormat},
		{"bad day", "31.2.2027 8:00", now, time.Time{}, KErrTimeFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseUntil(tc.in, tc.now, en)
			if tc.err != "" {
				if err == nil || err.Error() != en.T(tc.err) {
					t.Fatalf("ParseUntil(%q) error %v, want %q", tc.in, err, en.T(tc.err))
				}
				return
			}
			if err != nil || !got.Equal(tc.want) {
				t.Fatalf("ParseUntil(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			}
		})
	}
}

func TestQuickUntil(t *testing.T) {
	labels := func(cs []UntilChoice) string {
		var s []string
		for _, c := range cs {
			s = append(s, c.Label)
		}
		return strings.Join(s, "|")
	}
	tests := []struct {
		now  time.Time
		want string
	}{
		{at(2026, 11, 23, 15, 30), "+30 min|+1 h|+2 h|End of day 16:00|End of day 17:00|Tomorrow 8:00|No end time"},
		{at(2026, 11, 23, 16, 30), "+30 min|+1 h|+2 h|End of day 17:00|Tomorrow 8:00|No end time"},
		{at(2026, 11, 23, 18, 0), "+30 min|+1 h|+2 h|Tomorrow 8:00|No end time"},
	}
	for _, tc := range tests {
		cs := QuickUntil(tc.now, en)
		if got := labels(cs); got != tc.want {
			t.Errorf("at %v: %s, want %s", tc.now, got, tc.want)
		}
		if !cs[1].At.Equal(tc.now.Add(time.Hour)) {
			t.Errorf("+1 h = %v", cs[1].At)
		}
		if tm := cs[len(cs)-2].At; !tm.Equal(at(2026, 11, 24, 8, 0)) {
			t.Errorf("tomorrow = %v", tm)
		}
		if !cs[len(cs)-1].At.IsZero() {
			t.Error("no end time must be the zero time")
		}
	}
}

func TestPresenceFormUpdate(t *testing.T) {
	acts := []api.Activity{{Number: 1, NameEN: "Available", Green: true}, {Number: 3, NameEN: "At lunch"}}
	later := t0.Add(time.Hour)
	tests := []struct {
		name string
		f    PresenceForm
		err  string // substring of the error; "" for success
		want string // checked on success
	}{
		{"unknown activity", PresenceForm{Activity: 42}, "Unknown activity 42", ""},
		{"unknown role", PresenceForm{Activity: 1, Role: 9}, "Unknown role 9", ""},
		{"note of 10,000 characters", PresenceForm{Activity: 1, Note: strings.Repeat("x", 10000)}, "at most 500 characters (now 10000)", ""},
		{"control characters", PresenceForm{Activity: 1, Note: "a\x00b"}, "cannot be saved", ""},
		{"bad typed time", PresenceForm{Activity: 1, Custom: "99:99"}, "Not a time", ""},
		{"chosen time already past", PresenceForm{Activity: 1, Until: t0.Add(-time.Hour)}, "already past", ""},
		{"quick choice", PresenceForm{Activity: 3, Role: 2, Until: later, Note: "back soon"}, "", "3 2 11:00 false back soon"},
		{"typed time wins", PresenceForm{Activity: 3, Until: later, Custom: "12:15"}, "", "3 0 12:15 false "},
		{"no end time clears", PresenceForm{Activity: 1}, "", "1 0 - true "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := tc.f.Update(acts, t0, en)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			role, until := 0, "-"
			if u.Role != nil {
				role = *u.Role
			}
			if u.Until != nil {
				until = u.Until.Format("15:04")
			}
			got := strings.Join([]string{strconv.Itoa(*u.Activity), strconv.Itoa(role), until, boolStr(u.ClearUntil), *u.Note}, " ")
			if got != tc.want {
				t.Fatalf("update %q, want %q", got, tc.want)
			}
		})
	}
}

func boolStr(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func TestNoteCounter(t *testing.T) {
	if s, over := NoteCounter("hyvää"); s != "5/500" || over {
		t.Fatalf("%q %v", s, over)
	}
	if s, over := NoteCounter(strings.Repeat("ä", 501)); s != "501/500" || !over {
		t.Fatalf("%q %v", s, over)
	}
}

func TestSMSCount(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		chars   int
		parts   int
		unicode bool
	}{
		{"empty", "", 0, 0, false},
		{"short", "Hei!", 4, 1, false},
		{"Nordic letters are GSM", "Hyvää päivää, Åsa", 17, 1, false},
		{"160 fits one", strings.Repeat("a", 160), 160, 1, false},
		{"161 needs two", strings.Repeat("a", 161), 161, 2, false},
		{"306 fits two", strings.Repeat("a", 306), 306, 2, false},
		{"307 needs three", strings.Repeat("a", 307), 307, 3, false},
		{"euro takes two septets", strings.Repeat("€", 80), 80, 1, false},
		{"81 euros overflow", strings.Repeat("€", 81), 81, 2, false},
		{"UCS-2 70", strings.Repeat("ł", 70), 70, 1, true},
		{"UCS-2 71", strings.Repeat("ł", 71), 71, 2, true},
		{"emoji is two units", strings.Repeat("😀", 35), 35, 1, true},
		{"36 emoji overflow", strings.Repeat("😀", 36), 36, 2, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, p, u := SMSCount(tc.text)
			if c != tc.chars || p != tc.parts || u != tc.unicode {
				t.Fatalf("SMSCount = %d chars %d parts unicode=%v; want %d %d %v", c, p, u, tc.chars, tc.parts, tc.unicode)
			}
		})
	}
	if s, over := SMSCounter(strings.Repeat("a", 161), en); s != "161 characters · 2 SMS" || over {
		t.Fatalf("counter %q over=%v", s, over)
	}
	if _, over := SMSCounter(strings.Repeat("a", 153*10+1), en); !over {
		t.Fatal("eleven parts must be over the limit")
	}
}

func TestValidateSMS(t *testing.T) {
	tests := []struct {
		to, text string
		err      Key
	}{
		{"040 123 4567", "Hei", ""},
		{"+358401234567", "Hei", ""},
		{"", "Hei", KErrSMSNumber},
		{"abc", "Hei", KErrSMSNumber},
		{"12", "Hei", KErrSMSNumber},
		{"0401234567", "   ", KErrSMSEmpty},
	}
	for _, tc := range tests {
		err := ValidateSMS(tc.to, tc.text, en)
		if (tc.err == "") != (err == nil) || (err != nil && err.Error() != en.T(tc.err)) {
			t.Errorf("ValidateSMS(%q, %q) = %v, want %q", tc.to, tc.text, err, en.T(tc.err))
		}
	}
	if err := ValidateSMS("0401234567", strings.Repeat("x", 2000), en); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Fatalf("long SMS: %v", err)
	}
}

func TestValidateContact(t *testing.T) {
	tests := []struct {
		name string
		c    api.Contact
		want string // substring of the error, "" for valid
	}{
		{"internal needs nothing else", api.Contact{UserID: 7}, ""},
		{"external with mobile", api.Contact{Name: "Pekka", Mobile: "040 123 4567"}, ""},
		{"external with email only", api.Contact{Name: "Pekka", Email: "p@example.com"}, ""},
		{"no name", api.Contact{Mobile: "0401234567"}, "enter a name"},
		{"blank name", api.Contact{Name: "   ", Mobile: "0401234567"}, "enter a name"},
		{"no way to reach", api.Contact{Name: "Pekka"}, "mobile number, phone number or email"},
		{"bad mobile", api.Contact{Name: "Pekka", Mobile: "call me"}, "“call me” is not a phone number"},
		{"bad phone", api.Contact{Name: "Pekka", Phone: "09-12x"}, "not a phone number"},
		{"bad email", api.Contact{Name: "Pekka", Email: "pekka.example.com"}, "not an email address"},
		{"name too long", api.Contact{Name: strings.Repeat("n", 201), Email: "a@b"}, "too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateContact(tc.c, en)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
}

func TestContactItemsOrder(t *testing.T) {
	cs := []api.Contact{
		{ID: 1, Name: "Org Oy", Org: true},
		{ID: 2, Name: "zeta external"},
		{ID: 3, Name: "Bertta", UserID: 2},
		{ID: 4, Name: "Alpha external", VIP: true},
		{ID: 5, Name: "Fav colleague", UserID: 3, Favourite: true},
		{ID: 6, Name: "Fav org", Org: true, Favourite: true},
	}
	var got []string
	for _, it := range ContactItems(cs, en) {
		if it.Header != "" {
			got = append(got, "["+it.Header+"]")
		} else {
			got = append(got, it.Contact.Name)
		}
	}
	want := "[Favourites] Fav colleague Fav org [Colleagues] Bertta [My contacts] Alpha external zeta external [Company contacts] Org Oy"
	if s := strings.Join(got, " "); s != want {
		t.Fatalf("order:\n %s\nwant\n %s", s, want)
	}
	dir := []people.Colleague{{DirectoryEntry: api.DirectoryEntry{UserID: 2, Extension: "1002"}}}
	if n := ContactNumber(cs[2], dir); n != "1002" {
		t.Fatalf("internal contact number %q", n)
	}
	if n := ContactNumber(api.Contact{Mobile: "+35840"}, dir); n != "+35840" {
		t.Fatalf("external contact number %q", n)
	}
}

func TestColleagueRowOf(t *testing.T) {
	until := t0.Add(4 * time.Hour)
	tomorrow := t0.Add(24 * time.Hour)
	acts := []api.Activity{{Number: 3, NameEN: "At lunch", NameFI: "Lounaalla"}}
	tests := []struct {
		name     string
		p        api.Presence
		tr       Strings
		line     string
		phone    string
		dim      bool
		green    bool
		mobile   string
		canSMS   bool
		meExt    string
		canCall  bool
		activity int
	}{
		{"lunch until today", api.Presence{Activity: 3, Until: &until, Online: true}, en, "At lunch until 14:00", "", false, false, "", false, "", true, 3},
		{"Finnish name", api.Presence{Activity: 3, Until: &until, Online: true}, NewStrings("fi"), "Lounaalla 14:00 asti", "", false, false, "", false, "", true, 3},
		{"until another day", api.Presence{Activity: 3, Until: &tomorrow, Online: true}, en, "At lunch until 23.11. 10:00", "", false, false, "", false, "", true, 3},
		{"on a call", api.Presence{Activity: 1, Green: true, Online: true, Phone: "on-call"}, en, "Available", "On a call", false, true, "+35840", true, "", true, 1},
		{"ringing", api.Presence{Activity: 1, Green: true, Online: true, Phone: "ringing"}, en, "Available", "Ringing", false, true, "", false, "", true, 1},
		{"offline is dim", api.Presence{Activity: 1, Green: true}, en, "Available", "", true, true, "", false, "", true, 1},
		{"idle is dim", api.Presence{Activity: 1, Green: true, Online: true, Idle: true}, en, "Available", "", true, true, "", false, "", true, 1},
		{"me", api.Presence{Activity: 1, Online: true}, en, "Available", "", false, false, "+35840", false, "1002", false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := people.Colleague{DirectoryEntry: api.DirectoryEntry{Name: "Bertta", Extension: "1002", MobileNumber: tc.mobile, Presence: tc.p}}
			r := ColleagueRowOf(c, tc.meExt, acts, tc.tr, t0)
			if r.Presence.Line() != tc.line || r.Presence.Phone != tc.phone || r.Presence.Dim() != tc.dim ||
				r.Presence.Green != tc.green || r.CanSMS != tc.canSMS || r.CanCall != tc.canCall {
				t.Fatalf("row %+v", r)
			}
		})
	}
	if v := PresenceViewOf(api.Presence{Activity: presence.Busy, Online: true}, nil, en, t0); v.Activity != "Busy" {
		t.Fatalf("default activity name %q", v.Activity)
	}
	past := t0.Add(-time.Minute)
	if v := PresenceViewOf(api.Presence{Activity: 1, Until: &past}, nil, en, t0); v.Until != "" {
		t.Fatalf("a past end time is not shown: %q", v.Until)
	}
}

func TestChatRows(t *testing.T) {
	if s := ChatTabTitle(0, en); s != "Chat" {
		t.Fatal(s)
	}
	if s := ChatTabTitle(3, en); s != "Chat (3)" {
		t.Fatal(s)
	}
	c := people.Chat{With: "1002", WithName: "Bertta", Unread: 2,
		Last: api.Message{From: "1001", To: "1002", Body: "see you\nat  noon", SentAt: t0.Add(-time.Hour)}}
	r := ChatRowOf(c, "1001", en, t0)
	if r.Title != "Bertta" || r.Preview != "You: see you at noon" || r.Unread != "2" || !r.Bold || r.When != "09:00" {
		t.Fatalf("row %+v", r)
	}
	c.Unread, c.Last.From, c.Last.Body = 0, "1002", strings.Repeat("x", 100)
	r = ChatRowOf(c, "1001", en, t0)
	if r.Unread != "" || r.Bold || len([]rune(r.Preview)) != 60 {
		t.Fatalf("row %+v", r)
	}
}

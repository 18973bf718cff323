package ui

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/presence"
)

// This file is the view-model of presence, colleagues, contacts, chat and SMS: plain Go that
// turns people.Snapshot values into what the widgets show and checks what the user typed. It
// has no Fyne dependency and is tested without a window.

// PresenceView is one presence as a line of the UI shows it.
type PresenceView struct {
	Known    bool   // a presence was loaded
	Green    bool   // available: calls ring through
	Activity string // "At lunch"
	Until    string // "until 14:00", "until 24.12. 8:00", "" without an end time
	Note     string
	Phone    string // "On a call", "Ringing", "Calling…", "" when the phones are idle
	Offline  bool   // no registered device
	Idle     bool   // online but away from the computer
}

// Dim reports whether the entry is shown greyed out (offline or idle).
func (p PresenceView) Dim() bool { return p.Offline || p.Idle }

// Line is the activity with its end time: "At lunch until 13:00".
func (p PresenceView) Line() string {
	if p.Until == "" {
		return p.Activity
	}
	return p.Activity + " " + p.Until
}

// activityName is the name of activity n in the UI's language: from the organisation's list,
// else the default set, else the server's text.
func activityName(n int, fallback string, acts []api.Activity, lang string) string {
	for _, a := range acts {
		if a.Number == n {
			switch {
			case lang == "fi" && a.NameFI != "":
				return a.NameFI
			case lang == "sv" && a.NameSV != "":
				return a.NameSV
			case a.NameEN != "":
				return a.NameEN
			case a.Name != "":
				return a.Name
			}
		}
	}
	if fallback != "" {
		return fallback
	}
	if a, ok := presence.Find(presence.DefaultActivities(), n); ok {
		return a.Names.In(lang)
	}
	return ""
}

// FormatUntil shows an end time: the time alone today, the date and time otherwise.
func FormatUntil(t, now time.Time, tr Strings) string {
	t = t.In(now.Location())
	switch {
	case t.Year() == now.Year() && t.YearDay() == now.YearDay():
		return tr.F(KUntil, t.Format("15:04"))
	case t.Year() == now.Year():
		return tr.F(KUntil, t.Format("2.1. 15:04"))
	}
	return tr.F(KUntil, t.Format("2.1.2006 15:04"))
}

// PhoneText is the phone state in words, "" when idle or unknown.
func PhoneText(state string, tr Strings) string {
	switch presence.PhoneState(state) {
	case presence.PhoneOnCall:
		return tr.T(KPhoneOnCall)
	case presence.PhoneRinging:
		return tr.T(KPhoneRinging)
	case presence.PhoneDialing:
		return tr.T(KPhoneDialling)
	}
	return ""
}

// PresenceViewOf renders p.
func PresenceViewOf(p api.Presence, acts []api.Activity, tr Strings, now time.Time) PresenceView {
	v := PresenceView{
		Known:   p.Activity != 0,
		Green:   p.Green,
		Note:    p.Note,
		Phone:   PhoneText(p.Phone, tr),
		Offline: !p.Online,
		Idle:    p.Online && p.Idle,
	}
	v.Activity = activityName(p.Activity, p.ActivityName, acts, tr.Lang())
	if !v.Known {
		v.Activity = tr.T(KPresenceUnknown)
	}
	if p.Until != nil && !p.Until.IsZero() && p.Until.After(now) {
		v.Until = FormatUntil(*p.Until, now, tr)
	}
	return v
}

// ColleagueRow is one row of the Colleagues tab.
type ColleagueRow struct {
	Name      string
	Extension string
	Detail    string // title and department
	Mobile    string
	Presence  PresenceView
	Me        bool
	CanCall   bool
	CanChat   bool
	CanSMS    bool
}

// ColleagueRowOf renders c; me is the user's own extension.
func ColleagueRowOf(c people.Colleague, me string, acts []api.Activity, tr Strings, now time.Time) ColleagueRow {
	e := c.DirectoryEntry
	var detail []string
	for _, s := range []string{e.Title, e.Department} {
		if s != "" {
			detail = append(detail, s)
		}
	}
	isMe := me != "" && e.Extension == me
	return ColleagueRow{
		Name:      e.Name,
		Extension: e.Extension,
		Detail:    strings.Join(detail, ", "),
		Mobile:    e.MobileNumber,
		Presence:  PresenceViewOf(e.Presence, acts, tr, now),
		Me:        isMe,
		CanCall:   !isMe && e.Extension != "",
		CanChat:   !isMe && e.Extension != "",
		CanSMS:    !isMe && e.MobileNumber != "",
	}
}

// UntilChoice is one quick choice of the presence panel's end time.
type UntilChoice struct {
	Label string
	At    time.Time // zero: no end time
}

// QuickUntil lists the end-time quick choices at now; "end of day" times already past are left
// out.
func QuickUntil(now time.Time, tr Strings) []UntilChoice {
	day := func(d, h int) time.Time {
		return time.Date(now.Year(), now.Month(), now.Day()+d, h, 0, 0, 0, now.Location())
	}
	out := []UntilChoice{
		{tr.T(KUntil30m), now.Add(30 * time.Minute).Truncate(time.Minute)},
		{tr.T(KUntil1h), now.Add(time.Hour).Truncate(time.Minute)},
		{tr.T(KUntil2h), now.Add(2 * time.Hour).Truncate(time.Minute)},
	}
	for _, h := range []int{16, 17} {
		if t := day(0, h); t.After(now) {
			out = append(out, UntilChoice{tr.F(KUntilEndOfDay, t.Format("15:04")), t})
		}
	}
	out = append(out, UntilChoice{tr.T(KUntilTomorrow), day(1, 8)}, UntilChoice{tr.T(KUntilNone), time.Time{}})
	return out
}

// untilLayouts are the forms a typed end time may take; those without a date mean today,
// those without a year this year.
var untilLayouts = []struct {
	layout        string
	hasDate, year bool
}{
	{"15:04", false, false},
	{"15.04", false, false},
	{"2.1. 15:04", true, false},
	{"2.1. 15.04", true, false},
	{"2.1 15:04", true, false},
	{"2.1.2006 15:04", true, true},
	{"2.1.2006 15.04", true, true},
	{"2006-01-02 15:04", true, true},
	{"2006-01-02T15:04", true, true},
}

// ParseUntil reads an end time typed by the user at now. Empty text is "no end time". The
// error says in plain words what is wrong.
func ParseUntil(text string, now time.Time, tr Strings) (time.Time, error) {
	text = strings.Join(strings.Fields(text), " ")
	if text == "" {
		return time.Time{}, nil
	}
	for _, l := range untilLayouts {
		t, err := time.ParseInLocation(l.layout, text, now.Location())
		if err != nil {
			continue
		}
		y, m, d := t.Date()
		if !l.hasDate {
			y, m, d = now.Date()
		} else if !l.year {
			y = now.Year()
		}
		t = time.Date(y, m, d, t.Hour(), t.Minute(), 0, 0, now.Location())
		if !l.year && l.hasDate && t.Before(now.Add(-time.Minute)) {
			t = t.AddDate(1, 0, 0) // "2.1. 8:00" in December means next January
		}
		return t, checkUntil(t, now, tr)
	}
	return time.Time{}, errors.New(tr.T(KErrTimeFormat))
}

func checkUntil(t, now time.Time, tr Strings) error {
	switch err := presence.ValidateUntil(t, now); {
	case errors.Is(err, presence.ErrUntilPast):
		return errors.New(tr.T(KErrTimePast))
	case errors.Is(err, presence.ErrUntilTooFar):
		return errors.New(tr.T(KErrTimeTooFar))
	case err != nil:
		return errors.New(tr.T(KErrTimeFormat))
	}
	return nil
}

// PresenceForm is what the presence panel edits.
type PresenceForm struct {
	Activity int
	Role     int // 0: leave as it is (the organisation hides roles)
	// Until is the chosen end time (zero: none) unless Custom holds a typed one.
	Until  time.Time
	Custom string
	Note   string
}

// FormOf starts the form from the user's presence.
func FormOf(p api.Presence) PresenceForm {
	f := PresenceForm{Activity: p.Activity, Role: p.Role, Note: p.Note}
	if p.Until != nil {
		f.Until = *p.Until
	}
	if f.Activity == 0 {
		f.Activity = presence.Available
	}
	return f
}

// Update checks the form at now and returns the change to send; the error is in plain words.
func (f PresenceForm) Update(acts []api.Activity, now time.Time, tr Strings) (api.PresenceUpdate, error) {
	var u api.PresenceUpdate
	known := slices.ContainsFunc(acts, func(a api.Activity) bool { return a.Number == f.Activity })
	if len(acts) == 0 {
		_, known = presence.Find(presence.DefaultActivities(), f.Activity)
	}
	if !known {
		return u, errors.New(tr.F(KErrActivity, f.Activity))
	}
	act := f.Activity
	u.Activity = &act
	if f.Role != 0 {
		if !presence.Role(f.Role).Valid() {
			return u, errors.New(tr.F(KErrRole, f.Role))
		}
		role := f.Role
		u.Role = &role
	}
	until := f.Until
	if strings.TrimSpace(f.Custom) != "" {
		t, err := ParseUntil(f.Custom, now, tr)
		if err != nil {
			return u, err
		}
		until = t
	} else if !until.IsZero() {
		if err := checkUntil(until, now, tr); err != nil {
			return u, err
		}
	}
	if until.IsZero() {
		u.ClearUntil = true
	} else {
		u.Until = &until
	}
	switch err := presence.ValidateNote(f.Note); {
	case errors.Is(err, presence.ErrNoteTooLong):
		return u, errors.New(tr.F(KErrNoteLong, presence.MaxNoteRunes, utf8.RuneCountInString(f.Note)))
	case err != nil:
		return u, errors.New(tr.T(KErrNoteInvalid))
	}
	note := f.Note
	u.Note = &note
	return u, nil
}

// NoteCounter is the note's length against its limit, "12/500", and whether it is over.
func NoteCounter(note string) (string, bool) {
	n := utf8.RuneCountInString(note)
	return fmt.Sprintf("%d/%d", n, presence.MaxNoteRunes), n > presence.MaxNoteRunes
}

// RoleName is a role's name in the UI's language.
func RoleName(r int, tr Strings) string { return presence.Role(r).Names().In(tr.Lang()) }

// SMS limits: GSM 7-bit text fits 160 characters in one message and 153 per part when split;
// anything else is sent as UCS-2, 70 and 67.
const (
	MaxSMSParts = 10
)

// gsm7 holds the GSM 03.38 basic character set; gsm7ext the characters that take two septets.
const (
	gsm7    = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7ext = "^{}\\[~]|€\f"
)

// SMSCount is how text is sent: its length in characters, the number of SMS parts and
// whether it needs UCS-2 (characters outside the GSM alphabet).
func SMSCount(text string) (chars, parts int, unicode bool) {
	septets := 0
	for _, r := range text {
		chars++
		switch {
		case strings.ContainsRune(gsm7, r):
			septets++
		case strings.ContainsRune(gsm7ext, r):
			septets += 2
		default:
			unicode = true
		}
	}
	if chars == 0 {
		return 0, 0, false
	}
	single, multi, n := 160, 153, septets
	if unicode {
		single, multi, n = 70, 67, 0
		for _, r := range text {
			n++
			if r > 0xFFFF {
				n++ // a surrogate pair takes two UCS-2 units
			}
		}
	}
	if n <= single {
		return chars, 1, unicode
	}
	return chars, (n + multi - 1) / multi, unicode
}

// SMSCounter is the counter under the SMS text, and whether the text is too long to send.
func SMSCounter(text string, tr Strings) (string, bool) {
	chars, parts, _ := SMSCount(text)
	return tr.F(KSMSCounter, chars, parts), parts > MaxSMSParts
}

// ValidateSMS checks an SMS before sending; the error is in plain words.
func ValidateSMS(to, text string, tr Strings) error {
	if !plausibleNumber(to) {
		return errors.New(tr.T(KErrSMSNumber))
	}
	if strings.TrimSpace(text) == "" {
		return errors.New(tr.T(KErrSMSEmpty))
	}
	if _, parts, _ := SMSCount(text); parts > MaxSMSParts {
		return errors.New(tr.F(KErrSMSLong, MaxSMSParts))
	}
	return nil
}

// plausibleNumber accepts what a person types as a phone number: digits with spaces, dashes,
// dots, brackets and a leading +; the server normalises it.
func plausibleNumber(s string) bool {
	s = strings.TrimSpace(s)
	digits := 0
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' && i == 0:
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.' || r == '/':
		default:
			return false
		}
	}
	return digits >= 3 && digits <= 20
}

// Contact groups in the order the Contacts tab shows them.
const (
	GroupFavourites = iota
	GroupColleagues
	GroupPersonal
	GroupOrganisation
)

// ContactGroup is where c is listed.
func ContactGroup(c api.Contact) int {
	switch {
	case c.Favourite:
		return GroupFavourites
	case c.Org:
		return GroupOrganisation
	case c.UserID != 0:
		return GroupColleagues
	}
	return GroupPersonal
}

// ContactItem is one row of the Contacts tab: a group header or a contact.
type ContactItem struct {
	Header  string
	Contact api.Contact
}

// ContactItems sorts contacts into their groups (favourites first, then personal internal,
// personal external, organisation), by name within a group, with a header before each group.
func ContactItems(cs []api.Contact, tr Strings) []ContactItem {
	sorted := slices.Clone(cs)
	slices.SortStableFunc(sorted, func(a, b api.Contact) int {
		if ga, gb := ContactGroup(a), ContactGroup(b); ga != gb {
			return ga - gb
		}
		return strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name))
	})
	headers := []Key{KGroupFavourites, KGroupColleagues, KGroupPersonal, KGroupOrganisation}
	out := make([]ContactItem, 0, len(sorted)+4)
	last := -1
	for _, c := range sorted {
		if g := ContactGroup(c); g != last {
			out = append(out, ContactItem{Header: tr.T(headers[g])})
			last = g
		}
		out = append(out, ContactItem{Contact: c})
	}
	return out
}

// ContactNumber is the number a contact is called on: an internal contact's extension, else
// the phone number, else the mobile.
func ContactNumber(c api.Contact, dir []people.Colleague) string {
	if c.UserID != 0 {
		for _, d := range dir {
			if d.UserID == c.UserID {
				return d.Extension
			}
		}
	}
	return firstNonEmpty(c.Phone, c.Mobile)
}

// ValidateContact checks a contact form; internal contacts need a colleague, external ones a
// name and a way to reach them. The error is in plain words.
func ValidateContact(c api.Contact, tr Strings) error {
	if c.UserID != 0 {
		return nil
	}
	name := strings.TrimSpace(c.Name)
	switch {
	case name == "":
		return errors.New(tr.T(KErrContactName))
	case utf8.RuneCountInString(name) > 200:
		return errors.New(tr.T(KErrContactNameLong))
	case strings.TrimSpace(c.Mobile+c.Phone+c.Email) == "":
		return errors.New(tr.T(KErrContactReach))
	case c.Mobile != "" && !plausibleNumber(c.Mobile):
		return errors.New(tr.F(KErrContactNumber, c.Mobile))
	case c.Phone != "" && !plausibleNumber(c.Phone):
		return errors.New(tr.F(KErrContactNumber, c.Phone))
	case c.Email != "" && !plausibleEmail(c.Email):
		return errors.New(tr.F(KErrContactEmail, c.Email))
	}
	return nil
}

func plausibleEmail(s string) bool {
	s = strings.TrimSpace(s)
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && !strings.ContainsAny(s, " \t,;<>") && strings.Count(s, "@") == 1
}

// ChatTabTitle is the Chat tab's title with the total unread count.
func ChatTabTitle(unread int, tr Strings) string {
	if unread <= 0 {
		return tr.T(KTabChat)
	}
	return fmt.Sprintf("%s (%d)", tr.T(KTabChat), unread)
}

// ChatRow is one conversation of the chat list.
type ChatRow struct {
	With    string
	Title   string // the peer's name, or the extension
	Preview string // the last message, one line, "You: " before own messages
	When    string
	Unread  string // "3", "" when all read
	Bold    bool
}

// ChatRowOf renders one conversation; me is the user's own extension.
func ChatRowOf(c people.Chat, me string, tr Strings, now time.Time) ChatRow {
	r := ChatRow{With: c.With, Title: firstNonEmpty(c.WithName, c.With)}
	body := strings.Join(strings.Fields(c.Last.Body), " ")
	if utf8.RuneCountInString(body) > 60 {
		body = string([]rune(body)[:59]) + "…"
	}
	if c.Last.From == me && me != "" {
		body = tr.F(KChatYou, body)
	}
	r.Preview = body
	if !c.Last.SentAt.IsZero() {
		r.When = formatWhen(c.Last.SentAt.In(now.Location()), now)
	}
	if c.Unread > 0 {
		r.Unread = fmt.Sprint(c.Unread)
		r.Bold = true
	}
	return r
}

// MessageRow is one message of a chat view.
type MessageRow struct {
	Mine bool
	Body string
	When string
}

// MessageRows renders a conversation's history, oldest first.
func MessageRows(msgs []api.Message, me string, now time.Time) []MessageRow {
	out := make([]MessageRow, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, MessageRow{Mine: m.From == me, Body: m.Body, When: formatWhen(m.SentAt.In(now.Location()), now)})
	}
	return out
}

// FindChat returns the conversation with ext in s.
func FindChat(s people.Snapshot, ext string) (people.Chat, bool) {
	for _, c := range s.Chats {
		if c.With == ext {
			return c, true
		}
	}
	return people.Chat{}, false
}

// ColleagueName is the directory name of ext, or ext itself.
func ColleagueName(s people.Snapshot, ext string) string {
	for _, c := range s.Colleagues {
		if c.Extension == ext {
			return c.Name
		}
	}
	return ext
}

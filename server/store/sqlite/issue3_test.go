package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
	"github.com/vaihde/vaihde/shared/presence"
)

// seedPair adds a second user (1002) to seed's organisation.
func seedPair(t *testing.T, s *Store) (store.Org, store.User, store.User) {
	t.Helper()
	o, a := seed(t, s)
	b, err := s.CreateUser(context.Background(), store.User{OrgID: o.ID, Extension: "1002", Name: "Bertil"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	return o, a, b
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil || want != nil && !errors.Is(err, want) {
		t.Fatalf("%s: err = %v, want %v", what, err, want)
	}
}

func TestMigrateFromVersion1KeepsUsers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "v1.db")
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		migrations[0],
		`INSERT INTO schema_migrations VALUES (1, 0)`,
		`INSERT INTO orgs (name, domain) VALUES ('Old', 'old.example')`,
		`INSERT INTO users (org_id, extension, name) VALUES (1, '1001', 'Vanha')`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open v1 database: %v", err)
	}
	defer s.Close()
	u, err := s.UserByExtension(context.Background(), 1, "1001")
	if err != nil || u.Name != "Vanha" || u.Admin || u.Department != "" {
		t.Fatalf("migrated user = %+v, %v", u, err)
	}
	o, err := s.OrgByID(context.Background(), 1)
	if err != nil || o.ShowRoles || o.SMSSender != "" {
		t.Fatalf("migrated org = %+v, %v", o, err)
	}
}

func TestNewUserAndOrgFieldsRoundTrip(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, err := s.CreateOrg(ctx, store.Org{Name: "Oy", Domain: "oy.example", ShowRoles: true, SMSSender: "Vaihde", VoicemailNumber: "7000"})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := s.OrgByID(ctx, o.ID); err != nil || g != o {
		t.Fatalf("OrgByID = %+v, %v; want %+v", g, err, o)
	}
	o.ShowRoles, o.SMSSender, o.Switchboard, o.Domain = false, "OyAb", "+35891234000", "OY2.example"
	o.VoicemailNumber, o.ActivityNumber = "", "7001"
	if err := s.UpdateOrg(ctx, o); err != nil {
		t.Fatal(err)
	}
	o.Domain = "oy2.example"
	if g, err := s.OrgByDomain(ctx, "oy2.example"); err != nil || g != o {
		t.Fatalf("after UpdateOrg = %+v, %v; want %+v", g, err, o)
	}
	wantErr(t, "update missing org", s.UpdateOrg(ctx, store.Org{ID: 999, Domain: "z"}), store.ErrNotFound)
	_, _ = s.CreateOrg(ctx, store.Org{Name: "taken", Domain: "taken.example"})
	wantErr(t, "update to taken domain", s.UpdateOrg(ctx, store.Org{ID: o.ID, Domain: "taken.example"}), store.ErrConflict)
	u, err := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1001", Name: "Åsa Öberg", Department: "Myynti",
		Title: "Myyntipäällikkö", Keywords: "laskutus verkko", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	if g, err := s.UserByID(ctx, u.ID); err != nil || g != u {
		t.Fatalf("UserByID = %+v, %v; want %+v", g, err, u)
	}
	u.Department, u.Title, u.Keywords, u.Admin = "IT", "Tukihenkilö", "", false
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListUsers(ctx, o.ID)
	if err != nil || len(list) != 1 || list[0] != u {
		t.Fatalf("ListUsers = %+v, %v; want %+v", list, err, u)
	}
}

func TestPresence(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, a, b := seedPair(t, s)
	other, _ := s.CreateOrg(ctx, store.Org{Name: "Other", Domain: "other.example"})
	x, _ := s.CreateUser(ctx, store.User{OrgID: other.ID, Extension: "1001"})

	_, err := s.Presence(ctx, a.ID)
	wantErr(t, "never set", err, store.ErrNotFound)

	until := time.Date(2026, 12, 24, 16, 0, 0, 123, time.UTC)
	upd := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		p    store.Presence
		want error
	}{
		{"lunch with end and note", store.Presence{UserID: a.ID, Activity: presence.Lunch, Role: 2, Until: until, Note: "Syömässä 🍲", UpdatedAt: upd}, nil},
		{"replace, no end time", store.Presence{UserID: a.ID, Activity: presence.Meeting, Role: 1, UpdatedAt: upd}, nil},
		{"second user", store.Presence{UserID: b.ID, Activity: presence.Available, Role: 4, UpdatedAt: upd}, nil},
		{"other org", store.Presence{UserID: x.ID, Activity: presence.Busy, Role: 1, UpdatedAt: upd}, nil},
		{"unknown user", store.Presence{UserID: 9999, Activity: 1, Role: 1}, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, "PutPresence", s.PutPresence(ctx, tc.p), tc.want)
			if tc.want != nil {
				return
			}
			got, err := s.Presence(ctx, tc.p.UserID)
			if err != nil || !got.Until.Equal(tc.p.Until) || got.Activity != tc.p.Activity || got.Role != tc.p.Role ||
				got.Note != tc.p.Note || !got.UpdatedAt.Equal(upd) {
				t.Fatalf("Presence = %+v, %v; want %+v", got, err, tc.p)
			}
		})
	}
	all, err := s.OrgPresences(ctx, o.ID)
	if err != nil || len(all) != 2 || all[0].UserID != a.ID || all[0].Activity != presence.Meeting || all[1].UserID != b.ID {
		t.Fatalf("OrgPresences = %+v, %v", all, err)
	}
	if err := s.PutPresence(ctx, store.Presence{UserID: b.ID, Activity: 1, Role: 1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Presence(ctx, b.ID); got.UpdatedAt.IsZero() {
		t.Fatal("zero UpdatedAt not defaulted to now")
	}
}

func TestActivities(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, _ := seed(t, s)
	other, _ := s.CreateOrg(ctx, store.Org{Name: "Other", Domain: "other.example"})
	def := presence.DefaultActivities()

	got, err := s.Activities(ctx, o.ID)
	if err != nil || len(got) != len(def) {
		t.Fatalf("defaults = %+v, %v", got, err)
	}
	for i, a := range got {
		d := def[i]
		if a.OrgID != o.ID || a.Number != d.Number || a.NameFI != d.Names.FI || a.NameSV != d.Names.SV || a.NameEN != d.Names.EN || a.Green != d.Green {
			t.Fatalf("default %d = %+v, want %+v", i, a, d)
		}
	}

	steps := []struct {
		name    string
		put     store.Activity
		wantErr bool
		wantLen int
		check   int // activity number to compare with put afterwards
	}{
		{"rename on default-only org keeps the others", store.Activity{OrgID: o.ID, Number: presence.Lunch, NameFI: "Syömässä", NameSV: "Äter", NameEN: "Eating"}, false, len(def), presence.Lunch},
		{"add a new one", store.Activity{OrgID: o.ID, Number: 12, NameFI: "Koulutuksessa", NameEN: "Training", Green: false}, false, len(def) + 1, 12},
		{"recolour", store.Activity{OrgID: o.ID, Number: presence.Busy, NameFI: "Varattu", NameEN: "Busy", Green: true}, false, len(def) + 1, presence.Busy},
		{"number zero", store.Activity{OrgID: o.ID, Number: 0, NameEN: "x"}, true, len(def) + 1, 0},
		{"unknown org", store.Activity{OrgID: 999, Number: 3, NameEN: "x"}, true, len(def) + 1, 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			err := s.PutActivity(ctx, st.put)
			if (err != nil) != st.wantErr {
				t.Fatalf("PutActivity err = %v, wantErr %v", err, st.wantErr)
			}
			got, err := s.Activities(ctx, o.ID)
			if err != nil || len(got) != st.wantLen {
				t.Fatalf("Activities = %d entries, %v; want %d", len(got), err, st.wantLen)
			}
			for i := 1; i < len(got); i++ {
				if got[i-1].Number >= got[i].Number {
					t.Fatalf("not ordered by number: %+v", got)
				}
			}
			if st.check != 0 {
				for _, a := range got {
					if a.Number == st.check && a != st.put {
						t.Fatalf("activity %d = %+v, want %+v", st.check, a, st.put)
					}
				}
			}
		})
	}
	if g, _ := s.Activities(ctx, o.ID); g[0].NameEN != "Available" {
		t.Fatalf("untouched default changed: %+v", g[0])
	}
	if g, err := s.Activities(ctx, other.ID); err != nil || len(g) != len(def) || g[2].NameEN != "At lunch" {
		t.Fatalf("other org's activities changed: %+v, %v", g, err)
	}
}

func TestContacts(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, a, b := seedPair(t, s)
	other, _ := s.CreateOrg(ctx, store.Org{Name: "Other", Domain: "other.example"})

	internal, err := s.CreateContact(ctx, store.Contact{OrgID: o.ID, OwnerID: a.ID, UserID: b.ID, Favourite: true})
	if err != nil || internal.ID == 0 {
		t.Fatalf("create internal = %+v, %v", internal, err)
	}
	external, err := s.CreateContact(ctx, store.Contact{OrgID: o.ID, OwnerID: a.ID, Name: "Äijälä Oy / Pekka", Company: "Äijälä",
		Mobile: "+358501112222", Phone: "+35891234567", Email: "p@example.com", VIP: true, Note: "asiakas"})
	if err != nil {
		t.Fatal(err)
	}
	orgc, err := s.CreateContact(ctx, store.Contact{OrgID: o.ID, Name: "Taksi Helsinki", Phone: "+358100700", Groups: "myynti it"})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := s.CreateContact(ctx, store.Contact{OrgID: o.ID, OwnerID: b.ID, Name: "Bertil's"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateContact(ctx, store.Contact{OrgID: o.ID, OwnerID: a.ID, UserID: 9999})
	wantErr(t, "internal contact of unknown user", err, store.ErrNotFound)

	mine, err := s.ContactsOf(ctx, o.ID, a.ID)
	if err != nil || len(mine) != 2 || mine[0] != internal || mine[1] != external {
		t.Fatalf("ContactsOf(a) = %+v, %v", mine, err)
	}
	orgs, err := s.ContactsOf(ctx, o.ID, 0)
	if err != nil || len(orgs) != 1 || orgs[0] != orgc {
		t.Fatalf("ContactsOf(org) = %+v, %v", orgs, err)
	}
	if g, err := s.ContactsOf(ctx, other.ID, 0); err != nil || len(g) != 0 {
		t.Fatalf("other org sees %+v, %v", g, err)
	}

	tests := []struct {
		name string
		run  func() error
		want error
	}{
		{"update own", func() error { c := external; c.Name = "Pekka Äijälä"; c.VIP = false; return s.UpdateContact(ctx, c) }, nil},
		{"update other owner's", func() error { c := bs; c.OwnerID = a.ID; c.Name = "stolen"; return s.UpdateContact(ctx, c) }, store.ErrNotFound},
		{"update personal as org contact", func() error { c := external; c.OwnerID = 0; return s.UpdateContact(ctx, c) }, store.ErrNotFound},
		{"update org contact", func() error { c := orgc; c.Groups = ""; return s.UpdateContact(ctx, c) }, nil},
		{"update org contact from other org", func() error { c := orgc; c.OrgID = other.ID; return s.UpdateContact(ctx, c) }, store.ErrNotFound},
		{"update org contact without org", func() error { c := orgc; c.OrgID = 0; return s.UpdateContact(ctx, c) }, store.ErrNotFound},
		{"update missing", func() error { return s.UpdateContact(ctx, store.Contact{ID: 9999, OwnerID: a.ID}) }, store.ErrNotFound},
		{"delete other owner's", func() error { return s.DeleteContact(ctx, a.ID, bs.ID) }, store.ErrNotFound},
		{"delete org contact as user", func() error { return s.DeleteContact(ctx, a.ID, orgc.ID) }, store.ErrNotFound},
		{"delete own", func() error { return s.DeleteContact(ctx, a.ID, internal.ID) }, nil},
		{"delete again", func() error { return s.DeleteContact(ctx, a.ID, internal.ID) }, store.ErrNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { wantErr(t, tc.name, tc.run(), tc.want) })
	}

	mine, _ = s.ContactsOf(ctx, o.ID, a.ID)
	if len(mine) != 1 || mine[0].Name != "Pekka Äijälä" || mine[0].VIP || mine[0].Mobile != external.Mobile {
		t.Fatalf("after updates a has %+v", mine)
	}
	theirs, _ := s.ContactsOf(ctx, o.ID, b.ID)
	if len(theirs) != 1 || theirs[0] != bs {
		t.Fatalf("b's contact changed: %+v", theirs)
	}
	if orgs, _ := s.ContactsOf(ctx, o.ID, 0); len(orgs) != 1 || orgs[0].Groups != "" {
		t.Fatalf("org contact after update: %+v", orgs)
	}
}

func TestMessages(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, a, b := seedPair(t, s)
	c, _ := s.CreateUser(ctx, store.User{OrgID: o.ID, Extension: "1003", Name: "Cecilia"})
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	long := strings.Repeat("ä€😀x", 2500) // 10,000 characters, multi-byte
	add := func(from, to store.User, body string, min int) store.Message {
		t.Helper()
		m, err := s.AddMessage(ctx, store.Message{OrgID: o.ID, FromUserID: from.ID, ToUserID: to.ID, Body: body, SentAt: base.Add(time.Duration(min) * time.Minute)})
		if err != nil || m.ID == 0 || m.ContentType != "text/plain" {
			t.Fatalf("AddMessage = %+v, %v", m, err)
		}
		return m
	}
	m1 := add(a, b, "Hei Bertil! Ääkköset: åäö ÅÄÖ é", 0)
	m2 := add(b, a, long, 1)
	m3 := add(a, b, "kolmas", 2)
	m4 := add(c, a, "Cecilia tässä", 3)
	m5 := add(b, c, "ei Ainolle", 4)

	for _, bad := range []store.Message{
		{OrgID: o.ID, FromUserID: a.ID, ToUserID: 9999, Body: "x"},
		{OrgID: o.ID, FromUserID: 9999, ToUserID: a.ID, Body: "x"},
	} {
		_, err := s.AddMessage(ctx, bad)
		wantErr(t, "message with unknown user", err, store.ErrNotFound)
	}
	wantErr(t, "MarkDelivered missing", s.MarkDelivered(ctx, 9999, base), store.ErrNotFound)

	ids := func(ms []store.Message) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	eq := func(got, want []int64) bool {
		if len(got) != len(want) {
			return false
		}
		for i := range got {
			if got[i] != want[i] {
				return false
			}
		}
		return true
	}

	hist := []struct {
		name     string
		x, y     int64
		beforeID int64
		limit    int
		want     []int64
	}{
		{"all newest first", a.ID, b.ID, 0, 0, []int64{m3.ID, m2.ID, m1.ID}},
		{"symmetric", b.ID, a.ID, 0, 10, []int64{m3.ID, m2.ID, m1.ID}},
		{"limit", a.ID, b.ID, 0, 2, []int64{m3.ID, m2.ID}},
		{"page before", a.ID, b.ID, m2.ID, 2, []int64{m1.ID}},
		{"other pair", a.ID, c.ID, 0, 0, []int64{m4.ID}},
		{"no messages", c.ID, c.ID, 0, 0, nil},
	}
	for _, tc := range hist {
		t.Run("history "+tc.name, func(t *testing.T) {
			got, err := s.History(ctx, tc.x, tc.y, tc.beforeID, tc.limit)
			if err != nil || !eq(ids(got), tc.want) {
				t.Fatalf("History = %v, %v; want %v", ids(got), err, tc.want)
			}
		})
	}
	got, _ := s.History(ctx, a.ID, b.ID, 0, 0)
	if got[1].Body != long || got[2].Body != m1.Body || !got[2].SentAt.Equal(base) || !got[0].DeliveredAt.IsZero() {
		t.Fatalf("bodies/times did not round-trip: %q / %q", got[2].Body, got[2].SentAt)
	}

	und, err := s.Undelivered(ctx, b.ID)
	if err != nil || !eq(ids(und), []int64{m1.ID, m3.ID}) {
		t.Fatalf("Undelivered(b) = %v, %v", ids(und), err)
	}
	at := base.Add(time.Hour)
	if err := s.MarkDelivered(ctx, m1.ID, at); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkDelivered(ctx, m1.ID, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	und, _ = s.Undelivered(ctx, b.ID)
	if !eq(ids(und), []int64{m3.ID}) {
		t.Fatalf("after MarkDelivered Undelivered(b) = %v", ids(und))
	}
	if h, _ := s.History(ctx, a.ID, b.ID, m2.ID, 1); !h[0].DeliveredAt.Equal(at) {
		t.Fatalf("DeliveredAt = %v, want first delivery %v", h[0].DeliveredAt, at)
	}

	conv, err := s.Conversations(ctx, a.ID)
	if err != nil || len(conv) != 2 {
		t.Fatalf("Conversations(a) = %+v, %v", conv, err)
	}
	if conv[0].PeerID != c.ID || conv[0].Last.ID != m4.ID || conv[0].Unread != 1 ||
		conv[1].PeerID != b.ID || conv[1].Last.ID != m3.ID || conv[1].Unread != 1 || conv[1].Last.Body != "kolmas" {
		t.Fatalf("Conversations(a) = %+v", conv)
	}
	conv, _ = s.Conversations(ctx, b.ID)
	if len(conv) != 2 || conv[0].PeerID != c.ID || conv[0].Unread != 0 || conv[1].PeerID != a.ID || conv[1].Unread != 2 {
		t.Fatalf("Conversations(b) = %+v", conv)
	}

	if err := s.MarkRead(ctx, b.ID, a.ID, at); err != nil {
		t.Fatal(err)
	}
	conv, _ = s.Conversations(ctx, b.ID)
	if conv[1].Unread != 0 || !conv[1].Last.ReadAt.Equal(at) {
		t.Fatalf("after MarkRead Conversations(b) = %+v", conv)
	}
	if und, _ := s.Undelivered(ctx, b.ID); len(und) != 0 {
		t.Fatalf("read messages still undelivered: %v", ids(und))
	}
	if conv, _ := s.Conversations(ctx, a.ID); conv[1].Unread != 1 {
		t.Fatalf("MarkRead(b, a) changed a's unread: %+v", conv)
	}
	if conv, _ := s.Conversations(ctx, 9999); len(conv) != 0 {
		t.Fatalf("unknown user has conversations %+v", conv)
	}
	_ = m5
}

func TestMessageHistorySurvivesReopen(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	o, a, b := seedPair(t, s)
	body := "Säilyykö tämä? 🚀 " + strings.Repeat("ö", 9983)
	m, err := s.AddMessage(ctx, store.Message{OrgID: o.ID, FromUserID: a.ID, ToUserID: b.ID, Body: body, ContentType: "text/plain;charset=utf-8"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	h, err := s2.History(ctx, b.ID, a.ID, 0, 10)
	if err != nil || len(h) != 1 {
		t.Fatalf("History after reopen = %+v, %v", h, err)
	}
	if h[0].Body != body || h[0].ContentType != m.ContentType || !h[0].SentAt.Equal(m.SentAt) || h[0].ID != m.ID {
		t.Fatalf("after reopen got %+v", h[0])
	}
	if und, _ := s2.Undelivered(ctx, b.ID); len(und) != 1 || und[0].Body != body {
		t.Fatalf("undelivered message lost on reopen: %+v", und)
	}
}

func TestSMS(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	o, a := seed(t, s)
	other, _ := s.CreateOrg(ctx, store.Org{Name: "Other", Domain: "other.example"})
	base := time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
	for _, m := range []store.SMS{
		{OrgID: o.ID, UserID: a.ID, From: "+358401231001", To: "+358501234567", Body: "Hei", Parts: 1, Status: "sent", SentAt: base.Add(-time.Second)},
		{OrgID: o.ID, UserID: a.ID, From: "+358401231001", To: "+358501234567", Body: "pitkä", Parts: 3, Status: "sent", SentAt: base},
		{OrgID: o.ID, UserID: a.ID, From: "Vaihde", To: "+358501234567", Body: "x", Parts: 0, Status: "sent", SentAt: base.Add(time.Hour)},
		{OrgID: o.ID, UserID: a.ID, To: "+358501234567", Body: "x", Parts: 2, Status: "failed: 503", SentAt: base.Add(time.Hour)},
		{OrgID: other.ID, To: "+358501234567", Body: "x", Parts: 5, Status: "sent", SentAt: base.Add(time.Hour)},
	} {
		got, err := s.AddSMS(ctx, m)
		if err != nil || got.ID == 0 || got.Parts < 1 {
			t.Fatalf("AddSMS = %+v, %v", got, err)
		}
	}
	_, err := s.AddSMS(ctx, store.SMS{OrgID: 999, To: "+1", Body: "x"})
	wantErr(t, "SMS of unknown org", err, store.ErrNotFound)

	tests := []struct {
		name  string
		org   int64
		since time.Time
		want  int
	}{
		{"everything", o.ID, time.Time{}, 5},
		{"since is inclusive", o.ID, base, 4},
		{"later", o.ID, base.Add(time.Minute), 1},
		{"future", o.ID, base.Add(2 * time.Hour), 0},
		{"other org", other.ID, time.Time{}, 5},
		{"unknown org", 999, time.Time{}, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.SMSCount(ctx, tc.org, tc.since)
			if err != nil || n != tc.want {
				t.Fatalf("SMSCount = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
}

package api

import (
	"strings"
	"testing"
	"time"

	shared "github.com/vaihde/vaihde/shared/api"
)

// TestIntegrationUpdateMe: a user changes their directory fields; colleagues' streams get the
// directory event, searches find the new words, and bad fields are refused.
func TestIntegrationUpdateMe(t *testing.T) {
	if testing.Short() {
		t.Skip("integration")
	}
	e := newEnv(t, nil)
	aino, mikko := e.login(t, "1001"), e.login(t, "1002")
	ainoEvents, _ := e.openStream(t, aino)
	waitEvent(t, ainoEvents, 5*time.Second, "hello", func(ev sseEvent, _ shared.Event) bool { return ev.typ == shared.EventHello })

	var p shared.Profile
	code, body := e.do(t, "PUT", "/api/me", mikko, shared.ProfileUpdate{Title: ptr("Key account manager"), Keywords: ptr("kärkiasiakkaat avainasiakkaat")})
	wantJSON(t, "update", code, body, 200, &p)
	if p.Title != "Key account manager" || p.Extension != "1002" {
		t.Fatalf("profile %+v", p)
	}
	got := waitEvent(t, ainoEvents, time.Second, "directory event", func(ev sseEvent, d shared.Event) bool {
		return ev.typ == shared.EventDirectory && d.Entry != nil && d.Entry.Extension == "1002"
	})
	if got.Entry.Title != "Key account manager" {
		t.Fatalf("directory event %+v", got.Entry)
	}
	var dir shared.Directory
	code, body = e.do(t, "GET", "/api/directory?q=karkiasiak", aino, nil)
	wantJSON(t, "search", code, body, 200, &dir)
	if len(dir.Entries) != 1 || dir.Entries[0].Extension != "1002" {
		t.Fatalf("search for the new keyword: %+v", dir.Entries)
	}
	for _, tc := range []struct {
		name string
		body any
		want string
	}{
		{"title too long", shared.ProfileUpdate{Title: ptr(strings.Repeat("x", 101))}, "title"},
		{"two lines", shared.ProfileUpdate{Department: ptr("a\nb")}, "department"},
		{"bad email", shared.ProfileUpdate{Email: ptr("not-an-address")}, "email"},
		{"bad language", shared.ProfileUpdate{Language: ptr("de")}, "language"},
		{"invalid JSON", `{`, "invalid JSON"},
	} {
		code, body := e.do(t, "PUT", "/api/me", mikko, tc.body)
		wantError(t, tc.name, code, body, 400, tc.want)
	}
}

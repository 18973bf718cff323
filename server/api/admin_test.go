package api

import (
	"testing"

	shared "github.com/vaihde/vaihde/shared/api"
)

// TestPutActivityAdminOnly: an admin adds and renames activities, colleagues can then pick
// them, and everyone else is refused; bad definitions get 400.
func TestPutActivityAdminOnly(t *testing.T) {
	e := newEnv(t, nil)
	admin, user := e.login(t, "1001"), e.login(t, "1002")
	training := shared.Activity{NameFI: "Koulutuksessa", NameSV: "På utbildning", NameEN: "Training"}
	code, body := e.do(t, "PUT", "/api/activities/10", user, training)
	wantError(t, "not an admin", code, body, 403, "administrator")

	var got shared.Activity
	code, body = e.do(t, "PUT", "/api/activities/10", admin, training)
	wantJSON(t, "add", code, body, 200, &got)
	if got.Number != 10 || got.Name != "Koulutuksessa" || got.Green {
		t.Fatalf("added %+v", got)
	}
	var list shared.ActivityList
	code, body = e.do(t, "GET", "/api/activities", user, nil)
	wantJSON(t, "list", code, body, 200, &list)
	if a, ok := findActivity(list.Activities, 10); !ok || a.NameEN != "Training" {
		t.Fatalf("activities after adding: %+v", list.Activities)
	}
	if _, ok := findActivity(list.Activities, 4); !ok {
		t.Fatal("the defaults were lost when one activity was added")
	}
	var p shared.Presence
	code, body = e.do(t, "PUT", "/api/presence", user, shared.PresenceUpdate{Activity: ptr(10)})
	wantJSON(t, "choose the new activity", code, body, 200, &p)
	if p.Activity != 10 || p.Green {
		t.Fatalf("presence %+v", p)
	}
	for _, tc := range []struct {
		name, path string
		body       any
		want       string
	}{
		{"number out of range", "/api/activities/100", training, "number"},
		{"not a number", "/api/activities/x", training, "number"},
		{"no name", "/api/activities/11", shared.Activity{}, "name"},
		{"invalid JSON", "/api/activities/11", `{`, "invalid JSON"},
	} {
		code, body := e.do(t, "PUT", tc.path, admin, tc.body)
		wantError(t, tc.name, code, body, 400, tc.want)
	}
}

// TestSMSUsage counts the organisation's SMS parts for admins only.
func TestSMSUsage(t *testing.T) {
	e := newEnv(t, nil)
	admin, user := e.login(t, "1001"), e.login(t, "1002")
	long := make([]byte, 200) // two GSM-7 parts
	for i := range long {
		long[i] = 'a'
	}
	for _, text := range []string{"Hei", string(long)} {
		code, body := e.do(t, "POST", "/api/sms", user, shared.SendSMS{To: "0405551234", Text: text})
		wantJSON(t, "send", code, body, 200, nil)
	}
	code, body := e.do(t, "GET", "/api/sms/usage", user, nil)
	wantError(t, "not an admin", code, body, 403, "administrator")
	var u shared.SMSUsage
	code, body = e.do(t, "GET", "/api/sms/usage", admin, nil)
	wantJSON(t, "usage", code, body, 200, &u)
	if u.Parts != 3 || u.Total != 3 || u.Since.Day() != 1 {
		t.Fatalf("usage %+v, want 3 parts this month", u)
	}
}

package routing

import (
	"context"
	"errors"
	"testing"

	"github.com/vaihde/vaihde/server/store"
)

type fakeLookup struct {
	users []store.User
	err   error
}

func (f fakeLookup) UserByExtension(_ context.Context, orgID int64, ext string) (store.User, error) {
	if f.err != nil {
		return store.User{}, f.err
	}
	for _, u := range f.users {
		if u.OrgID == orgID && u.Extension == ext {
			return u, nil
		}
	}
	return store.User{}, store.ErrNotFound
}

func (f fakeLookup) UserByNumber(_ context.Context, orgID int64, n string) (store.User, error) {
	if f.err != nil {
		return store.User{}, f.err
	}
	for _, u := range f.users {
		if u.OrgID == orgID && (u.CompanyNumber == n || u.MobileNumber == n) {
			return u, nil
		}
	}
	return store.User{}, store.ErrNotFound
}

func TestRoute(t *testing.T) {
	org := store.Org{ID: 1, CountryCode: "358"}
	lk := fakeLookup{users: []store.User{
		{ID: 10, OrgID: 1, Extension: "1001", CompanyNumber: "+35891234001", MobileNumber: "+358401234001"},
		{ID: 11, OrgID: 1, Extension: "1002"},
		{ID: 20, OrgID: 2, Extension: "1003", MobileNumber: "+358401234003"},
	}}
	internal := Caller{Internal: true, UserID: 11}
	tests := map[string]struct {
		dialled  string
		caller   Caller
		wantKind Kind
		wantUser int64
		wantNum  string
	}{
		"extension":                {"1001", internal, User, 10, "1001"},
		"company number national":  {"09 1234 001", internal, User, 10, "+35891234001"},
		"mobile international":     {"+358401234001", internal, User, 10, "+358401234001"},
		"mobile 00 form":           {"00358401234001", internal, User, 10, "+358401234001"},
		"unknown extension":        {"1999", internal, NotFound, 0, "1999"},
		"other org's extension":    {"1003", internal, NotFound, 0, "1003"},
		"other org's mobile":       {"0401234003", internal, Trunk, 0, "+358401234003"},
		"external number":          {"0501112222", internal, Trunk, 0, "+358501112222"},
		"external from trunk":      {"0501112222", Caller{}, NotFound, 0, "+358501112222"},
		"inbound to company":       {"+35891234001", Caller{}, User, 10, "+35891234001"},
		"junk":                     {"hello", internal, Reject, 0, ""},
		"service code":             {"*21#", internal, NotFound, 0, "*21#"},
		"sip uri user part":        {"sip:1002@demo", internal, User, 11, "1002"},
		"dashes in extension form": {"10-01", internal, User, 10, "1001"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Route(context.Background(), lk, org, tc.dialled, tc.caller)
			if err != nil {
				t.Fatal(err)
			}
			if got.Kind != tc.wantKind || got.User.ID != tc.wantUser || got.Number.Value != tc.wantNum {
				t.Fatalf("Route(%q) = %v user %d number %q, want %v user %d number %q",
					tc.dialled, got.Kind, got.User.ID, got.Number.Value, tc.wantKind, tc.wantUser, tc.wantNum)
			}
		})
	}
}

func TestRouteLookupError(t *testing.T) {
	boom := errors.New("db down")
	_, err := Route(context.Background(), fakeLookup{err: boom}, store.Org{ID: 1, CountryCode: "358"}, "1001", Caller{Internal: true})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want wrapped %v", err, boom)
	}
}

package vmtransfer

import (
	"context"
	"testing"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/store"
)

type users map[string]store.User

func (u users) UserByExtension(_ context.Context, orgID int64, ext string) (store.User, error) {
	if x, ok := u[ext]; ok && x.OrgID == orgID {
		return x, nil
	}
	return store.User{}, store.ErrNotFound
}

func TestServe(t *testing.T) {
	org := store.Org{ID: 1}
	alice := store.User{ID: 10, OrgID: 1, Extension: "1001"}
	box := store.User{ID: 11, OrgID: 1, Extension: "1002"}
	stranger := store.User{ID: 20, OrgID: 2, Extension: "1001"}
	var got store.User
	s := New(users{"1001": alice, "1002": box}, func(_ context.Context, _ store.Org, b store.User, _ Call) (mediaapp.Flow, bool) {
		got = b
		return func(context.Context, mediaapp.Channel) error { return nil }, true
	}, nil)
	for _, tc := range []struct {
		name string
		c    Call
		ok   bool
	}{
		{"user dials", Call{Org: org, Caller: alice, Dialled: "9811002", Internal: true}, true},
		{"user transfers an outside caller", Call{Org: org, CallerNumber: "+358501112222", Dialled: "9811002", TransferredBy: alice}, true},
		{"outside caller dials", Call{Org: org, CallerNumber: "+358501112222", Dialled: "9811002"}, false},
		{"other tenant transfers", Call{Org: org, Dialled: "9811002", TransferredBy: stranger}, false},
		{"other tenant's user dials", Call{Org: org, Caller: stranger, Dialled: "9811002", Internal: true}, false},
		{"unknown mailbox", Call{Org: org, Caller: alice, Dialled: "9819999", Internal: true}, false},
		{"code alone", Call{Org: org, Caller: alice, Dialled: "981", Internal: true}, false},
		{"other number", Call{Org: org, Caller: alice, Dialled: "1002", Internal: true}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got = store.User{}
			f, ok := s.Serve(context.Background(), tc.c)
			if ok != tc.ok || (ok && (f == nil || got.ID != box.ID)) {
				t.Fatalf("Serve = %v, %v (box %d), want ok %v for mailbox 1002", f != nil, ok, got.ID, tc.ok)
			}
		})
	}
}

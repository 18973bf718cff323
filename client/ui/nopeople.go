package ui

import (
	"context"
	"errors"

	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/shared/api"
)

// errNoPeople is what the people actions return when the UI runs without a people model.
var errNoPeople = errors.New("colleagues and chat are not connected")

// noPeople stands in for a missing people.Model: everything is empty and every action fails.
type noPeople struct{}

func (noPeople) Subscribe(fn func(people.Snapshot)) func() { fn(people.Snapshot{}); return func() {} }
func (noPeople) Snapshot() people.Snapshot                 { return people.Snapshot{} }
func (noPeople) Filter(string) []people.Colleague          { return nil }
func (noPeople) SetPresence(context.Context, api.PresenceUpdate) error {
	return errNoPeople
}
func (noPeople) SetIdle(bool) {}
func (noPeople) SaveContact(_ context.Context, c api.Contact) (api.Contact, error) {
	return c, errNoPeople
}
func (noPeople) DeleteContact(context.Context, int64) error     { return errNoPeople }
func (noPeople) OpenChat(context.Context, string) error         { return errNoPeople }
func (noPeople) SendChat(context.Context, string, string) error { return errNoPeople }
func (noPeople) SendSMS(context.Context, string, string) (api.SMS, error) {
	return api.SMS{}, errNoPeople
}

var _ people.Model = noPeople{}

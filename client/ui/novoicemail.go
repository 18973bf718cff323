package ui

import (
	"context"
	"errors"

	"github.com/vaihde/vaihde/client/voicemail"
	"github.com/vaihde/vaihde/shared/api"
)

// errNoVoicemail is what the voicemail actions return when the UI runs without a mailbox.
var errNoVoicemail = errors.New("voicemail is not connected")

// noVoicemail stands in for a missing voicemail.Model: an empty mailbox, every action fails.
type noVoicemail struct{}

func (noVoicemail) Subscribe(fn func(voicemail.Snapshot)) func() {
	fn(voicemail.Snapshot{})
	return func() {}
}
func (noVoicemail) Snapshot() voicemail.Snapshot         { return voicemail.Snapshot{} }
func (noVoicemail) Refresh(context.Context) error        { return errNoVoicemail }
func (noVoicemail) Play(context.Context, int64) error    { return errNoVoicemail }
func (noVoicemail) Stop()                                {}
func (noVoicemail) Delete(context.Context, int64) error  { return errNoVoicemail }
func (noVoicemail) Reset()                               {}
func (noVoicemail) SetPIN(context.Context, string) error { return errNoVoicemail }
func (noVoicemail) Settings(context.Context) (api.VoicemailSettings, error) {
	return api.VoicemailSettings{}, errNoVoicemail
}
func (noVoicemail) SaveSettings(_ context.Context, s api.VoicemailSettings) (api.VoicemailSettings, error) {
	return s, errNoVoicemail
}
func (noVoicemail) Forwarding(context.Context) (api.Forwarding, error) {
	return api.Forwarding{}, errNoVoicemail
}
func (noVoicemail) SaveForwarding(_ context.Context, f api.Forwarding) (api.Forwarding, error) {
	return f, errNoVoicemail
}

var _ voicemail.Model = noVoicemail{}

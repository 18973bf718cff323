package people

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"github.com/vaihde/vaihde/shared/api"
)

// Voicemail and forwarding routes of shared/api/voicemail.go. The model that uses them is
// client/voicemail.

// maxVoicemailAudio bounds one message's WAV: 8 kHz 16-bit mono is ~1 MB a minute, and
// messages are limited to a few minutes.
const maxVoicemailAudio = 32 << 20

// Voicemails returns the user's mailbox, newest first, with its counts (GET /api/voicemail).
func (c *Client) Voicemails(ctx context.Context) (api.VoicemailList, error) {
	var out api.VoicemailList
	err := c.do(ctx, http.MethodGet, "/api/voicemail", nil, &out)
	return out, err
}

// VoicemailAudio downloads one message's recording, an 8 kHz mono WAV
// (GET /api/voicemail/{id}/audio).
func (c *Client) VoicemailAudio(ctx context.Context, id int64) ([]byte, error) {
	path := "/api/voicemail/" + strconv.FormatInt(id, 10) + "/audio"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+path, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	req.Header.Set("Accept", "audio/wav")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		ae := readAPIError(res)
		ae.Op = "GET " + path
		return nil, ae
	}
	b, err := io.ReadAll(io.LimitReader(res.Body, maxVoicemailAudio+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: read: %w", path, err)
	}
	if len(b) > maxVoicemailAudio {
		return nil, fmt.Errorf("GET %s: recording larger than %d bytes", path, maxVoicemailAudio)
	}
	return b, nil
}

// MarkVoicemail marks a message heard (true) or new again (PUT /api/voicemail/{id}).
func (c *Client) MarkVoicemail(ctx context.Context, id int64, heard bool) (api.Voicemail, error) {
	var out api.Voicemail
	err := c.do(ctx, http.MethodPut, "/api/voicemail/"+strconv.FormatInt(id, 10), api.VoicemailUpdate{Heard: heard}, &out)
	return out, err
}

// DeleteVoicemail deletes a message (DELETE /api/voicemail/{id}).
func (c *Client) DeleteVoicemail(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, "/api/voicemail/"+strconv.FormatInt(id, 10), nil, nil)
}

// VoicemailSettings returns the user's voicemail options (GET /api/voicemail/settings).
func (c *Client) VoicemailSettings(ctx context.Context) (api.VoicemailSettings, error) {
	var out api.VoicemailSettings
	err := c.do(ctx, http.MethodGet, "/api/voicemail/settings", nil, &out)
	return out, err
}

// PutVoicemailSettings saves the voicemail options and returns what the server stored
// (PUT /api/voicemail/settings); a refusal is an *APIError with the server's reason.
func (c *Client) PutVoicemailSettings(ctx context.Context, s api.VoicemailSettings) (api.VoicemailSettings, error) {
	var out api.VoicemailSettings
	err := c.do(ctx, http.MethodPut, "/api/voicemail/settings", s, &out)
	return out, err
}

// SetVoicemailPIN sets the mailbox PIN (PUT /api/voicemail/pin).
func (c *Client) SetVoicemailPIN(ctx context.Context, pin string) error {
	return c.do(ctx, http.MethodPut, "/api/voicemail/pin", api.VoicemailPIN{PIN: pin}, nil)
}

// Forwarding returns the user's personal call routing (GET /api/forwarding).
func (c *Client) Forwarding(ctx context.Context) (api.Forwarding, error) {
	var out api.Forwarding
	err := c.do(ctx, http.MethodGet, "/api/forwarding", nil, &out)
	return out, err
}

// PutForwarding saves the personal call routing and returns it as the server normalised it
// (PUT /api/forwarding); a refusal is an *APIError with the server's reason.
func (c *Client) PutForwarding(ctx context.Context, f api.Forwarding) (api.Forwarding, error) {
	var out api.Forwarding
	err := c.do(ctx, http.MethodPut, "/api/forwarding", f, &out)
	return out, err
}

package people

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/vaihde/vaihde/shared/api"
)

// Client calls the server's presence, directory, contact, message and SMS routes
// (shared/api/presence.go) with one login's bearer token. It is safe for concurrent use.
type Client struct {
	BaseURL string // e.g. http://pbx:8080, no trailing slash
	Token   string
	HTTP    *http.Client
}

// APIError is a non-2xx answer of the server. Its text is the server's words alone, meant for
// the user ("unknown activity 77"); Op says which call it answered, for logs.
type APIError struct {
	Op      string // e.g. "PUT /api/presence"
	Status  int    // HTTP status code
	Message string // the server's words (api.Error), or the status text
}

func (e *APIError) Error() string { return e.Message }

// StatusOf returns the HTTP status of an APIError in err's chain, or 0.
func StatusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return 0
}

// maxResponseBytes bounds a JSON answer; a directory of 10,000 users is a few MB.
const maxResponseBytes = 64 << 20

// do sends one request with an optional JSON body and decodes a JSON answer into out (nil: none).
func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encode: %w", method, path, err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		ae := readAPIError(res)
		ae.Op = method + " " + path
		return ae
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 1<<16))
		return nil
	}
	if err := json.NewDecoder(io.LimitReader(res.Body, maxResponseBytes)).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode: %w", method, path, err)
	}
	return nil
}

// readAPIError turns an error response into an APIError with the server's message.
func readAPIError(res *http.Response) *APIError {
	ae := &APIError{Status: res.StatusCode}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<16))
	var e api.Error
	if json.Unmarshal(b, &e) == nil && e.Error != "" {
		ae.Message = e.Error
	} else if s := strings.TrimSpace(string(b)); s != "" && len(s) < 200 && !strings.ContainsAny(s, "<{") {
		ae.Message = s
	}
	if ae.Message == "" {
		ae.Message = res.Status
		if ae.Message == "" {
			ae.Message = strconv.Itoa(res.StatusCode) + " " + http.StatusText(res.StatusCode)
		}
	}
	return ae
}

// Activities returns the organisation's activities (GET /api/activities).
func (c *Client) Activities(ctx context.Context) ([]api.Activity, error) {
	var out api.ActivityList
	err := c.do(ctx, http.MethodGet, "/api/activities", nil, &out)
	return out.Activities, err
}

// Presence returns every colleague's presence (GET /api/presence).
func (c *Client) Presence(ctx context.Context) ([]api.Presence, error) {
	var out api.PresenceList
	err := c.do(ctx, http.MethodGet, "/api/presence", nil, &out)
	return out.Presence, err
}

// SetPresence changes the user's own presence (PUT /api/presence).
func (c *Client) SetPresence(ctx context.Context, u api.PresenceUpdate) (api.Presence, error) {
	var out api.Presence
	err := c.do(ctx, http.MethodPut, "/api/presence", u, &out)
	return out, err
}

// Directory returns the directory entries matching q, all when q is empty (GET /api/directory).
func (c *Client) Directory(ctx context.Context, q string) ([]api.DirectoryEntry, error) {
	var out api.Directory
	path := "/api/directory"
	if q != "" {
		path += "?q=" + url.QueryEscape(q)
	}
	err := c.do(ctx, http.MethodGet, path, nil, &out)
	return out.Entries, err
}

// Contacts returns the personal and visible organisation contacts (GET /api/contacts).
func (c *Client) Contacts(ctx context.Context) ([]api.Contact, error) {
	var out api.ContactList
	err := c.do(ctx, http.MethodGet, "/api/contacts", nil, &out)
	return out.Contacts, err
}

// SaveContact creates a contact when its ID is 0 (POST /api/contacts), else replaces it
// (PUT /api/contacts/{id}).
func (c *Client) SaveContact(ctx context.Context, ct api.Contact) (api.Contact, error) {
	var out api.Contact
	var err error
	if ct.ID == 0 {
		err = c.do(ctx, http.MethodPost, "/api/contacts", ct, &out)
	} else {
		err = c.do(ctx, http.MethodPut, "/api/contacts/"+strconv.FormatInt(ct.ID, 10), ct, &out)
	}
	return out, err
}

// DeleteContact deletes a contact (DELETE /api/contacts/{id}).
func (c *Client) DeleteContact(ctx context.Context, id int64) error {
	return c.do(ctx, http.MethodDelete, "/api/contacts/"+strconv.FormatInt(id, 10), nil, nil)
}

// Conversations returns the chat list (GET /api/conversations).
func (c *Client) Conversations(ctx context.Context) ([]api.Conversation, error) {
	var out api.ConversationList
	err := c.do(ctx, http.MethodGet, "/api/conversations", nil, &out)
	return out.Conversations, err
}

// Messages returns up to limit messages with a colleague older than message before (0: the
// newest), newest first (GET /api/messages).
func (c *Client) Messages(ctx context.Context, with string, before int64, limit int) ([]api.Message, error) {
	v := url.Values{"with": {with}}
	if before > 0 {
		v.Set("before", strconv.FormatInt(before, 10))
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	var out api.MessageList
	err := c.do(ctx, http.MethodGet, "/api/messages?"+v.Encode(), nil, &out)
	return out.Messages, err
}

// SendMessage sends an instant message through the API (POST /api/messages); the Softphone
// sends over SIP instead, this is for clients without SIP.
func (c *Client) SendMessage(ctx context.Context, to, body string) (api.Message, error) {
	var out api.Message
	err := c.do(ctx, http.MethodPost, "/api/messages", api.SendMessage{To: to, Body: body}, &out)
	return out, err
}

// MarkRead marks the conversation with a colleague read (POST /api/messages/read).
func (c *Client) MarkRead(ctx context.Context, with string) error {
	return c.do(ctx, http.MethodPost, "/api/messages/read", api.MarkRead{With: with}, nil)
}

// SendSMS sends a text message to a mobile number (POST /api/sms).
func (c *Client) SendSMS(ctx context.Context, to, text string) (api.SMS, error) {
	var out api.SMS
	err := c.do(ctx, http.MethodPost, "/api/sms", api.SendSMS{To: to, Text: text}, &out)
	return out, err
}

// Events opens the live event stream (GET /api/events). The caller reads it with
// EventReader and closes it; cancelling ctx also ends it. Use an http.Client without a
// timeout: the stream stays open for hours.
func (c *Client) Events(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.BaseURL+"/api/events", nil)
	if err != nil {
		return nil, fmt.Errorf("GET /api/events: %w", err)
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := c.HTTP.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET /api/events: %w", err)
	}
	if res.StatusCode != http.StatusOK {
		defer res.Body.Close()
		ae := readAPIError(res)
		ae.Op = "GET /api/events"
		return nil, ae
	}
	return res.Body, nil
}

// EventReader reads server-sent events (the text/event-stream format) carrying api.Event.
type EventReader struct {
	sc *bufio.Scanner
	// Comment is called for comment lines (": ping"); nil ignores them.
	Comment func()
}

// maxEventLine bounds one line of the stream, so a broken server cannot make us buffer forever.
const maxEventLine = 4 << 20

// NewEventReader reads events from r.
func NewEventReader(r io.Reader) *EventReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxEventLine)
	return &EventReader{sc: sc}
}

// Next returns the next event. Events whose data is not valid JSON are skipped (their type is
// kept so the stream continues); an event without data is returned with only Type set. At the
// end of the stream it returns io.EOF.
func (r *EventReader) Next() (api.Event, error) {
	var typ string
	var data []byte
	haveData := false
	for r.sc.Scan() {
		line := r.sc.Text()
		if line == "" {
			if typ == "" && !haveData {
				continue
			}
			ev := api.Event{}
			if haveData {
				if err := json.Unmarshal(data, &ev); err != nil {
					typ, data, haveData = "", nil, false
					continue // a malformed event is dropped, not fatal
				}
			}
			if typ != "" {
				ev.Type = typ
			}
			if ev.Type == "" {
				ev.Type = "message" // the SSE default event type
			}
			return ev, nil
		}
		if strings.HasPrefix(line, ":") {
			if r.Comment != nil {
				r.Comment()
			}
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		switch field {
		case "event":
			typ = value
		case "data":
			if haveData {
				data = append(data, '\n')
			}
			data = append(data, value...)
			haveData = true
		}
	}
	if err := r.sc.Err(); err != nil {
		return api.Event{}, err
	}
	return api.Event{}, io.EOF
}

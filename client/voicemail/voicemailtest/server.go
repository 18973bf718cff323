// Package voicemailtest serves the voicemail and forwarding routes of shared/api/voicemail.go
// from memory over a real HTTP listener on 127.0.0.1, with the server's validation rules, for
// tests of client/voicemail and client/ui without the real server.
package voicemailtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/vaihde/vaihde/shared/api"
)

// Token is the bearer token the server accepts.
const Token = "test-token"

// Server is an in-memory mailbox and routing of one user. Its fields may be read and changed
// under Lock/Unlock while it serves.
type Server struct {
	*httptest.Server

	sync.Mutex
	Messages   []api.Voicemail // newest first
	Audio      map[int64][]byte
	Settings   api.VoicemailSettings
	PIN        string
	Forwarding api.Forwarding
	Activities []int    // valid activity numbers
	Requests   []string // "METHOD /path" of every request, in order
}

// New starts a server with the demo's activities 1–8 and default settings; it closes when
// the test ends.
func New(t testing.TB) *Server {
	s := &Server{
		Audio:      map[int64][]byte{},
		Settings:   api.VoicemailSettings{Enabled: true, Notify: api.NotifySMS, AnnounceActivity: true},
		Activities: []int{1, 2, 3, 4, 5, 6, 7, 8},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Add puts a message with its WAV in the mailbox (first: newest first).
func (s *Server) Add(v api.Voicemail, wav []byte) {
	s.Lock()
	defer s.Unlock()
	s.Messages = append([]api.Voicemail{v}, s.Messages...)
	s.Audio[v.ID] = wav
}

// Counts are the mailbox's voice-message counts.
func (s *Server) Counts() api.VoicemailCounts {
	s.Lock()
	defer s.Unlock()
	return s.countsLocked()
}

func (s *Server) countsLocked() api.VoicemailCounts {
	var c api.VoicemailCounts
	for _, m := range s.Messages {
		if m.Kind != "" && m.Kind != "voice" {
			continue
		}
		if m.Heard {
			c.Old++
		} else {
			c.New++
		}
	}
	return c
}

// Saw reports how many requests matched "METHOD /path".
func (s *Server) Saw(req string) int {
	s.Lock()
	defer s.Unlock()
	n := 0
	for _, r := range s.Requests {
		if r == req {
			n++
		}
	}
	return n
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, api.Error{Error: msg})
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.Lock()
	defer s.Unlock()
	s.Requests = append(s.Requests, r.Method+" "+r.URL.Path)
	if r.Header.Get("Authorization") != "Bearer "+Token {
		fail(w, http.StatusUnauthorized, "log in first")
		return
	}
	path := strings.TrimPrefix(r.URL.Path, "/api/")
	switch {
	case path == "voicemail" && r.Method == http.MethodGet:
		writeJSON(w, 200, api.VoicemailList{Messages: slices.Clone(s.Messages), Counts: s.countsLocked()})
	case path == "voicemail/settings":
		s.settings(w, r)
	case path == "voicemail/pin" && r.Method == http.MethodPut:
		var p api.VoicemailPIN
		if json.NewDecoder(r.Body).Decode(&p) != nil || len(p.PIN) < 4 || len(p.PIN) > 8 || strings.Trim(p.PIN, "0123456789") != "" {
			fail(w, 400, "the PIN must be 4–8 digits")
			return
		}
		s.PIN = p.PIN
		s.Settings.HasPIN = true
		w.WriteHeader(http.StatusNoContent)
	case path == "forwarding":
		s.forwarding(w, r)
	case strings.HasPrefix(path, "voicemail/"):
		rest := strings.TrimPrefix(path, "voicemail/")
		idText, audio := strings.CutSuffix(rest, "/audio")
		id, err := strconv.ParseInt(idText, 10, 64)
		i := slices.IndexFunc(s.Messages, func(v api.Voicemail) bool { return v.ID == id })
		if err != nil || i < 0 {
			fail(w, 404, "no such message")
			return
		}
		switch {
		case audio && r.Method == http.MethodGet:
			w.Header().Set("Content-Type", "audio/wav")
			_, _ = w.Write(s.Audio[id])
		case !audio && r.Method == http.MethodPut:
			var u api.VoicemailUpdate
			if json.NewDecoder(r.Body).Decode(&u) != nil {
				fail(w, 400, "bad JSON")
				return
			}
			s.Messages[i].Heard = u.Heard
			writeJSON(w, 200, s.Messages[i])
		case !audio && r.Method == http.MethodDelete:
			s.Messages = slices.Delete(s.Messages, i, i+1)
			delete(s.Audio, id)
			w.WriteHeader(http.StatusNoContent)
		default:
			fail(w, 405, "method not allowed")
		}
	default:
		fail(w, 404, "not found")
	}
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, 200, s.Settings)
	case http.MethodPut:
		var in api.VoicemailSettings
		if json.NewDecoder(r.Body).Decode(&in) != nil {
			fail(w, 400, "bad JSON")
			return
		}
		switch in.Notify {
		case "":
			in.Notify = api.NotifySMS
		case api.NotifySMS, api.NotifyEmail, api.NotifyBoth:
		default:
			fail(w, 400, fmt.Sprintf("unknown notification %q", in.Notify))
			return
		}
		if in.Notify != api.NotifySMS && s.Settings.Email == "" {
			fail(w, 400, "email notification needs an email address")
			return
		}
		if in.CustomerService != "" {
			n, ok := normalise(in.CustomerService)
			if !ok {
				fail(w, 400, "customer service: not a phone number")
				return
			}
			in.CustomerService = n
		}
		in.HasGreeting, in.HasPIN, in.Email = s.Settings.HasGreeting, s.Settings.HasPIN, s.Settings.Email
		s.Settings = in
		writeJSON(w, 200, s.Settings)
	default:
		fail(w, 405, "method not allowed")
	}
}

func (s *Server) forwarding(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
		writeJSON(w, 200, s.Forwarding)
	case http.MethodPut:
		var in api.Forwarding
		if json.NewDecoder(r.Body).Decode(&in) != nil {
			fail(w, 400, "bad JSON")
			return
		}
		if in.Immediate != "" {
			n, ok := normalise(in.Immediate)
			if !ok {
				fail(w, 400, "immediate: not a phone number")
				return
			}
			in.Immediate = n
		}
		for _, t := range []struct {
			name string
			v    *string
		}{{"busy", &in.Busy}, {"no answer", &in.NoAnswer}, {"unreachable", &in.Unreachable}} {
			n, ok := target(*t.v)
			if !ok {
				fail(w, 400, t.name+": not a phone number")
				return
			}
			*t.v = n
		}
		if in.RingTimeSeconds != 0 && (in.RingTimeSeconds < 5 || in.RingTimeSeconds > 120) {
			fail(w, 400, "ring time must be 5–120 seconds")
			return
		}
		for i, a := range in.Activities {
			if !slices.Contains(s.Activities, a.Activity) {
				fail(w, 400, fmt.Sprintf("unknown activity %d", a.Activity))
				return
			}
			n, ok := target(a.Target)
			if !ok {
				fail(w, 400, fmt.Sprintf("activity %d: not a phone number", a.Activity))
				return
			}
			in.Activities[i].Target = n
		}
		if in.Hours != nil {
			if msg := officeHours(in.Hours); msg != "" {
				fail(w, 400, msg)
				return
			}
		}
		in.VIPs = s.Forwarding.VIPs
		s.Forwarding = in
		writeJSON(w, 200, s.Forwarding)
	default:
		fail(w, 405, "method not allowed")
	}
}

// officeHours checks and normalises office hours as the server does; it returns the
// refusal, "" when they are fine.
func officeHours(h *api.OfficeHours) string {
	seen := [7]bool{}
	for _, d := range h.Days {
		if d < 0 || d > 6 {
			return fmt.Sprintf("office hours: bad day %d", d)
		}
		seen[d] = true
	}
	h.Days = []int{}
	for d, in := range seen {
		if in {
			h.Days = append(h.Days, d)
		}
	}
	start, ok := clock(h.Start)
	if !ok {
		return fmt.Sprintf("office hours: bad time %q", h.Start)
	}
	end, ok := clock(h.End)
	if !ok {
		return fmt.Sprintf("office hours: bad time %q", h.End)
	}
	if end <= start {
		return "office hours: end must be after start"
	}
	n, ok := target(h.Outside)
	if !ok {
		return "office hours: not a phone number"
	}
	if n == "" {
		n = api.ForwardVoicemail
	}
	h.Outside = n
	return ""
}

// clock reads "HH:MM" (24-hour, "24:00" the end of the day) as minutes after midnight.
func clock(v string) (int, bool) {
	if len(v) != 5 || v[2] != ':' {
		return 0, false
	}
	hh, err1 := strconv.Atoi(v[:2])
	mm, err2 := strconv.Atoi(v[3:])
	if err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, false
	}
	return hh*60 + mm, true
}

// target accepts "", voicemail, none or a number.
func target(t string) (string, bool) {
	if t == "" || t == api.ForwardVoicemail || t == api.ForwardNone {
		return t, true
	}
	return normalise(t)
}

// normalise turns a national Finnish number into E.164 and keeps extensions, like the
// server's dialplan does for the demo organisation.
func normalise(n string) (string, bool) {
	n = strings.NewReplacer(" ", "", "-", "").Replace(n)
	digits := strings.TrimPrefix(n, "+")
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", false
	}
	switch {
	case strings.HasPrefix(n, "+"):
		return n, true
	case strings.HasPrefix(n, "0") && len(n) > 5:
		return "+358" + n[1:], true
	}
	return n, true
}

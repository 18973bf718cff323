package api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/vaihde/vaihde/server/store"
)

// Prompts is the voice prompt catalog administrators customise (server/prompt.Catalog). Every
// method acts on one organisation's prompts (ORG-1): an administrator changes only their own.
type Prompts interface {
	// OrgPath is the file played for key in lang (the organisation's recording when there is one).
	OrgPath(orgID int64, lang, key string) (string, error)
	// OrgInstall stores an 8 kHz mono 16-bit WAV as the organisation's recording of key in lang.
	OrgInstall(orgID int64, lang, key string, r io.Reader) error
	// OrgRemove deletes the organisation's recording of key in lang: the generated prompt plays again.
	OrgRemove(orgID int64, lang, key string) error
}

// maxPrompt bounds an uploaded prompt: three minutes of 8 kHz 16-bit audio.
const maxPrompt = 3 * 60 * 8000 * 2

func (s *Server) needPrompts(w http.ResponseWriter) bool {
	if s.deps.Prompts == nil {
		writeError(w, http.StatusServiceUnavailable, "voice prompts are not available")
		return false
	}
	return true
}

// prompt serves the audio of a prompt as callers hear it.
func (s *Server) prompt(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPrompts(w) {
		return
	}
	path, err := s.deps.Prompts.OrgPath(u.OrgID, r.PathValue("lang"), r.PathValue("key"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no such prompt")
		return
	}
	f, err := os.Open(path)
	if err != nil {
		writeError(w, http.StatusNotFound, "no such prompt")
		return
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "prompt unreadable")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	http.ServeContent(w, r, "", st.ModTime(), f)
}

// putPrompt installs an administrator's recording of a prompt (the body is the WAV).
func (s *Server) putPrompt(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPrompts(w) {
		return
	}
	if !u.Admin {
		writeError(w, http.StatusForbidden, "only an administrator may change voice prompts")
		return
	}
	lang, key := r.PathValue("lang"), r.PathValue("key")
	if _, err := s.deps.Prompts.OrgPath(u.OrgID, lang, key); err != nil {
		writeError(w, http.StatusNotFound, "no such prompt")
		return
	}
	err := s.deps.Prompts.OrgInstall(u.OrgID, lang, key, http.MaxBytesReader(w, r.Body, maxPrompt))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		writeError(w, http.StatusRequestEntityTooLarge, "a prompt is at most three minutes long")
		return
	case err != nil:
		msg := err.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			msg = msg[i+2:]
		}
		writeError(w, http.StatusBadRequest, "not a prompt recording: "+msg)
		return
	}
	s.log.Info("prompt replaced", "by", u.Extension, "lang", lang, "key", key)
	s.audit(r.Context(), u.OrgID, u, "prompt.put", "prompt "+lang+"/"+key, "", "recording uploaded")
	w.WriteHeader(http.StatusNoContent)
}

// deletePrompt removes an administrator's recording: the generated prompt plays again.
func (s *Server) deletePrompt(w http.ResponseWriter, r *http.Request, u store.User) {
	if !s.needPrompts(w) {
		return
	}
	if !u.Admin {
		writeError(w, http.StatusForbidden, "only an administrator may change voice prompts")
		return
	}
	lang, key := r.PathValue("lang"), r.PathValue("key")
	if err := s.deps.Prompts.OrgRemove(u.OrgID, lang, key); err != nil {
		writeError(w, http.StatusNotFound, "no such prompt")
		return
	}
	s.audit(r.Context(), u.OrgID, u, "prompt.delete", "prompt "+lang+"/"+key, "custom recording", "generated prompt")
	w.WriteHeader(http.StatusNoContent)
}

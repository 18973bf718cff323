package features

import (
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
)

// Prompt keys of packaging/prompts.tsv the flows play.
const (
	keyActivated         = "feature_activated"
	keyInvalid           = "feature_invalid"
	keyForwardingSetTo   = "forwarding_set_to"
	keyForwardingCleared = "forwarding_cleared"
	keyInvalidNumber     = "invalid_number"
	keyIVRWelcome        = "activity_ivr_welcome"
	keyActivityCurrent   = "activity_current"
	keyActivityChoose    = "activity_choose"
	keyPress             = "press"
	keyInvalidChoice     = "invalid_choice"
	keyNoInput           = "no_input"
	keyGoodbye           = "goodbye"
)

// clips turns prompt keys into clips: files of the catalog (loaded once per file and version,
// so an administrator's upload takes effect on the next call), or tones without a catalog. A
// clip is named by its key, so that tests see which prompts played.
type clips struct {
	cat *prompt.Catalog
	log *slog.Logger

	mu    sync.Mutex
	cache map[string]cachedClip // by path
}

type cachedClip struct {
	mod  time.Time
	size int64
	clip mediaapp.Clip
}

func newClips(cat *prompt.Catalog, log *slog.Logger) *clips {
	return &clips{cat: cat, log: log, cache: map[string]cachedClip{}}
}

// get returns the clips of keys in lang; a key without a prompt is skipped and logged, so that
// one missing file does not silence the whole answer.
func (c *clips) get(orgID int64, lang mediaapp.Lang, keys ...string) []mediaapp.Clip {
	out := make([]mediaapp.Clip, 0, len(keys))
	for _, k := range keys {
		if cl, ok := c.one(orgID, lang, k); ok {
			out = append(out, cl)
		}
	}
	return out
}

// has reports whether key has a prompt in lang (always true for tones).
func (c *clips) has(orgID int64, lang mediaapp.Lang, key string) bool {
	if c.cat == nil {
		return true
	}
	_, err := c.cat.OrgPath(orgID, string(lang), key)
	return err == nil
}

// one returns the clip of key as organisation orgID hears it (its administrators' recording
// first, ORG-1).
func (c *clips) one(orgID int64, lang mediaapp.Lang, key string) (mediaapp.Clip, bool) {
	if c.cat == nil {
		cl := toneFor(key)
		cl.Name = key
		return cl, true
	}
	path, err := c.cat.OrgPath(orgID, string(lang), key)
	if err != nil {
		c.log.Warn("prompt missing", "lang", lang, "key", key, "error", err)
		return mediaapp.Clip{}, false
	}
	fi, err := os.Stat(path)
	if err != nil {
		c.log.Warn("prompt unreadable", "path", path, "error", err)
		return mediaapp.Clip{}, false
	}
	c.mu.Lock()
	cc, ok := c.cache[path]
	c.mu.Unlock()
	if ok && cc.mod.Equal(fi.ModTime()) && cc.size == fi.Size() {
		return cc.clip, true
	}
	cl, err := mediaapp.LoadWAV(path)
	if err != nil {
		c.log.Warn("prompt load", "path", path, "error", err)
		return mediaapp.Clip{}, false
	}
	cl.Name = key
	c.mu.Lock()
	c.cache[path] = cachedClip{mod: fi.ModTime(), size: fi.Size(), clip: cl}
	c.mu.Unlock()
	return cl, true
}

// toneFor is what a prompt sounds like without a catalog: two high beeps for success, a long
// low tone for an error, a short beep for anything else.
func toneFor(key string) mediaapp.Clip {
	switch {
	case key == keyActivated || key == keyForwardingCleared || key == keyForwardingSetTo:
		return join(mediaapp.Tone(880, 150*time.Millisecond), mediaapp.Silence(100*time.Millisecond), mediaapp.Tone(880, 150*time.Millisecond))
	case key == keyInvalid || key == keyInvalidNumber || key == keyInvalidChoice || key == keyNoInput:
		return mediaapp.Tone(400, 600*time.Millisecond)
	case strings.HasPrefix(key, "num/"):
		return join(mediaapp.Tone(600, 80*time.Millisecond), mediaapp.Silence(80*time.Millisecond))
	}
	return join(mediaapp.Tone(600, 120*time.Millisecond), mediaapp.Silence(120*time.Millisecond))
}

func join(cs ...mediaapp.Clip) mediaapp.Clip {
	var out mediaapp.Clip
	for _, c := range cs {
		out.Samples = append(out.Samples, c.Samples...)
	}
	return out
}

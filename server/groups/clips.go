package groups

import (
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/prompt"
)

// Prompt keys of packaging/prompts.tsv the group flows play.
const (
	keyClosed         = "group_closed"
	keyBusy           = "group_busy"
	keyMenuChoose     = "menu_choose"
	keyOptionQueue    = "menu_option_queue"
	keyOptionHunt     = "menu_option_hunt"
	keyOptionMenu     = "menu_option_menu"
	keyOptionNumber   = "menu_option_number"
	keyPress          = "press"
	keyStar           = "key_star"
	keyHash           = "key_hash"
	keyInvalidChoice  = "invalid_choice"
	keyNoInput        = "no_input"
	keyPleaseHold     = "please_hold"
	keyTransferFailed = "transfer_failed"
)

// PromptKeys are the generated prompt keys the group flows may play (besides mediaapp's numbers).
var PromptKeys = []string{keyClosed, keyBusy, keyMenuChoose, keyOptionQueue, keyOptionHunt,
	keyOptionMenu, keyOptionNumber, keyPress, keyStar, keyHash, keyInvalidChoice, keyNoInput,
	keyPleaseHold, keyTransferFailed}

// clips turns prompt keys into clips from the catalog as the organisation hears it (its own
// recordings first), or tones without a catalog. Clips are named by their key, so tests see
// which prompts played. The catalog caches decoded files.
type clips struct {
	cat *prompt.Catalog
	log *slog.Logger
}

func newClips(cat *prompt.Catalog, log *slog.Logger) *clips { return &clips{cat: cat, log: log} }

// get returns the clips of keys; a key without a prompt is skipped and logged, so one missing
// file does not silence the whole announcement.
func (c *clips) get(orgID int64, lang mediaapp.Lang, keys ...string) []mediaapp.Clip {
	out := make([]mediaapp.Clip, 0, len(keys))
	for _, k := range keys {
		if cl, ok := c.one(orgID, lang, k); ok {
			out = append(out, cl)
		}
	}
	return out
}

func (c *clips) one(orgID int64, lang mediaapp.Lang, key string) (mediaapp.Clip, bool) {
	if key == "" {
		return mediaapp.Clip{}, false
	}
	if c.cat == nil {
		cl := toneFor(key)
		cl.Name = key
		return cl, true
	}
	cs, err := c.cat.OrgClips(orgID, string(lang), key)
	if err != nil || len(cs) == 0 {
		if err == nil {
			err = errors.New("no clip")
		}
		c.log.Warn("prompt missing", "org_id", orgID, "lang", lang, "key", key, "error", err)
		return mediaapp.Clip{}, false
	}
	return cs[0], true
}

// has reports whether key has a prompt (always true for tones).
func (c *clips) has(orgID int64, lang mediaapp.Lang, key string) bool {
	if c.cat == nil {
		return true
	}
	_, err := c.cat.OrgPath(orgID, string(lang), key)
	return err == nil
}

// toneFor is what a prompt sounds like without a catalog: a long low tone for errors and
// closed groups, short beeps for anything else.
func toneFor(key string) mediaapp.Clip {
	switch key {
	case keyClosed, keyBusy, keyInvalidChoice, keyNoInput, keyTransferFailed:
		return mediaapp.Tone(400, 600*time.Millisecond)
	}
	if strings.HasPrefix(key, "num/") {
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

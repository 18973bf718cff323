package prompt

import (
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
)

// clipCache keeps decoded prompts by file, so a call flow does not read and decode the same WAV
// on every menu. An entry is reused only while the file's size and modification time are
// unchanged: an administrator's upload (Install renames a new file into place) is heard at once.
type clipCache struct {
	mu      sync.Mutex
	entries map[string]cachedClip // path -> clip
}

type cachedClip struct {
	size    int64
	modTime time.Time
	samples []int16
}

// load returns the samples of the WAV at path, from the cache when the file is unchanged.
func (c *clipCache) load(path string) ([]int16, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	e, ok := c.entries[path]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.modTime.Equal(fi.ModTime()) {
		return e.samples, nil
	}
	// Decoding happens outside the lock; two flows loading the same new prompt at once both
	// decode it, which is harmless.
	clip, err := mediaapp.LoadWAV(path)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.entries == nil {
		c.entries = make(map[string]cachedClip)
	}
	c.entries[path] = cachedClip{size: fi.Size(), modTime: fi.ModTime(), samples: clip.Samples}
	c.mu.Unlock()
	return clip.Samples, nil
}

// Clips returns the clips of keys in lang, in order, ready for mediaapp.Channel.Play; each
// clip is named by its key. Resolution is Path's (an administrator's override, the generated
// prompt, then English). A key no language has is an error wrapping ErrNotFound that names the
// key. Decoded clips are cached; Clips is safe for concurrent use. The returned samples are
// shared with the cache and must not be modified.
func (c *Catalog) Clips(lang string, keys ...string) ([]mediaapp.Clip, error) {
	out := make([]mediaapp.Clip, 0, len(keys))
	for _, k := range keys {
		p, err := c.Path(lang, k)
		if err != nil {
			return nil, fmt.Errorf("prompt clips: %w", err)
		}
		s, err := c.clips.load(p)
		if err != nil {
			return nil, fmt.Errorf("prompt clips %s/%s: %w", Lang(lang), k, err)
		}
		out = append(out, mediaapp.Clip{Name: k, Samples: s})
	}
	return out, nil
}

// OrgClips is ForOrg(orgID).Clips(lang, keys...), for flows that know the caller's organisation.
func (c *Catalog) OrgClips(orgID int64, lang string, keys ...string) ([]mediaapp.Clip, error) {
	return c.ForOrg(orgID).Clips(lang, keys...)
}

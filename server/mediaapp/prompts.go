package mediaapp

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
)

// ErrNoPrompt means a prompt key has no clip in the requested language.
var ErrNoPrompt = errors.New("mediaapp: no such prompt")

// Prompts holds the prompt clips of every language, keyed like PromptKeys ("num/14",
// "vm/main-menu"). Files are <lang>/<key>.wav. It is safe for concurrent use.
type Prompts struct {
	mu    sync.RWMutex
	clips map[Lang]map[string]Clip
}

// LoadPrompts reads every <lang>/….wav under fsys for the languages in Langs (e.g. the embedded
// assets). A language directory that does not exist is skipped; a bad WAV is an error.
func LoadPrompts(fsys fs.FS) (*Prompts, error) {
	p := &Prompts{clips: make(map[Lang]map[string]Clip)}
	for _, lang := range Langs {
		err := fs.WalkDir(fsys, string(lang), func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) && name == string(lang) {
					return fs.SkipDir
				}
				return err
			}
			if d.IsDir() || path.Ext(name) != ".wav" {
				return nil
			}
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return err
			}
			s, err := ReadWAV(bytes.NewReader(b))
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			key := strings.TrimSuffix(strings.TrimPrefix(name, string(lang)+"/"), ".wav")
			p.set(lang, Clip{Name: key, Samples: s})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("load prompts: %w", err)
		}
	}
	return p, nil
}

// Set adds or replaces one prompt, e.g. with a recording an admin uploaded. The clip is renamed
// to key.
func (p *Prompts) Set(lang Lang, key string, c Clip) {
	c.Name = key
	p.set(lang, c)
}

func (p *Prompts) set(lang Lang, c Clip) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.clips[lang] == nil {
		p.clips[lang] = make(map[string]Clip)
	}
	p.clips[lang][c.Name] = c
}

// Clips returns the clips of keys in lang, in order, ready for Channel.Play.
func (p *Prompts) Clips(lang Lang, keys ...string) ([]Clip, error) {
	p.mu.RLock()
	defer p.mu.RUnlock()
	out := make([]Clip, 0, len(keys))
	for _, k := range keys {
		c, ok := p.clips[lang][k]
		if !ok {
			return nil, fmt.Errorf("prompt %s/%s: %w", lang, k, ErrNoPrompt)
		}
		out = append(out, c)
	}
	return out, nil
}

// Len returns how many prompts lang has.
func (p *Prompts) Len(lang Lang) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.clips[lang])
}

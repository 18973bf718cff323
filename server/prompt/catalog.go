// Package prompt owns the server's voice prompts on disk: the catalog of
// <dir>/<lang>/<key>.wav files that packaging/prompts.sh generates (fi, sv, en), the
// recordings that replace them (server-wide in <dir>/custom/<lang>/<key>.wav, one
// organisation's in <dir>/custom/org/<id>/<lang>/<key>.wav), the fallback from a language that
// lacks a prompt to English, and the check that every prompt is 8 kHz mono 16-bit PCM (what
// G.711 carries, so playback needs no resampling).
//
// Keys are lower-case words joined by "/", e.g. "feature_activated", "num/14", "month/3"; the
// texts behind them are in packaging/prompts.tsv.
package prompt

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Languages are the languages prompts are generated in; Fallback is used for any other.
var Languages = []string{"fi", "sv", "en"}

// Fallback is the language of a prompt that is missing in the wanted one.
const Fallback = "en"

// customDir is where recordings that replace generated prompts live, below the catalog
// directory: custom/<lang>/ for the whole server (put there by the operator), and
// custom/org/<id>/<lang>/ for one organisation (its administrators upload them, ORG-1).
const (
	customDir = "custom"
	orgDir    = "org"
)

// ErrNotFound is returned by Path when no language has the key.
var ErrNotFound = errors.New("prompt not found")

var keyPattern = regexp.MustCompile(`^[a-z0-9_]+(/[a-z0-9_]+)*$`)

// ValidKey reports whether key is a well-formed prompt key; it also keeps keys inside the
// catalog directory (no "..", no absolute paths).
func ValidKey(key string) bool { return keyPattern.MatchString(key) }

// Catalog is a read-only index of the generated prompts plus live lookups of overrides; it is safe
// for concurrent use.
type Catalog struct {
	dir     string
	have    map[string]map[string]bool // lang -> key -> generated file exists
	keys    []string
	missing map[string][]string
	clips   *clipCache // loaded clips, for Clips; shared by every organisation's view
	org     int64      // ForOrg's organisation; 0: the server-wide catalog
}

// ForOrg returns the catalog as organisation orgID hears it: its administrators' recordings
// first, then the server-wide ones and the generated prompts. Install and Remove on it change
// that organisation's recordings only. orgID 0 is the server-wide catalog itself.
func (c *Catalog) ForOrg(orgID int64) *Catalog {
	v := *c
	v.org = orgID
	return &v
}

// customSub is the directory of the catalog's own recordings in lang.
func (c *Catalog) customSub(lang string) string {
	if c.org != 0 {
		return filepath.Join(customDir, orgDir, strconv.FormatInt(c.org, 10), lang)
	}
	return filepath.Join(customDir, lang)
}

// Open indexes dir. English must be there (it is every other language's fallback) and every
// WAV found, generated or custom, must be in the prompt format; otherwise Open fails naming the
// files. Languages or keys missing besides English are not fatal: Missing reports them.
func Open(dir string) (*Catalog, error) {
	c := &Catalog{dir: dir, have: map[string]map[string]bool{}, missing: map[string][]string{}, clips: &clipCache{}}
	var bad []string
	all := map[string]bool{}
	for _, lang := range Languages {
		keys, badHere, err := scan(filepath.Join(dir, lang))
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("open prompt catalog %s: %w", dir, err)
		}
		bad = append(bad, badHere...)
		c.have[lang] = map[string]bool{}
		for _, k := range keys {
			c.have[lang][k] = true
			all[k] = true
		}
	}
	if len(c.have[Fallback]) == 0 {
		return nil, fmt.Errorf("open prompt catalog %s: no %s prompts (%s): run `make prompts`",
			dir, Fallback, filepath.Join(dir, Fallback))
	}
	customRoots := []string{filepath.Join(dir, customDir)}
	orgs, err := os.ReadDir(filepath.Join(dir, customDir, orgDir))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open prompt catalog %s: %w", dir, err)
	}
	for _, o := range orgs {
		if o.IsDir() {
			customRoots = append(customRoots, filepath.Join(dir, customDir, orgDir, o.Name()))
		}
	}
	for _, root := range customRoots {
		for _, lang := range Languages {
			_, badHere, err := scan(filepath.Join(root, lang))
			if err != nil && !errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("open prompt catalog %s: %w", dir, err)
			}
			bad = append(bad, badHere...)
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("open prompt catalog %s: %d file(s) not 8 kHz mono 16-bit PCM WAV: %s",
			dir, len(bad), strings.Join(bad, "; "))
	}
	for k := range all {
		c.keys = append(c.keys, k)
	}
	sort.Strings(c.keys)
	for _, lang := range Languages {
		for _, k := range c.keys {
			if !c.have[lang][k] {
				c.missing[lang] = append(c.missing[lang], k)
			}
		}
	}
	return c, nil
}

// scan lists the keys of the WAVs under root and describes the invalid ones.
func scan(root string) (keys, bad []string, err error) {
	if _, err := os.Stat(root); err != nil {
		return nil, nil, err
	}
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".wav") {
			return nil
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		key := strings.TrimSuffix(filepath.ToSlash(rel), ".wav")
		if !ValidKey(key) {
			bad = append(bad, fmt.Sprintf("%s: bad key %q", path, key))
			return nil
		}
		if _, err := ValidateFile(path); err != nil {
			bad = append(bad, err.Error())
			return nil
		}
		keys = append(keys, key)
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("scan prompts %s: %w", root, err)
	}
	return keys, bad, nil
}

// Dir is the directory the catalog was opened on.
func (c *Catalog) Dir() string { return c.dir }

// Keys lists every generated key (in any language), sorted.
func (c *Catalog) Keys() []string { return slices.Clone(c.keys) }

// Missing lists, per language, the keys that language lacks (they fall back to English); empty
// when the set is complete. For a startup log line.
func (c *Catalog) Missing() map[string][]string {
	out := make(map[string][]string, len(c.missing))
	for lang, keys := range c.missing {
		out[lang] = slices.Clone(keys)
	}
	return out
}

// Lang maps a user's language ("fi", "sv-FI", "EN") to a catalog language, English if unknown.
func Lang(lang string) string {
	lang = strings.ToLower(strings.TrimSpace(lang))
	if i := strings.IndexAny(lang, "-_"); i >= 0 {
		lang = lang[:i]
	}
	if slices.Contains(Languages, lang) {
		return lang
	}
	return Fallback
}

// Path returns the file to play for key in lang: the organisation's recording in
// custom/org/<id>/<lang>/<key>.wav (for a ForOrg view), else a server-wide one in
// custom/<lang>/<key>.wav (looked up on every call, so uploads take effect at once), else the
// generated prompt, else the English one. An override that is not in the prompt format is an
// error rather than silently skipped, so the admin learns about it.
func (c *Catalog) Path(lang, key string) (string, error) {
	if !ValidKey(key) {
		return "", fmt.Errorf("prompt path %q: bad key: %w", key, ErrNotFound)
	}
	lang = Lang(lang)
	for _, l := range []string{lang, Fallback} {
		subs := []string{filepath.Join(customDir, l)}
		if c.org != 0 {
			subs = append([]string{c.customSub(l)}, subs...)
		}
		for _, sub := range subs {
			custom := c.file(sub, key)
			if _, err := os.Stat(custom); err == nil {
				if _, err := ValidateFile(custom); err != nil {
					return "", fmt.Errorf("prompt %s/%s override: %w", l, key, err)
				}
				return custom, nil
			}
		}
		if c.have[l][key] {
			return c.file(l, key), nil
		}
	}
	return "", fmt.Errorf("prompt %s/%s: %w", lang, key, ErrNotFound)
}

// Paths is Path for a sequence of keys, e.g. what mediaapp.SayNumber returns; it fails on the
// first key it cannot resolve.
func (c *Catalog) Paths(lang string, keys ...string) ([]string, error) {
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		p, err := c.Path(lang, k)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// Install stores an administrator's recording as the override of key in lang, after checking it
// is an 8 kHz mono 16-bit PCM WAV. The file is written aside, synced and renamed into place, so a
// call never plays half an upload.
func (c *Catalog) Install(lang, key string, r io.Reader) (err error) {
	if !ValidKey(key) {
		return fmt.Errorf("install prompt %q: bad key", key)
	}
	if !slices.Contains(Languages, lang) {
		return fmt.Errorf("install prompt %s: unknown language %q", key, lang)
	}
	dst := c.file(c.customSub(lang), key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("install prompt %s/%s: %w", lang, key, err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(dst), ".upload-*.wav")
	if err != nil {
		return fmt.Errorf("install prompt %s/%s: %w", lang, key, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err = io.Copy(tmp, r); err != nil {
		return fmt.Errorf("install prompt %s/%s: write: %w", lang, key, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("install prompt %s/%s: sync: %w", lang, key, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("install prompt %s/%s: close: %w", lang, key, err)
	}
	if _, err = ValidateFile(tmp.Name()); err != nil {
		return fmt.Errorf("install prompt %s/%s: %w", lang, key, err)
	}
	if err = os.Rename(tmp.Name(), dst); err != nil {
		return fmt.Errorf("install prompt %s/%s: %w", lang, key, err)
	}
	return nil
}

// Remove deletes the override of key in lang, if any, so the generated prompt plays again.
func (c *Catalog) Remove(lang, key string) error {
	if !ValidKey(key) || !slices.Contains(Languages, lang) {
		return fmt.Errorf("remove prompt %s/%s: bad key or language", lang, key)
	}
	err := os.Remove(c.file(c.customSub(lang), key))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove prompt %s/%s: %w", lang, key, err)
	}
	return nil
}

func (c *Catalog) file(sub, key string) string {
	return filepath.Join(c.dir, sub, filepath.FromSlash(key)+".wav")
}

// OrgPath, OrgInstall and OrgRemove are Path, Install and Remove of ForOrg(orgID): what an
// organisation's administrators see and change (the HTTP API), never another organisation's.
func (c *Catalog) OrgPath(orgID int64, lang, key string) (string, error) {
	return c.ForOrg(orgID).Path(lang, key)
}

// OrgInstall is ForOrg(orgID).Install.
func (c *Catalog) OrgInstall(orgID int64, lang, key string, r io.Reader) error {
	return c.ForOrg(orgID).Install(lang, key, r)
}

// OrgRemove is ForOrg(orgID).Remove.
func (c *Catalog) OrgRemove(orgID int64, lang, key string) error {
	return c.ForOrg(orgID).Remove(lang, key)
}

package signaling

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// maxCacheEntries bounds each cache; when reached the cache is emptied (cheap and rare).
const maxCacheEntries = 50_000

type userKey struct {
	org int64
	ext string
}

type userEntry struct {
	u       store.User
	fetched time.Time
}

// userCache keeps users by (org, extension) for ttl so that the SIP hot path does not query
// the database; misses are not cached.
type userCache struct {
	st  store.Store
	ttl time.Duration
	mu  sync.RWMutex
	m   map[userKey]userEntry
}

func newUserCache(st store.Store, ttl time.Duration) *userCache {
	return &userCache{st: st, ttl: ttl, m: make(map[userKey]userEntry)}
}

func (c *userCache) get(ctx context.Context, orgID int64, ext string) (store.User, error) {
	k := userKey{orgID, ext}
	now := time.Now()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.u, nil
	}
	u, err := c.st.UserByExtension(ctx, orgID, ext)
	if err != nil {
		return store.User{}, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCacheEntries {
		c.m = make(map[userKey]userEntry)
	}
	c.m[k] = userEntry{u, now}
	c.mu.Unlock()
	return u, nil
}

func (c *userCache) clear() {
	c.mu.Lock()
	c.m = make(map[userKey]userEntry)
	c.mu.Unlock()
}

type orgEntry struct {
	o       store.Org
	fetched time.Time
}

// orgCache keeps organisations by domain ("" = the demo organisation) for ttl.
type orgCache struct {
	st  store.Store
	ttl time.Duration
	mu  sync.RWMutex
	m   map[string]orgEntry
}

func newOrgCache(st store.Store, ttl time.Duration) *orgCache {
	return &orgCache{st: st, ttl: ttl, m: make(map[string]orgEntry)}
}

func (c *orgCache) get(ctx context.Context, domain string) (store.Org, error) {
	domain = strings.ToLower(domain)
	now := time.Now()
	c.mu.RLock()
	e, ok := c.m[domain]
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.o, nil
	}
	var o store.Org
	var err error
	if domain == "" {
		o, err = c.st.DemoOrg(ctx)
	} else {
		o, err = c.st.OrgByDomain(ctx, domain)
	}
	if err != nil {
		return store.Org{}, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCacheEntries {
		c.m = make(map[string]orgEntry)
	}
	c.m[domain] = orgEntry{o, now}
	c.mu.Unlock()
	return o, nil
}

func (c *orgCache) clear() {
	c.mu.Lock()
	c.m = make(map[string]orgEntry)
	c.mu.Unlock()
}

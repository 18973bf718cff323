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

type cacheEntry[V any] struct {
	v       V
	fetched time.Time
}

// ttlCache keeps what load returns for a key for ttl so that the SIP hot path does not query
// the database; errors (misses included) are not cached.
type ttlCache[K comparable, V any] struct {
	ttl  time.Duration
	load func(context.Context, K) (V, error)
	mu   sync.RWMutex
	m    map[K]cacheEntry[V]
}

func newTTLCache[K comparable, V any](ttl time.Duration, load func(context.Context, K) (V, error)) *ttlCache[K, V] {
	return &ttlCache[K, V]{ttl: ttl, load: load, m: make(map[K]cacheEntry[V])}
}

func (c *ttlCache[K, V]) get(ctx context.Context, k K) (V, error) {
	now := time.Now()
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) < c.ttl {
		return e.v, nil
	}
	v, err := c.load(ctx, k)
	if err != nil {
		var zero V
		return zero, err
	}
	c.mu.Lock()
	if len(c.m) >= maxCacheEntries {
		c.m = make(map[K]cacheEntry[V])
	}
	c.m[k] = cacheEntry[V]{v, now}
	c.mu.Unlock()
	return v, nil
}

func (c *ttlCache[K, V]) clear() {
	c.mu.Lock()
	c.m = make(map[K]cacheEntry[V])
	c.mu.Unlock()
}

type userKey struct {
	org int64
	ext string
}

// userCache keeps users by (org, extension).
type userCache struct{ *ttlCache[userKey, store.User] }

func newUserCache(st store.Store, ttl time.Duration) *userCache {
	return &userCache{newTTLCache(ttl, func(ctx context.Context, k userKey) (store.User, error) {
		return st.UserByExtension(ctx, k.org, k.ext)
	})}
}

func (c *userCache) get(ctx context.Context, orgID int64, ext string) (store.User, error) {
	return c.ttlCache.get(ctx, userKey{orgID, ext})
}

// orgCache keeps organisations by domain ("" = the demo organisation).
type orgCache struct{ *ttlCache[string, store.Org] }

func newOrgCache(st store.Store, ttl time.Duration) *orgCache {
	return &orgCache{newTTLCache(ttl, func(ctx context.Context, domain string) (store.Org, error) {
		if domain == "" {
			return st.DemoOrg(ctx)
		}
		return st.OrgByDomain(ctx, domain)
	})}
}

func (c *orgCache) get(ctx context.Context, domain string) (store.Org, error) {
	return c.ttlCache.get(ctx, strings.ToLower(domain))
}

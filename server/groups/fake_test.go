package groups_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/server/presence"
	"github.com/vaihde/vaihde/server/store"
)

// memGroups is an in-memory GroupStore subset.
type memGroups struct {
	queues map[int64]store.Queue
	hunts  map[int64]store.HuntGroup
	menus  map[int64]store.Menu
	err    error // returned by GroupByNumber when set
}

func newMemGroups() *memGroups {
	return &memGroups{queues: map[int64]store.Queue{}, hunts: map[int64]store.HuntGroup{}, menus: map[int64]store.Menu{}}
}

func (m *memGroups) addQueue(q store.Queue) { q.ID = int64(len(m.queues) + 1); m.queues[q.ID] = q }
func (m *memGroups) addHunt(h store.HuntGroup) {
	h.ID = int64(len(m.hunts) + 1)
	m.hunts[h.ID] = h
}
func (m *memGroups) addMenu(x store.Menu) { x.ID = int64(len(m.menus) + 1); m.menus[x.ID] = x }

func (m *memGroups) GroupByNumber(_ context.Context, orgID int64, number string) (store.GroupKind, int64, error) {
	if m.err != nil {
		return "", 0, m.err
	}
	for _, q := range m.queues {
		if q.OrgID == orgID && q.Number == number {
			return store.KindQueue, q.ID, nil
		}
	}
	for _, h := range m.hunts {
		if h.OrgID == orgID && h.Number == number {
			return store.KindHunt, h.ID, nil
		}
	}
	for _, x := range m.menus {
		if x.OrgID == orgID && x.Number == number {
			return store.KindMenu, x.ID, nil
		}
	}
	return "", 0, store.ErrNotFound
}

func (m *memGroups) Queue(_ context.Context, orgID, id int64) (store.Queue, error) {
	if q, ok := m.queues[id]; ok && q.OrgID == orgID {
		return q, nil
	}
	return store.Queue{}, store.ErrNotFound
}

func (m *memGroups) HuntGroup(_ context.Context, orgID, id int64) (store.HuntGroup, error) {
	if h, ok := m.hunts[id]; ok && h.OrgID == orgID {
		return h, nil
	}
	return store.HuntGroup{}, store.ErrNotFound
}

func (m *memGroups) Menu(_ context.Context, orgID, id int64) (store.Menu, error) {
	if x, ok := m.menus[id]; ok && x.OrgID == orgID {
		return x, nil
	}
	return store.Menu{}, store.ErrNotFound
}

// channel is a Script that also rings out and connects like the call engine's channels.
type channel struct {
	*mediaapp.Script
	// answer decides each RingOut: the user who answers (0: nobody) or an error.
	answer func(r mediaapp.Ring) (int64, error)

	mu        sync.Mutex
	rings     []mediaapp.Ring
	connected []string
	events    []string // "ring 1,2", "connect 8001", "play x" interleaved
}

func newChannel(inputs ...string) *channel {
	return &channel{Script: mediaapp.NewScript(inputs...)}
}

func (c *channel) RingOut(ctx context.Context, r mediaapp.Ring) (mediaapp.Answered, error) {
	c.mu.Lock()
	c.rings = append(c.rings, r)
	c.events = append(c.events, fmt.Sprintf("ring %v", r.Users))
	c.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return mediaapp.Answered{}, err
	}
	if c.answer == nil {
		return mediaapp.Answered{}, mediaapp.ErrNoAnswer
	}
	id, err := c.answer(r)
	if err != nil {
		return mediaapp.Answered{}, err
	}
	if id == 0 {
		return mediaapp.Answered{}, mediaapp.ErrNoAnswer
	}
	done := make(chan struct{})
	close(done)
	return mediaapp.Answered{UserID: id, At: time.Unix(0, 0), Done: done}, nil
}

func (c *channel) Connect(_ context.Context, number string, _ bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connected = append(c.connected, number)
	c.events = append(c.events, "connect "+number)
	return nil
}

func (c *channel) Rings() []mediaapp.Ring {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.rings)
}

func (c *channel) Connected() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.connected)
}

// ringUsers lists the Users of every RingOut.
func (c *channel) ringUsers() [][]int64 {
	var out [][]int64
	for _, r := range c.Rings() {
		out = append(out, r.Users)
	}
	return out
}

// fakePresence returns fixed states.
type fakePresence map[int64]presence.State

func (f fakePresence) Get(_ context.Context, userID int64) (presence.State, error) {
	st, ok := f[userID]
	if !ok {
		return presence.State{UserID: userID, Activity: 1, Green: true, Phone: "idle"}, nil
	}
	return st, nil
}

// queueFlows records the queues it was asked for and runs a flow that plays "queue/<number>".
type queueFlows struct {
	mu    sync.Mutex
	asked []string
}

func (q *queueFlows) Flow(_ store.Org, qu store.Queue, _ b2bua.ServiceCall) mediaapp.Flow {
	q.mu.Lock()
	q.asked = append(q.asked, qu.Number)
	q.mu.Unlock()
	return func(ctx context.Context, ch mediaapp.Channel) error {
		return ch.Play(ctx, mediaapp.Clip{Name: "queue/" + qu.Number})
	}
}

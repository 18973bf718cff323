package sms

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// OutboxEntry is one SMS written by the development gateway.
type OutboxEntry struct {
	ID     string    `json:"id"` // the file name without ".json"; the provider ID
	From   string    `json:"from"`
	To     string    `json:"to"`
	Text   string    `json:"text"`
	Parts  int       `json:"parts"`
	Org    int64     `json:"org"` // organisation ID
	SentAt time.Time `json:"sent_at"`
}

// Outbox is the development gateway: it writes each SMS as a JSON file into a directory, where
// tests and developers read it (ReadOutbox). It is safe for concurrent use.
type Outbox struct {
	dir string

	mu  sync.Mutex
	seq int
}

var _ Gateway = (*Outbox)(nil)

// NewOutbox returns an outbox gateway writing into dir, which it creates.
func NewOutbox(dir string) (*Outbox, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("sms: create outbox %s: %w", dir, err)
	}
	return &Outbox{dir: dir}, nil
}

// Dir is the outbox directory.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m atomically (temporary file, then rename) as <time>-<seq>.json.
func (o *Outbox) Send(ctx context.Context, m Message) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	now := time.Now().UTC()
	o.mu.Lock()
	o.seq++
	id := fmt.Sprintf("%s-%06d", now.Format("20060102T150405.000000000Z"), o.seq)
	o.mu.Unlock()
	parts := m.Parts
	if parts == 0 {
		parts, _ = Parts(m.Text)
	}
	data, err := json.MarshalIndent(OutboxEntry{ID: id, From: m.From, To: m.To, Text: m.Text, Parts: parts, Org: m.OrgID, SentAt: now}, "", "  ")
	if err != nil {
		return "", fmt.Errorf("sms: encode outbox entry: %w", err)
	}
	tmp, err := os.CreateTemp(o.dir, ".tmp-*")
	if err != nil {
		return "", fmt.Errorf("sms: write outbox: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr != nil || cerr != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("sms: write outbox %s: %w", tmp.Name(), firstErr(werr, cerr))
	}
	if err := os.Rename(tmp.Name(), filepath.Join(o.dir, id+".json")); err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("sms: write outbox: %w", err)
	}
	return id, nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// ReadOutbox returns the SMS in an outbox directory, oldest first. A missing directory is an
// empty outbox.
func ReadOutbox(dir string) ([]OutboxEntry, error) {
	des, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("sms: read outbox %s: %w", dir, err)
	}
	var names []string
	for _, de := range des {
		if n := de.Name(); !de.IsDir() && strings.HasSuffix(n, ".json") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	out := make([]OutboxEntry, 0, len(names))
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(dir, n))
		if err != nil {
			return nil, fmt.Errorf("sms: read outbox: %w", err)
		}
		var e OutboxEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, fmt.Errorf("sms: parse outbox %s: %w", n, err)
		}
		out = append(out, e)
	}
	return out, nil
}

package ui

import (
	"context"
	"errors"

	"github.com/vaihde/vaihde/client/agent"
)

// errNoAgent is what the agent actions return when the UI runs without an agent model.
var errNoAgent = errors.New("queues are not connected")

// noAgent stands in for a missing agent.Model: no agent view, every action fails.
type noAgent struct{}

func (noAgent) Subscribe(fn func(agent.Snapshot)) func() {
	fn(agent.Snapshot{})
	return func() {}
}
func (noAgent) Snapshot() agent.Snapshot                 { return agent.Snapshot{} }
func (noAgent) Refresh(context.Context) error            { return errNoAgent }
func (noAgent) Login(context.Context, int64, bool) error { return errNoAgent }
func (noAgent) Pause(context.Context, string) error      { return errNoAgent }
func (noAgent) Resume(context.Context) error             { return errNoAgent }
func (noAgent) Reset()                                   {}

var _ agent.Model = noAgent{}

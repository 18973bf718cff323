package phone

import (
	"context"
	"errors"
)

// Session implements Controller. (Contract stub: the implementer replaces this file.)
func (e *Engine) Session() (apiURL, token string, ok bool) { return "", "", false }

// SendMessage implements Controller.
func (e *Engine) SendMessage(ctx context.Context, to, body string) error {
	return errors.New("phone: instant messages not implemented yet")
}

// OnMessage implements Controller.
func (e *Engine) OnMessage(fn func(InstantMessage)) (cancel func()) { return func() {} }

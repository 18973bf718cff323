package signaling

import (
	"context"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store"
)

// Target is one registered device of a user, ready to receive a request: Contact is the
// Request-URI to use, Destination the "host:port" to send to (the address the REGISTER came
// from when the device is behind NAT, RFC 3581), Transport "udp", "tcp" or "tls".
type Target struct {
	UserID      int64
	Contact     sip.Uri
	Destination string
	Transport   string
	UserAgent   string
}

// Directory is what call handling (server/b2bua) needs from the registrar. *Server implements it.
type Directory interface {
	// OrgForRequest resolves the organisation a request is addressed to: by the domain of the
	// Request-URI (or To), and requests addressed to the server's own IP address go to the demo
	// organisation when one exists.
	OrgForRequest(ctx context.Context, req *sip.Request) (store.Org, error)
	// AuthenticateRequest checks digest credentials (Proxy-Authorization) on a non-REGISTER
	// request. When it returns ok=false it has already answered the transaction (407 challenge,
	// 403 for wrong credentials or a rate-limited source).
	AuthenticateRequest(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, org store.Org) (u store.User, ok bool)
	// Targets returns the user's registered devices, one per unexpired binding.
	Targets(ctx context.Context, userID int64) ([]Target, error)
}

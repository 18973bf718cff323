package signaling

import (
	"context"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"

	"github.com/vaihde/vaihde/server/store"
)

// OrgForRequest implements Directory: the organisation of the Request-URI's domain, else the
// To header's; requests addressed to an IP address go to the demo organisation.
func (s *Server) OrgForRequest(ctx context.Context, req *sip.Request) (store.Org, error) {
	hosts := []string{req.Recipient.Host}
	if to := req.To(); to != nil {
		hosts = append(hosts, to.Address.Host)
	}
	return s.orgFor(ctx, hosts...)
}

// AuthenticateRequest implements Directory with the 407 Proxy-Authenticate digest flow.
func (s *Server) AuthenticateRequest(ctx context.Context, req *sip.Request, tx sip.ServerTransaction, org store.Org) (store.User, bool) {
	if !wellFormed(req) {
		respond(tx, req, 400, "Bad Request")
		return store.User{}, false
	}
	return s.authenticate(ctx, req, tx, org, true)
}

// Targets implements Directory: the user's unexpired bindings from memory, each to be reached
// at the address its REGISTER came from (RFC 3581), over the same transport.
func (s *Server) Targets(ctx context.Context, userID int64) ([]Target, error) {
	bs := s.reg.current(userID, time.Now())
	out := make([]Target, 0, len(bs))
	for _, b := range bs {
		var uri sip.Uri
		if err := sip.ParseUri(b.Contact, &uri); err != nil {
			s.log.Warn("unparsable stored contact", "user", userID, "error", err)
			continue
		}
		transport, dest, ok := strings.Cut(b.Source, ":")
		if !ok || dest == "" {
			transport, dest = "udp", uri.HostPort()
		}
		out = append(out, Target{UserID: userID, Contact: uri, Destination: dest, Transport: transport, UserAgent: b.UserAgent})
	}
	return out, nil
}

// Bindings returns the user's current bindings (for status pages and tests).
func (s *Server) Bindings(userID int64) []store.Binding {
	return s.reg.current(userID, time.Now())
}

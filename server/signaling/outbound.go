package signaling

import (
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
)

// AddressRequest sets the transport and destination of a request the server originates towards
// a device (a Target's Transport and Destination). Over UDP, when no connection to the
// destination exists yet, the request leaves from udpLocal — the SIP listener the device
// registered through — so NAT bindings and the device's idea of the server stay the same.
// ua and an invalid udpLocal leave the source to sipgo.
func AddressRequest(req *sip.Request, transport, dest string, ua *sipgo.UserAgent, udpLocal netip.AddrPort) {
	if transport != "" {
		req.SetTransport(strings.ToUpper(transport))
	}
	if dest != "" {
		req.SetDestination(dest)
	}
	if strings.EqualFold(req.Transport(), "udp") && udpLocal.IsValid() && ua != nil {
		if _, err := ua.TransportLayer().GetConnection("udp", req.Destination()); err != nil {
			req.Laddr = sip.Addr{IP: net.IP(udpLocal.Addr().AsSlice()), Port: int(udpLocal.Port())}
		}
	}
}

// RouteSet returns the URIs of Record-Route headers hs in order, reversed when reverse (the
// UAC side of a dialog, RFC 3261 section 12.1.2). Entries that do not parse are skipped.
func RouteSet(hs []sip.Header, reverse bool) []sip.Uri {
	var out []sip.Uri
	for _, h := range hs {
		for _, v := range SplitHeaderValues(h.Value()) {
			var u sip.Uri
			if _, err := sip.ParseAddressValue(v, &u, nil); err == nil && u.Host != "" {
				out = append(out, u)
			}
		}
	}
	if reverse {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return out
}

// SplitHeaderValues splits a comma-separated header value outside angle brackets and quotes.
func SplitHeaderValues(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '<':
			if !quoted {
				depth++
			}
		case '>':
			if !quoted && depth > 0 {
				depth--
			}
		case ',':
			if !quoted && depth == 0 {
				out = append(out, strings.TrimSpace(v[start:i]))
				start = i + 1
			}
		}
	}
	if s := strings.TrimSpace(v[start:]); s != "" {
		out = append(out, s)
	}
	return out
}

// ServerContact is the Contact of requests and responses the server originates as a user
// agent (calls, NOTIFYs): sip:vaihde@host:port, with the transport named unless it is UDP.
func ServerContact(host string, port int, transport string) *sip.ContactHeader {
	u := sip.Uri{Scheme: "sip", User: "vaihde", Host: host, Port: port}
	if tp := strings.ToLower(transport); tp != "" && tp != "udp" {
		u.UriParams = sip.NewParams()
		u.UriParams.Add("transport", tp)
	}
	return &sip.ContactHeader{Address: u}
}

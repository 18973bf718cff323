package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"

	"github.com/vaihde/vaihde/server/b2bua"
	"github.com/vaihde/vaihde/server/config"
	"github.com/vaihde/vaihde/server/relay"
	"github.com/vaihde/vaihde/server/signaling"
	"github.com/vaihde/vaihde/server/store"
)

// callEngine owns the RTP relay pool and the B2BUA; Close stops both, calls first, once.
type callEngine struct {
	pool *relay.Pool
	b2b  *b2bua.Engine
	// contactHost/contactPort: the server's own SIP address for Contact and From headers.
	contactHost string
	contactPort int
	// contactTLSPort is the SIP TLS port for Contacts of dialogs over TLS (0: none).
	contactTLSPort int
	once           sync.Once
	err            error
}

func (c *callEngine) Close() error {
	c.once.Do(func() {
		c.err = c.b2b.Close()
		if perr := c.pool.Close(); c.err == nil {
			c.err = perr
		}
	})
	return c.err
}

// startCallEngine builds the relay pool and the B2BUA and attaches the B2BUA's handlers to the
// SIP server; it must run before the SIP server starts.
func startCallEngine(cfg config.Config, st store.Store, sipSrv *signaling.Server, pres b2bua.Presence, services, transfers b2bua.Services, personal b2bua.Personal, logger *slog.Logger) (*callEngine, error) {
	host, portStr, err := net.SplitHostPort(sipSrv.Addr("udp"))
	if err != nil {
		return nil, fmt.Errorf("call engine: sip address: %w", err)
	}
	port, _ := strconv.Atoi(portStr)
	mediaHost := cfg.MediaIP
	if mediaHost == "" {
		mediaHost = host
	}
	mediaIP, err := netip.ParseAddr(mediaHost)
	if err != nil {
		return nil, fmt.Errorf("call engine: media ip %q: %w", mediaHost, err)
	}
	bindIP := mediaIP
	if cfg.MediaIP != "" && cfg.MediaIP != host {
		// An advertised public/NAT address is not ours to bind: listen everywhere.
		bindIP = netip.IPv4Unspecified()
	}
	pool, err := relay.NewPool(relay.Config{BindIP: bindIP, PortMin: cfg.RTPPortMin, PortMax: cfg.RTPPortMax,
		Logger: logger.With("component", "relay")})
	if err != nil {
		return nil, fmt.Errorf("call engine: relay: %w", err)
	}
	contactHost := sipContactHost(host, mediaIP)
	ecfg := b2bua.Config{
		MediaIP: mediaIP, ContactHost: contactHost, ContactPort: port,
		ServiceBindIP: bindIP, // service calls take their RTP ports from the relay's range
		Trunk: b2bua.Trunk{
			Host: cfg.Trunk.Host, Port: cfg.Trunk.Port, Transport: cfg.Trunk.Transport,
			Username: cfg.Trunk.Username, Password: cfg.Trunk.Password, Domain: cfg.Trunk.Domain,
			CallerID: cfg.Trunk.CallerID, DIDs: cfg.Trunk.DIDs, EmergencyArea: cfg.Trunk.EmergencyArea,
		},
	}
	if ap, err := netip.ParseAddrPort(sipSrv.Addr("udp")); err == nil {
		ecfg.UDPLocal = ap
	}
	if ap, err := netip.ParseAddrPort(sipSrv.Addr("tls")); err == nil {
		ecfg.ContactTLSPort = int(ap.Port())
	}
	b2b, err := b2bua.New(ecfg, b2bua.Deps{Store: st, Directory: sipSrv, Relay: pool,
		Client: sipSrv.Client(), UA: sipSrv.UA(), Logger: logger.With("component", "b2bua"), Presence: pres, Services: services, Transfers: transfers, Personal: personal})
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("call engine: %w", err)
	}
	b2b.Attach(sipSrv.SIP())
	return &callEngine{pool: pool, b2b: b2b, contactHost: contactHost, contactPort: port, contactTLSPort: ecfg.ContactTLSPort}, nil
}

// sipContactHost is the host the server puts in its own Contact and From headers: the SIP
// listener's address, or the media address when the listener is bound to every interface.
func sipContactHost(host string, mediaIP netip.Addr) string {
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		return mediaIP.String()
	}
	return host
}

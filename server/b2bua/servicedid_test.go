package b2bua

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/mediaapp"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// recordServices answers nothing and reports every ServiceCall it was asked about.
type recordServices struct{ calls chan ServiceCall }

func (r recordServices) Service(_ context.Context, c ServiceCall) (mediaapp.Flow, bool) {
	r.calls <- c
	return nil, false
}

// TestIntegrationServiceCallDID: a trunk call that a DID sends to an extension tells the
// services which DID it came in on (groups on test numbers answer outside callers only so); a
// trunk call to the bare extension carries no DID.
func TestIntegrationServiceCallDID(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	carrier := newTestPhone(t, ctx, "carrier", "carrier", "", []sdpmedia.Codec{sdpmedia.PCMA})
	cport := carrier.conn.LocalAddr().(*net.UDPAddr).Port
	rec := recordServices{calls: make(chan ServiceCall, 4)}
	h := newHarnessServices(t, func(c *Config) {
		c.Trunk = Trunk{Host: "127.0.0.1", Port: cport, Domain: "carrier.example",
			DIDs: map[string]string{"+35891230000": "8001"}}
	}, rec)
	for _, tc := range []struct{ dial, dialled, did string }{
		{"+35891230000", "8001", "+35891230000"},
		{"091230000", "8001", "+35891230000"},
		{"8001", "8001", ""},
	} {
		dctx, dcancel := context.WithTimeout(h.ctx, 5*time.Second)
		go func() {
			_, _ = carrier.dialAs(dctx, fmt.Sprintf("sip:%s@%s:%d", tc.dial, h.host, h.port), "+358501112222")
		}()
		select {
		case c := <-rec.calls:
			if c.Dialled != tc.dialled || c.DID != tc.did || c.Internal {
				t.Errorf("dial %s: ServiceCall dialled %q DID %q internal %v, want %q %q false", tc.dial, c.Dialled, c.DID, c.Internal, tc.dialled, tc.did)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("dial %s: services not asked", tc.dial)
		}
		dcancel()
	}
}

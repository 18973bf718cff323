package relay

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// SRTP is terminated per leg (SDES keys, RFC 4568): a leg whose party's SDP carries a usable
// a=crypto decrypts and authenticates everything the party sends with the party's key and
// encrypts everything it sends the party with the leg's own key (LocalCrypto), RTP and RTCP
// alike. Between the legs media is plain, so an SRTP party can talk to a plain one. A packet
// that fails authentication on an SRTP leg is dropped before it is counted or latched onto.

// ErrCrypto means the party's SDP demands SRTP (RTP/SAVP) without a crypto the relay can use.
var ErrCrypto = errors.New("relay: no usable SRTP crypto")

// replayWindow is the SRTP/SRTCP replay protection window (RFC 3711 section 3.3.2).
const replayWindow = 128

// SRTPSession is the SRTP state of one media endpoint facing one party: the endpoint's own
// keys (one per suite, kept for its life so re-offers repeat them) and, once the party's SDP
// named a crypto, the contexts for both directions. The zero value is plain RTP. Methods are
// safe for concurrent use; OpenRTP and OpenRTCP must each be called from one goroutine (the
// readers), the Write methods from any.
type SRTPSession struct {
	keyMu     sync.Mutex
	localKeys map[string]sdpmedia.Crypto

	rx atomic.Pointer[srtpRx]
	tx atomic.Pointer[srtpTx]
}

// srtpRx decrypts what the party sends: one context per reader goroutine.
type srtpRx struct {
	key       sdpmedia.Crypto
	rtp, rtcp *srtp.Context
}

// srtpTx encrypts what the endpoint sends; mu serialises the writers and guards the contexts
// and the buffer.
type srtpTx struct {
	key       sdpmedia.Crypto
	mu        sync.Mutex
	rtp, rtcp *srtp.Context
	hdr       rtp.Header
	buf       []byte
}

// LocalCrypto returns the endpoint's own key for suite, to put in the SDP sent to the party
// (with the tag of the offer being answered, or any tag in an offer). It is made on first use.
func (s *SRTPSession) LocalCrypto(tag int, suite string) (sdpmedia.Crypto, error) {
	s.keyMu.Lock()
	defer s.keyMu.Unlock()
	c, ok := s.localKeys[suite]
	if !ok {
		var err error
		if c, err = sdpmedia.NewCrypto(1, suite); err != nil {
			return sdpmedia.Crypto{}, fmt.Errorf("local srtp crypto: %w", err)
		}
		if s.localKeys == nil {
			s.localKeys = make(map[string]sdpmedia.Crypto)
		}
		s.localKeys[suite] = c
	}
	c.Tag = tag
	return c, nil
}

// On reports whether the party's media is SRTP.
func (s *SRTPSession) On() bool { return s.rx.Load() != nil }

// Set switches to SRTP with the party's crypto of m (m.SelectCrypto), or to plain RTP when m
// has none; RTP/SAVP without a usable crypto is ErrCrypto. Contexts are kept when the keys did
// not change (a re-INVITE), so that rollover counters and replay windows go on.
func (s *SRTPSession) Set(m sdpmedia.Media) error {
	remote, ok := m.SelectCrypto()
	if !ok {
		if m.Secure {
			return fmt.Errorf("%w (offered %v)", ErrCrypto, m.Crypto)
		}
		s.rx.Store(nil)
		s.tx.Store(nil)
		return nil
	}
	local, err := s.LocalCrypto(remote.Tag, remote.Suite)
	if err != nil {
		return err
	}
	if rx := s.rx.Load(); rx == nil || !sameKey(rx.key, remote) {
		r := &srtpRx{key: remote}
		if r.rtp, err = remote.NewContext(srtp.SRTPReplayProtection(replayWindow)); err != nil {
			return err
		}
		if r.rtcp, err = remote.NewContext(srtp.SRTCPReplayProtection(replayWindow)); err != nil {
			return err
		}
		s.rx.Store(r)
	}
	if tx := s.tx.Load(); tx == nil || !sameKey(tx.key, local) {
		t := &srtpTx{key: local, buf: make([]byte, 0, maxDatagram+64)}
		if t.rtp, err = local.NewContext(); err != nil {
			return err
		}
		if t.rtcp, err = local.NewContext(); err != nil {
			return err
		}
		s.tx.Store(t)
	}
	return nil
}

func sameKey(a, b sdpmedia.Crypto) bool { return a.Suite == b.Suite && string(a.Key) == string(b.Key) }

// OpenRTP authenticates and decrypts a datagram from the party into dst (the reader's buffer);
// without SRTP it returns pkt as it is. ok is false for a packet to drop.
func (s *SRTPSession) OpenRTP(dst, pkt []byte, hdr *rtp.Header) (out []byte, ok bool) {
	rx := s.rx.Load()
	if rx == nil {
		return pkt, true
	}
	// Cheap checks first: garbage never reaches the decoder's error path.
	if len(pkt) < 12 || pkt[0]>>6 != 2 || (pkt[1] >= 192 && pkt[1] <= 223) {
		return nil, false
	}
	out, err := rx.rtp.DecryptRTP(dst, pkt, hdr)
	return out, err == nil
}

// OpenRTCP is OpenRTP for SRTCP.
func (s *SRTPSession) OpenRTCP(dst, pkt []byte) (out []byte, ok bool) {
	rx := s.rx.Load()
	if rx == nil {
		return pkt, true
	}
	out, err := rx.rtcp.DecryptRTCP(dst, pkt, nil)
	return out, err == nil
}

// WriteRTP sends an RTP packet to the party on conn, encrypted when the session is SRTP.
func (s *SRTPSession) WriteRTP(conn *net.UDPConn, pkt []byte, dst netip.AddrPort) error {
	tx := s.tx.Load()
	if tx == nil {
		_, err := conn.WriteToUDPAddrPort(pkt, dst)
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	out, err := tx.rtp.EncryptRTP(tx.buf[:0], pkt, &tx.hdr)
	if err != nil {
		return fmt.Errorf("srtp encrypt: %w", err)
	}
	if cap(out) > cap(tx.buf) {
		tx.buf = out[:0]
	}
	_, err = conn.WriteToUDPAddrPort(out, dst)
	return err
}

// WriteRTCP sends a compound RTCP packet to the party on conn, as SRTCP when the session is SRTP.
func (s *SRTPSession) WriteRTCP(conn *net.UDPConn, b []byte, dst netip.AddrPort) error {
	tx := s.tx.Load()
	if tx == nil {
		_, err := conn.WriteToUDPAddrPort(b, dst)
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	out, err := tx.rtcp.EncryptRTCP(nil, b, nil)
	if err != nil {
		return fmt.Errorf("srtcp encrypt: %w", err)
	}
	_, err = conn.WriteToUDPAddrPort(out, dst)
	return err
}

// LocalCrypto returns the leg's own SRTP key for suite, to put in the SDP sent to its party
// (SRTPSession.LocalCrypto).
func (l *Leg) LocalCrypto(tag int, suite string) (sdpmedia.Crypto, error) {
	return l.srtp.LocalCrypto(tag, suite)
}

// SRTP reports whether the leg's media with its party is SRTP.
func (l *Leg) SRTP() bool { return l.srtp.On() }

func (l *Leg) writeRTP(pkt []byte, dst netip.AddrPort) error {
	return l.srtp.WriteRTP(l.rtpConn, pkt, dst)
}

func (l *Leg) writeRTCP(b []byte, dst netip.AddrPort) error {
	return l.srtp.WriteRTCP(l.rtcpConn, b, dst)
}

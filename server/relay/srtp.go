package relay

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

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

// srtpRx decrypts what the party sends: one context per reader goroutine.
type srtpRx struct {
	key       sdpmedia.Crypto
	rtp, rtcp *srtp.Context
}

// srtpTx encrypts what the leg sends; mu serialises the writers (forwarding readers, Play,
// the RTCP loop) and guards the contexts and the buffer.
type srtpTx struct {
	key       sdpmedia.Crypto
	mu        sync.Mutex
	rtp, rtcp *srtp.Context
	hdr       rtp.Header
	buf       []byte
}

// LocalCrypto returns the leg's own SRTP key for suite, to put in the SDP sent to its party
// (with the tag of the offer being answered, or any tag in an offer). It is made on first use
// and kept for the leg's life, so re-offers repeat it.
func (l *Leg) LocalCrypto(tag int, suite string) (sdpmedia.Crypto, error) {
	l.keyMu.Lock()
	defer l.keyMu.Unlock()
	c, ok := l.localKeys[suite]
	if !ok {
		var err error
		if c, err = sdpmedia.NewCrypto(1, suite); err != nil {
			return sdpmedia.Crypto{}, fmt.Errorf("relay local crypto: %w", err)
		}
		if l.localKeys == nil {
			l.localKeys = make(map[string]sdpmedia.Crypto)
		}
		l.localKeys[suite] = c
	}
	c.Tag = tag
	return c, nil
}

// SRTP reports whether the leg's media with its party is SRTP.
func (l *Leg) SRTP() bool { return l.srtpRx.Load() != nil }

// setCrypto switches the leg to SRTP with the party's crypto of m, or to plain RTP when m has
// none; contexts are kept when the keys did not change (a re-INVITE), so that rollover counters
// and replay windows go on.
func (l *Leg) setCrypto(m sdpmedia.Media) error {
	remote, ok := m.SelectCrypto()
	if !ok {
		if m.Secure {
			return fmt.Errorf("%w (offered %v)", ErrCrypto, m.Crypto)
		}
		l.srtpRx.Store(nil)
		l.srtpTx.Store(nil)
		return nil
	}
	local, err := l.LocalCrypto(remote.Tag, remote.Suite)
	if err != nil {
		return err
	}
	if rx := l.srtpRx.Load(); rx == nil || rx.key.Suite != remote.Suite || string(rx.key.Key) != string(remote.Key) {
		r, err := newRx(remote)
		if err != nil {
			return err
		}
		l.srtpRx.Store(r)
	}
	if tx := l.srtpTx.Load(); tx == nil || tx.key.Suite != local.Suite || string(tx.key.Key) != string(local.Key) {
		t := &srtpTx{key: local, buf: make([]byte, 0, maxDatagram+64)}
		if t.rtp, err = local.NewContext(); err != nil {
			return err
		}
		if t.rtcp, err = local.NewContext(); err != nil {
			return err
		}
		l.srtpTx.Store(t)
	}
	return nil
}

func newRx(c sdpmedia.Crypto) (*srtpRx, error) {
	r := &srtpRx{key: c}
	var err error
	if r.rtp, err = c.NewContext(srtp.SRTPReplayProtection(replayWindow)); err != nil {
		return nil, err
	}
	if r.rtcp, err = c.NewContext(srtp.SRTCPReplayProtection(replayWindow)); err != nil {
		return nil, err
	}
	return r, nil
}

// openRTP authenticates and decrypts an SRTP datagram into dst (the RTP reader's buffer).
func (rx *srtpRx) openRTP(dst, pkt []byte, hdr *rtp.Header) ([]byte, bool) {
	// Cheap checks first: garbage never reaches the decoder's error path.
	if len(pkt) < 12 || pkt[0]>>6 != 2 || (pkt[1] >= 192 && pkt[1] <= 223) {
		return nil, false
	}
	out, err := rx.rtp.DecryptRTP(dst, pkt, hdr)
	return out, err == nil
}

// writeRTP sends an RTP packet to the party, encrypted when the leg speaks SRTP.
func (l *Leg) writeRTP(pkt []byte, dst netip.AddrPort) error {
	tx := l.srtpTx.Load()
	if tx == nil {
		_, err := l.rtpConn.WriteToUDPAddrPort(pkt, dst)
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
	_, err = l.rtpConn.WriteToUDPAddrPort(out, dst)
	return err
}

// writeRTCP sends a compound RTCP packet to the party, as SRTCP when the leg speaks SRTP.
func (l *Leg) writeRTCP(b []byte, dst netip.AddrPort) error {
	tx := l.srtpTx.Load()
	if tx == nil {
		_, err := l.rtcpConn.WriteToUDPAddrPort(b, dst)
		return err
	}
	tx.mu.Lock()
	defer tx.mu.Unlock()
	out, err := tx.rtcp.EncryptRTCP(nil, b, nil)
	if err != nil {
		return fmt.Errorf("srtcp encrypt: %w", err)
	}
	_, err = l.rtcpConn.WriteToUDPAddrPort(out, dst)
	return err
}

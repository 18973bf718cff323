// Package media owns the Softphone's RTP audio: one UDP socket per call, G.711 frames sent every
// 20 ms from an audio source, an adaptive jitter buffer feeding an audio sink, symmetric RTP
// and RFC 4733 DTMF in both directions, and SRTP (pion/srtp, keys by SDES) when the call is
// encrypted: then nothing leaves unencrypted and only authenticated packets are played.
package media

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/pion/rtp"
	"github.com/pion/srtp/v3"

	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/shared/codec"
	"github.com/vaihde/vaihde/shared/dtmf"
	"github.com/vaihde/vaihde/shared/sdpmedia"
)

// DTMF timing: a 100 ms tone and three end packets (RFC 4733 section 2.5.1.4).
const (
	dtmfFrames    = 5
	dtmfEndCopies = 3
)

// Params are the negotiated media parameters of a call; Update replaces them (re-INVITE).
type Params struct {
	Remote netip.AddrPort // where to send until the first packet arrives (then symmetric RTP)
	PT     uint8          // negotiated G.711 payload type
	DTMFPT uint8          // telephone-event payload type, 0 if none
	Send   bool           // send audio (false while on hold either way)
	Recv   bool           // play received audio
	// SRTP encrypts the stream; nil means plain RTP.
	SRTP *SRTP
}

// SRTP are the keys of an encrypted stream (SDES, RFC 4568): Local encrypts what we send (the
// key in our SDP), Remote authenticates and decrypts what the party sends (the key in theirs).
type SRTP struct {
	Local, Remote sdpmedia.Crypto
}

func (k *SRTP) equal(o *SRTP) bool {
	if k == nil || o == nil {
		return k == o
	}
	return k.Local.Equal(o.Local) && k.Remote.Equal(o.Remote)
}

// Session is one RTP audio stream. Create it with Listen (to learn the local port for the SDP),
// then Start it once the answer is known. Close stops its goroutines. Safe for concurrent use.
type Session struct {
	conn *net.UDPConn
	rtcp *net.UDPConn // port+1, held so the peer's RTCP lands on a socket of ours (RFC 3550 6.1)
	log  *slog.Logger

	mu       sync.Mutex
	params   Params
	latched  netip.AddrPort // source of incoming packets, once seen
	oldSrc   netip.AddrPort // the source latched before the last address change
	lastRecv time.Time      // last packet from the latched source
	muted    bool
	source   audio.Source
	sink     audio.Sink
	onDTMF   func(rune)
	dtmfQ    []rune
	started  bool
	closed   bool
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	received int
	sent     int
	rejected int // packets dropped because SRTP authentication or decryption failed

	// SRTP contexts of the current keys, nil for plain RTP; enc is used only by sendLoop and
	// dec only by readLoop, each taken under mu. srtpErr is set when the keys were unusable:
	// then nothing is sent or played rather than falling back to plain RTP.
	enc, dec *srtp.Context
	srtpErr  error

	jb       *Jitter
	lastDTMF struct {
		ts   uint32
		seen bool
	}
}

// Listen opens the session's UDP sockets on ip: RTP on an even port chosen by the system and
// the next port for RTCP, which peers send to by default. Without the second socket, RTCP aimed
// at port+1 could land on another program's socket (such as our own SIP port).
func Listen(ip netip.Addr, log *slog.Logger) (*Session, error) {
	if log == nil {
		log = slog.Default()
	}
	var lastErr error
	for range 20 {
		conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, 0)))
		if err != nil {
			return nil, fmt.Errorf("listen rtp on %s: %w", ip, err)
		}
		port := conn.LocalAddr().(*net.UDPAddr).AddrPort().Port()
		if port%2 != 0 || port == 65534 {
			conn.Close()
			continue
		}
		rtcp, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(ip, port+1)))
		if err != nil {
			lastErr = err
			conn.Close()
			continue
		}
		return &Session{conn: conn, rtcp: rtcp, log: log, jb: NewJitter(codec.SampleRate)}, nil
	}
	return nil, fmt.Errorf("listen rtp on %s: no free even/odd port pair: %v", ip, lastErr)
}

// LocalAddr is the socket's address, for the SDP.
func (s *Session) LocalAddr() netip.AddrPort { return s.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Start begins sending frames read from src and playing received audio to sink (either may be
// nil: silence is sent / nothing is played). onDTMF, if set, is called for each received event
// once (at its end).
func (s *Session) Start(ctx context.Context, p Params, src audio.Source, sink audio.Sink, onDTMF func(rune)) error {
	if !codec.Supported(p.PT) {
		return fmt.Errorf("start media pt %d: %w", p.PT, codec.ErrUnsupported)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("media: session closed")
	}
	if s.started {
		return errors.New("media: session already started")
	}
	if err := s.setKeysLocked(p.SRTP); err != nil {
		return err
	}
	s.started = true
	s.params, s.source, s.sink, s.onDTMF = p, src, sink, onDTMF
	ctx, s.cancel = context.WithCancel(ctx)
	s.wg.Add(3)
	go s.readLoop(ctx)
	go s.sendLoop(ctx)
	go s.playLoop(ctx)
	return nil
}

// Update applies renegotiated parameters (hold, resume, new address or codec).
func (s *Session) Update(p Params) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p.Remote != s.params.Remote && s.params.Remote.IsValid() {
		// A new address from the SDP overrides the latch; the old source may keep sending for
		// a moment and must not be latched again.
		if s.latched.IsValid() {
			s.oldSrc = s.latched
		}
		s.latched = netip.AddrPort{}
	}
	if err := s.setKeysLocked(p.SRTP); err != nil {
		s.log.Warn("unusable SRTP keys; the stream stops", "err", err)
	}
	s.params = p
}

// setKeysLocked keys the SRTP contexts for k, keeping the current ones when the keys did not
// change (a context carries the rollover counter and replay window of its stream).
func (s *Session) setKeysLocked(k *SRTP) error {
	if s.started && k.equal(s.params.SRTP) && s.srtpErr == nil {
		return nil
	}
	s.enc, s.dec, s.srtpErr = nil, nil, nil
	if k == nil {
		return nil
	}
	enc, err := k.Local.NewContext()
	if err == nil {
		var dec *srtp.Context
		if dec, err = k.Remote.NewContext(); err == nil {
			s.enc, s.dec = enc, dec
			return nil
		}
	}
	s.srtpErr = fmt.Errorf("media: srtp keys: %w", err)
	return s.srtpErr
}

// SetAudio replaces the source and sink (nil for none) and returns the previous ones, which
// the caller closes. Used when a call is held, resumed or the devices change.
func (s *Session) SetAudio(src audio.Source, sink audio.Sink) (oldSrc audio.Source, oldSink audio.Sink) {
	s.mu.Lock()
	defer s.mu.Unlock()
	oldSrc, oldSink = s.source, s.sink
	s.source, s.sink = src, sink
	return oldSrc, oldSink
}

// SetMuted sends silence instead of the microphone while true (RTP keeps flowing).
func (s *Session) SetMuted(m bool) {
	s.mu.Lock()
	s.muted = m
	s.mu.Unlock()
}

// SendDTMF queues an RFC 4733 event for key.
func (s *Session) SendDTMF(key rune) error {
	if _, err := dtmf.CodeOf(key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.params.DTMFPT == 0 {
		return errors.New("media: the other party accepts no telephone-events")
	}
	s.dtmfQ = append(s.dtmfQ, key)
	return nil
}

// Stats returns packets sent and received and the jitter buffer's counters.
func (s *Session) Stats() (sent, received int, jb JitterStats) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sent, s.received, s.jb.Stats()
}

// Rejected is the number of packets dropped because they failed SRTP authentication (or were
// plain RTP on an encrypted stream).
func (s *Session) Rejected() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rejected
}

// Close stops the goroutines and closes the socket. Source and sink stay open: the caller owns them.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	cancel := s.cancel
	s.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	err := s.conn.Close()
	s.rtcp.Close()
	s.wg.Wait()
	return err
}

func (s *Session) dest() netip.AddrPort {
	if s.latched.IsValid() {
		return s.latched
	}
	return s.params.Remote
}

func (s *Session) readLoop(ctx context.Context) {
	defer s.wg.Done()
	buf := make([]byte, 1500)
	plainBuf := make([]byte, 1500) // decrypted SRTP
	pcm := make([]int16, 0, 1024)
	for {
		n, from, err := s.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			continue // ICMP errors on UDP sockets must not end the call
		}
		data := buf[:n]
		s.mu.Lock()
		dec, broken := s.dec, s.srtpErr != nil
		s.mu.Unlock()
		if broken {
			continue
		}
		if dec != nil {
			// Authenticated first: a forged or plain packet never reaches the latch or the ear.
			plain, err := dec.DecryptRTP(plainBuf[:0], data, nil)
			if err != nil {
				s.mu.Lock()
				s.rejected++
				s.mu.Unlock()
				continue
			}
			data = plain
		}
		var pkt rtp.Packet // fresh each time: reused packets have kept stale padding
		if err := pkt.Unmarshal(data); err != nil || pkt.Version != 2 {
			continue
		}
		now := time.Now()
		s.mu.Lock()
		if !s.accept(from, now) {
			s.mu.Unlock()
			continue
		}
		s.received++
		p := s.params
		pt := pkt.PayloadType
		switch {
		case p.DTMFPT != 0 && pt == p.DTMFPT:
			key, fire := s.dtmfEvent(&pkt)
			// Keep the audio timeline: an event packet stands in for a silent frame.
			pcm = pcm[:0]
			for range codec.FrameSamples {
				pcm = append(pcm, 0)
			}
			s.jb.Push(pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, pcm, now)
			cb := s.onDTMF
			s.mu.Unlock()
			if fire && cb != nil {
				cb(key)
			}
			continue
		case codec.Supported(pt):
			pcm, err = codec.Decode(pt, pkt.Payload, pcm[:0])
			if err == nil && len(pcm) > 0 {
				s.jb.Push(pkt.SSRC, pkt.SequenceNumber, pkt.Timestamp, pcm, now)
			}
		}
		s.mu.Unlock()
	}
}

// accept decides whether a packet from src belongs to the stream, latching the source for
// symmetric RTP: the first source is latched; another source is taken over only when the
// latched one has been silent for a second (NAT rebinding), and never the source replaced by
// the last renegotiation. Called with s.mu held.
func (s *Session) accept(src netip.AddrPort, now time.Time) bool {
	switch {
	case s.latched == src:
	case s.latched.IsValid() && now.Sub(s.lastRecv) < time.Second:
		return false
	case src == s.oldSrc:
		return false
	default:
		s.latched = src
	}
	s.lastRecv = now
	return true
}

// dtmfEvent returns the key of an event's first end packet. Called with s.mu held.
func (s *Session) dtmfEvent(pkt *rtp.Packet) (rune, bool) {
	ev, err := dtmf.Unmarshal(pkt.Payload)
	if err != nil || !ev.End {
		return 0, false
	}
	if s.lastDTMF.seen && s.lastDTMF.ts == pkt.Timestamp {
		return 0, false // a retransmitted end packet
	}
	s.lastDTMF.seen, s.lastDTMF.ts = true, pkt.Timestamp
	return ev.Key(), true
}

func (s *Session) sendLoop(ctx context.Context) {
	defer s.wg.Done()
	ssrc := rand.Uint32()
	seq := uint16(rand.Uint32())
	ts := rand.Uint32()
	frame := make([]int16, codec.FrameSamples)
	silence := make([]int16, codec.FrameSamples)
	payload := make([]byte, 0, codec.FrameSamples)
	out := make([]byte, 1500)
	sealed := make([]byte, 1500+16) // out encrypted, with its authentication tag
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	marker := true
	// DTMF state: the event being sent and how far it has got.
	var (
		evKey   rune
		evOn    bool
		evTS    uint32
		evFrame int
		evMark  bool
	)
	for {
		s.mu.Lock()
		src := s.source
		s.mu.Unlock()
		if src != nil {
			if err := src.Read(frame); err != nil {
				if ctx.Err() != nil {
					return
				}
				s.mu.Lock()
				if s.source == src {
					// The device failed: keep the stream alive with silence at the right pace.
					s.log.Warn("audio source failed; sending silence", "err", err)
					s.source = nil
				}
				s.mu.Unlock()
				continue
			}
		} else {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			clear(frame)
		}
		if ctx.Err() != nil {
			return
		}
		s.mu.Lock()
		p, muted, dst := s.params, s.muted, s.dest()
		if !evOn && len(s.dtmfQ) > 0 && p.DTMFPT != 0 {
			evKey, s.dtmfQ = s.dtmfQ[0], s.dtmfQ[1:]
			evOn, evTS, evFrame, evMark = true, ts, 0, true
		}
		s.mu.Unlock()

		var pkt rtp.Packet
		pkt.Version, pkt.SSRC = 2, ssrc
		switch {
		case !p.Send || !dst.IsValid():
			ts += codec.FrameSamples
			evOn = false
			marker = true
			continue
		case evOn:
			// RFC 4733: all packets of one event carry its start timestamp; the duration grows
			// by one frame per packet; the end is sent three times with the final duration.
			code, _ := dtmf.CodeOf(evKey)
			evFrame++
			dur := evFrame
			end := false
			if evFrame >= dtmfFrames {
				dur, end = dtmfFrames, true
			}
			ev := dtmf.Event{Code: code, Volume: 10, Duration: uint16(dur * codec.FrameSamples), End: end}
			pkt.PayloadType, pkt.Timestamp, pkt.Marker = p.DTMFPT, evTS, evMark
			pkt.Payload = ev.Marshal(payload[:4])
			evMark = false
			if evFrame >= dtmfFrames+dtmfEndCopies-1 {
				evOn = false
				marker = true
			}
		default:
			pcm := frame
			if muted {
				pcm = silence
			}
			payload, _ = codec.Encode(p.PT, pcm, payload[:0])
			pkt.PayloadType, pkt.Timestamp, pkt.Marker = p.PT, ts, marker
			pkt.Payload = payload
			marker = false
		}
		pkt.SequenceNumber = seq
		seq++
		ts += codec.FrameSamples
		n, err := pkt.MarshalTo(out)
		if err != nil {
			continue
		}
		wire := out[:n]
		s.mu.Lock()
		enc, broken := s.enc, s.srtpErr != nil
		s.mu.Unlock()
		if broken {
			continue // never plain RTP on a stream meant to be encrypted
		}
		if enc != nil {
			if wire, err = enc.EncryptRTP(sealed[:0], wire, &pkt.Header); err != nil {
				s.log.Debug("srtp encrypt failed", "err", err)
				continue
			}
		}
		if _, err := s.conn.WriteToUDPAddrPort(wire, dst); err != nil {
			s.log.Debug("rtp send failed", "dst", dst, "err", err)
			continue
		}
		s.mu.Lock()
		s.sent++
		s.mu.Unlock()
	}
}

func (s *Session) playLoop(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	frame := make([]int16, codec.FrameSamples)
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		s.mu.Lock()
		s.jb.Pop(frame)
		recv, sink := s.params.Recv, s.sink
		s.mu.Unlock()
		if sink == nil {
			continue
		}
		if !recv {
			clear(frame)
		}
		if err := sink.Write(frame); err != nil {
			s.mu.Lock()
			if s.sink == sink {
				s.log.Warn("audio sink failed; dropping received audio", "err", err)
				s.sink = nil
			}
			s.mu.Unlock()
		}
	}
}

// Command softphone is the Vaihde Softphone: it wires the phone engine, the PortAudio devices,
// the remembered settings, the people model (colleagues, presence, contacts, chat), the
// mailbox (voicemail and forwarding), the agent desk (customer-service queues), idle detection
// and the Fyne user interface together.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"flag"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/driver/software"

	"github.com/vaihde/vaihde/client/agent"
	"github.com/vaihde/vaihde/client/audio"
	"github.com/vaihde/vaihde/client/idle"
	"github.com/vaihde/vaihde/client/people"
	"github.com/vaihde/vaihde/client/phone"
	"github.com/vaihde/vaihde/client/settings"
	"github.com/vaihde/vaihde/client/ui"
	"github.com/vaihde/vaihde/client/voicemail"
)

// AppID is the Softphone's application ID (Fyne preferences, notifications, packaging).
const AppID = "fi.vaihde.softphone"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		slog.Error("softphone failed", "err", err)
		os.Exit(1)
	}
}

type options struct {
	configDir       string
	server          string
	apiURL          string
	dial            string
	dialAfter       time.Duration
	tab             string
	user            string
	password        string
	screenshot      string
	screenshotAfter time.Duration
	presencePanel   bool
	forwarding      string
	search          string
	chat            string
	idleAfter       time.Duration
	sipListen       string
	noAudio         bool
	noKeychain      bool
	transport       string // "" = as remembered
	srtp            string // "", "on" or "off"
	tlsCA           string
	debug           bool
	cpuProfile      string
	link            string // the first argument: a tel:, callto: or sip: link (links.go)
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("softphone", flag.ContinueOnError)
	fs.StringVar(&o.configDir, "config-dir", "", "settings directory (default: the user's config dir/Vaihde)")
	fs.StringVar(&o.server, "server", "", "server address to fill in (with -user and -password: log in at once)")
	fs.StringVar(&o.apiURL, "api", "", "HTTP API address when not http://<server host>:8080")
	fs.StringVar(&o.dial, "dial", "", "call this number once registered (tests and screenshots)")
	fs.DurationVar(&o.dialAfter, "dial-after", 0, "with -dial: wait this long after registering before calling (benchmarks)")
	fs.StringVar(&o.tab, "tab", "", "main window tab to show once logged in: phone, agent (queues, for agents), colleagues, contacts, chat, voicemail, log or settings")
	fs.StringVar(&o.user, "user", "", "user name (extension or phone number) to fill in")
	fs.StringVar(&o.password, "password", "", "password to fill in (visible in the process list: for tests only)")
	fs.StringVar(&o.screenshot, "screenshot", "", "write a PNG of the window to this file and exit")
	fs.DurationVar(&o.screenshotAfter, "screenshot-after", 3*time.Second, "when to take the -screenshot")
	fs.BoolVar(&o.presencePanel, "presence-panel", false, "open the presence panel once logged in (screenshots)")
	fs.StringVar(&o.forwarding, "forwarding", "", "open the forwarding and voicemail settings once logged in: top, or end (scrolled to the voicemail options; screenshots)")
	fs.StringVar(&o.search, "search", "", "show Colleagues with this search typed once logged in (screenshots)")
	fs.StringVar(&o.chat, "chat", "", "open the conversation with this extension once logged in (screenshots)")
	fs.DurationVar(&o.idleAfter, "idle-after", 5*time.Minute, "mark the user idle after this long without input")
	fs.StringVar(&o.sipListen, "sip-listen", "", "local SIP address (default: any address, ephemeral port)")
	fs.BoolVar(&o.noAudio, "no-audio", false, "run without sound devices")
	fs.StringVar(&o.transport, "transport", "", "SIP transport: udp, tcp or tls (remembered; default as last time, else udp)")
	fs.StringVar(&o.srtp, "srtp", "", "encrypt calls with SRTP: on or off (remembered; needs -transport tls)")
	fs.StringVar(&o.tlsCA, "tls-ca", "", "PEM file of certificates to trust for the server besides the system's (remembered)")
	fs.BoolVar(&o.noKeychain, "no-keychain", false, "keep the password in a file readable only by you (in -config-dir) instead of the OS keychain")
	fs.BoolVar(&o.debug, "debug", false, "debug logging")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a Go CPU profile to this file until exit (go tool pprof)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.link = fs.Arg(0)
	switch strings.ToLower(o.transport) {
	case "", "udp", "tcp", "tls":
		o.transport = strings.ToLower(o.transport)
	default:
		return o, fmt.Errorf("-transport %q: want udp, tcp or tls", o.transport)
	}
	switch o.srtp {
	case "", "on", "off":
	default:
		return o, fmt.Errorf("-srtp %q: want on or off", o.srtp)
	}
	if o.configDir == "" {
		d, err := settings.DefaultDir()
		if err != nil {
			return o, err
		}
		o.configDir = d
	}
	return o, nil
}

func run(ctx context.Context, args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	links, handed := claimLinks(ctx, o, log)
	if handed {
		return nil
	}
	if links != nil {
		defer links.Close()
	}
	if o.cpuProfile != "" {
		stopProfile, err := startCPUProfile(o.cpuProfile)
		if err != nil {
			return err
		}
		defer stopProfile()
	}

	store := settings.NewStore(o.configDir)
	if o.noKeychain {
		store = settings.NewStoreWithKeyring(o.configDir, nil)
	}
	st, err := store.Load()
	if err != nil {
		log.Warn("settings unreadable", "path", store.Path(), "err", err)
	}
	if o.transport != "" || o.srtp != "" || o.tlsCA != "" {
		applySecurityFlags(&st, o)
		if err := store.Update(func(s *settings.Settings) { applySecurityFlags(s, o) }); err != nil {
			log.Warn("settings not saved", "path", store.Path(), "err", err)
		}
	}

	// The UI exists only after the audio system, which reports device changes from its poller.
	var onDevices, onNotice atomic.Pointer[func(string)]
	var sys *audio.System
	if !o.noAudio {
		sys, err = audio.Open(ctx, audio.Options{
			Logger: log,
			OnDevicesChanged: func([]audio.Device) {
				if f := onDevices.Load(); f != nil {
					(*f)("")
				}
			},
			OnNotice: func(n audio.Notice) {
				if n.Returned { // the chosen device is back and used again: nothing to fix
					log.Info("audio device back", "device", n.Used)
					return
				}
				log.Warn("audio device fallback", "requested", n.Requested, "used", n.Used, "err", n.Err)
				if f := onNotice.Load(); f != nil {
					(*f)(fmt.Sprintf("%s: %v", n.Requested, n.Err))
				}
			},
		})
		if err != nil {
			log.Warn("no sound devices; calls will have no local audio", "err", err)
			sys = nil
		} else {
			defer sys.Close()
		}
	}

	tlsConf, err := tlsConfig(st.TLSCA)
	if err != nil {
		return err
	}
	// The API clients trust what SIP over TLS trusts (a self-signed server's -tls-ca too).
	apiClient := func(timeout time.Duration) *http.Client {
		return &http.Client{Timeout: timeout,
			Transport: &http.Transport{TLSClientConfig: tlsConf.Clone(), Proxy: http.ProxyFromEnvironment}}
	}
	eng, err := newEngine(sys, st, o, tlsConf, apiClient(5*time.Second), log)
	if err != nil {
		return err
	}
	defer eng.Close()

	rctx, rcancel := context.WithCancel(ctx)
	defer rcancel()
	ringer := newRinger(rctx, sys, st.Audio, log)

	book := people.NewBook(eng, people.Options{Logger: log, HTTPClient: apiClient(15 * time.Second)})
	defer book.Close()
	// Voicemail plays on the headset chosen for talking; the mailbox follows the book's stream.
	var speaker atomic.Pointer[string]
	speaker.Store(&st.Audio.Speaker)
	vmo := voicemail.Options{Logger: log, HTTPClient: apiClient(15 * time.Second)}
	if sys != nil {
		vmo.Player = voicemail.DevicePlayer{Backend: sys, Device: func() string { return *speaker.Load() }}
	}
	mailbox := voicemail.NewMailbox(eng.Session, vmo)
	defer mailbox.Close()
	defer book.OnEvent(mailbox.HandleEvent)()
	// The agent state (queues, pause, wrap-up) follows the same stream's "agent" events.
	desk := agent.NewDesk(eng.Session, agent.Options{Logger: log, HTTPClient: apiClient(15 * time.Second)})
	defer desk.Close()
	defer book.OnEvent(desk.HandleEvent)()
	// Supervisors' queue statistics follow the "queue" events; the supervisor view polls too.
	board := agent.NewBoard(eng.Session, agent.Options{Logger: log, HTTPClient: apiClient(15 * time.Second)})
	defer book.OnEvent(board.HandleEvent)()
	var workers sync.WaitGroup
	defer workers.Wait() // runs before book.Close: the workers use the book
	wctx, wcancel := context.WithCancel(ctx)
	defer wcancel()
	followLogin(wctx, &workers, eng, book, log)
	mon := startIdle(wctx, &workers, book, o.idleAfter, log)

	a := app.NewWithID(AppID)
	opts := ui.Options{
		Controller:  eng,
		People:      book,
		Voicemail:   mailbox,
		Agent:       desk,
		Supervision: board,
		OnActivity:  mon.Input,
		Settings:    store,
		Ringer:      ringer,
		OnAudioChange: func(s settings.Audio) {
			eng.SetDevices(s.Microphone, s.Speaker)
			ringer.setAudio(s)
			speaker.Store(&s.Speaker)
		},
		Prefill:   phone.Account{Server: o.server, APIURL: o.apiURL, User: o.user, Password: o.password},
		Logger:    log,
		MediaKeys: true, // headset buttons answer and hang up (client/mediakeys)
	}
	if sys != nil {
		opts.Audio = deviceList{sys}
	}
	u := ui.New(ctx, a, opts)
	changed := func(string) { u.DevicesChanged() }
	onDevices.Store(&changed)
	notice := func(msg string) { u.Notify(msg) }
	onNotice.Store(&notice)
	u.Start()
	serveLinks(wctx, &workers, links, u, o.link, log)
	if o.dial != "" {
		dialWhenRegistered(ctx, eng, o.dial, o.dialAfter, log)
	}

	runDone := make(chan struct{})
	defer close(runDone)
	go func() { // quit on SIGINT/SIGTERM
		select {
		case <-ctx.Done():
			fyne.Do(a.Quit)
		case <-runDone:
		}
	}()
	var shotErr error
	if o.screenshot != "" {
		go func() {
			// The scene (panel, search, conversation) is set up a little before the picture so
			// the conversation's history has arrived.
			setup := max(o.screenshotAfter-2*time.Second, o.screenshotAfter/2)
			select {
			case <-ctx.Done():
				return
			case <-runDone:
				return
			case <-time.After(setup):
			}
			fyne.DoAndWait(func() { setScene(u, o) })
			select {
			case <-ctx.Done():
				return
			case <-runDone:
				return
			case <-time.After(o.screenshotAfter - setup):
			}
			fyne.DoAndWait(func() {
				if o.tab != "" && o.search == "" && o.chat == "" {
					u.SelectTab(o.tab)
				}
				shotErr = capture(u.Window(), o.screenshot)
			})
			ps := book.Snapshot()
			log.Info("people at screenshot", "loaded", ps.Loaded, "live", ps.Live, "colleagues", len(ps.Colleagues),
				"chats", len(ps.Chats), "activity", ps.Me.Activity, "error", ps.Error)
			as := desk.Snapshot()
			log.Info("agent at screenshot", "loaded", as.Loaded, "state", as.View.State, "queues", len(as.View.Queues),
				"error", as.Error)
			vs := mailbox.Snapshot()
			log.Info("voicemail at screenshot", "loaded", vs.Loaded, "messages", len(vs.Messages),
				"new", vs.Counts.New, "old", vs.Counts.Old, "error", vs.Error)
			snap, active := eng.Snapshot(), 0
			for _, c := range snap.Calls {
				if c.State == phone.Active {
					active++
				}
			}
			// The screenshot script checks these fields to know what the picture shows.
			log.Info("screenshot taken", "file", o.screenshot, "reg", int(snap.Reg), "registered", snap.Reg == phone.Registered, "active", active, "err", shotErr)
			fyne.Do(a.Quit)
		}()
	}
	a.Run()
	u.Close()
	return shotErr
}

// setScene prepares what a screenshot shows (Fyne goroutine).
func setScene(u *ui.UI, o options) {
	if o.tab != "" {
		u.SelectTab(o.tab)
	}
	if o.search != "" {
		u.SearchColleagues(o.search)
	}
	if o.chat != "" {
		u.OpenChat(o.chat)
	}
	if o.presencePanel {
		u.ShowPresencePanel()
	}
	if o.forwarding != "" {
		u.ShowForwarding(o.forwarding == "end")
	}
}

// followLogin starts the people book after every successful login (a registration after not
// being registered) and stops it, forgetting the previous user's data, on logout. The
// engine's callback only queues the change: Start and stop run on a goroutine of their own.
func followLogin(ctx context.Context, wg *sync.WaitGroup, eng phone.Controller, book *people.Book, log *slog.Logger) {
	changes := make(chan phone.RegState, 16)
	var last atomic.Int64
	last.Store(-1)
	cancel := eng.Subscribe(func(s phone.Snapshot) {
		if int64(s.Reg) == last.Swap(int64(s.Reg)) {
			return
		}
		select {
		case changes <- s.Reg:
		default: // the worker is busy with an older change; the next one catches up
		}
	})
	stopped, stop := context.WithCancel(context.Background())
	stop() // Start with an ended context: loads nothing, clears the previous data
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		running := false
		for {
			select {
			case <-ctx.Done():
				return
			case reg := <-changes:
				switch {
				case reg == phone.Registered && !running:
					log.Info("people: loading colleagues and chat")
					book.Start(ctx)
					running = true
				case reg == phone.LoggedOut && running:
					book.Start(stopped)
					running = false
				}
			}
		}
	}()
}

// startIdle follows the computer's idle time (client/idle) and tells the book; the returned
// monitor also takes the window's own input.
func startIdle(ctx context.Context, wg *sync.WaitGroup, book *people.Book, after time.Duration, log *slog.Logger) *idle.Monitor {
	src, err := idle.System(ctx)
	if err != nil {
		log.Info("idle detection uses the Softphone's own input only", "reason", err)
		src = nil
	} else {
		log.Info("idle detection", "source", src.Name())
	}
	mon := idle.NewMonitor(idle.Options{
		Source:    src,
		Threshold: after,
		OnChange: func(idle bool) {
			log.Debug("idle changed", "idle", idle)
			book.SetIdle(idle)
		},
		OnError: func(err error) { log.Warn("idle detection failed; using the Softphone's own input", "err", err) },
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		mon.Run(ctx)
		if c, ok := src.(interface{ Close() error }); ok {
			_ = c.Close()
		}
	}()
	return mon
}

// startCPUProfile profiles the whole process until the returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create cpu profile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start cpu profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
}

// dialWhenRegistered calls number once, after the given delay from the first time the engine
// is registered, and logs "call answered" when the call is first answered (bench.sh waits for it).
func dialWhenRegistered(ctx context.Context, eng phone.Controller, number string, after time.Duration, log *slog.Logger) {
	var once, answered atomic.Bool
	cancel := eng.Subscribe(func(s phone.Snapshot) {
		if once.Load() && !answered.Load() && slices.ContainsFunc(s.Calls, func(c phone.Call) bool { return c.State == phone.Active }) &&
			answered.CompareAndSwap(false, true) {
			log.Info("call answered", "number", number)
		}
		if s.Reg != phone.Registered || !once.CompareAndSwap(false, true) {
			return
		}
		go func() { // never call the engine from its own subscriber callback
			if after > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(after):
				}
			}
			if _, err := eng.Dial(ctx, number); err != nil {
				log.Error("dial", "number", number, "err", err)
			}
		}()
	})
	context.AfterFunc(ctx, func() { cancel() })
}

// newEngine builds the phone engine; the one place that knows its constructor.
func newEngine(sys *audio.System, st settings.Settings, o options, tlsConf *tls.Config, hc *http.Client, log *slog.Logger) (*phone.Engine, error) {
	cfg := phone.Config{
		MicDevice:     st.Audio.Microphone,
		SpeakerDevice: st.Audio.Speaker,
		Logger:        log,
		ListenAddr:    o.sipListen,
		TLS:           tlsConf,
		HTTPClient:    hc,
	}
	if sys != nil {
		cfg.Audio = sys
	}
	eng, err := phone.New(cfg)
	if err != nil {
		return nil, fmt.Errorf("start phone engine: %w", err)
	}
	return eng, nil
}

// applySecurityFlags puts the -transport, -srtp and -tls-ca flags that were given into st.
func applySecurityFlags(st *settings.Settings, o options) {
	if o.transport != "" {
		st.Transport = o.transport
	}
	if o.srtp != "" {
		st.SRTP = o.srtp == "on"
	}
	if o.tlsCA != "" {
		st.TLSCA = o.tlsCA
	}
}

// tlsConfig trusts the system's roots and, when caFile is set, the certificates in it.
func tlsConfig(caFile string) (*tls.Config, error) {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if caFile == "" {
		return c, nil
	}
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("read -tls-ca: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pemData) {
		return nil, fmt.Errorf("-tls-ca %s: no PEM certificate in it", caFile)
	}
	c.RootCAs = roots
	return c, nil
}

// capture writes the window's rendered content to a PNG file. Under Xvfb with Mesa the GL
// front buffer often reads back black; the window's content is then painted again with Fyne's
// software renderer at the window's size (the app exits right after, so moving the content to
// another canvas does no harm).
func capture(w fyne.Window, path string) error {
	img := w.Canvas().Capture()
	if blank(img) {
		c := software.NewCanvas()
		c.SetPadded(true)
		size := w.Canvas().Size()
		c.SetContent(w.Content())
		for _, o := range w.Canvas().Overlays().List() { // open dialogs (the forwarding screen)
			c.Overlays().Add(o)
		}
		c.Resize(size)
		img = c.Capture()
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("create screenshot: %w", err)
	}
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("encode screenshot: %w", err)
	}
	return f.Close()
}

// blank reports whether every pixel of img has the same colour.
func blank(img image.Image) bool {
	b := img.Bounds()
	if b.Empty() {
		return true
	}
	first := img.At(b.Min.X, b.Min.Y)
	r0, g0, b0, a0 := first.RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bl, a := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bl != b0 || a != a0 {
				return false
			}
		}
	}
	return true
}

// deviceList adapts the PortAudio system to the UI's device choosers.
type deviceList struct{ sys *audio.System }

func (d deviceList) names(input bool) []string {
	devs, err := d.sys.Devices()
	if err != nil {
		return nil
	}
	var out []string
	for _, dv := range devs {
		if (input && dv.Inputs > 0) || (!input && dv.Outputs > 0) {
			out = append(out, dv.Name)
		}
	}
	return out
}

func (d deviceList) Inputs() []string  { return d.names(true) }
func (d deviceList) Outputs() []string { return d.names(false) }

// Rescan implements ui.AudioRescanner; a changed list comes back through OnDevicesChanged.
func (d deviceList) Rescan() {
	if _, err := d.sys.Refresh(); err != nil {
		slog.Debug("audio device re-scan", "err", err)
	}
}

var _ ui.AudioRescanner = deviceList{}

// ringer plays the ring on the chosen ringing device and the call-waiting beep in the headset.
// Its operations run on one goroutine of its own, so the UI never waits for the sound device.
type ringer struct {
	r   *audio.Ringer
	ops chan func()
	dev atomic.Pointer[settings.Audio]
}

func newRinger(ctx context.Context, sys *audio.System, a settings.Audio, log *slog.Logger) *ringer {
	rg := &ringer{ops: make(chan func(), 16)}
	rg.dev.Store(&a)
	if sys == nil {
		return rg
	}
	rg.r = audio.NewRinger(sys, log)
	rg.r.SetVolume(a.Volume())
	go func() {
		defer rg.r.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case op := <-rg.ops:
				op()
			}
		}
	}()
	return rg
}

func (rg *ringer) do(op func()) {
	if rg.r == nil {
		return
	}
	select {
	case rg.ops <- op:
	default: // the worker is stuck on the device: drop rather than block the UI
	}
}

func (rg *ringer) setAudio(a settings.Audio) {
	rg.dev.Store(&a)
	rg.do(func() { rg.r.SetVolume(a.Volume()) })
}

// StartRing implements ui.Ringer.
func (rg *ringer) StartRing(callWaiting bool) {
	a := *rg.dev.Load()
	if callWaiting {
		rg.do(func() { rg.r.Beep(a.Speaker) })
		return
	}
	rg.do(func() { rg.r.Ring(a.RingDevices()...) })
}

// StopRing implements ui.Ringer.
func (rg *ringer) StopRing() { rg.do(func() { rg.r.Stop() }) }

var _ ui.Ringer = (*ringer)(nil)

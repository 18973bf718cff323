//go:build linux

package mediakeys

import (
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/godbus/dbus/v5"
	"github.com/godbus/dbus/v5/introspect"
	"github.com/godbus/dbus/v5/prop"
)

// MPRIS names: desktops (GNOME's and KDE's media-key daemons, playerctl) send the media keys,
// headset buttons included, to the player that is playing.
const (
	BusName     = "org.mpris.MediaPlayer2.vaihde"
	ObjectPath  = dbus.ObjectPath("/org/mpris/MediaPlayer2")
	rootIface   = "org.mpris.MediaPlayer2"
	playerIface = "org.mpris.MediaPlayer2.Player"
)

// mpris is a minimal MPRIS player: no tracks, only the transport keys.
type mpris struct {
	conn  *dbus.Conn
	props *prop.Properties
	on    func(Action)
	name  string

	mu     sync.Mutex
	closed bool
}

func start(_ context.Context, o Options) (backend, error) {
	// A connection of our own: closing it releases the name without touching the shared one
	// the tray (fyne.io/systray) uses.
	conn, err := dbus.ConnectSessionBus()
	if err != nil {
		return nil, fmt.Errorf("media keys: session bus: %w", err)
	}
	m := &mpris{conn: conn, on: o.OnAction}
	if err := m.export(); err != nil {
		conn.Close()
		return nil, err
	}
	// A second Softphone of the same user takes an instance name, as the MPRIS spec says.
	for _, name := range []string{BusName, fmt.Sprintf("%s.instance%d", BusName, os.Getpid())} {
		reply, err := conn.RequestName(name, dbus.NameFlagDoNotQueue)
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("media keys: request %s: %w", name, err)
		}
		if reply == dbus.RequestNameReplyPrimaryOwner {
			m.name = name
			break
		}
	}
	if m.name == "" {
		conn.Close()
		return nil, fmt.Errorf("media keys: %s is taken", BusName)
	}
	o.Logger.Info("media keys: MPRIS player on the session bus", "name", m.name)
	return m, nil
}

// playerMethods are org.mpris.MediaPlayer2.Player's methods; godbus calls them on its own
// goroutine. Seek, SetPosition and OpenUri exist for clients that call them and do nothing.
func (m *mpris) playerMethods() map[string]any {
	key := func(a Action) func() *dbus.Error { return func() *dbus.Error { m.on(a); return nil } }
	return map[string]any{
		"PlayPause": key(PlayPause), "Play": key(Play), "Pause": key(Pause), "Stop": key(Stop),
		"Next": key(Next), "Previous": key(Previous),
		"Seek":        func(int64) *dbus.Error { return nil },
		"SetPosition": func(dbus.ObjectPath, int64) *dbus.Error { return nil },
		"OpenUri":     func(string) *dbus.Error { return nil },
	}
}

// playerIntrospection lists the player's methods for introspecting clients.
var playerIntrospection = []introspect.Method{
	{Name: "PlayPause"}, {Name: "Play"}, {Name: "Pause"}, {Name: "Stop"}, {Name: "Next"}, {Name: "Previous"},
	{Name: "Seek", Args: []introspect.Arg{{Name: "Offset", Type: "x", Direction: "in"}}},
	{Name: "SetPosition", Args: []introspect.Arg{{Name: "TrackId", Type: "o", Direction: "in"}, {Name: "Position", Type: "x", Direction: "in"}}},
	{Name: "OpenUri", Args: []introspect.Arg{{Name: "Uri", Type: "s", Direction: "in"}}},
}

// rootMethods are org.mpris.MediaPlayer2's; CanRaise and CanQuit say they do nothing.
type rootMethods struct{}

func (rootMethods) Raise() *dbus.Error { return nil }
func (rootMethods) Quit() *dbus.Error  { return nil }

func (m *mpris) export() error {
	if err := m.conn.ExportMethodTable(m.playerMethods(), ObjectPath, playerIface); err != nil {
		return fmt.Errorf("media keys: export player: %w", err)
	}
	if err := m.conn.Export(rootMethods{}, ObjectPath, rootIface); err != nil {
		return fmt.Errorf("media keys: export root: %w", err)
	}
	ro := func(v any) *prop.Prop { return &prop.Prop{Value: v, Emit: prop.EmitTrue} }
	props, err := prop.Export(m.conn, ObjectPath, prop.Map{
		rootIface: {
			"Identity":            ro("Vaihde Softphone"),
			"DesktopEntry":        ro("vaihde-softphone"),
			"CanQuit":             ro(false),
			"CanRaise":            ro(false),
			"HasTrackList":        ro(false),
			"SupportedUriSchemes": ro([]string{}),
			"SupportedMimeTypes":  ro([]string{}),
		},
		playerIface: {
			"PlaybackStatus": ro("Stopped"),
			"Rate":           ro(1.0),
			"MinimumRate":    ro(1.0),
			"MaximumRate":    ro(1.0),
			"Volume":         ro(1.0),
			"Position":       {Value: int64(0), Emit: prop.EmitFalse},
			"Metadata":       ro(map[string]dbus.Variant{"mpris:trackid": dbus.MakeVariant(dbus.ObjectPath("/org/mpris/MediaPlayer2/TrackList/NoTrack"))}),
			"CanGoNext":      ro(true),
			"CanGoPrevious":  ro(false),
			"CanPlay":        ro(true),
			"CanPause":       ro(true),
			"CanSeek":        ro(false),
			"CanControl":     ro(true),
		},
	})
	if err != nil {
		return fmt.Errorf("media keys: export properties: %w", err)
	}
	m.props = props
	node := &introspect.Node{
		Name: string(ObjectPath),
		Interfaces: []introspect.Interface{
			introspect.IntrospectData,
			prop.IntrospectData,
			{Name: rootIface, Methods: introspect.Methods(rootMethods{}), Properties: props.Introspection(rootIface)},
			{Name: playerIface, Methods: playerIntrospection, Properties: props.Introspection(playerIface)},
		},
	}
	if err := m.conn.Export(introspect.NewIntrospectable(node), ObjectPath, "org.freedesktop.DBus.Introspectable"); err != nil {
		return fmt.Errorf("media keys: export introspection: %w", err)
	}
	return nil
}

func (m *mpris) setActive(active bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return
	}
	status := "Stopped"
	if active {
		status = "Playing"
	}
	m.props.SetMust(playerIface, "PlaybackStatus", status)
}

func (m *mpris) close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil
	}
	m.closed = true
	return m.conn.Close()
}

//go:build linux

package ui

import "github.com/godbus/dbus/v5"

// trayHostPresent reports whether a StatusNotifierWatcher (the desktop's tray) is on the
// session bus; without it the tray icon is exported but nobody shows it.
func trayHostPresent() bool {
	conn, err := dbus.SessionBus()
	if err != nil {
		return false
	}
	var has bool
	if err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.kde.StatusNotifierWatcher").Store(&has); err != nil {
		return false
	}
	return has
}

// trayBusReachable reports whether the session bus answers. fyne.io/systray needs it, and when
// it could not connect its shutdown dereferences the missing connection, so quitting would
// crash (seen: the Softphone installed in a fresh chroot, no session bus): without a bus the
// Softphone leaves the tray alone.
func trayBusReachable() bool {
	_, err := dbus.SessionBus()
	return err == nil
}

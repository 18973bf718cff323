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

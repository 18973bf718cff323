//go:build !linux

package ui

// Windows' notification area and macOS's menu bar always show tray icons.
func trayHostPresent() bool { return true }

func trayBusReachable() bool { return true }

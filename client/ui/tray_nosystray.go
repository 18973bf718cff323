//go:build darwin && !cgo

package ui

// Without cgo macOS has no tray (fyne.io/systray needs it); the tooltip goes nowhere.
func setTrayTooltip(string) {}

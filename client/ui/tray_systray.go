//go:build !darwin || cgo

package ui

import "fyne.io/systray"

// setTrayTooltip sets the tray icon's tooltip (the StatusNotifierItem's ToolTip on Linux).
func setTrayTooltip(s string) { systray.SetTooltip(s) }

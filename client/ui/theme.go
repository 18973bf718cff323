package ui

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// appTheme is Fyne's default theme with calmer business colours: a deep blue accent and
// muted green/red for answering and hanging up.
type appTheme struct{ fyne.Theme }

// Theme returns the Softphone's theme.
func Theme() fyne.Theme { return appTheme{theme.DefaultTheme()} }

func (t appTheme) Color(n fyne.ThemeColorName, v fyne.ThemeVariant) color.Color {
	dark := v == theme.VariantDark
	switch n {
	case theme.ColorNamePrimary, theme.ColorNameFocus:
		if n == theme.ColorNameFocus {
			return color.NRGBA{R: 0x1f, G: 0x6f, B: 0xd6, A: 0x7f}
		}
		if dark {
			return color.NRGBA{R: 0x4a, G: 0x8f, B: 0xf0, A: 0xff}
		}
		return color.NRGBA{R: 0x1f, G: 0x6f, B: 0xd6, A: 0xff}
	case theme.ColorNameSuccess:
		if dark {
			return color.NRGBA{R: 0x2f, G: 0xa8, B: 0x55, A: 0xff}
		}
		return color.NRGBA{R: 0x1e, G: 0x8e, B: 0x3e, A: 0xff}
	case theme.ColorNameError:
		if dark {
			return color.NRGBA{R: 0xe8, G: 0x4a, B: 0x3f, A: 0xff}
		}
		return color.NRGBA{R: 0xd9, G: 0x30, B: 0x25, A: 0xff}
	case theme.ColorNameWarning:
		return color.NRGBA{R: 0xe3, G: 0x8b, B: 0x00, A: 0xff}
	case theme.ColorNameForegroundOnSuccess, theme.ColorNameForegroundOnError, theme.ColorNameForegroundOnPrimary:
		return color.White
	}
	return t.Theme.Color(n, v)
}

package ui

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"sync"

	"fyne.io/fyne/v2"
	xdraw "golang.org/x/image/draw"
	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"

	"github.com/vaihde/vaihde/assets"
)

// trayIconSize is the tray icon's edge in pixels: trays scale it down, 64 stays sharp at 2×.
const trayIconSize = 64

// Dot colours of the tray states (the status bar's tones).
var trayDotColours = map[TrayState]color.NRGBA{
	TrayOffline:       {0x8a, 0x8a, 0x8a, 0xff},
	TrayConnecting:    {0xf2, 0xa9, 0x00, 0xff},
	TrayRegistered:    {0x2e, 0xa0, 0x43, 0xff},
	TrayWrongPassword: {0xd3, 0x2f, 0x2f, 0xff},
}

// missedBadgeColour is the missed-calls badge's background.
var missedBadgeColour = color.NRGBA{0xd3, 0x2f, 0x2f, 0xff}

type trayIconKey struct {
	state  TrayState
	missed int // 0…10; 10 reads "9+"
}

var (
	trayIconMu    sync.Mutex
	trayIconCache = map[trayIconKey]fyne.Resource{}
)

// TrayIcon is the app icon with a dot in the state's colour at the bottom right and, when
// calls were missed, a red badge with their number at the top right. Each picture is rendered
// once and cached (there are at most 4 × 11).
func TrayIcon(state TrayState, missed int) fyne.Resource {
	k := trayIconKey{state: state, missed: min(max(missed, 0), 10)}
	trayIconMu.Lock()
	defer trayIconMu.Unlock()
	if r, ok := trayIconCache[k]; ok {
		return r
	}
	img, err := renderTrayIcon(k)
	if err != nil {
		fyne.LogError("tray icon", err)
		return assets.AppIcon
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		fyne.LogError("tray icon", err)
		return assets.AppIcon
	}
	r := fyne.NewStaticResource(fmt.Sprintf("tray-%d-%d.png", k.state, k.missed), buf.Bytes())
	trayIconCache[k] = r
	return r
}

func renderTrayIcon(k trayIconKey) (*image.NRGBA, error) {
	src, err := png.Decode(bytes.NewReader(assets.AppIcon.Content()))
	if err != nil {
		return nil, fmt.Errorf("decode app icon: %w", err)
	}
	const n = trayIconSize
	dst := image.NewNRGBA(image.Rect(0, 0, n, n))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), src, src.Bounds(), xdraw.Over, nil)
	// The state dot: a white ring keeps it visible on a dot-coloured icon or a dark panel.
	disc(dst, n-12, n-12, 12, color.NRGBA{0xff, 0xff, 0xff, 0xff})
	disc(dst, n-12, n-12, 9, trayDotColours[k.state])
	if k.missed > 0 {
		text := strconv.Itoa(k.missed)
		if k.missed > 9 {
			text = "9+"
		}
		disc(dst, n-15, 15, 15, color.NRGBA{0xff, 0xff, 0xff, 0xff})
		disc(dst, n-15, 15, 13, missedBadgeColour)
		face := basicfont.Face7x13
		d := font.Drawer{Dst: dst, Src: image.White, Face: face}
		w := d.MeasureString(text)
		d.Dot = fixed.Point26_6{X: fixed.I(n-15) - w/2, Y: fixed.I(15 + 5)}
		for range 2 { // twice, one pixel apart: bold enough to read at tray size
			d.DrawString(text)
			d.Dot.X = fixed.I(n-15) - w/2 + fixed.I(1)
			d.Dot.Y = fixed.I(15 + 5)
		}
	}
	return dst, nil
}

// disc paints a filled circle of radius r centred at (cx, cy), its edge anti-aliased.
func disc(img *image.NRGBA, cx, cy, r int, c color.NRGBA) {
	for y := cy - r - 1; y <= cy+r+1; y++ {
		for x := cx - r - 1; x <= cx+r+1; x++ {
			if !(image.Point{x, y}.In(img.Rect)) {
				continue
			}
			dx, dy := float64(x-cx)+0.5, float64(y-cy)+0.5
			d2 := dx*dx + dy*dy
			rf := float64(r)
			cover := 0.0
			switch {
			case d2 <= (rf-0.5)*(rf-0.5):
				cover = 1
			case d2 < (rf+0.5)*(rf+0.5):
				cover = (rf + 0.5) - math.Sqrt(d2)
			}
			if cover <= 0 {
				continue
			}
			blend(img, x, y, c, cover)
		}
	}
}

func blend(img *image.NRGBA, x, y int, c color.NRGBA, cover float64) {
	o := img.NRGBAAt(x, y)
	a := cover * float64(c.A) / 255
	mix := func(dst, src uint8) uint8 { return uint8(float64(src)*a + float64(dst)*(1-a) + 0.5) }
	na := a + float64(o.A)/255*(1-a)
	if o.A == 0 {
		img.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, uint8(na*255 + 0.5)})
		return
	}
	img.SetNRGBA(x, y, color.NRGBA{mix(o.R, c.R), mix(o.G, c.G), mix(o.B, c.B), uint8(na*255 + 0.5)})
}

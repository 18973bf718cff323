// Package assets owns the files the Softphone embeds: the application icon and the small
// monochrome SVG icons of the call controls (Material Design icons, Apache License 2.0).
package assets

import (
	_ "embed"

	"fyne.io/fyne/v2"
)

//go:embed icon.png
var iconPNG []byte

//go:embed icons/call.svg
var callSVG []byte

//go:embed icons/call_end.svg
var callEndSVG []byte

//go:embed icons/call_made.svg
var callMadeSVG []byte

//go:embed icons/call_received.svg
var callReceivedSVG []byte

//go:embed icons/call_missed.svg
var callMissedSVG []byte

//go:embed icons/dialpad.svg
var dialpadSVG []byte

//go:embed icons/mic.svg
var micSVG []byte

//go:embed icons/mic_off.svg
var micOffSVG []byte

//go:embed icons/transfer.svg
var transferSVG []byte

//go:embed icons/backspace.svg
var backspaceSVG []byte

//go:embed icons/headset.svg
var headsetSVG []byte

// Resources for the UI. The SVG icons are black; wrap them in theme.NewThemedResource so that
// they follow the theme's colours.
var (
	AppIcon      = fyne.NewStaticResource("icon.png", iconPNG)
	Call         = fyne.NewStaticResource("call.svg", callSVG)
	CallEnd      = fyne.NewStaticResource("call_end.svg", callEndSVG)
	CallMade     = fyne.NewStaticResource("call_made.svg", callMadeSVG)
	CallReceived = fyne.NewStaticResource("call_received.svg", callReceivedSVG)
	CallMissed   = fyne.NewStaticResource("call_missed.svg", callMissedSVG)
	Dialpad      = fyne.NewStaticResource("dialpad.svg", dialpadSVG)
	Mic          = fyne.NewStaticResource("mic.svg", micSVG)
	MicOff       = fyne.NewStaticResource("mic_off.svg", micOffSVG)
	Transfer     = fyne.NewStaticResource("transfer.svg", transferSVG)
	Backspace    = fyne.NewStaticResource("backspace.svg", backspaceSVG)
	Headset      = fyne.NewStaticResource("headset.svg", headsetSVG)
)

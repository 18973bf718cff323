// Package interop holds the integration tests that run Vaihde's server against third-party SIP
// clients — baresip, linphonec and SIPp — over 127.0.0.1. The tests build the real server binary,
// start it with the demo organisation on free ports, drive the clients through their control
// channels and check what arrives by content: registration results, tones recorded at the far end
// (Goertzel), DTMF events, hold and transfer outcomes.
//
// The package has no non-test code apart from this comment; `go test -short` skips everything.
package interop

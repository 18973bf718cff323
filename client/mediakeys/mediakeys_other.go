//go:build !linux && !windows

package mediakeys

import "context"

// macOS sends the media keys to the app playing audio through MPRemoteCommandCenter, which
// needs cgo and an app bundle; not implemented, so the keys do nothing there.
func start(context.Context, Options) (backend, error) { return nil, ErrUnsupported }

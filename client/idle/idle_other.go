//go:build !linux && !freebsd && !openbsd && !netbsd && !windows && !darwin

package idle

func systemSource() Source { return nil }

//go:build !linux && !windows && !darwin

package idle

func systemSource() Source { return nil }

package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestValidatePassword(t *testing.T) {
	tests := []struct {
		password, ext string
		ok            bool
		why           string
	}{
		{"Kissa-2026", "2001", true, ""},
		{"correcthorsebatterystaple", "2001", true, ""},
		{"short1", "2001", false, "at least 8"},
		{"with space1", "2001", false, "spaces"},
		{"tab\tin1234", "2001", false, "spaces"},
		{"ctrl\x01in1234", "2001", false, "control"},
		{"onlyletters", "2001", false, "letters and digits"},
		{"12345678", "2001", false, "letters and digits"},
		{"demo2001", "2001", false, "extension"},
		{"demo2001-longer-one", "2001", true, ""},
		{strings.Repeat("a1", 65), "2001", false, "at most"},
		{"bad\xffutf8x1", "2001", false, "UTF-8"},
	}
	for _, tc := range tests {
		err := ValidatePassword(tc.password, tc.ext)
		if tc.ok {
			if err != nil {
				t.Errorf("ValidatePassword(%q) = %v, want ok", tc.password, err)
			}
			continue
		}
		if !errors.Is(err, ErrWeakPassword) || !strings.Contains(err.Error(), tc.why) {
			t.Errorf("ValidatePassword(%q) = %v, want ErrWeakPassword saying %q", tc.password, err, tc.why)
		}
	}
}

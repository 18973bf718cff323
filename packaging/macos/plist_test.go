// Package macos_test checks the macOS bundle's property lists on any OS (plutil exists only
// on a Mac): well-formed XML plists with the keys the Softphone needs.
package macos_test

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// decode reads an XML property list into Go values: map[string]any, []any, string, bool.
func decode(path string) (any, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	d := xml.NewDecoder(f)
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("no <plist>: %w", err)
		}
		if se, ok := tok.(xml.StartElement); ok {
			if se.Name.Local != "plist" {
				return nil, fmt.Errorf("root element %q, want plist", se.Name.Local)
			}
			v, err := value(d)
			if err != nil {
				return nil, err
			}
			// Nothing but </plist> and whitespace may follow; the decoder checks the rest is well-formed.
			for {
				tok, err := d.Token()
				if errors.Is(err, io.EOF) {
					return v, nil
				}
				if err != nil {
					return nil, err
				}
				if se, ok := tok.(xml.StartElement); ok {
					return nil, fmt.Errorf("second value <%s> in plist", se.Name.Local)
				}
			}
		}
	}
}

// value reads the next value element; nil, nil at the parent's end.
func value(d *xml.Decoder) (any, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return nil, nil
		case xml.CharData:
			if strings.TrimSpace(string(t)) != "" {
				return nil, fmt.Errorf("stray text %q", t)
			}
		case xml.StartElement:
			switch t.Name.Local {
			case "true", "false":
				if err := d.Skip(); err != nil {
					return nil, err
				}
				return t.Name.Local == "true", nil
			case "string", "integer", "real", "date", "data":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return nil, err
				}
				return s, nil
			case "array":
				out := []any{}
				for {
					v, err := value(d)
					if err != nil {
						return nil, err
					}
					if v == nil {
						return out, nil
					}
					out = append(out, v)
				}
			case "dict":
				out := map[string]any{}
				for {
					k, err := value(d)
					if err != nil {
						return nil, err
					}
					if k == nil {
						return out, nil
					}
					key, ok := k.(keyName)
					if !ok {
						return nil, fmt.Errorf("dict entry %v without <key>", k)
					}
					v, err := value(d)
					if err != nil || v == nil {
						return nil, fmt.Errorf("key %q without a value: %v", key, err)
					}
					if _, dup := out[string(key)]; dup {
						return nil, fmt.Errorf("key %q twice", key)
					}
					out[string(key)] = v
				}
			case "key":
				var s string
				if err := d.DecodeElement(&s, &t); err != nil {
					return nil, err
				}
				return keyName(s), nil
			default:
				return nil, fmt.Errorf("unknown plist element <%s>", t.Name.Local)
			}
		}
	}
}

type keyName string

func TestInfoPlist(t *testing.T) {
	v, err := decode("Info.plist")
	if err != nil {
		t.Fatalf("Info.plist: %v", err)
	}
	d, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("Info.plist top level is %T, want dict", v)
	}
	want := map[string]string{
		"CFBundleIdentifier":         "fi.vaihde.softphone", // client/cmd/softphone AppID
		"CFBundleExecutable":         "vaihde-softphone",    // what build.sh puts in Contents/MacOS
		"CFBundlePackageType":        "APPL",
		"CFBundleIconFile":           "icon.icns",
		"CFBundleVersion":            "@SHORT_VERSION@",
		"CFBundleShortVersionString": "@SHORT_VERSION@",
	}
	for k, w := range want {
		if d[k] != w {
			t.Errorf("%s = %v, want %q", k, d[k], w)
		}
	}
	if s, _ := d["NSMicrophoneUsageDescription"].(string); len(s) < 10 {
		t.Errorf("NSMicrophoneUsageDescription %q: macOS records silence without it", s)
	}
	types, _ := d["CFBundleURLTypes"].([]any)
	var schemes []string
	for _, ty := range types {
		m, _ := ty.(map[string]any)
		list, _ := m["CFBundleURLSchemes"].([]any)
		for _, s := range list {
			schemes = append(schemes, fmt.Sprint(s))
		}
	}
	for _, s := range []string{"tel", "callto", "sip", "sips"} {
		if !slices.Contains(schemes, s) {
			t.Errorf("CFBundleURLSchemes %v lacks %s", schemes, s)
		}
	}
	build, err := os.ReadFile("build.sh")
	if err != nil {
		t.Fatal(err)
	}
	for _, ph := range []string{"@VERSION@", "@SHORT_VERSION@"} {
		if !strings.Contains(string(build), ph) {
			t.Errorf("build.sh does not replace %s", ph)
		}
	}
}

func TestEntitlements(t *testing.T) {
	v, err := decode("entitlements.plist")
	if err != nil {
		t.Fatalf("entitlements.plist: %v", err)
	}
	d, _ := v.(map[string]any)
	if d["com.apple.security.device.audio-input"] != true {
		t.Fatalf("entitlements %v: the hardened runtime needs com.apple.security.device.audio-input", d)
	}
}

// The decoder itself refuses what plutil would: a broken file must not pass the tests above.
func TestDecodeRefuses(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unclosed":  `<plist><dict><key>a</key><string>b</string></plist>`,
		"nokey":     `<plist><dict><string>b</string></dict></plist>`,
		"novalue":   `<plist><dict><key>a</key></dict></plist>`,
		"duplicate": `<plist><dict><key>a</key><true/><key>a</key><false/></dict></plist>`,
		"unknown":   `<plist><dict><key>a</key><bool/></dict></plist>`,
		"root":      `<dict></dict>`,
	} {
		p := dir + "/" + name + ".plist"
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := decode(p); err == nil {
			t.Errorf("%s: decoded without error", name)
		}
	}
}

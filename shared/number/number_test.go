package number

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	tests := map[string]struct {
		raw     string
		country string
		want    Number
		err     error
	}{
		"extension":            {"1001", "358", Number{Extension, "1001"}, nil},
		"short extension":      {"100", "358", Number{Extension, "100"}, nil},
		"six-digit extension":  {"123456", "358", Number{Extension, "123456"}, nil},
		"national mobile":      {"0401234567", "358", Number{E164, "+358401234567"}, nil},
		"national with spaces": {"040 123 4567", "358", Number{E164, "+358401234567"}, nil},
		"national with dashes": {"040-123-4567", "358", Number{E164, "+358401234567"}, nil},
		"parentheses":          {"(09) 123 4567", "358", Number{E164, "+35891234567"}, nil},
		"plus form":            {"+358 40 123 4567", "358", Number{E164, "+358401234567"}, nil},
		"double zero":          {"00358401234567", "358", Number{E164, "+358401234567"}, nil},
		"foreign plus":         {"+46701234567", "358", Number{E164, "+46701234567"}, nil},
		"sip uri":              {"sip:1002@demo.vaihde.local", "358", Number{Extension, "1002"}, nil},
		"tel uri":              {"tel:+358401234567", "358", Number{E164, "+358401234567"}, nil},
		"service star":         {"*21*0401234567#", "358", Number{Service, "*21*0401234567#"}, nil},
		"service hash":         {"#31#", "358", Number{Service, "#31#"}, nil},
		"long digits":          {"358401234567", "358", Number{E164, "+358401234567"}, nil},
		"empty":                {"  ", "358", Number{}, ErrEmpty},
		"letters":              {"abc", "358", Number{}, ErrInvalid},
		"letters in number":    {"040123x567", "358", Number{}, ErrInvalid},
		"plus zero country":    {"+0401234567", "358", Number{}, ErrInvalid},
		"too long":             {"+35840123456789012", "358", Number{}, ErrLength},
		"too short plus":       {"+358", "358", Number{}, ErrLength},
		"two digits":           {"12", "358", Number{}, ErrLength},
		"national no country":  {"0401234567", "", Number{}, ErrNoCountry},
		"lone zero":            {"0", "358", Number{}, ErrLength},
		"bad service":          {"*12a", "358", Number{}, ErrInvalid},
		"plus only":            {"+", "358", Number{}, ErrInvalid},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := Parse(tc.raw, tc.country)
			if tc.err != nil {
				if !errors.Is(err, tc.err) {
					t.Fatalf("Parse(%q) error = %v, want %v", tc.raw, err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse(%q): %v", tc.raw, err)
			}
			if got != tc.want {
				t.Fatalf("Parse(%q) = %+v, want %+v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestNational(t *testing.T) {
	n := Number{E164, "+358401234567"}
	if got := n.National("358"); got != "0401234567" {
		t.Fatalf("National = %q", got)
	}
	if got := n.National("46"); got != "+358401234567" {
		t.Fatalf("foreign National = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1001", "0401234567", "+358 40 123", "00358401234567", "*21#", "sip:1002@x", "(09) 123-45", "", "+", "0", "#"} {
		f.Add(s, "358")
	}
	f.Fuzz(func(t *testing.T, raw, country string) {
		n, err := Parse(raw, country)
		if err != nil {
			return
		}
		again, err := Parse(n.Value, country)
		if err != nil {
			t.Fatalf("Parse(%q) = %q which does not re-parse: %v", raw, n.Value, err)
		}
		if again != n {
			t.Fatalf("Parse(%q) = %+v, re-parse = %+v", raw, n, again)
		}
	})
}

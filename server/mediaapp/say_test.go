package mediaapp

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSayNumber(t *testing.T) {
	tests := []struct {
		n    int
		want string
	}{
		{0, "num/0"},
		{7, "num/7"},
		{14, "num/14"},
		{99, "num/99"},
		{100, "num/100"},
		{105, "num/100 num/5"},
		{310, "num/300 num/10"},
		{1000, "num/1000"},
		{2024, "num/2000 num/24"},
		{9000, "num/9000"},
		{9801, "num/9000 num/800 num/1"},
		{9999, "num/9000 num/900 num/99"},
	}
	for _, lang := range Langs {
		for _, tc := range tests {
			got, err := SayNumber(lang, tc.n)
			if err != nil || strings.Join(got, " ") != tc.want {
				t.Errorf("SayNumber(%s, %d) = %v, %v; want %s", lang, tc.n, got, err, tc.want)
			}
		}
	}
	for _, n := range []int{-1, 10000} {
		if _, err := SayNumber(English, n); !errors.Is(err, ErrRange) {
			t.Errorf("SayNumber(%d) err %v, want ErrRange", n, err)
		}
	}
	if _, err := SayNumber("de", 1); !errors.Is(err, ErrLang) {
		t.Errorf("SayNumber(de) err %v, want ErrLang", err)
	}
}

func TestSayTime(t *testing.T) {
	tests := []struct {
		lang  Lang
		clock string
		want  string
	}{
		{Finnish, "14:00", "time/at num/14"},
		{Finnish, "14:30", "time/at num/14 num/30"},
		{Finnish, "9:05", "time/at num/9 num/0 num/5"},
		{Finnish, "00:00", "time/at num/0"},
		{Swedish, "14:00", "time/at num/14"},
		{Swedish, "16:45", "time/at num/16 num/45"},
		{Swedish, "08:07", "time/at num/8 num/0 num/7"},
		{English, "14:00", "num/2 time/pm"},
		{English, "14:05", "num/2 time/oh num/5 time/pm"},
		{English, "09:30", "num/9 num/30 time/am"},
		{English, "12:15", "num/12 num/15 time/pm"},
		{English, "00:00", "num/12 time/am"},
	}
	for _, tc := range tests {
		got, err := SayClock(tc.lang, tc.clock)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("SayClock(%s, %s) = %v, %v; want %s", tc.lang, tc.clock, got, err, tc.want)
		}
	}
	for _, bad := range []string{"24:00", "12:60", "1400", "12:5", "ab:cd", ""} {
		if _, err := SayClock(Finnish, bad); !errors.Is(err, ErrRange) {
			t.Errorf("SayClock(%q) err %v, want ErrRange", bad, err)
		}
	}
}

func TestSayDate(t *testing.T) {
	d := time.Date(2026, time.March, 3, 10, 0, 0, 0, time.UTC) // a Tuesday
	tests := []struct {
		lang Lang
		want string
	}{
		{Finnish, "weekday/tuesday ord/3 month/march"},
		{Swedish, "weekday/tuesday date/the ord/3 month/march"},
		{English, "weekday/tuesday month/march ord/3"},
	}
	for _, tc := range tests {
		got, err := SayDate(tc.lang, d)
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("SayDate(%s) = %v, %v; want %s", tc.lang, got, err, tc.want)
		}
	}
}

// TestPromptKeysCoverSay checks that every key any Say function can produce is in PromptKeys and
// has a text in its language, so the prompt script generates everything a flow may ask for.
func TestPromptKeysCoverSay(t *testing.T) {
	all := map[string]bool{}
	for _, k := range PromptKeys {
		if all[k] {
			t.Errorf("PromptKeys lists %s twice", k)
		}
		all[k] = true
	}
	used := map[Lang]map[string]bool{}
	use := func(lang Lang, keys []string, err error) {
		if err != nil {
			t.Fatal(err)
		}
		if used[lang] == nil {
			used[lang] = map[string]bool{}
		}
		for _, k := range keys {
			used[lang][k] = true
		}
	}
	for _, lang := range Langs {
		for n := 0; n <= 9999; n++ {
			keys, err := SayNumber(lang, n)
			use(lang, keys, err)
		}
		for h := range 24 {
			for m := range 60 {
				keys, err := SayTime(lang, h, m)
				use(lang, keys, err)
			}
		}
		for d := time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == 2028; d = d.AddDate(0, 0, 1) {
			keys, err := SayDate(lang, d)
			use(lang, keys, err)
		}
		for k := range used[lang] {
			if !all[k] {
				t.Errorf("%s: key %s is not in PromptKeys", lang, k)
			}
			if text, ok := PromptText(lang, k); !ok || text == "" {
				t.Errorf("%s: key %s has no text", lang, k)
			}
		}
	}
	for _, k := range PromptKeys {
		if !used[Finnish][k] && !used[Swedish][k] && !used[English][k] {
			t.Errorf("PromptKeys lists %s, which no Say function uses", k)
		}
	}
}

func TestPromptText(t *testing.T) {
	tests := []struct {
		lang Lang
		key  string
		want string
	}{
		{Finnish, "num/0", "nolla"},
		{Finnish, "num/14", "neljätoista"},
		{Finnish, "num/21", "kaksikymmentäyksi"},
		{Finnish, "num/100", "sata"},
		{Finnish, "num/300", "kolmesataa"},
		{Finnish, "num/1000", "tuhat"},
		{Finnish, "num/2000", "kaksituhatta"},
		{Finnish, "ord/3", "kolmas"},
		{Finnish, "month/march", "maaliskuuta"},
		{Finnish, "weekday/monday", "maanantai"},
		{Finnish, "time/at", "kello"},
		{Swedish, "num/1", "ett"},
		{Swedish, "num/45", "fyrtiofem"},
		{Swedish, "num/200", "tvåhundra"},
		{Swedish, "num/1000", "ettusen"},
		{Swedish, "ord/21", "tjugoförsta"},
		{Swedish, "weekday/sunday", "söndag"},
		{Swedish, "date/the", "den"},
		{English, "num/45", "forty-five"},
		{English, "num/13", "thirteen"},
		{English, "num/700", "seven hundred"},
		{English, "num/3000", "three thousand"},
		{English, "ord/22", "twenty-second"},
		{English, "month/december", "December"},
		{English, "time/pm", "p m"},
	}
	for _, tc := range tests {
		if got, ok := PromptText(tc.lang, tc.key); !ok || got != tc.want {
			t.Errorf("PromptText(%s, %s) = %q, %v; want %q", tc.lang, tc.key, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"num/150", "num/10000", "ord/32", "ord/0", "weekday/funday", "x/y", "date/the"} {
		if got, ok := PromptText(Finnish, bad); ok {
			t.Errorf("PromptText(fi, %s) = %q, want no text", bad, got)
		}
	}
	if !slices.Contains(PromptKeys, "num/9000") || !slices.Contains(PromptKeys, "ord/31") {
		t.Error("PromptKeys misses num/9000 or ord/31")
	}
}

package mediaapp

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Lang is a prompt language, an ISO 639-1 code. The caller hears the called user's language.
type Lang string

// Languages with prompts.
const (
	Finnish Lang = "fi"
	Swedish Lang = "sv"
	English Lang = "en"
)

// Langs lists every prompt language.
var Langs = []Lang{Finnish, Swedish, English}

// Errors of the Say functions.
var (
	ErrLang  = errors.New("mediaapp: no prompts in this language")
	ErrRange = errors.New("mediaapp: value out of range for speaking")
)

// SayNumber returns the prompt keys that speak n (0–9999).
func SayNumber(lang Lang, n int) ([]string, error) {
	if err := checkLang(lang); err != nil {
		return nil, err
	}
	if n < 0 || n > 9999 {
		return nil, fmt.Errorf("say number %d: %w", n, ErrRange)
	}
	var keys []string
	if th := n / 1000 * 1000; th > 0 {
		keys = append(keys, numKey(th))
	}
	if h := n % 1000 / 100 * 100; h > 0 {
		keys = append(keys, numKey(h))
	}
	if r := n % 100; r > 0 || n == 0 {
		keys = append(keys, numKey(r))
	}
	return keys, nil
}

// SayTime returns the prompt keys of a clock time: 24-hour in Finnish and Swedish
// ("kello neljätoista", "klockan fjorton noll fem"), 12-hour with a.m./p.m. in English
// ("two p m", "two oh five p m").
func SayTime(lang Lang, hour, minute int) ([]string, error) {
	if err := checkLang(lang); err != nil {
		return nil, err
	}
	if hour < 0 || hour > 23 || minute < 0 || minute > 59 {
		return nil, fmt.Errorf("say time %02d:%02d: %w", hour, minute, ErrRange)
	}
	var keys []string
	h := hour
	if lang == English {
		h = hour % 12
		if h == 0 {
			h = 12
		}
	} else {
		keys = append(keys, "time/at")
	}
	keys = append(keys, numKey(h))
	switch {
	case minute == 0:
	case minute < 10 && lang == English:
		keys = append(keys, "time/oh", numKey(minute))
	case minute < 10:
		keys = append(keys, numKey(0), numKey(minute))
	default:
		keys = append(keys, numKey(minute))
	}
	if lang == English {
		if hour < 12 {
			keys = append(keys, "time/am")
		} else {
			keys = append(keys, "time/pm")
		}
	}
	return keys, nil
}

// SayClock is SayTime for a clock string "14:00" (also "9:05").
func SayClock(lang Lang, clock string) ([]string, error) {
	hs, ms, ok := strings.Cut(clock, ":")
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if !ok || err1 != nil || err2 != nil || len(ms) != 2 {
		return nil, fmt.Errorf("say clock %q: %w", clock, ErrRange)
	}
	return SayTime(lang, h, m)
}

// SayDate returns the prompt keys of t's weekday, day and month: "maanantai kolmas maaliskuuta",
// "måndag den tredje mars", "Monday March third".
func SayDate(lang Lang, t time.Time) ([]string, error) {
	if err := checkLang(lang); err != nil {
		return nil, err
	}
	wd := "weekday/" + strings.ToLower(t.Weekday().String())
	mo := "month/" + strings.ToLower(t.Month().String())
	day := "ord/" + strconv.Itoa(t.Day())
	switch lang {
	case Swedish:
		return []string{wd, "date/the", day, mo}, nil
	case English:
		return []string{wd, mo, day}, nil
	default:
		return []string{wd, day, mo}, nil
	}
}

func checkLang(lang Lang) error {
	for _, l := range Langs {
		if l == lang {
			return nil
		}
	}
	return fmt.Errorf("say in %q: %w", lang, ErrLang)
}

func numKey(n int) string { return "num/" + strconv.Itoa(n) }

// PromptKeys lists every key the Say functions produce, for the script that generates prompts.
// Prompt keys name prompt files: "<group>/<word>", stored as <lang>/<group>/<word>.wav.
//
//	num/0 … num/99, num/100 … num/900 (hundreds), num/1000 … num/9000 (thousands)
//	ord/1 … ord/31      ordinal day of month ("third", "kolmas", "tredje")
//	weekday/monday …    month/january … (Finnish months in the partitive: "maaliskuuta")
//	time/at ("kello", "klockan"), time/oh (en "oh" in 2:05), time/am, time/pm, date/the (sv "den")
//
// SayNumber(n) for n in 0–9999 is: the thousands key, the hundreds key, then the 0–99 key, each
// only when non-zero (num/0 alone for 0): 2024 → num/2000 num/24.
var PromptKeys = promptKeys()

func promptKeys() []string {
	var keys []string
	for n := 0; n < 100; n++ {
		keys = append(keys, numKey(n))
	}
	for n := 100; n < 1000; n += 100 {
		keys = append(keys, numKey(n))
	}
	for n := 1000; n < 10000; n += 1000 {
		keys = append(keys, numKey(n))
	}
	for d := 1; d <= 31; d++ {
		keys = append(keys, "ord/"+strconv.Itoa(d))
	}
	for d := time.Monday; d <= time.Saturday; d++ {
		keys = append(keys, "weekday/"+strings.ToLower(d.String()))
	}
	keys = append(keys, "weekday/sunday")
	for m := time.January; m <= time.December; m++ {
		keys = append(keys, "month/"+strings.ToLower(m.String()))
	}
	return append(keys, "time/at", "time/oh", "time/am", "time/pm", "date/the")
}

// PromptText returns the words a prompt key stands for in lang, for generating the prompt with a
// speech synthesiser. ok is false for a key lang never uses (e.g. date/the outside Swedish) or an
// unknown key.
func PromptText(lang Lang, key string) (text string, ok bool) {
	w, ok := words[lang]
	if !ok {
		return "", false
	}
	group, item, _ := strings.Cut(key, "/")
	n, err := strconv.Atoi(item)
	switch {
	case group == "num" && err == nil && n >= 0 && n <= 9999 && validNumKey(n):
		return w.number(n), true
	case group == "ord" && err == nil && n >= 1 && n <= 31:
		return w.ordinals[n-1], true
	case group == "weekday":
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.ToLower(d.String()) == item {
				return w.weekdays[d], true
			}
		}
	case group == "month":
		for m := time.January; m <= time.December; m++ {
			if strings.ToLower(m.String()) == item {
				return w.months[m-1], true
			}
		}
	default:
		t, ok := w.other[key]
		return t, ok
	}
	return "", false
}

// validNumKey reports whether num/n is one of the atoms SayNumber uses.
func validNumKey(n int) bool {
	return n < 100 || n < 1000 && n%100 == 0 || n%1000 == 0
}

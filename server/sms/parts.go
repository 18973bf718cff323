package sms

import "unicode/utf16"

// Encoding is how an SMS is coded on the air interface (3GPP TS 23.038).
type Encoding int

const (
	// GSM7 is the GSM 7-bit default alphabet: 160 characters in one SMS, 153 per part of a
	// concatenated one (the rest of each part is the user-data header).
	GSM7 Encoding = iota + 1
	// UCS2 is used as soon as one character is outside GSM-7: 70 characters, 67 per part.
	UCS2
)

func (e Encoding) String() string {
	if e == UCS2 {
		return "UCS-2"
	}
	return "GSM-7"
}

// MaxParts is the most parts one SMS may take.
const MaxParts = 10

// gsmBasic is the GSM 03.38 default alphabet; each character is one septet.
const gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// gsmExtension characters take two septets (escape + code).
const gsmExtension = "\f^{}\\[~]|€"

var gsmCost = func() map[rune]int {
	m := make(map[rune]int, 140)
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExtension {
		m[r] = 2
	}
	return m
}()

// Parts returns how many SMS the text takes and in which encoding. A two-septet character or a
// surrogate pair is never split between parts, as phones reassemble them per part.
func Parts(text string) (parts int, enc Encoding) {
	if text == "" {
		return 0, GSM7
	}
	units := make([]int, 0, len(text))
	enc = GSM7
	for _, r := range text {
		c, ok := gsmCost[r]
		if !ok {
			enc = UCS2
			break
		}
		units = append(units, c)
	}
	single, multi := 160, 153
	if enc == UCS2 {
		single, multi = 70, 67
		units = units[:0]
		for _, r := range text {
			units = append(units, len(utf16.Encode([]rune{r})))
		}
	}
	total := 0
	for _, u := range units {
		total += u
	}
	if total <= single {
		return 1, enc
	}
	parts, used := 1, 0
	for _, u := range units {
		if used+u > multi {
			parts++
			used = 0
		}
		used += u
	}
	return parts, enc
}

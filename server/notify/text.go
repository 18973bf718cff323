package notify

import (
	"fmt"
	"strings"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// phrases are one language's notification texts. Placeholders: who, when, length, access number.
type phrases struct {
	unknown   string // a withheld number
	urgent    string // prefix of an urgent message's texts
	sms       string // "%[1]s … %[2]s … %[3]s … %[4]s"
	subject   string // "%[1]s (%[2]s)": caller, length
	attached  string // the email body's last line
	today     string // "%s": HH:MM
	otherDay  string // "%[1]s %[2]s": date, HH:MM
	dateShort string // time layout of a date in this language
}

var texts = map[string]phrases{
	"fi": {
		unknown:   "tuntematon numero",
		urgent:    "KIIREELLINEN: ",
		sms:       "Uusi ääniviesti: %[1]s, %[2]s, kesto %[3]s. Kuuntele soittamalla %[4]s.",
		subject:   "Ääniviesti: %[1]s (%[2]s)",
		attached:  "Viesti on liitteenä.",
		today:     "klo %s",
		otherDay:  "%[1]s klo %[2]s",
		dateShort: "2.1.2006",
	},
	"sv": {
		unknown:   "okänt nummer",
		urgent:    "BRÅDSKANDE: ",
		sms:       "Nytt röstmeddelande från %[1]s, %[2]s, längd %[3]s. Ring %[4]s för att lyssna.",
		subject:   "Röstmeddelande från %[1]s (%[2]s)",
		attached:  "Meddelandet är bifogat.",
		today:     "kl. %s",
		otherDay:  "%[1]s kl. %[2]s",
		dateShort: "2.1.2006",
	},
	"en": {
		unknown:   "unknown number",
		urgent:    "URGENT: ",
		sms:       "New voicemail from %[1]s, %[2]s, %[3]s long. Call %[4]s to listen.",
		subject:   "Voicemail from %[1]s (%[2]s)",
		attached:  "The message is attached.",
		today:     "at %s",
		otherDay:  "on %[1]s at %[2]s",
		dateShort: "2 Jan 2006",
	},
}

// lang picks the texts for a user's language ("fi", "sv-FI", …); English for anything else.
func lang(l string) phrases {
	l = strings.ToLower(strings.TrimSpace(l))
	if i := strings.IndexAny(l, "-_"); i > 0 {
		l = l[:i]
	}
	if p, ok := texts[l]; ok {
		return p
	}
	return texts["en"]
}

// caller names who left the message: "Name (number)", the number alone, the name alone, or
// the language's "unknown number" when the number was withheld.
func (p phrases) caller(v store.Voicemail) string {
	name, num := clean(v.CallerName), clean(v.Caller)
	switch {
	case name != "" && num != "" && name != num:
		return name + " (" + num + ")"
	case num != "":
		return num
	case name != "":
		return name
	}
	return p.unknown
}

// when says when the message came, in loc: the time alone today, date and time otherwise.
func (p phrases) when(at, now time.Time, loc *time.Location) string {
	at, now = at.In(loc), now.In(loc)
	hm := at.Format("15:04")
	y, m, d := at.Date()
	if ny, nm, nd := now.Date(); y == ny && m == nm && d == nd {
		return fmt.Sprintf(p.today, hm)
	}
	return fmt.Sprintf(p.otherDay, at.Format(p.dateShort), hm)
}

// length formats a message length as m:ss (h:mm:ss from an hour), rounded to the second.
func length(d time.Duration) string {
	s := int64((d + time.Second/2) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// smsText is the SMS (and the email body's first paragraph) about v.
func smsText(p phrases, v store.Voicemail, now time.Time, loc *time.Location, access string) string {
	s := fmt.Sprintf(p.sms, p.caller(v), p.when(v.ReceivedAt, now, loc), length(v.Duration), access)
	if v.Urgent {
		s = p.urgent + s
	}
	return s
}

// subject is the email's subject (before RFC 2047 encoding).
func subject(p phrases, v store.Voicemail) string {
	s := fmt.Sprintf(p.subject, p.caller(v), length(v.Duration))
	if v.Urgent {
		s = p.urgent + s
	}
	return s
}

// clean drops control characters (a caller name comes from a SIP header) and trims it.
func clean(s string) string {
	return strings.TrimSpace(strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, s))
}

// fileName is the attachment's name: voicemail-<local date and time>-<caller digits>.<ext>.
func fileName(v store.Voicemail, loc *time.Location, ext string) string {
	var b strings.Builder
	for _, c := range v.Caller {
		if c >= '0' && c <= '9' || c == '+' && b.Len() == 0 {
			b.WriteRune(c)
		}
		if b.Len() >= 20 {
			break
		}
	}
	caller := b.String()
	if caller == "" || caller == "+" {
		caller = "unknown"
	}
	return "voicemail-" + v.ReceivedAt.In(loc).Format("2006-01-02-1504") + "-" + caller + ext
}

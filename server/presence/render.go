package presence

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/vaihde/vaihde/shared/presence"
)

// Content types of the rendered documents.
const (
	ContentTypePIDF       = "application/pidf+xml"
	ContentTypeDialogInfo = "application/dialog-info+xml"
)

// Render is what a document needs besides the state.
type Render struct {
	Domain   string            // SIP domain of the entity URIs, e.g. "demo.vaihde.local"
	Lang     string            // fi, sv or en: the language of the note
	Activity presence.Activity // the state's activity, for its name and colour
	Now      time.Time         // decides between "until 14:00" and "until 2 Jan 14:00"
	Location *time.Location    // time zone end times are shown in; nil: UTC
}

// rpidActivity maps an activity to its RFC 4480 element (without prefix); "" means none.
//
// The green activities (Available, Remote work, At the office) carry no activity: RFC 4480's
// "unknown" would say we do not know, and "working" makes some desk phones show busy. Lunch is
// "meal" (RPID has no lunch). Sick has no RPID activity: it is <rpid:other> with the
// activity's name, as is every red activity an admin added.
func rpidActivity(a presence.Activity) string {
	switch a.Number {
	case presence.Busy:
		return "busy"
	case presence.Lunch:
		return "meal"
	case presence.Meeting:
		return "meeting"
	case presence.Away:
		return "away"
	case presence.Holiday:
		return "vacation"
	case presence.Available, presence.RemoteWork, presence.AtOffice:
		return ""
	}
	if a.Green {
		return ""
	}
	return "other"
}

// PIDF renders st as a presence document (RFC 3863) with RPID extensions (RFC 4480): basic
// open while the user has a registered device; the activity, on-the-phone and idle as RPID;
// the activity's name, end time and personal note as <note>.
func PIDF(st State, r Render) []byte {
	lang := langOf(r.Lang)
	entity := "sip:" + st.Extension + "@" + r.Domain
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString(`<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="`)
	b.WriteString(esc(entity))
	b.WriteString("\">\n")
	fmt.Fprintf(&b, "  <tuple id=\"t%d\">\n", st.UserID)
	basic := "closed"
	if st.Online {
		basic = "open"
	}
	fmt.Fprintf(&b, "    <status><basic>%s</basic></status>\n", basic)
	fmt.Fprintf(&b, "    <contact>%s</contact>\n", esc(entity))
	note := NoteText(st, r)
	if note != "" {
		fmt.Fprintf(&b, "    <note xml:lang=\"%s\">%s</note>\n", lang, esc(note))
	}
	if !st.UpdatedAt.IsZero() {
		fmt.Fprintf(&b, "    <timestamp>%s</timestamp>\n", st.UpdatedAt.UTC().Format(time.RFC3339))
	}
	b.WriteString("  </tuple>\n")
	fmt.Fprintf(&b, "  <dm:person id=\"p%d\">\n", st.UserID)
	act := rpidActivity(r.Activity)
	onPhone := st.Phone == presence.PhoneOnCall
	if act != "" || onPhone {
		b.WriteString("    <rpid:activities>")
		switch act {
		case "":
		case "other":
			fmt.Fprintf(&b, "<rpid:other xml:lang=\"%s\">%s</rpid:other>", lang, esc(r.Activity.Names.In(lang)))
		default:
			fmt.Fprintf(&b, "<rpid:%s/>", act)
		}
		if onPhone {
			b.WriteString("<rpid:on-the-phone/>")
		}
		b.WriteString("</rpid:activities>\n")
	}
	if st.Online {
		input := "active"
		if st.Idle {
			input = "idle"
		}
		fmt.Fprintf(&b, "    <rpid:user-input>%s</rpid:user-input>\n", input)
	}
	if note != "" {
		fmt.Fprintf(&b, "    <dm:note xml:lang=\"%s\">%s</dm:note>\n", lang, esc(note))
	}
	b.WriteString("  </dm:person>\n")
	b.WriteString("</presence>\n")
	return b.Bytes()
}

// NoteText is the human-readable line for a presence note: the activity's name, its end time
// and the personal note, e.g. "In a meeting until 14:00 – budget review".
func NoteText(st State, r Render) string {
	lang := langOf(r.Lang)
	name := r.Activity.Names.In(lang)
	if name == "" {
		name = fmt.Sprintf("%d", st.Activity)
	}
	text := name
	if !st.Until.IsZero() {
		text += " " + untilText(st.Until, r.Now, r.Location, lang)
	}
	if n := strings.TrimSpace(st.Note); n != "" {
		text += " – " + n
	}
	return text
}

// untilText says "until 14:00" for today and "until 2 Jan 14:00" for another day.
func untilText(until, now time.Time, loc *time.Location, lang string) string {
	if loc == nil {
		loc = time.UTC
	}
	u, n := until.In(loc), now.In(loc)
	at := u.Format("15:04")
	if u.Year() != n.Year() || u.YearDay() != n.YearDay() {
		if lang == "en" {
			at = u.Format("2 Jan 2006 15:04")
		} else {
			at = u.Format("2.1.2006 15:04")
		}
	}
	switch lang {
	case "fi":
		return at + " asti"
	case "sv":
		return "till " + at
	}
	return "until " + at
}

// DialogInfo renders st's live calls as a full dialog-info document (RFC 4235) for busy-lamp
// fields; version counts the documents sent on one subscription, starting at 0.
func DialogInfo(st State, version uint32, r Render) []byte {
	entity := "sip:" + st.Extension + "@" + r.Domain
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	fmt.Fprintf(&b, "<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"%d\" state=\"full\" entity=\"%s\">\n", version, esc(entity))
	for _, c := range st.Calls {
		dir := "initiator"
		if c.Direction == "recipient" {
			dir = "recipient"
		}
		fmt.Fprintf(&b, "  <dialog id=\"%s\" direction=\"%s\">\n", esc(c.CallID), dir)
		fmt.Fprintf(&b, "    <state>%s</state>\n", dialogState(c.State))
		fmt.Fprintf(&b, "    <local><identity>%s</identity></local>\n", esc(entity))
		if c.Peer != "" {
			fmt.Fprintf(&b, "    <remote><identity>%s</identity></remote>\n", esc("sip:"+c.Peer+"@"+r.Domain))
		}
		b.WriteString("  </dialog>\n")
	}
	b.WriteString("</dialog-info>\n")
	return b.Bytes()
}

// dialogState maps a call's phone state to RFC 4235's dialog states: an outgoing call being
// set up is trying, a ringing one early, an answered one confirmed, an ended one terminated.
func dialogState(s presence.PhoneState) string {
	switch s {
	case presence.PhoneDialing:
		return "trying"
	case presence.PhoneRinging:
		return "early"
	case presence.PhoneOnCall:
		return "confirmed"
	}
	return "terminated"
}

func langOf(l string) string {
	switch l {
	case "fi", "sv":
		return l
	}
	return "en"
}

// esc escapes text for XML character data and attribute values; invalid UTF-8 and characters
// XML forbids become U+FFFD.
func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

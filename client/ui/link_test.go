package ui

import (
	"strings"
	"testing"

	"github.com/vaihde/vaihde/client/phone"
)

// A link fills the number field through the model and never dials by itself.
func TestModelSetDialNumber(t *testing.T) {
	f := newFake()
	m := NewModel(f, NewStrings("en"), nil)
	if v := m.View(); v.DialText != "" || v.DialSeq != 0 {
		t.Fatalf("fresh model dial text %q seq %d", v.DialText, v.DialSeq)
	}
	m.SetDialNumber("+358 40 123")
	v := m.View()
	if v.DialText != "+35840123" || v.DialSeq != 1 {
		t.Fatalf("after a link: %q seq %d, want +35840123 seq 1", v.DialText, v.DialSeq)
	}
	// The same number again is a new link (the user may have cleared the field meanwhile).
	m.SetDialNumber("+35840123")
	if v := m.View(); v.DialSeq != 2 {
		t.Fatalf("second link seq %d, want 2", v.DialSeq)
	}
	m.Update(phone.Snapshot{Reg: phone.Registered})
	if v := m.View(); v.DialText != "+35840123" {
		t.Fatalf("a snapshot dropped the link's number: %q", v.DialText)
	}
	if a := f.Actions(); len(a) != 0 {
		t.Fatalf("a link made the model act: %v", a)
	}
}

func TestOpenLinkFillsNumberField(t *testing.T) {
	r := registeredRig(t)
	p := r.u.phone
	r.u.SelectTab(TabSettings)
	r.u.OpenLink("1002")
	if p.number.Text != "1002" {
		t.Fatalf("number field %q, want 1002", p.number.Text)
	}
	if r.u.tabs.SelectedIndex() != 0 {
		t.Fatalf("tab %d shown, want the Phone tab", r.u.tabs.SelectedIndex())
	}
	if a := r.f.Actions(); containsDial(a) {
		t.Fatalf("OpenLink dialled: %v", a)
	}
	// What the user types afterwards is not overwritten by later snapshots.
	p.number.SetText("10")
	r.f.update(func(s *phone.Snapshot) { s.Reg = phone.Registered })
	if p.number.Text != "10" {
		t.Fatalf("a snapshot overwrote the typed number: %q", p.number.Text)
	}
	r.u.OpenLink("+358401234567")
	if p.number.Text != "+358401234567" {
		t.Fatalf("second link: field %q", p.number.Text)
	}
}

func containsDial(actions []string) bool {
	for _, a := range actions {
		if strings.HasPrefix(a, "dial") {
			return true
		}
	}
	return false
}

package presence

import (
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vaihde/vaihde/shared/presence"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func activity(n int) presence.Activity {
	a, _ := presence.Find(presence.DefaultActivities(), n)
	return a
}

var renderNow = time.Date(2026, 11, 22, 9, 30, 0, 0, time.UTC)

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create)", err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
	// Every document is well-formed XML.
	d := xml.NewDecoder(strings.NewReader(string(got)))
	for {
		if _, err := d.Token(); err != nil {
			if err.Error() == "EOF" {
				break
			}
			t.Fatalf("%s is not well-formed: %v", name, err)
		}
	}
}

func TestRFC3863PIDFGolden(t *testing.T) {
	base := State{UserID: 2, OrgID: 1, Extension: "1002", Activity: presence.Available, Green: true, Role: presence.RoleMobile,
		Phone: presence.PhoneIdle, UpdatedAt: time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)}
	with := func(f func(*State)) State { s := base; f(&s); return s }
	cases := []struct {
		file string
		st   State
		lang string
	}{
		{"pidf-available-offline.xml", base, "en"},
		{"pidf-available-online.xml", with(func(s *State) { s.Online = true }), "en"},
		{"pidf-meeting-until-note.xml", with(func(s *State) {
			s.Online, s.Activity, s.Green = true, presence.Meeting, false
			s.Until = time.Date(2026, 11, 22, 14, 0, 0, 0, time.UTC)
			s.Note = `budget <review> & "Q4"`
		}), "en"},
		{"pidf-busy-on-the-phone.xml", with(func(s *State) {
			s.Online, s.Activity, s.Green, s.Phone = true, presence.Busy, false, presence.PhoneOnCall
		}), "en"},
		{"pidf-lunch-idle-fi.xml", with(func(s *State) {
			s.Online, s.Idle, s.Activity, s.Green = true, true, presence.Lunch, false
			s.Until = time.Date(2026, 11, 22, 12, 30, 0, 0, time.UTC)
		}), "fi"},
		{"pidf-holiday-date-sv.xml", with(func(s *State) {
			s.Activity, s.Green = presence.Holiday, false
			s.Until = time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)
		}), "sv"},
		{"pidf-sick.xml", with(func(s *State) { s.Activity, s.Green = presence.Sick, false }), "en"},
		{"pidf-away.xml", with(func(s *State) { s.Online, s.Activity, s.Green = true, presence.Away, false }), "en"},
		{"pidf-remote-on-call.xml", with(func(s *State) {
			s.Online, s.Activity, s.Phone = true, presence.RemoteWork, presence.PhoneOnCall
		}), "en"},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			golden(t, tc.file, PIDF(tc.st, Render{Domain: "demo.vaihde.local", Lang: tc.lang, Activity: activity(tc.st.Activity), Now: renderNow}))
		})
	}
}

func TestRFC4480ActivityMapping(t *testing.T) {
	cases := map[int]string{
		presence.Available: "", presence.Busy: "<rpid:busy/>", presence.Lunch: "<rpid:meal/>",
		presence.Meeting: "<rpid:meeting/>", presence.Away: "<rpid:away/>", presence.Holiday: "<rpid:vacation/>",
		presence.RemoteWork: "", presence.AtOffice: "", presence.Sick: `<rpid:other xml:lang="en">Sick</rpid:other>`,
	}
	for n, want := range cases {
		doc := string(PIDF(State{Extension: "1", Activity: n}, Render{Domain: "d", Activity: activity(n)}))
		if want == "" {
			if strings.Contains(doc, "rpid:activities") {
				t.Errorf("activity %d: unexpected activities in %s", n, doc)
			}
			continue
		}
		if !strings.Contains(doc, "<rpid:activities>"+want+"</rpid:activities>") {
			t.Errorf("activity %d: want %s in\n%s", n, want, doc)
		}
	}
	// A red activity an admin added is <rpid:other> with its name; a green one has none.
	red := presence.Activity{Number: 12, Names: presence.Names{EN: "Training & <course>"}}
	if doc := string(PIDF(State{Extension: "1", Activity: 12}, Render{Activity: red})); !strings.Contains(doc, `<rpid:other xml:lang="en">Training &amp; &lt;course&gt;</rpid:other>`) {
		t.Errorf("custom red activity: %s", doc)
	}
	green := presence.Activity{Number: 13, Names: presence.Names{EN: "Customer visit"}, Green: true}
	if doc := string(PIDF(State{Extension: "1", Activity: 13}, Render{Activity: green})); strings.Contains(doc, "rpid:activities") {
		t.Errorf("custom green activity: %s", doc)
	}
}

func TestPIDFEscapesHostileText(t *testing.T) {
	notes := []string{"</note><basic>open</basic>", "a\xffb", "]]>", "'\"&<>", "\u202e\U0001F600", strings.Repeat("&", 500)}
	for _, n := range notes {
		doc := PIDF(State{Extension: "1<2", Note: n}, Render{Domain: "x&y", Activity: activity(1)})
		d := xml.NewDecoder(strings.NewReader(string(doc)))
		basics := 0
		for {
			tok, err := d.Token()
			if err != nil {
				if err.Error() != "EOF" {
					t.Fatalf("note %q: not well-formed: %v\n%s", n, err, doc)
				}
				break
			}
			if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "basic" {
				basics++
			}
		}
		if basics != 1 {
			t.Fatalf("note %q injected elements: %d <basic>", n, basics)
		}
	}
}

func TestRFC4235DialogInfoGolden(t *testing.T) {
	since := time.Date(2026, 11, 22, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		file    string
		calls   []CallInfo
		version uint32
	}{
		{"dialog-idle.xml", nil, 0},
		{"dialog-ringing.xml", []CallInfo{{CallID: "c1", Direction: "recipient", State: presence.PhoneRinging, Peer: "1001", Since: since}}, 1},
		{"dialog-confirmed.xml", []CallInfo{{CallID: "c1", Direction: "recipient", State: presence.PhoneOnCall, Peer: "1001", Since: since}}, 2},
		{"dialog-two-calls.xml", []CallInfo{
			{CallID: "c1", Direction: "recipient", State: presence.PhoneOnCall, Peer: "+358401231001", Since: since},
			{CallID: `c2"<&`, Direction: "initiator", State: presence.PhoneDialing, Peer: "", Since: since.Add(time.Second)},
		}, 7},
		{"dialog-terminated.xml", []CallInfo{{CallID: "c1", Direction: "initiator", State: presence.PhoneIdle, Peer: "1003"}}, 3},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			st := State{UserID: 2, Extension: "1002", Calls: tc.calls}
			golden(t, tc.file, DialogInfo(st, tc.version, Render{Domain: "demo.vaihde.local"}))
		})
	}
}

// FuzzPIDF checks that any note, extension and activity name still renders well-formed XML
// with exactly one <basic> (no injected elements).
func FuzzPIDF(f *testing.F) {
	for _, s := range []string{"", "<basic>open</basic>", "a\x00b", "]]>", "&amp;", "\xff\xfe", "ä\u2028"} {
		f.Add(s, "1002", "In a meeting")
	}
	f.Fuzz(func(t *testing.T, note, ext, name string) {
		st := State{Extension: ext, Note: note, Activity: 12, Online: true, Phone: presence.PhoneOnCall,
			Calls: []CallInfo{{CallID: note, Peer: ext, State: presence.PhoneRinging, Direction: "recipient"}}}
		r := Render{Domain: name, Activity: presence.Activity{Number: 12, Names: presence.Names{EN: name}}}
		for _, doc := range [][]byte{PIDF(st, r), DialogInfo(st, 1, r)} {
			d := xml.NewDecoder(strings.NewReader(string(doc)))
			basics, dialogs := 0, 0
			for {
				tok, err := d.Token()
				if err != nil {
					if err.Error() != "EOF" {
						t.Fatalf("not well-formed: %v\n%s", err, doc)
					}
					break
				}
				if se, ok := tok.(xml.StartElement); ok {
					switch se.Name.Local {
					case "basic":
						basics++
					case "dialog":
						dialogs++
					}
				}
			}
			if basics > 1 || dialogs > 1 {
				t.Fatalf("injected elements:\n%s", doc)
			}
		}
	})
}

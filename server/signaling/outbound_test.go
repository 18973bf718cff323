package signaling

import (
	"slices"
	"testing"

	"github.com/emiago/sipgo/sip"
)

func TestSplitHeaderValues(t *testing.T) {
	got := SplitHeaderValues(`<sip:p1;lr>, "A, B" <sip:p2;lr>,<sip:p3?x=a,b>`)
	want := []string{"<sip:p1;lr>", `"A, B" <sip:p2;lr>`, "<sip:p3?x=a,b>"}
	if !slices.Equal(got, want) {
		t.Fatalf("SplitHeaderValues = %q, want %q", got, want)
	}
}

func TestRouteSet(t *testing.T) {
	hs := []sip.Header{sip.NewHeader("Record-Route", "<sip:p1.example;lr>, <sip:p2.example;lr>"),
		sip.NewHeader("Record-Route", "<sip:p3.example;lr>, garbage<<")}
	hosts := func(us []sip.Uri) []string {
		var out []string
		for _, u := range us {
			out = append(out, u.Host)
		}
		return out
	}
	if got := hosts(RouteSet(hs, false)); !slices.Equal(got, []string{"p1.example", "p2.example", "p3.example"}) {
		t.Fatalf("UAS route set %q", got)
	}
	if got := hosts(RouteSet(hs, true)); !slices.Equal(got, []string{"p3.example", "p2.example", "p1.example"}) {
		t.Fatalf("UAC route set %q", got)
	}
}

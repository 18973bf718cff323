package voicemail

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/vaihde/vaihde/server/store"
)

// TestActivityEndInOrgTimeZone: the end time of a red activity is spoken in the organisation's
// time zone (Org.Location) unless DepositDeps.Location overrides it; the clock is injected.
func TestActivityEndInOrgTimeZone(t *testing.T) {
	now := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	until := time.Date(2026, 11, 22, 11, 30, 0, 0, time.UTC) // 13:30 Helsinki, 20:30 Tokyo
	deps := func(loc *time.Location) DepositDeps {
		return DepositDeps{Presence: redPresence{activity: 4, until: until}, Now: func() time.Time { return now }, Location: loc}
	}
	keys := func(d DepositDeps, org store.Org) []string {
		k, ok := activityKeys(context.Background(), d, "en", org, 1)
		if !ok {
			t.Fatal("red activity not announced")
		}
		return k
	}
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	helsinki, err := time.LoadLocation("Europe/Helsinki")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		got  []string
		want []string
	}{
		{"organisation in Tokyo", keys(deps(nil), store.Org{TimeZone: "Asia/Tokyo"}), keys(deps(tokyo), store.Org{})},
		{"organisation without a zone: Helsinki", keys(deps(nil), store.Org{}), keys(deps(helsinki), store.Org{TimeZone: "Asia/Tokyo"})},
		{"override wins", keys(deps(time.UTC), store.Org{TimeZone: "Asia/Tokyo"}), keys(deps(time.UTC), store.Org{})},
	}
	for _, tc := range tests {
		if !slices.Equal(tc.got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, tc.got, tc.want)
		}
	}
	if slices.Equal(keys(deps(nil), store.Org{TimeZone: "Asia/Tokyo"}), keys(deps(nil), store.Org{})) {
		t.Fatal("Tokyo and Helsinki speak the same end time: the zone is not used")
	}
}

package routing

import "testing"

func TestClassify(t *testing.T) {
	tests := []struct {
		number, country string
		want            Class
	}{
		{"+358401234567", "358", Domestic},
		{"+35891234567", "358", Domestic},
		{"+358600123456", "358", Premium},
		{"+358700123456", "358", Premium},
		{"+46701234567", "358", International},
		{"+46900123456", "358", Premium},
		{"+4491234567", "358", Premium},
		{"+19005551234", "358", Premium},
		{"+12125551234", "358", International},
		{"+46701234567", "46", Domestic},
		{"+358401234567", "46", International},
	}
	for _, tc := range tests {
		if got := Classify(tc.number, tc.country); got != tc.want {
			t.Errorf("Classify(%s, %s) = %v, want %v", tc.number, tc.country, got, tc.want)
		}
	}
}

func TestBarred(t *testing.T) {
	tests := []struct {
		name   string
		b      Barring
		number string
		want   bool
	}{
		{"nothing barred", Barring{}, "+46701234567", false},
		{"org bars international", Barring{OrgInternational: true}, "+46701234567", true},
		{"org bars international, domestic ok", Barring{OrgInternational: true}, "+358401234567", false},
		{"org bars premium", Barring{OrgPremium: true}, "+358600123456", true},
		{"org bars premium, mobile ok", Barring{OrgPremium: true}, "+358401234567", false},
		{"premium allowed when not barred", Barring{OrgInternational: true}, "+358700123456", false},
		{"premium abroad is international too", Barring{OrgInternational: true}, "+46900123456", true},
		{"user bars outside", Barring{UserOutside: true}, "+358401234567", true},
		{"user bars international", Barring{UserInternational: true}, "+46701234567", true},
		{"user bars international, domestic ok", Barring{UserInternational: true}, "+358401234567", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, why := Barred(tc.b, tc.number, "358")
			if got != tc.want {
				t.Fatalf("Barred = %v (%q), want %v", got, why, tc.want)
			}
			if got && why == "" {
				t.Fatal("barred without a reason")
			}
		})
	}
}

func TestIsEmergency(t *testing.T) {
	tests := []struct {
		dialled, extra string
		want           bool
	}{
		{"112", "", true},
		{" 1-1-2 ", "", true},
		{"1120", "", false},
		{"911", "", false},
		{"911", "911 116117", true},
		{"116117", "911,116117", true},
		{"116 117", "116117", true},
		{"", "", false},
		{"1001", "", false},
	}
	for _, tc := range tests {
		if got := IsEmergency(tc.dialled, tc.extra); got != tc.want {
			t.Errorf("IsEmergency(%q, %q) = %v, want %v", tc.dialled, tc.extra, got, tc.want)
		}
	}
}

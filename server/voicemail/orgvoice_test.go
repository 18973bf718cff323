package voicemail

import (
	"testing"

	"github.com/vaihde/vaihde/server/mediaapp"
)

// perOrgVoice names each clip by the organisation it was asked for.
type perOrgVoice struct{ plainVoice }

func (perOrgVoice) OrgClips(orgID int64, lang string, keys ...string) ([]mediaapp.Clip, error) {
	return []mediaapp.Clip{{Name: "org" + string(rune('0'+orgID)) + "/" + lang + "/" + keys[0]}}, nil
}

type plainVoice struct{}

func (plainVoice) Clips(lang string, keys ...string) ([]mediaapp.Clip, error) {
	return []mediaapp.Clip{{Name: "all/" + lang + "/" + keys[0]}}, nil
}

// TestOrgVoice (ORG-1): a mailbox's flows play its organisation's prompt recordings when the
// Voice keeps them per organisation (prompt.Catalog), else the shared ones.
func TestOrgVoice(t *testing.T) {
	tests := []struct {
		name string
		v    Voice
		org  int64
		want string
	}{
		{"per-organisation voice", perOrgVoice{}, 7, "org7/fi/goodbye"},
		{"no organisation", perOrgVoice{}, 0, "all/fi/goodbye"},
		{"shared voice", plainVoice{}, 7, "all/fi/goodbye"},
	}
	for _, tc := range tests {
		clips, err := orgVoice(tc.v, tc.org).Clips("fi", "goodbye")
		if err != nil || len(clips) != 1 || clips[0].Name != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.name, clips, err, tc.want)
		}
	}
}

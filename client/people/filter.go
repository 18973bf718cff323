package people

import (
	"slices"
	"strings"

	"github.com/vaihde/vaihde/shared/api"
	"github.com/vaihde/vaihde/shared/number"
	"github.com/vaihde/vaihde/shared/search"
)

// The directory filter (DIR-2). The index holds the fields that change only with the
// directory (name, numbers, email, department, title, keywords); the activity name changes
// with every presence update, so it is matched per activity instead: a presence change never
// costs a re-index, and a keystroke costs one index search per distinct set of terms the
// activity names leave unmatched (usually one).

func newColleague(e api.DirectoryEntry) Colleague {
	return Colleague{DirectoryEntry: e,
		Fold: search.Fold(strings.Join(append(staticFields(e, ""), e.Presence.ActivityName), " "))}
}

// staticFields are the indexed fields of a colleague; with a country code, E.164 numbers of
// that country are added in national form too.
func staticFields(e api.DirectoryEntry, country string) []string {
	f := []string{e.Name, e.Extension, e.CompanyNumber, e.MobileNumber, e.Email, e.Department, e.Title, e.Keywords}
	if country != "" {
		for _, n := range []string{e.CompanyNumber, e.MobileNumber} {
			if strings.HasPrefix(n, "+"+country) {
				f = append(f, number.Number{Kind: number.E164, Value: n}.National(country))
			}
		}
	}
	return f
}

// sortColleagues orders by folded name (Fold starts with the name), then extension.
func sortColleagues(cols []Colleague) {
	slices.SortStableFunc(cols, func(a, b Colleague) int {
		if c := strings.Compare(a.Fold, b.Fold); c != 0 {
			return c
		}
		return strings.Compare(a.Extension, b.Extension)
	})
}

func buildIndex(cols []Colleague, country string) *search.Index {
	docs := make([][]string, len(cols))
	for i, c := range cols {
		docs[i] = staticFields(c.DirectoryEntry, country)
	}
	return search.NewIndex(docs)
}

// Filter implements Model: the colleagues matching every term of the query in some field,
// in the list's order.
func (b *Book) Filter(query string) []Colleague {
	b.mu.Lock()
	cols, ix := b.colleagues, b.index
	b.mu.Unlock()
	terms := search.Terms(query)
	if len(terms) == 0 {
		return slices.Clone(cols)
	}
	if ix == nil || ix.Len() != len(cols) {
		ix = buildIndex(cols, b.o.Country)
		b.mu.Lock()
		if len(b.colleagues) == len(cols) && (len(cols) == 0 || &b.colleagues[0] == &cols[0]) {
			b.index = ix
		}
		b.mu.Unlock()
	}
	// For each activity name: the terms it does not match must match the indexed fields.
	// Few distinct names exist, so a short list beats a map in the per-colleague loop.
	type group struct{ name, rest string }
	var groups []group
	restOf := func(a string) string {
		for _, g := range groups {
			if g.name == a {
				return g.rest
			}
		}
		var left []string
		for _, t := range terms {
			if a == "" || !search.MatchTerms([]string{a}, []string{t}) {
				left = append(left, t)
			}
		}
		r := strings.Join(left, " ")
		groups = append(groups, group{a, r})
		return r
	}
	rests := make([]string, len(cols))
	uniform := true
	for i, c := range cols {
		rests[i] = restOf(c.Presence.ActivityName)
		uniform = uniform && rests[i] == rests[0]
	}
	if uniform && len(cols) > 0 {
		// The common case: no activity name matches a term, one search decides.
		if rests[0] == "" {
			return slices.Clone(cols)
		}
		hits := ix.Search(rests[0], 0)
		out := make([]Colleague, 0, len(hits))
		for _, i := range hits {
			if i >= 0 && i < len(cols) {
				out = append(out, cols[i])
			}
		}
		return out
	}
	searches := map[string][]bool{}
	for _, g := range groups {
		if _, ok := searches[g.rest]; ok || g.rest == "" {
			continue
		}
		hit := make([]bool, len(cols))
		for _, i := range ix.Search(g.rest, 0) {
			if i >= 0 && i < len(hit) {
				hit[i] = true
			}
		}
		searches[g.rest] = hit
	}
	var out []Colleague
	for i, c := range cols {
		if r := rests[i]; r == "" || searches[r][i] {
			out = append(out, c)
		}
	}
	return out
}

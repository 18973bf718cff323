package search

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFold(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain ascii 123", "plain ascii 123"},
		{"Äänekoski Élise", "aanekoski elise"},
		{"ÅSA ÖBERG", "asa oberg"},
		{"äåáàâãā öóòôõø éèêë üúùû íìîï", "aaaaaaa oooooo eeee uuuu iiii"},
		{"Çç Ññ Šš Žž", "cc nn ss zz"},
		{"Straße Æsir Œuvre", "strasse aesir oeuvre"},
		{"Łódź Dvořák", "lodz dvorak"},
		{"e\u0301te\u0301", "ete"},       // decomposed accents
		{"ΑΘΗΝΑ Москва", "αθηνα москва"}, // other scripts: lower-cased only
		{"\u212B\u212A", "ak"},           // Ångström and Kelvin signs
		{"a×b÷c", "a×b÷c"},               // not letters: kept
		{"bad\xffutf8", "bad\uFFFDutf8"}, // invalid bytes
		{"+358 40 123 1001", "+358 40 123 1001"},
		{"O'Brien-Smith", "o'brien-smith"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := Fold(tc.in); got != tc.want {
				t.Fatalf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestTerms(t *testing.T) {
	tests := []struct {
		q    string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"Matti  VIR", []string{"matti", "vir"}},
		{"Ärrä,", []string{"arra"}},
		{"+358 40", []string{"+358", "40"}},
		{"+ - ", nil},
		{"anna-liisa @example", []string{"anna-liisa", "example"}},
	}
	for _, tc := range tests {
		t.Run(tc.q, func(t *testing.T) {
			if got := Terms(tc.q); !slices.Equal(got, tc.want) {
				t.Fatalf("Terms(%q) = %q, want %q", tc.q, got, tc.want)
			}
		})
	}
}

var people = [][]string{
	0: {"Matti Virtanen", "1001", "+358912341001", "0912341001", "+358401231001", "0401231001", "matti.virtanen@example.fi", "Myynti", "Myyntipäällikkö", "laskutus"},
	1: {"Åsa Öberg", "1002", "+358401231002", "0401231002", "asa.oberg@example.fi", "Asiakaspalvelu", "Asiakasneuvoja", "verkko"},
	2: {"Élise Ääri-Mäki", "1003", "", "", "elise@example.fi", "Talous", "Controller", ""},
	3: {"Anna-Liisa Virta", "1004", "+46701234567", "", "anna-liisa@example.se", "IT", "Verkkoasiantuntija", "vpn verkko"},
	4: {"Matias Nurmi", "2001", "", "", "", "Myynti", "Myyjä", ""},
}

func TestSearchRules(t *testing.T) {
	ix := NewIndex(people)
	tests := []struct {
		name string
		q    string
		want []int
	}{
		{"empty query matches all", "", []int{0, 1, 2, 3, 4}},
		{"blank query matches all", "  ", []int{0, 1, 2, 3, 4}},
		{"prefix of first name", "mat", []int{0, 4}},
		{"prefix of last name", "vir", []int{0, 3}},
		{"multi-term AND", "mat vir", []int{0}},
		{"multi-term AND order-free", "virtanen matti", []int{0}},
		{"AND across fields", "matti myynti", []int{0}},
		{"AND fails when one term misses", "matti talous", nil},
		{"case", "MATTI", []int{0}},
		{"accent-insensitive query", "ÖBERG", []int{1}},
		{"accent-insensitive data: Å", "asa", []int{1}},
		{"accent-insensitive data: Ä", "aari", []int{2}},
		{"accented query vs accented data", "Mäki", []int{2}},
		{"é", "elise", []int{2}},
		{"é typed", "élise", []int{2}},
		{"hyphenated part", "liisa", []int{3}},
		{"hyphenated whole", "anna-li", []int{3}},
		{"not a mid-word substring", "tanen", nil},
		{"extension", "1002", []int{1}},
		{"extension prefix", "100", []int{0, 1, 2, 3}},
		{"E.164 number", "+35840123100", []int{0, 1}},
		{"E.164 without plus", "35840123", []int{0, 1}},
		{"national number", "0401231001", []int{0}},
		{"foreign number", "+4670", []int{3}},
		{"email prefix", "matti.vir", []int{0}},
		{"email domain word", "example.se", []int{3}},
		{"department", "myynti", []int{0, 4}},
		{"title", "controller", []int{2}},
		{"keywords", "verkko", []int{1, 3}},
		{"keyword and title prefix", "verkkoa", []int{3}},
		{"no match", "zzz", nil},
		{"digits that are not a prefix", "1231001", nil},
		{"punctuation-only term ignored", "matti -", []int{0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ix.Search(tc.q, 0)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("Search(%q) = %v, want %v", tc.q, got, tc.want)
			}
			var viaMatch []int
			for i, d := range people {
				if Match(d, tc.q) {
					viaMatch = append(viaMatch, i)
				}
			}
			if !slices.Equal(viaMatch, tc.want) {
				t.Fatalf("Match(%q) = %v, want %v", tc.q, viaMatch, tc.want)
			}
		})
	}
}

func TestSearchLimit(t *testing.T) {
	ix := NewIndex(people)
	for _, tc := range []struct {
		q     string
		limit int
		want  []int
	}{
		{"", 2, []int{0, 1}},
		{"100", 3, []int{0, 1, 2}},
		{"100", 10, []int{0, 1, 2, 3}},
		{"myynti", 1, []int{0}},
	} {
		if got := ix.Search(tc.q, tc.limit); !slices.Equal(got, tc.want) {
			t.Fatalf("Search(%q, %d) = %v, want %v", tc.q, tc.limit, got, tc.want)
		}
	}
	if got := NewIndex(nil).Search("x", 0); len(got) != 0 {
		t.Fatalf("empty index matched %v", got)
	}
	if got := NewIndex(nil).Search("", 0); len(got) != 0 {
		t.Fatalf("empty index, empty query matched %v", got)
	}
}

// TestIndexAgreesWithMatch checks the index against the simple per-document Match on random
// documents and queries, so the fast path cannot drift from the rules.
func TestIndexAgreesWithMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	docs := genDocs(rng, 500)
	ix := NewIndex(docs)
	queries := genQueries(rng, docs, 300)
	queries = append(queries, "a", "ä", "+3", "0", "x y z", "-")
	for _, q := range queries {
		got := ix.Search(q, 0)
		var want []int
		for i, d := range docs {
			if Match(d, q) {
				want = append(want, i)
			}
		}
		if !slices.Equal(got, want) {
			t.Fatalf("query %q: index %v, Match %v", q, got, want)
		}
	}
}

func FuzzFold(f *testing.F) {
	for _, s := range []string{"", "Äänekoski", "ß", "e\u0301", "\u212B", "\xff\xfe", "İı", "ǅǄ", "ΣΑΣ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		once := Fold(s)
		if twice := Fold(once); twice != once {
			t.Fatalf("Fold not idempotent: %q → %q → %q", s, once, twice)
		}
		if !utf8.ValidString(once) {
			t.Fatalf("Fold(%q) = %q is not valid UTF-8", s, once)
		}
		_ = Terms(s)
		_ = Match([]string{s, once}, s)
		if !Match([]string{s}, "") {
			t.Fatal("empty query must match")
		}
	})
}

// ---- generated data, shared with the benchmarks ----

var (
	firstNames = []string{"Matti", "Maija", "Äijä", "Åsa", "Örjan", "Élise", "Jääskeläinen", "Anna-Liisa", "Pekka", "Sofia",
		"Björn", "Kristiina", "Jussi", "Päivi", "Tuomas", "Linnéa", "Mikael", "Sanna", "Ville", "Ebba", "Oskari", "Aino", "Eero", "Helmi"}
	lastNames = []string{"Virtanen", "Korhonen", "Mäkinen", "Nieminen", "Mäkelä", "Hämäläinen", "Laine", "Heikkinen", "Koskinen",
		"Järvinen", "Lehtonen", "Lindström", "Söderberg", "Öhman", "Åberg", "Ekström", "Grönroos", "Kärkkäinen", "Wikström", "Strömberg"}
	departments = []string{"Myynti", "Asiakaspalvelu", "Talous", "IT", "Henkilöstö", "Tuotanto", "Markkinointi", "Logistiikka", "Johto"}
	titles      = []string{"Myyntipäällikkö", "Asiakasneuvoja", "Kirjanpitäjä", "Järjestelmäasiantuntija", "Toimitusjohtaja",
		"Tiiminvetäjä", "Suunnittelija", "Assistentti", "Försäljningschef", "Ekonom"}
	keywords = []string{"laskutus", "verkko", "vpn", "palkat", "rekrytointi", "varasto", "huolto", "sopimukset", "", ""}
)

func genDocs(rng *rand.Rand, n int) [][]string {
	docs := make([][]string, n)
	for i := range docs {
		first := firstNames[rng.IntN(len(firstNames))]
		last := lastNames[rng.IntN(len(lastNames))]
		mobile := fmt.Sprintf("+35840%07d", i)
		docs[i] = []string{first + " " + last, fmt.Sprint(10000 + i), fmt.Sprintf("+3589%07d", i), mobile, "0" + mobile[4:],
			strings.ToLower(Fold(first+"."+last)) + "@example.fi",
			departments[rng.IntN(len(departments))], titles[rng.IntN(len(titles))],
			keywords[rng.IntN(len(keywords))] + " " + keywords[rng.IntN(len(keywords))]}
	}
	return docs
}

// genQueries makes 1–3-term queries from prefixes of real words, as a user types them.
func genQueries(rng *rand.Rand, docs [][]string, n int) []string {
	qs := make([]string, n)
	for i := range qs {
		d := docs[rng.IntN(len(docs))]
		terms := 1 + rng.IntN(3)
		var parts []string
		for range terms {
			f := d[rng.IntN(len(d))]
			words := strings.FieldsFunc(f, func(r rune) bool { return r == ' ' || r == '-' || r == '@' || r == '.' })
			if len(words) == 0 {
				continue
			}
			w := []rune(words[rng.IntN(len(words))])
			parts = append(parts, string(w[:1+rng.IntN(len(w))]))
		}
		qs[i] = strings.Join(parts, " ")
	}
	return qs
}

func BenchmarkIndexSearch10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	docs := genDocs(rng, 10000)
	ix := NewIndex(docs)
	qs := genQueries(rng, docs, 1000)
	lat := make([]time.Duration, 0, 1<<16)
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		ix.Search(qs[i%len(qs)], 0)
		lat = append(lat, time.Since(start))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
}

func BenchmarkNewIndex10k(b *testing.B) {
	docs := genDocs(rand.New(rand.NewPCG(3, 4)), 10000)
	for b.Loop() {
		NewIndex(docs)
	}
}

func BenchmarkMatch10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(3, 4))
	docs := genDocs(rng, 10000)
	qs := genQueries(rng, docs, 100)
	for i := 0; b.Loop(); i++ {
		terms := Terms(qs[i%len(qs)])
		for _, d := range docs {
			MatchTerms(d, terms)
		}
	}
}

// Package search owns directory search as users expect it (DIR-2): each space-separated term
// must match the beginning of a word of some field (AND over terms), case- and
// accent-insensitive (Ä = a, Å = a, Ö = o, é = e …); phone numbers also match in national form.
// The server's directory and the Softphone's filter both use it.
//
// A field is split into words at every character that is not a letter, a digit or '+'
// ("+358401231001" stays one word, and its digits after '+' also start a word). A term matches
// a field when it is a prefix of the field read from the start of one of its words, so "vir"
// matches "Matti Virtanen", "anna-l" matches "Anna-Liisa" and "matti.vir" matches
// "matti.virtanen@example.com".
package search

import (
	"math/bits"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// latin maps lower-case letters of Latin-1 Supplement and Latin Extended-A (U+00C0–U+017F)
// to their unaccented ASCII form; "" means "not a letter to fold" (e.g. ×, ÷).
var latin [0x180 - 0xC0]string

func init() {
	for base, letters := range map[string]string{
		"a":  "àáâãäåāăą",
		"c":  "çćĉċč",
		"d":  "ðďđ",
		"e":  "èéêëēĕėęě",
		"g":  "ĝğġģ",
		"h":  "ĥħ",
		"i":  "ìíîïĩīĭįı",
		"j":  "ĵ",
		"k":  "ķĸ",
		"l":  "ĺļľŀł",
		"n":  "ñńņňŉŋ",
		"o":  "òóôõöøōŏő",
		"r":  "ŕŗř",
		"s":  "śŝşšſ",
		"t":  "ţťŧ",
		"u":  "ùúûüũūŭůűų",
		"w":  "ŵ",
		"y":  "ýÿŷ",
		"z":  "źżž",
		"ss": "ß",
		"ae": "æ",
		"oe": "œ",
		"th": "þ",
		"ij": "ĳ",
	} {
		for _, r := range letters {
			latin[r-0xC0] = base
		}
	}
}

// Fold lowercases s and removes accents, so "Äänekoski Élise" becomes "aanekoski elise".
// Latin letters go through a table; other letters are only lower-cased; combining accents
// (U+0300–U+036F, as in decomposed "e\u0301") are dropped. Invalid UTF-8 becomes U+FFFD.
// Fold(Fold(s)) == Fold(s).
func Fold(s string) string {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || 'A' <= c && c <= 'Z' {
			break
		}
	}
	if i == len(s) {
		return s // plain lower-case ASCII: the common case costs nothing
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		case r >= 0x300 && r <= 0x36F:
			continue
		}
		r = lower(r)
		if r >= 0xC0 && r < 0x180 {
			if f := latin[r-0xC0]; f != "" {
				b.WriteString(f)
				continue
			}
		}
		if r >= 0x300 && r <= 0x36F {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lower lower-cases r until it no longer changes (a few code points need two steps).
func lower(r rune) rune {
	for range 4 {
		l := unicode.ToLower(r)
		if l == r {
			break
		}
		r = l
	}
	return r
}

// isWord reports whether r belongs to a word of a field.
func isWord(r rune) bool {
	return r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || 'A' <= r && r <= 'Z') ||
		r >= utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r))
}

// wordStarts calls f with every suffix of the folded field f that begins at a word.
func wordStarts(folded string, f func(suffix string)) {
	prevWord, prevPlus := false, false
	for i, r := range folded {
		w := isWord(r)
		digit := '0' <= r && r <= '9'
		if w && (!prevWord || prevPlus && digit) {
			f(folded[i:])
		}
		prevWord, prevPlus = w, r == '+'
	}
}

// Terms splits a query into folded terms. Punctuation around a term is dropped ("virtanen,"
// → "virtanen", a leading '+' stays), and a term without any letter or digit is ignored, so a
// half-typed "+" or "-" does not hide every entry.
func Terms(q string) []string {
	var out []string
	for _, t := range strings.Fields(Fold(q)) {
		t = strings.TrimLeftFunc(t, func(r rune) bool { return !isWord(r) })
		t = strings.TrimRightFunc(t, func(r rune) bool { return !isWord(r) || r == '+' })
		if strings.IndexFunc(t, func(r rune) bool { return r != '+' && isWord(r) }) < 0 {
			continue
		}
		out = append(out, t)
	}
	return out
}

// Match reports whether one document matches q (for a single entry or a small list).
func Match(fields []string, q string) bool {
	return MatchTerms(fields, Terms(q))
}

// MatchTerms is Match with the query already split by Terms, for filtering a list with one
// query without splitting it per entry.
func MatchTerms(fields []string, terms []string) bool {
	if len(terms) == 0 {
		return true
	}
	var folded []string
	if len(fields) <= 16 {
		var buf [16]string
		folded = buf[:0]
	}
	for _, f := range fields {
		folded = append(folded, Fold(f))
	}
	for _, t := range terms {
		found := false
		for _, f := range folded {
			if !strings.Contains(f, t) { // cheap reject before walking word starts
				continue
			}
			wordStarts(f, func(s string) {
				if !found && strings.HasPrefix(s, t) {
					found = true
				}
			})
			if found {
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Index holds documents (each a list of fields) for fast repeated searches. It is immutable
// after NewIndex and safe for concurrent Search calls.
type Index struct {
	n       int
	entries []entry  // every word-start suffix of every field, sorted by key
	docKeys []string // the same suffixes grouped by document ...
	docOff  []int32  // ... doc i's are docKeys[docOff[i]:docOff[i+1]]
}

type entry struct {
	key string // folded field from the start of a word to its end
	doc int32
}

// NewIndex indexes docs; doc i is returned as i by Search.
func NewIndex(docs [][]string) *Index {
	ix := &Index{n: len(docs), docOff: make([]int32, 0, len(docs)+1)}
	for i, fields := range docs {
		ix.docOff = append(ix.docOff, int32(len(ix.docKeys)))
		for _, f := range fields {
			wordStarts(Fold(f), func(s string) {
				ix.docKeys = append(ix.docKeys, s)
				ix.entries = append(ix.entries, entry{key: s, doc: int32(i)})
			})
		}
	}
	ix.docOff = append(ix.docOff, int32(len(ix.docKeys)))
	slices.SortFunc(ix.entries, func(a, b entry) int { return strings.Compare(a.key, b.key) })
	return ix
}

// Len returns how many documents the index holds.
func (ix *Index) Len() int { return ix.n }

// span returns the range of entries whose key starts with t.
func (ix *Index) span(t string) (lo, hi int) {
	lo = sort.Search(len(ix.entries), func(i int) bool { return ix.entries[i].key >= t })
	hi = lo + sort.Search(len(ix.entries)-lo, func(i int) bool { return !strings.HasPrefix(ix.entries[lo+i].key, t) })
	return lo, hi
}

// Search returns the positions of the documents matching every term of q, in document order,
// at most limit (limit <= 0: all). An empty query matches every document.
func (ix *Index) Search(q string, limit int) []int {
	terms := Terms(q)
	if len(terms) == 0 {
		n := ix.n
		if limit > 0 && limit < n {
			n = limit
		}
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	spans := make([][2]int, len(terms))
	best, total := 0, 0
	for i, t := range terms {
		lo, hi := ix.span(t)
		if hi == lo {
			return nil
		}
		spans[i] = [2]int{lo, hi}
		total += hi - lo
		if hi-lo < spans[best][1]-spans[best][0] {
			best = i
		}
	}
	// The rarest term's documents are the candidates. With one term, or few candidates, check
	// the other terms per candidate; otherwise intersect every term's document set, which
	// costs the sum of the spans however common the terms are.
	set := ix.docSet(spans[best])
	rare := spans[best][1] - spans[best][0]
	avgKeys := len(ix.docKeys)/max(ix.n, 1) + 1
	intersect := len(terms) > 1 && rare*avgKeys*(len(terms)-1) > total
	if intersect {
		other := make([]uint64, len(set))
		for i, sp := range spans {
			if i == best {
				continue
			}
			clear(other)
			ix.mark(other, sp)
			for w := range set {
				set[w] &= other[w]
			}
		}
	}
	size := 0
	for _, word := range set {
		size += bits.OnesCount64(word)
	}
	if limit > 0 && limit < size {
		size = limit
	}
	out := make([]int, 0, size)
	for w, word := range set {
		for word != 0 {
			d := w*64 + bits.TrailingZeros64(word)
			word &= word - 1
			if len(terms) > 1 && !intersect && !ix.matchDoc(int32(d), terms, best) {
				continue
			}
			out = append(out, d)
			if limit > 0 && len(out) == limit {
				return out
			}
		}
	}
	return out
}

// docSet returns the set of documents with an entry in span.
func (ix *Index) docSet(sp [2]int) []uint64 {
	set := make([]uint64, (ix.n+63)/64)
	ix.mark(set, sp)
	return set
}

func (ix *Index) mark(set []uint64, sp [2]int) {
	for _, e := range ix.entries[sp[0]:sp[1]] {
		set[e.doc>>6] |= 1 << (e.doc & 63)
	}
}

// matchDoc checks every term but skip against doc d's pre-folded suffixes.
func (ix *Index) matchDoc(d int32, terms []string, skip int) bool {
	keys := ix.docKeys[ix.docOff[d]:ix.docOff[d+1]]
	for i, t := range terms {
		if i == skip {
			continue
		}
		found := false
		for _, k := range keys {
			if strings.HasPrefix(k, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

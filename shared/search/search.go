// Package search owns directory search as users expect it (DIR-2): each space-separated term
// must match the beginning of a word of some field (AND over terms), case- and
// accent-insensitive (Ä = a, Å = a, Ö = o, é = e …); phone numbers also match in national form.
// The server's directory and the Softphone's filter both use it.
package search

// Fold lowercases s and removes accents, so "Äänekoski Élise" becomes "aanekoski elise".
// (Contract stub: the implementer replaces it.)
func Fold(s string) string { return s }

// Terms splits a query into folded terms.
func Terms(q string) []string { return nil }

// Index holds documents (each a list of fields) for fast repeated searches.
type Index struct{}

// NewIndex indexes docs; doc i is returned as i by Search.
func NewIndex(docs [][]string) *Index { return &Index{} }

// Search returns the positions of the documents matching every term of q, in document order,
// at most limit (limit <= 0: all). An empty query matches every document.
func (ix *Index) Search(q string, limit int) []int { return nil }

// Match reports whether one document matches q (for a single entry or a small list).
func Match(fields []string, q string) bool { return false }

package experiments

import (
	"fmt"
	"strings"
)

// suggest returns the word of choices closest to word by edit distance, or
// "" when none is close enough to be a likely typo.
func suggest(word string, choices []string) string {
	best, bestD := "", 1<<30
	lw := strings.ToLower(word)
	for _, c := range choices {
		d := editDistance(lw, strings.ToLower(c))
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(word) <= 3 {
		limit = 1
	}
	if len(word) >= 9 {
		limit = 3
	}
	if bestD > limit {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b, counting a swap
// of two neighbouring letters as one edit.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		if a == b {
			return 0
		}
		return 1 << 20
	}
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// didYouMean finishes an "unknown …" message with a suggestion, or with the
// list of choices when nothing is close.
func didYouMean(word string, choices []string) string {
	if s := suggest(word, choices); s != "" {
		return fmt.Sprintf("; did you mean %q?", s)
	}
	return "; expected one of " + strings.Join(choices, ", ")
}

package experiments

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameBytes bounds an experiment name. The name is a folder of the
// results (results/<name>/<run-id>/) and part of the Slurm job name, so it
// must fit in one file name (255 bytes on common file systems) with room to
// spare.
const MaxNameBytes = 100

// reservedNames are names an experiment cannot take because the report site
// or the results folder uses them for its own files. They are compared
// ignoring case, as case-insensitive file systems do.
var reservedNames = []string{"assets", "index.html"}

// CheckName says why name cannot name an experiment, or returns nil. One
// rule holds for names written in a file (name:) and names taken from the
// file name: letters (of any script), digits, '-', '_' and '.', starting
// with a letter or a digit, at most MaxNameBytes bytes, and none of the
// reserved names. A name that passes is used as its results folder as it is,
// so two different names never share a folder.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("the name is empty")
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("the name is not valid UTF-8 text")
	}
	if len(name) > MaxNameBytes {
		return fmt.Errorf("the name is %d bytes long; names are limited to %d bytes (it names the results folder)", len(name), MaxNameBytes)
	}
	for i, r := range name {
		ok := unicode.IsLetter(r) || unicode.IsDigit(r)
		if i > 0 {
			ok = ok || unicode.IsMark(r) || r == '-' || r == '_' || r == '.'
		}
		if !ok {
			if i == 0 {
				return fmt.Errorf("it starts with %q; start with a letter or a digit (it names the results folder)", r)
			}
			return fmt.Errorf("%q is not allowed; use letters, digits, '-', '_' and '.' (it names the results folder)", r)
		}
	}
	for _, r := range reservedNames {
		if strings.EqualFold(name, r) {
			return fmt.Errorf("%q is used by the report for its own files; choose another name", name)
		}
	}
	return nil
}

// SuggestName returns a name close to name that CheckName accepts: other
// characters become '-', and a long name is cut.
func SuggestName(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToValidUTF8(name, "-") {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) && b.Len() > 0 || r == '_' || r == '.' {
			b.WriteRune(r)
			dash = false
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimLeft(b.String(), "_.")
	for len(s) > MaxNameBytes-10 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	s = strings.TrimRight(s, "-")
	if s == "" {
		return "experiment"
	}
	if CheckName(s) != nil {
		s += "-1"
	}
	return s
}

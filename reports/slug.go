package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// slug turns a name from a user's files into one safe path element: only
// ASCII letters, digits, '.', '_' and '-', never starting with a dot, at most
// 60 bytes. A name that had to change gets a short hash of the original
// appended, so two different names never share a slug.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range name {
		ok := r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.')
		if ok {
			if r == '.' && b.Len() > 0 && strings.HasSuffix(b.String(), ".") {
				r = '-' // no ".." anywhere
			}
			b.WriteRune(r)
			dash = r == '-'
			continue
		}
		if !dash && b.Len() > 0 {
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.Trim(b.String(), "-.")
	if len(s) > 48 {
		s = strings.Trim(s[:48], "-.")
	}
	if s == name && s != "" && len(name) <= 60 {
		return s
	}
	sum := sha256.Sum256([]byte(name))
	h := hex.EncodeToString(sum[:4])
	if s == "" {
		return "x-" + h
	}
	return s + "-" + h
}

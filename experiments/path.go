package experiments

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// A key path names one value of an experiment, as in sweeps and --set:
// "train.epochs", "model[0].conv.kernel", "train.optimizer.adam.lr".
type pathStep struct {
	key   string // a mapping key, or "" for an index
	index int    // a list index when key == ""
}

func parsePath(s string) ([]pathStep, error) {
	if s == "" {
		return nil, fmt.Errorf("empty key path")
	}
	var steps []pathStep
	i := 0
	for i < len(s) {
		switch {
		case s[i] == '[':
			j := strings.IndexByte(s[i:], ']')
			if j < 0 {
				return nil, fmt.Errorf("key path %q: [ without ]", s)
			}
			n, err := strconv.Atoi(s[i+1 : i+j])
			if err != nil || n < 0 || n > 1_000_000 {
				return nil, fmt.Errorf("key path %q: %q is not a list index (0, 1, 2, …)", s, s[i+1:i+j])
			}
			steps = append(steps, pathStep{index: n})
			i += j + 1
			if i < len(s) && s[i] == '.' {
				i++
				if i == len(s) {
					return nil, fmt.Errorf("key path %q ends with a dot", s)
				}
			} else if i < len(s) && s[i] != '[' {
				return nil, fmt.Errorf("key path %q: expected . or [ after ]", s)
			}
		default:
			j := i
			for j < len(s) && s[j] != '.' && s[j] != '[' {
				j++
			}
			if j == i {
				return nil, fmt.Errorf("key path %q has an empty key", s)
			}
			steps = append(steps, pathStep{key: s[i:j]})
			i = j
			if i < len(s) && s[i] == '.' {
				i++
				if i == len(s) {
					return nil, fmt.Errorf("key path %q ends with a dot", s)
				}
			}
		}
	}
	return steps, nil
}

func formatPath(steps []pathStep) string {
	var b strings.Builder
	for i, s := range steps {
		if s.key == "" {
			fmt.Fprintf(&b, "[%d]", s.index)
			continue
		}
		if i > 0 {
			b.WriteByte('.')
		}
		b.WriteString(s.key)
	}
	return b.String()
}

// getPath returns the value at path, or nil when there is none.
func getPath(root *node, steps []pathStep) *node {
	n := root
	for _, s := range steps {
		if n == nil {
			return nil
		}
		if s.key == "" {
			if !n.isSeq() || s.index >= len(n.content) {
				return nil
			}
			n = n.content[s.index]
			continue
		}
		n = n.get(s.key)
	}
	return n
}

// setPath puts v at path, creating missing mappings on the way. A list index
// must exist. keyPos places keys it creates. With oneKind, a path through an
// entry of a list of kinds (model[1].conv.kernel where model[1] is a
// maxpool) is refused here rather than adding a second kind to the entry,
// which decoding would blame on the entry's line.
func setPath(root *node, steps []pathStep, v *node, keyPos Pos, oneKind bool) error {
	n := root
	for i, s := range steps {
		last := i == len(steps)-1
		where := formatPath(steps[:i])
		if where == "" {
			where = "the file"
		}
		if s.key == "" {
			if !n.isSeq() {
				return fmt.Errorf("%s is %s, not a list", where, n.describe())
			}
			if s.index >= len(n.content) {
				return fmt.Errorf("%s has %d items; %s does not exist", where, len(n.content), formatPath(steps[:i+1]))
			}
			if last {
				n.content[s.index] = v
				return nil
			}
			n = n.content[s.index]
			continue
		}
		if !n.isMap() {
			if n.isScalar() && i > 0 && steps[i-1].key == "" && n.value == s.key && !n.isNull() {
				// A bare layer such as "- relu" given parameters: model[3].relu.x
				m := &node{kind: yaml.MappingNode, pos: n.pos}
				m.set(s.key, &node{kind: yaml.MappingNode, pos: n.pos}, n.pos)
				*n = *m
			} else {
				return fmt.Errorf("%s is %s, not a mapping with key %q", where, n.describe(), s.key)
			}
		}
		if oneKind && i > 0 && steps[i-1].key == "" && len(n.content) == 2 && n.get(s.key) == nil {
			// An entry of a list of kinds (a layer, an augmentation) holds
			// one kind: a path through another kind names the wrong one.
			kind := n.content[0].value
			return fmt.Errorf("%s is a %s entry, not %s: name its settings as %s.%s.…, or replace the whole entry, e.g. %s={%s: {…}}",
				where, kind, s.key, where, kind, where, s.key)
		}
		if last {
			n.set(s.key, v, keyPos)
			return nil
		}
		next := n.get(s.key)
		if next == nil || next.isNull() {
			next = &node{kind: yaml.MappingNode, pos: v.pos}
			n.set(s.key, next, keyPos)
		}
		n = next
	}
	return nil
}

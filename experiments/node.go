package experiments

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Limits that keep a hostile or mistaken file from exhausting the machine.
const (
	// MaxFileSize is the largest experiment file read.
	MaxFileSize = 1 << 20
	// maxNodes bounds the YAML nodes of one file after its aliases are
	// expanded, which defeats alias bombs ("billion laughs").
	maxNodes = 100_000
	// maxDepth bounds the nesting of YAML collections.
	maxDepth = 100
)

// node is a YAML value with the file position it came from. Experiment files
// are merged (extends:), overridden (--set) and swept on this tree, so every
// value keeps pointing at the line that set it.
type node struct {
	kind    yaml.Kind // yaml.ScalarNode, yaml.MappingNode or yaml.SequenceNode
	tag     string    // resolved tag of a scalar: !!str, !!int, !!float, !!bool, !!null
	value   string    // scalar text
	content []*node   // mapping: key, value, key, value, …; sequence: items
	pos     Pos
	use     *useSite // the use of a block this node was copied for, or nil
}

func (n *node) isMap() bool    { return n.kind == yaml.MappingNode }
func (n *node) isSeq() bool    { return n.kind == yaml.SequenceNode }
func (n *node) isScalar() bool { return n.kind == yaml.ScalarNode }
func (n *node) isNull() bool   { return n.kind == yaml.ScalarNode && n.tag == "!!null" }

// get returns the value of key in a mapping, or nil.
func (n *node) get(key string) *node {
	if n == nil || !n.isMap() {
		return nil
	}
	for i := 0; i+1 < len(n.content); i += 2 {
		if n.content[i].value == key {
			return n.content[i+1]
		}
	}
	return nil
}

// keyNode returns the key node of key in a mapping, or nil.
func (n *node) keyNode(key string) *node {
	if n == nil || !n.isMap() {
		return nil
	}
	for i := 0; i+1 < len(n.content); i += 2 {
		if n.content[i].value == key {
			return n.content[i]
		}
	}
	return nil
}

// set replaces or appends key in a mapping; keyPos places a new key.
func (n *node) set(key string, v *node, keyPos Pos) {
	for i := 0; i+1 < len(n.content); i += 2 {
		if n.content[i].value == key {
			n.content[i+1] = v
			return
		}
	}
	n.content = append(n.content, &node{kind: yaml.ScalarNode, tag: "!!str", value: key, pos: keyPos}, v)
}

// remove deletes key from a mapping.
func (n *node) remove(key string) {
	for i := 0; i+1 < len(n.content); i += 2 {
		if n.content[i].value == key {
			n.content = append(n.content[:i:i], n.content[i+2:]...)
			return
		}
	}
}

// size counts the nodes of a tree.
func (n *node) size() int {
	s := 1
	for _, c := range n.content {
		s += c.size()
	}
	return s
}

// clone returns a deep copy.
func (n *node) clone() *node {
	if n == nil {
		return nil
	}
	c := *n
	if n.content != nil {
		c.content = make([]*node, len(n.content))
		for i, x := range n.content {
			c.content[i] = x.clone()
		}
	}
	return &c
}

// describe names a node's type for error messages.
func (n *node) describe() string {
	switch {
	case n.kind == yaml.MappingNode && len(n.content) == 0:
		return "an empty mapping"
	case n.kind == yaml.MappingNode:
		return "a mapping"
	case n.kind == yaml.SequenceNode && len(n.content) == 0:
		return "an empty list"
	case n.kind == yaml.SequenceNode:
		return "a list"
	}
	switch n.tag {
	case "!!null":
		return "nothing"
	case "!!str":
		return strconv.Quote(n.value)
	}
	return n.value
}

// flow renders a node as one line of flow YAML, for sweep values in labels.
func (n *node) flow() string {
	switch n.kind {
	case yaml.ScalarNode:
		if n.tag == "!!str" && needsQuotes(n.value) {
			return strconv.Quote(n.value)
		}
		return n.value
	case yaml.SequenceNode:
		parts := make([]string, len(n.content))
		for i, c := range n.content {
			parts[i] = c.flow()
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case yaml.MappingNode:
		var parts []string
		for i := 0; i+1 < len(n.content); i += 2 {
			parts = append(parts, n.content[i].flow()+": "+n.content[i+1].flow())
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return ""
}

// needsQuotes reports whether a string would not read back as the same
// string when written plainly in flow YAML.
func needsQuotes(s string) bool {
	if s == "" || strings.ContainsAny(s, ":{}[],#&*!|>'\"%@`\n\t") || strings.TrimSpace(s) != s {
		return true
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return true
	}
	return n.Content[0].ShortTag() != "!!str"
}

// parseYAML reads one YAML document into a node tree, expanding aliases and
// merge keys (<<) within the budget of maxNodes.
func parseYAML(file string, data []byte) (*node, error) {
	if len(data) > MaxFileSize {
		return nil, ErrorList{{Pos: Pos{File: file}, Msg: fmt.Sprintf("file is %d bytes; experiment files are limited to %d bytes (1 MiB)", len(data), MaxFileSize)}}
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, ErrorList{{Pos: Pos{File: file}, Msg: "file is empty"}}
		}
		return nil, ErrorList{yamlError(file, err)}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, ErrorList{{Pos: Pos{File: file, Line: extra.Line, Col: extra.Column}, Msg: "a second YAML document (---); an experiment file holds one"}}
	} else if !errors.Is(err, io.EOF) {
		return nil, ErrorList{yamlError(file, err)}
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, ErrorList{{Pos: Pos{File: file}, Msg: "file is empty"}}
	}
	c := converter{file: file}
	n := c.convert(doc.Content[0], 0)
	if c.err != nil {
		return nil, ErrorList{*c.err}
	}
	return n, nil
}

// yamlError turns a yaml.v3 syntax error ("yaml: line 3: …") into an Error.
func yamlError(file string, err error) Error {
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "yaml: ")
	line := 0
	if strings.HasPrefix(msg, "line ") {
		rest := msg[len("line "):]
		if i := strings.Index(rest, ": "); i > 0 {
			if l, err := strconv.Atoi(rest[:i]); err == nil {
				line = l
				msg = rest[i+2:]
			}
		}
	}
	// yaml.v3 counts the line of a parser error (not of a scanner error)
	// from 0: it is the line where the unfinished construct began.
	for _, p := range parserProblems {
		if msg == p && line > 0 {
			line++
		}
	}
	if strings.Contains(msg, "did not find expected ',' or") {
		msg += ` (an unclosed { or [? inside { } a key path with [ ] must be quoted: {"model[0].conv.kernel": 5})`
	}
	e := Error{Pos: Pos{File: file, Line: line}, Msg: "YAML syntax: " + msg}
	if line > 0 {
		e.Col = 1
	}
	return e
}

// parserProblems are the messages of yaml.v3's parser (as opposed to its
// scanner) that come with a line number.
var parserProblems = []string{
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected key",
	"did not find expected '-' indicator",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
}

// converter turns yaml.Nodes into nodes.
type converter struct {
	file  string
	count int
	err   *Error
}

func (c *converter) fail(y *yaml.Node, format string, args ...any) *node {
	if c.err == nil {
		c.err = &Error{Pos: Pos{File: c.file, Line: y.Line, Col: y.Column}, Msg: fmt.Sprintf(format, args...)}
	}
	return &node{kind: yaml.ScalarNode, tag: "!!null", pos: Pos{c.file, y.Line, y.Column}}
}

func (c *converter) convert(y *yaml.Node, depth int) *node {
	if c.err != nil {
		return &node{kind: yaml.ScalarNode, tag: "!!null"}
	}
	c.count++
	if c.count > maxNodes {
		return c.fail(y, "the file expands to more than %d YAML values (aliases that multiply, a \"billion laughs\"?); refused", maxNodes)
	}
	if depth > maxDepth {
		return c.fail(y, "YAML nested more than %d levels deep; refused", maxDepth)
	}
	pos := Pos{c.file, y.Line, y.Column}
	switch y.Kind {
	case yaml.AliasNode:
		if y.Alias == nil {
			return c.fail(y, "unknown alias *%s", y.Value)
		}
		n := c.convert(y.Alias, depth+1)
		n.pos = pos
		return n
	case yaml.ScalarNode:
		return &node{kind: yaml.ScalarNode, tag: y.ShortTag(), value: y.Value, pos: pos}
	case yaml.SequenceNode:
		n := &node{kind: yaml.SequenceNode, pos: pos, content: make([]*node, 0, len(y.Content))}
		for _, item := range y.Content {
			n.content = append(n.content, c.convert(item, depth+1))
		}
		return n
	case yaml.MappingNode:
		n := &node{kind: yaml.MappingNode, pos: pos}
		var merges []*yaml.Node
		for i := 0; i+1 < len(y.Content); i += 2 {
			k, v := y.Content[i], y.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
				merges = append(merges, v)
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return c.fail(k, "a mapping key must be a plain value, not %s", kindName(k.Kind))
			}
			n.content = append(n.content, c.convert(k, depth+1), c.convert(v, depth+1))
		}
		for _, m := range merges {
			c.merge(n, m, depth+1)
		}
		return n
	}
	return c.fail(y, "unexpected YAML node")
}

// merge applies a merge key (<<: *base or <<: [*a, *b]): keys of the merged
// mappings that n does not already have are added.
func (c *converter) merge(n *node, y *yaml.Node, depth int) {
	var sources []*yaml.Node
	switch {
	case y.Kind == yaml.SequenceNode:
		sources = y.Content
	default:
		sources = []*yaml.Node{y}
	}
	for _, s := range sources {
		m := c.convert(s, depth)
		if c.err != nil {
			return
		}
		if !m.isMap() {
			c.fail(s, "a merge key (<<) needs a mapping, not %s", m.describe())
			return
		}
		for i := 0; i+1 < len(m.content); i += 2 {
			if n.get(m.content[i].value) == nil && n.keyNode(m.content[i].value) == nil {
				n.content = append(n.content, m.content[i], m.content[i+1])
			}
		}
	}
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	}
	return "a value"
}

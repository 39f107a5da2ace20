package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// residualArch is the arch.json of a small residual network: an identity
// block, a projection block and a block nested in the body of another.
var residualArch = []record.ArchLayer{
	{Name: "conv1", Kind: "conv", Family: "conv"},
	{Name: "res1", Kind: "residual", Family: "block"},
	{Name: "conv1", Kind: "conv", Family: "conv", Depth: 1, Branch: "body"},
	{Name: "bn1", Kind: "batchnorm", Family: "regularise", Depth: 1, Branch: "body"},
	{Name: "res2", Kind: "residual", Family: "block"},
	{Name: "conv1", Kind: "conv", Family: "conv", Depth: 1, Branch: "body"},
	{Name: "conv1", Kind: "conv", Family: "conv", Depth: 1, Branch: "shortcut"},
	{Name: "res3", Kind: "residual", Family: "block"},
	{Name: "res1", Kind: "residual", Family: "block", Depth: 1, Branch: "body"},
	{Name: "relu1", Kind: "relu", Family: "activation", Depth: 2, Branch: "body"},
	{Name: "relu1", Kind: "relu", Family: "activation", Depth: 1, Branch: "body"},
	{Name: "dense1", Kind: "dense", Family: "dense"},
}

// shape writes a tree as names with their branches in brackets.
func treeText(nodes []archNode) string {
	var parts []string
	for _, n := range nodes {
		s := n.Row.Name
		for _, b := range n.Branches {
			if b.Identity {
				s += " [" + b.Name + ": identity]"
				continue
			}
			s += " [" + b.Name + ": " + treeText(b.Nodes) + "]"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func archRows(layers []record.ArchLayer) []archRow {
	rows := make([]archRow, len(layers))
	for i, l := range layers {
		rows[i] = archRow{Name: l.Name, Kind: l.Kind, Class: layerClass(l), Width: 50}
	}
	return rows
}

func TestArchTree(t *testing.T) {
	tests := []struct {
		name   string
		layers []record.ArchLayer
		want   string
	}{
		{"chain", residualArch[:1], "conv1"},
		{"residual", residualArch,
			"conv1, res1 [body: conv1, bn1] [shortcut: identity], res2 [body: conv1] [shortcut: conv1], " +
				"res3 [body: res1 [body: relu1] [shortcut: identity], relu1] [shortcut: identity], dense1"},
		// A damaged record whose rows jump two levels still draws every row.
		{"damaged", []record.ArchLayer{{Name: "a", Depth: 2, Branch: "body"}, {Name: "b"}, {Name: "c", Depth: 3}},
			"a, b, c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			i := 0
			tree := archTree(tt.layers, archRows(tt.layers), &i, 0, "")
			if got := treeText(tree); got != tt.want {
				t.Errorf("tree %s, want %s", got, tt.want)
			}
			if i != len(tt.layers) {
				t.Errorf("%d of %d rows drawn", i, len(tt.layers))
			}
		})
	}
}

// TestArchDiagramDrawsSkips checks the HTML of the diagram: each block
// forks into its body and its shortcut, an identity shortcut is a line, and
// the block's box joins them.
func TestArchDiagramDrawsSkips(t *testing.T) {
	i := 0
	tree := archTree(residualArch, archRows(residualArch), &i, 0, "")
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, "archnodes", tree); err != nil {
		t.Fatal(err)
	}
	html := buf.String()
	for _, w := range []string{
		`<div class="fork"><div class="branch"><div class="branch-name">body</div>`,
		`<div class="branch-name">shortcut (identity)</div><div class="skip"></div>`,
		`<div class="branch-name">shortcut</div><div class="arrow">↓</div><div class="layer conv"`,
		`<div class="layer block" style="width: 50%">⊕ res1 · residual`,
	} {
		if !strings.Contains(html, w) {
			t.Errorf("diagram lacks %s:\n%s", w, html)
		}
	}
	if n := strings.Count(html, `class="fork"`); n != 4 {
		t.Errorf("%d forks, want 4 (one per block)", n)
	}
	if n := strings.Count(html, `class="skip"`); n != 3 {
		t.Errorf("%d identity lines, want 3", n)
	}
}

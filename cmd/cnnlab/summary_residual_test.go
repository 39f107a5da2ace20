package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSummaryResidual checks that the layers of residual blocks are listed
// indented under their block, with their output shapes.
func TestSummaryResidual(t *testing.T) {
	file := filepath.Join(t.TempDir(), "res.yaml")
	yaml := `data: {set: cifar10}
train: {batch: 8}
model:
  - conv: {filters: 8, kernel: 3, padding: same}
  - residual:
      body: [{conv: {filters: 16, kernel: 3, stride: 2, padding: same}}, batchnorm, relu]
      shortcut: [{conv: {filters: 16, kernel: 1, stride: 2}}]
  - residual: {body: [{residual: {body: [relu]}}]}
  - flatten
  - dense: {units: 10}
`
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	if code := run([]string{"summary", file}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, w := range []string{
		"\nres1 ", "3 layers, shortcut of 1 layer", "16×16×16",
		"\n  body.conv1 ", "\n  body.bn1 ", "\n  shortcut.conv1 ",
		"\nres2 ", "1 layer, identity shortcut",
		"\n  body.res1 ", "\n    body.relu1 ",
		"\nflatten1 ",
	} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("summary lacks %q:\n%s", w, out.String())
		}
	}
	// The block's parameters include its layers', counted once in the total:
	// 3·3·3·8+8, 3·3·8·16+16 + 2·16 + 8·16+16, 16·16·16·10+10.
	if total := 224 + 1168 + 32 + 144 + 40970; !strings.Contains(out.String(), "  "+thousands(int64(total))+"  ") {
		t.Errorf("summary lacks the total %d:\n%s", total, out.String())
	}
}

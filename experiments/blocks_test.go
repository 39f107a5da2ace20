package experiments

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBlockBomb checks that blocks using blocks several times each cannot
// expand without bound: b15 stands for 4^15 relu layers.
func TestBlockBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("data: {set: mnist}\nblocks:\n  b0: {layers: [relu]}\n")
	for i := 1; i <= 15; i++ {
		fmt.Fprintf(&b, "  b%d: {layers: [{block: {use: b%d}}, {block: {use: b%d}}, {block: {use: b%d}}, {block: {use: b%d}}]}\n", i, i-1, i-1, i-1, i-1)
	}
	b.WriteString("model: [{block: {use: b15}}, flatten, {dense: {units: 10}}]\n")
	file := filepath.Join(t.TempDir(), "bomb.yaml")
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_, err := Load(file, nil)
	if err == nil || !strings.Contains(err.Error(), "the blocks expand to more than 100000 YAML values") {
		t.Errorf("err = %v", err)
	} else if n := strings.Count(err.Error(), "\n"); n > 0 {
		t.Errorf("%d errors, want one:\n%v", n+1, err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}

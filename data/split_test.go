package data

import (
	"slices"
	"strings"
	"testing"
)

// labelled returns one-pixel images, sizes[c] of class c, whose pixel is
// their index modulo 251.
func labelled(sizes ...int) Images {
	var im Images
	im.H, im.W, im.C = 1, 1, 1
	for c, n := range sizes {
		for range n {
			im.Pixels = append(im.Pixels, uint8(im.N%251))
			im.Labels = append(im.Labels, uint8(c))
			im.N++
		}
	}
	return im
}

func TestApportion(t *testing.T) {
	tests := []struct {
		total   int
		weights []int
		want    []int
	}{
		{10, []int{5, 5}, []int{5, 5}},
		{3, []int{1, 1, 1, 1}, []int{1, 1, 1, 0}},
		{7, []int{10, 20, 70}, []int{1, 1, 5}},
		{5, []int{1, 0, 4}, []int{1, 0, 4}},
		{0, []int{3, 3}, []int{0, 0}},
	}
	for _, tt := range tests {
		if got := apportion(tt.total, tt.weights); !slices.Equal(got, tt.want) {
			t.Errorf("apportion(%d, %v) = %v, want %v", tt.total, tt.weights, got, tt.want)
		}
	}
}

func TestSplitStratifiedAndSeeded(t *testing.T) {
	im := labelled(600, 300, 100) // 60%, 30%, 10%
	tr, val, err := Split(im, 500, 100, 7)
	if err != nil {
		t.Fatal(err)
	}
	if tr.N != 500 || val.N != 100 {
		t.Fatalf("sizes %d and %d, want 500 and 100", tr.N, val.N)
	}
	if got := tr.ClassCounts(3); !slices.Equal(got, []int{300, 150, 50}) {
		t.Errorf("train class counts %v, want [300 150 50]", got)
	}
	if got := val.ClassCounts(3); !slices.Equal(got, []int{60, 30, 10}) {
		t.Errorf("validation class counts %v, want [60 30 10]", got)
	}
	// Disjoint and in the original order.
	idx := stratify(im.Labels, 500, 100, 7)
	all := append(append([]int(nil), idx[0]...), idx[1]...)
	slices.Sort(all)
	if len(slices.Compact(all)) != 600 {
		t.Error("train and validation share images")
	}
	if !slices.IsSorted(idx[0]) || !slices.IsSorted(idx[1]) {
		t.Error("parts are not in the original order")
	}
	// Same seed, same split; another seed, another split.
	tr2, _, _ := Split(im, 500, 100, 7)
	tr3, _, _ := Split(im, 500, 100, 8)
	if !slices.Equal(tr.Pixels, tr2.Pixels) {
		t.Error("the same seed gave different splits")
	}
	if slices.Equal(tr.Pixels, tr3.Pixels) {
		t.Error("different seeds gave the same split")
	}
}

func TestSplitUnevenSizesStayExact(t *testing.T) {
	im := labelled(7, 5, 3, 1)
	for _, sz := range [][2]int{{1, 0}, {10, 6}, {3, 2}, {15, 1}, {16, 0}} {
		tr, val, err := Split(im, sz[0], sz[1], 1)
		if err != nil {
			t.Fatal(err)
		}
		if tr.N != sz[0] || val.N != sz[1] {
			t.Errorf("Split(%v) gave %d and %d", sz, tr.N, val.N)
		}
		for c, n := range tr.ClassCounts(4) {
			if n+val.ClassCounts(4)[c] > []int{7, 5, 3, 1}[c] {
				t.Errorf("Split(%v) takes more of class %d than there is", sz, c)
			}
		}
	}
}

func TestSplitAndSubsetErrors(t *testing.T) {
	im := labelled(5, 5)
	for _, sz := range [][2]int{{0, 5}, {5, -1}, {8, 3}} {
		if _, _, err := Split(im, sz[0], sz[1], 1); err == nil {
			t.Errorf("Split(%v) of 10 images: no error", sz)
		}
	}
	if _, _, err := Split(im, 8, 3, 1); err == nil || !strings.Contains(err.Error(), "8 training + 3 validation = 11 images, but the training set has only 10") {
		t.Errorf("error %v", err)
	}
	if _, err := Subset(im, 11, 1); err == nil {
		t.Error("Subset of 11 out of 10: no error")
	}
	sub, err := Subset(im, 4, 3)
	if err != nil || sub.N != 4 || !slices.Equal(sub.ClassCounts(2), []int{2, 2}) {
		t.Errorf("Subset(4) = %d images %v, %v", sub.N, sub.ClassCounts(2), err)
	}
}

//go:build amd64 && !purego

package gemm

import (
	"testing"

	"golang.org/x/sys/cpu"
)

type transposeFunc func(src *float32, lds int, dst *float32, ldd int, rows, cols, width int)

func TestTransposeAVX512(t *testing.T) {
	if !cpu.X86.HasAVX512F {
		t.Skip("no AVX-512")
	}
	testTranspose(t, transposeAVX512, 16)
}

func TestTransposeAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2")
	}
	testTranspose(t, transposeAVX2, 8)
}

// testTranspose checks a transposer on blocks of up to size rows and of
// any number of columns, a block of size columns at a time.
func testTranspose(t *testing.T, transpose transposeFunc, size int) {
	const lds, ldd = 53, 21
	src := make([]float32, 16*lds)
	for i := range src {
		src[i] = float32(i + 1)
	}
	for rows := 1; rows <= size; rows++ {
		for cols := 1; cols <= 3*size+1; cols++ {
			for _, width := range []int{rows, 6, 8, 12, 16} {
				if width < rows || width > size {
					continue
				}
				dst := make([]float32, (3*size+2)*ldd)
				for i := range dst {
					dst[i] = -1
				}
				transpose(&src[0], lds, &dst[0], ldd, rows, cols, width)
				for c := 0; c < 3*size+2; c++ {
					for r := 0; r < ldd; r++ {
						want := float32(-1)
						switch {
						case c < cols && r < rows:
							want = src[r*lds+c]
						case c < cols && r < width:
							want = 0
						}
						if got := dst[c*ldd+r]; got != want {
							t.Fatalf("rows=%d cols=%d width=%d: dst[%d][%d] = %v, want %v", rows, cols, width, c, r, got, want)
						}
					}
				}
			}
		}
	}
}

func TestCopyRunsAVX512(t *testing.T) {
	if !cpu.X86.HasAVX512F {
		t.Skip("no AVX-512")
	}
	testCopyRuns(t, copyRunsAVX512, 32)
}

func TestCopyRunsAVX2(t *testing.T) {
	if !cpu.X86.HasAVX2 {
		t.Skip("no AVX2")
	}
	testCopyRuns(t, copyRunsAVX2, 16)
}

func testCopyRuns(t *testing.T, copyRuns copyRunsFunc, size int) {
	const lds, steps = 37, 6
	src := make([]float32, steps*lds)
	for i := range src {
		src[i] = float32(i + 1)
	}
	for width := 1; width <= size; width++ {
		for n := 1; n <= width; n++ {
			dst := make([]float32, steps*width+3)
			for i := range dst {
				dst[i] = -1
			}
			// Runs with and without prefetching.
			copyRuns(&src[0], lds, &dst[0], steps, n, width, (n+width)%(steps+1))
			for i, got := range dst {
				s, j := i/width, i%width
				want := float32(-1)
				switch {
				case s < steps && j < n:
					want = src[s*lds+j]
				case s < steps:
					want = 0
				}
				if got != want {
					t.Fatalf("n=%d width=%d: dst[%d] = %v, want %v", n, width, i, got, want)
				}
			}
		}
	}
}

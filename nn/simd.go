package nn

import "github.com/cnnlab/cnnlab/nn/gemm"

// simdLevel names a set of vector loops for the element-wise, row-wise,
// pooling, batch-norm, optimizer and direct-conv loops of this package.
// Every level gives the same bits as the portable Go loops (up to which NaN
// an operation on two NaNs gives); the levels differ only in speed.
type simdLevel uint8

const (
	// simdPortable runs the portable Go loops.
	simdPortable simdLevel = iota
	// simdAVX2 runs the AVX2 loops (amd64 with AVX2 and FMA).
	simdAVX2
	// simdAVX512 runs the AVX-512 loops (amd64 with AVX-512F).
	simdAVX512
	// simdNEON runs the NEON loops (arm64).
	simdNEON
)

// String returns the level's name, the same as the matching gemm kernel's.
func (l simdLevel) String() string {
	switch l {
	case simdPortable:
		return "portable"
	case simdAVX2:
		return "avx2"
	case simdAVX512:
		return "avx512"
	case simdNEON:
		return "neon"
	}
	return "simdLevel(?)"
}

// simd is the level of the loops in use. It follows the gemm micro-kernel,
// so that CNNLAB_GEMM_KERNEL (see package gemm) forces both: "avx2" holds
// the whole engine to AVX2, "portable" runs it on portable Go alone. Tests
// set it to each of availableLevels in turn.
var simd = levelFor(gemm.Kernel())

// levelFor returns the level that matches the gemm kernel of the given
// name: "avx512", "avx2" and "neon" their own level, anything else
// simdPortable.
func levelFor(kernel string) simdLevel {
	switch kernel {
	case "avx512":
		return simdAVX512
	case "avx2":
		return simdAVX2
	case "neon":
		return simdNEON
	}
	return simdPortable
}

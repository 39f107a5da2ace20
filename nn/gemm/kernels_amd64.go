//go:build amd64 && !purego

package gemm

import "golang.org/x/sys/cpu"

//go:generate go run gen_kernels.go

// kernelAVX512 is a 12×32 micro-kernel (24 zmm accumulators, each A value
// broadcast into a register for two FMAs). See gen_kernels.go for the
// contract.
//
//go:noescape
func kernelAVX512(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

// kernelAVX512x4 and kernelAVX512x8 compute the first 4 and 8 rows of a
// tile of kernelAVX512 from its 12-row panels of A, each row as it does.
//
//go:noescape
func kernelAVX512x4(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

//go:noescape
func kernelAVX512x8(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

// kernelAVX2 is a 6×16 micro-kernel (12 ymm accumulators, FMA3).
//
//go:noescape
func kernelAVX2(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

// kernelAVX2x2 and kernelAVX2x4 compute the first 2 and 4 rows of a tile of
// kernelAVX2 from its 6-row panels of A, each row as it does.
//
//go:noescape
func kernelAVX2x2(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

//go:noescape
func kernelAVX2x4(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

// avx2Masks supplies VMASKMOVPS masks to kernelAVX2: the 8 words starting at
// index 8-v select the first v lanes.
var avx2Masks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// Blocking. The AVX-512 kernel runs on cores with 1 MiB of L2 (Zen 5):
// its kc of 1152 spills the 144 KiB panel of B to L2, which feeds it fast
// enough, and saves loads and stores of C. The AVX2 kernel must also suit
// 32 KiB of L1 and 512 KiB of L2 (Zen 3, Haswell-class laptops): with kc =
// 256 the panel of B (16 KiB) and one of A (6 KiB) stay in L1, the 144×256
// block of A (144 KiB) in L2, and the 256×4080 block of B in L3 (as BLIS
// blocks its 6×16 kernel for Zen 3).
var (
	avx512Kernel = &kernel{
		name: "avx512", mr: 12, nr: 32, mc: 96, kc: 1152, nc: 1024, micro: kernelAVX512,
		short:     []shortKernel{{4, kernelAVX512x4}, {8, kernelAVX512x8}},
		inPlace:   true,
		transpose: transposeAVX512, transposeBlock: 16, copyRuns: copyRunsAVX512,
	}
	avx2Kernel = &kernel{
		name: "avx2", mr: 6, nr: 16, mc: 144, kc: 256, nc: 4080, micro: kernelAVX2,
		short:     []shortKernel{{2, kernelAVX2x2}, {4, kernelAVX2x4}},
		transpose: transposeAVX2, transposeBlock: 8, copyRuns: copyRunsAVX2,
	}
)

// platformKernels lists the kernels this CPU can run, best first.
func platformKernels() []*kernel {
	var ks []*kernel
	if cpu.X86.HasAVX512F {
		ks = append(ks, avx512Kernel)
	}
	if cpu.X86.HasAVX2 && cpu.X86.HasFMA {
		ks = append(ks, avx2Kernel)
	}
	return append(ks, portableKernel)
}

// transposeAVX512 transposes a rows×cols block of src (stride lds) into
// cols rows of width values at dst (stride ldd); see gen_kernels.go.
//
//go:noescape
func transposeAVX512(src *float32, lds int, dst *float32, ldd int, rows, cols, width int)

// copyRunsAVX512 copies steps runs of n values (lds apart in src) to dst as
// runs of width values, zero-padded; see gen_kernels.go. The first prefetch
// of them (at most steps) also prefetch the run 32 runs on: the runs of a
// tall operand (the im2col matrix of a weight gradient, 75 MB in the seed
// CIFAR-10 network) come from memory, and their rows are too far apart for
// the hardware prefetchers (measured on Zen 5).
//
//go:noescape
func copyRunsAVX512(src *float32, lds int, dst *float32, steps, n, width, prefetch int)

// transposeAVX2 is the 8×8 counterpart of transposeAVX512.
//
//go:noescape
func transposeAVX2(src *float32, lds int, dst *float32, ldd int, rows, cols, width int)

// copyRunsAVX2 is the counterpart of copyRunsAVX512 for runs of up to 16.
//
//go:noescape
func copyRunsAVX2(src *float32, lds int, dst *float32, steps, n, width, prefetch int)

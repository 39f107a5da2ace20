//go:build arm64 && !purego

package gemm

//go:generate go run gen_kernels.go

// kernelNEON is a 12×8 micro-kernel (24 accumulators in 128-bit V
// registers, by-element FMLA on the A values). See gen_kernels.go for the
// contract.
//
//go:noescape
func kernelNEON(k int, a, b, c *float32, ldc int, alpha, beta float32, mr, nr, ldb int)

// neonKernel blocks for a typical arm64 core (64–128 KiB L1d, 1–2 MiB L2):
// a kc×nr panel of B is 16 KiB and stays in L1, an mc×kc block of A is
// 240 KiB and stays in L2. Packing runs in Go.
var neonKernel = &kernel{name: "neon", mr: 12, nr: 8, mc: 120, kc: 512, nc: 1024, micro: kernelNEON}

// platformKernels lists the kernels this CPU can run, best first. Advanced
// SIMD is part of every arm64 CPU.
func platformKernels() []*kernel { return []*kernel{neonKernel, portableKernel} }

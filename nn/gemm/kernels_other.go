//go:build (!amd64 && !arm64) || purego

package gemm

// platformKernels lists the kernels this CPU can run, best first.
func platformKernels() []*kernel { return []*kernel{portableKernel} }

// knownKernels names every kernel of this build, available or not.
var knownKernels = []string{"avx512", "avx2", "neon", "portable"}

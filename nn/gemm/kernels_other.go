//go:build (!amd64 && !arm64) || purego

package gemm

// platformKernels lists the kernels this CPU can run, best first.
func platformKernels() []*kernel { return []*kernel{portableKernel} }

package peak

import "golang.org/x/sys/cpu"

// fmaAVX512 and fmaAVX2 run n rounds of 12 multiply-adds on zmm and ymm
// registers (peak_amd64.s).
func fmaAVX512(n int)

func fmaAVX2(n int)

// loopFor returns the multiply-add loop for kernel and its float32 lanes
// per register, or nil if this CPU lacks the instructions.
func loopFor(kernel string) (loop func(int), lanes int) {
	switch {
	case kernel == "avx512" && cpu.X86.HasAVX512F:
		return fmaAVX512, 16
	case kernel == "avx2" && cpu.X86.HasAVX2 && cpu.X86.HasFMA:
		return fmaAVX2, 8
	}
	return nil, 0
}

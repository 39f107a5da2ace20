//go:build arm64 && !purego

#include "textflag.h"

// NEON versions of the hot element-wise loops of kernels.go, optim.go,
// pool.go, smallconv.go and batchnorm.go. Each computes exactly what its
// portable Go twin computes, with the same operations in the same order and
// no fused multiply-adds, so both give the same bits (simd_test.go checks
// it). Full vectors of 4 lanes go through the V registers; the last n%4
// values of a loop go through the same operations on scalar registers, which
// round the same way (batch norm's loops leave their last channels to Go).
//
// Go's arm64 assembler lacks the floating-point vector instructions and a
// few integer ones; these macros encode them (all on 4 lanes of 32 bits).
// Operands are register numbers, sources first and destination last, as in
// Go's VADD/VSUB: VFSUB(m, n, d) is Vd = Vn − Vm.

// FADD Vd.4S, Vn.4S, Vm.4S
#define VFADD(m, n, d) WORD $(0x4e20d400 | (m)<<16 | (n)<<5 | (d))
// FSUB Vd.4S, Vn.4S, Vm.4S
#define VFSUB(m, n, d) WORD $(0x4ea0d400 | (m)<<16 | (n)<<5 | (d))
// FMUL Vd.4S, Vn.4S, Vm.4S
#define VFMUL(m, n, d) WORD $(0x6e20dc00 | (m)<<16 | (n)<<5 | (d))
// FDIV Vd.4S, Vn.4S, Vm.4S
#define VFDIV(m, n, d) WORD $(0x6e20fc00 | (m)<<16 | (n)<<5 | (d))
// FSQRT Vd.4S, Vn.4S
#define VFSQRT(n, d) WORD $(0x6ea1f800 | (n)<<5 | (d))
// FCMGT Vd.4S, Vn.4S, Vm.4S: all ones in the lanes where Vn > Vm (false for NaN)
#define VFCMGT(m, n, d) WORD $(0x6ea0e400 | (m)<<16 | (n)<<5 | (d))
// SSHR Vd.4S, Vn.4S, #31: all ones in the lanes whose sign bit is set
#define VSSHR31(n, d) WORD $(0x4f210400 | (n)<<5 | (d))
// BIC Vd.16B, Vn.16B, Vm.16B: Vd = Vn &^ Vm
#define VBIC(m, n, d) WORD $(0x4e601c00 | (m)<<16 | (n)<<5 | (d))

// The same on 2 lanes of 64 bits, and the conversions from 32 bits.

// FADD Vd.2D, Vn.2D, Vm.2D
#define VFADDD(m, n, d) WORD $(0x4e60d400 | (m)<<16 | (n)<<5 | (d))
// FSUB Vd.2D, Vn.2D, Vm.2D
#define VFSUBD(m, n, d) WORD $(0x4ee0d400 | (m)<<16 | (n)<<5 | (d))
// FMUL Vd.2D, Vn.2D, Vm.2D
#define VFMULD(m, n, d) WORD $(0x6e60dc00 | (m)<<16 | (n)<<5 | (d))
// FCVTL Vd.2D, Vn.2S: lanes 0, 1 of Vn to float64
#define VFCVTL(n, d) WORD $(0x0e617800 | (n)<<5 | (d))
// FCVTL2 Vd.2D, Vn.4S: lanes 2, 3 of Vn to float64
#define VFCVTL2(n, d) WORD $(0x4e617800 | (n)<<5 | (d))

// func reluForwardNEON(y, x *float32, n int)
//
// y = x &^ (x >> 31 arithmetic): +0 where the sign bit is set.
TEXT ·reluForwardNEON(SB), NOSPLIT, $0-24
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+16(FP), R2
relufwd_16:
	CMP  $16, R2
	BLT  relufwd_4
	VLD1.P 64(R1), [V0.S4, V1.S4, V2.S4, V3.S4]
	VSSHR31(0, 4)
	VSSHR31(1, 5)
	VSSHR31(2, 6)
	VSSHR31(3, 7)
	VBIC(4, 0, 0)
	VBIC(5, 1, 1)
	VBIC(6, 2, 2)
	VBIC(7, 3, 3)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R2
	B    relufwd_16
relufwd_4:
	CMP  $4, R2
	BLT  relufwd_1
	VLD1.P 16(R1), [V0.S4]
	VSSHR31(0, 4)
	VBIC(4, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R2
	B    relufwd_4
relufwd_1:
	CBZ  R2, relufwd_done
	MOVWU.P 4(R1), R3
	ASRW $31, R3, R4
	BICW R4, R3, R3
	MOVW.P R3, 4(R0)
	SUB  $1, R2
	B    relufwd_1
relufwd_done:
	RET

// func reluBackwardNEON(dx, dy, y *float32, n int)
//
// dx = dy &^ ((bits(y) − 1) >> 31 arithmetic): zero where y is ±0 or negative.
TEXT ·reluBackwardNEON(SB), NOSPLIT, $0-32
	MOVD dx+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD y+16(FP), R2
	MOVD n+24(FP), R3
	MOVD $1, R4
	VDUP R4, V31.S4
relubwd_16:
	CMP  $16, R3
	BLT  relubwd_4
	VLD1.P 64(R2), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R1), [V4.S4, V5.S4, V6.S4, V7.S4]
	VSUB V31.S4, V0.S4, V0.S4
	VSUB V31.S4, V1.S4, V1.S4
	VSUB V31.S4, V2.S4, V2.S4
	VSUB V31.S4, V3.S4, V3.S4
	VSSHR31(0, 0)
	VSSHR31(1, 1)
	VSSHR31(2, 2)
	VSSHR31(3, 3)
	VBIC(0, 4, 4)
	VBIC(1, 5, 5)
	VBIC(2, 6, 6)
	VBIC(3, 7, 7)
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	SUB  $16, R3
	B    relubwd_16
relubwd_4:
	CMP  $4, R3
	BLT  relubwd_1
	VLD1.P 16(R2), [V0.S4]
	VLD1.P 16(R1), [V4.S4]
	VSUB V31.S4, V0.S4, V0.S4
	VSSHR31(0, 0)
	VBIC(0, 4, 4)
	VST1.P [V4.S4], 16(R0)
	SUB  $4, R3
	B    relubwd_4
relubwd_1:
	CBZ  R3, relubwd_done
	MOVWU.P 4(R2), R4
	SUBW $1, R4
	ASRW $31, R4
	MOVWU.P 4(R1), R5
	BICW R4, R5, R5
	MOVW.P R5, 4(R0)
	SUB  $1, R3
	B    relubwd_1
relubwd_done:
	RET

// func addRowsNEON(y, b *float32, rows, n int)
TEXT ·addRowsNEON(SB), NOSPLIT, $0-32
	MOVD y+0(FP), R0
	MOVD b+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD n+24(FP), R3
addrows_row:
	CBZ  R2, addrows_done
	MOVD R1, R4 // b
	MOVD R3, R5 // columns left
addrows_16:
	CMP  $16, R5
	BLT  addrows_4
	VLD1 (R0), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R4), [V4.S4, V5.S4, V6.S4, V7.S4]
	VFADD(4, 0, 0)
	VFADD(5, 1, 1)
	VFADD(6, 2, 2)
	VFADD(7, 3, 3)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	SUB  $16, R5
	B    addrows_16
addrows_4:
	CMP  $4, R5
	BLT  addrows_1
	VLD1 (R0), [V0.S4]
	VLD1.P 16(R4), [V4.S4]
	VFADD(4, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R5
	B    addrows_4
addrows_1:
	CBZ  R5, addrows_next
	FMOVS (R0), F0
	FMOVS.P 4(R4), F4
	FADDS F4, F0, F0
	FMOVS.P F0, 4(R0)
	SUB  $1, R5
	B    addrows_1
addrows_next:
	SUB  $1, R2
	B    addrows_row
addrows_done:
	RET

// func sumRowsNEON(s, y *float32, rows, n int)
//
// For each column: the even rows summed in order, the odd rows summed in
// order, then the two sums added.
TEXT ·sumRowsNEON(SB), NOSPLIT, $0-32
	MOVD s+0(FP), R0
	MOVD y+8(FP), R1 // first row of the current columns
	MOVD rows+16(FP), R2
	MOVD n+24(FP), R3 // columns left
	LSL  $2, R3, R4   // row stride in bytes
sumrows_16:
	CMP  $16, R3
	BLT  sumrows_4
	VEOR V0.B16, V0.B16, V0.B16 // even rows: V0..V3
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16 // odd rows: V4..V7
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	MOVD R1, R5
	MOVD R2, R6
sumrows_16_pair:
	CMP  $2, R6
	BLT  sumrows_16_last
	VLD1 (R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD  R4, R5
	VLD1 (R5), [V20.S4, V21.S4, V22.S4, V23.S4]
	ADD  R4, R5
	VFADD(16, 0, 0)
	VFADD(17, 1, 1)
	VFADD(18, 2, 2)
	VFADD(19, 3, 3)
	VFADD(20, 4, 4)
	VFADD(21, 5, 5)
	VFADD(22, 6, 6)
	VFADD(23, 7, 7)
	SUB  $2, R6
	B    sumrows_16_pair
sumrows_16_last:
	CBZ  R6, sumrows_16_store
	VLD1 (R5), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFADD(16, 0, 0)
	VFADD(17, 1, 1)
	VFADD(18, 2, 2)
	VFADD(19, 3, 3)
sumrows_16_store:
	VFADD(4, 0, 0)
	VFADD(5, 1, 1)
	VFADD(6, 2, 2)
	VFADD(7, 3, 3)
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R0)
	ADD  $64, R1
	SUB  $16, R3
	B    sumrows_16
sumrows_4:
	CMP  $4, R3
	BLT  sumrows_1
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V4.B16, V4.B16, V4.B16
	MOVD R1, R5
	MOVD R2, R6
sumrows_4_pair:
	CMP  $2, R6
	BLT  sumrows_4_last
	VLD1 (R5), [V16.S4]
	ADD  R4, R5
	VLD1 (R5), [V20.S4]
	ADD  R4, R5
	VFADD(16, 0, 0)
	VFADD(20, 4, 4)
	SUB  $2, R6
	B    sumrows_4_pair
sumrows_4_last:
	CBZ  R6, sumrows_4_store
	VLD1 (R5), [V16.S4]
	VFADD(16, 0, 0)
sumrows_4_store:
	VFADD(4, 0, 0)
	VST1.P [V0.S4], 16(R0)
	ADD  $16, R1
	SUB  $4, R3
	B    sumrows_4
sumrows_1:
	CBZ  R3, sumrows_done
	FMOVS ZR, F0
	FMOVS ZR, F4
	MOVD R1, R5
	MOVD R2, R6
sumrows_1_pair:
	CMP  $2, R6
	BLT  sumrows_1_last
	FMOVS (R5), F16
	ADD  R4, R5
	FMOVS (R5), F20
	ADD  R4, R5
	FADDS F16, F0, F0
	FADDS F20, F4, F4
	SUB  $2, R6
	B    sumrows_1_pair
sumrows_1_last:
	CBZ  R6, sumrows_1_store
	FMOVS (R5), F16
	FADDS F16, F0, F0
sumrows_1_store:
	FADDS F4, F0, F0
	FMOVS.P F0, 4(R0)
	ADD  $4, R1
	SUB  $1, R3
	B    sumrows_1
sumrows_done:
	RET

// func adamNEON(w, grad, m, v *float32, n int, k *adamConsts)
TEXT ·adamNEON(SB), NOSPLIT, $0-48
	MOVD w+0(FP), R0
	MOVD grad+8(FP), R1
	MOVD m+16(FP), R2
	MOVD v+24(FP), R3
	MOVD n+32(FP), R4
	MOVD k+40(FP), R5
	VLD1R.P 4(R5), [V20.S4] // b1
	VLD1R.P 4(R5), [V21.S4] // 1−b1
	VLD1R.P 4(R5), [V22.S4] // b2
	VLD1R.P 4(R5), [V23.S4] // 1−b2
	VLD1R.P 4(R5), [V24.S4] // c1
	VLD1R.P 4(R5), [V25.S4] // c2
	VLD1R.P 4(R5), [V26.S4] // lr
	VLD1R.P 4(R5), [V27.S4] // eps
	VLD1R.P 4(R5), [V28.S4] // decay
adam_4:
	CMP  $4, R4
	BLT  adam_1
	VLD1 (R0), [V0.S4]
	VFMUL(0, 28, 1)         // decay·w
	VFSUB(1, 0, 0)          // w −= decay·w
	VLD1.P 16(R1), [V2.S4]  // g
	VLD1 (R2), [V3.S4]
	VFMUL(3, 20, 3)         // b1·m
	VFMUL(2, 21, 4)         // (1−b1)·g
	VFADD(4, 3, 3)          // m
	VST1.P [V3.S4], 16(R2)
	VLD1 (R3), [V5.S4]
	VFMUL(5, 22, 5)         // b2·v
	VFMUL(2, 23, 6)         // (1−b2)·g
	VFMUL(2, 6, 6)          // ·g
	VFADD(6, 5, 5)          // v
	VST1.P [V5.S4], 16(R3)
	VFMUL(24, 3, 3)         // m·c1
	VFMUL(25, 5, 5)         // v·c2
	VFSQRT(5, 5)
	VFADD(27, 5, 5)         // sqrt + eps
	VFMUL(3, 26, 3)         // lr·m̂
	VFDIV(5, 3, 3)
	VFSUB(3, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUB  $4, R4
	B    adam_4
adam_1:
	CBZ  R4, adam_done
	FMOVS (R0), F0
	FMULS F0, F28, F1
	FSUBS F1, F0, F0
	FMOVS.P 4(R1), F2
	FMOVS (R2), F3
	FMULS F3, F20, F3
	FMULS F2, F21, F4
	FADDS F4, F3, F3
	FMOVS.P F3, 4(R2)
	FMOVS (R3), F5
	FMULS F5, F22, F5
	FMULS F2, F23, F6
	FMULS F2, F6, F6
	FADDS F6, F5, F5
	FMOVS.P F5, 4(R3)
	FMULS F24, F3, F3
	FMULS F25, F5, F5
	FSQRTS F5, F5
	FADDS F27, F5, F5
	FMULS F3, F26, F3
	FDIVS F5, F3, F3
	FSUBS F3, F0, F0
	FMOVS.P F0, 4(R0)
	SUB  $1, R4
	B    adam_1
adam_done:
	RET

// func maxPoolNEON(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int)
//
// For count windows, the w-th starting at img index first+w·step with its
// results at best[w·c:] and arg[w·c:]. A value replaces the best so far only
// if it is greater, so the first of equal values wins.
TEXT ·maxPoolNEON(SB), NOSPLIT, $0-80
	MOVD best+0(FP), R0
	MOVD arg+8(FP), R1
	MOVD img+16(FP), R2
	MOVD first+24(FP), R3
	MOVD rows+32(FP), R4
	MOVD cols+40(FP), R5
	MOVD rowStride+48(FP), R6
	MOVD c+56(FP), R7
	MOVD count+64(FP), R8
	MOVD step+72(FP), R9
	MOVD $iota4<>(SB), R10
	VLD1 (R10), [V31.S4]
maxpool_window:
	CBZ  R8, maxpool_done
	MOVD ZR, R10 // first channel of this vector
maxpool_q:
	SUB  R10, R7, R11 // channels left
	CMP  $4, R11
	BLT  maxpool_q1
	ADD  R10, R3, R12 // index of the window's first value
	ADD  R12<<2, R2, R13
	VLD1 (R13), [V0.S4] // best
	VDUP R12, V1.S4
	VADD V31.S4, V1.S4, V1.S4 // its index
	MOVD ZR, R14 // window row
maxpool_r:
	CMP  R4, R14
	BGE  maxpool_store
	MUL  R6, R14, R17
	ADD  R12, R17 // index of (row, 0)
	MOVD ZR, R15 // window column
maxpool_k:
	CMP  R5, R15
	BGE  maxpool_nextr
	ORR  R14, R15, R16
	CBZ  R16, maxpool_nextk // (0, 0) is the start
	ADD  R17<<2, R2, R13
	VLD1 (R13), [V2.S4]
	VFCMGT(0, 2, 3) // v > best
	VBIT V3.B16, V2.B16, V0.B16
	VDUP R17, V4.S4
	VADD V31.S4, V4.S4, V4.S4
	VBIT V3.B16, V4.B16, V1.B16
maxpool_nextk:
	ADD  R7, R17
	ADD  $1, R15
	B    maxpool_k
maxpool_nextr:
	ADD  $1, R14
	B    maxpool_r
maxpool_store:
	ADD  R10<<2, R0, R13
	VST1 [V0.S4], (R13)
	ADD  R10<<2, R1, R13
	VST1 [V1.S4], (R13)
	ADD  $4, R10
	B    maxpool_q
maxpool_q1: // one channel
	CBZ  R11, maxpool_nextwindow
	ADD  R10, R3, R12
	ADD  R12<<2, R2, R13
	FMOVS (R13), F0 // best
	MOVD R12, R19   // its index
	MOVD ZR, R14
maxpool_r1:
	CMP  R4, R14
	BGE  maxpool_store1
	MUL  R6, R14, R17
	ADD  R12, R17
	MOVD ZR, R15
maxpool_k1:
	CMP  R5, R15
	BGE  maxpool_nextr1
	ORR  R14, R15, R16
	CBZ  R16, maxpool_nextk1
	ADD  R17<<2, R2, R13
	FMOVS (R13), F2
	FCMPS F0, F2
	BLE  maxpool_nextk1 // not v > best (or unordered)
	FMOVS F2, F0
	MOVD R17, R19
maxpool_nextk1:
	ADD  R7, R17
	ADD  $1, R15
	B    maxpool_k1
maxpool_nextr1:
	ADD  $1, R14
	B    maxpool_r1
maxpool_store1:
	ADD  R10<<2, R0, R13
	FMOVS F0, (R13)
	ADD  R10<<2, R1, R13
	MOVW R19, (R13)
	ADD  $1, R10
	B    maxpool_q
maxpool_nextwindow:
	ADD  R9, R3
	ADD  R7<<2, R0
	ADD  R7<<2, R1
	SUB  $1, R8
	B    maxpool_window
maxpool_done:
	RET

DATA iota4<>+0(SB)/4, $0
DATA iota4<>+4(SB)/4, $1
DATA iota4<>+8(SB)/4, $2
DATA iota4<>+12(SB)/4, $3
GLOBL iota4<>(SB), RODATA|NOPTR, $16

// func smallForwardNEON(c *float32, ldc int, a *float32, lda int, b *float32, ldb int, bias *float32, m, k, n int)
//
// For i < m and j < n: c[i·ldc+j] = bias[j], then c[i·ldc+j] +=
// a[i·lda+p]·b[p·ldb+j] for p < k in order, the product rounded before the
// add. Columns go 16, then 4, then 1 at a time.
TEXT ·smallForwardNEON(SB), NOSPLIT, $0-80
	MOVD c+0(FP), R0
	MOVD ldc+8(FP), R1
	LSL  $2, R1
	MOVD a+16(FP), R2
	MOVD lda+24(FP), R3
	LSL  $2, R3
	MOVD b+32(FP), R4
	MOVD ldb+40(FP), R5
	LSL  $2, R5
	MOVD bias+48(FP), R6
	MOVD m+56(FP), R7
	MOVD k+64(FP), R9
smallfwd_row:
	CBZ  R7, smallfwd_done
	MOVD n+72(FP), R10 // columns left
	MOVD R0, R11       // c[i, j]
	MOVD R4, R12       // b[0, j]
	MOVD R6, R13       // bias[j]
smallfwd_16:
	CMP  $16, R10
	BLT  smallfwd_4
	VLD1.P 64(R13), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R2, R14 // a[i, p]
	MOVD R12, R15 // b[p, j]
	MOVD R9, R16
smallfwd_16_p:
	CBZ  R16, smallfwd_16_store
	VLD1R.P 4(R14), [V8.S4]
	VLD1 (R15), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD  R5, R15
	VFMUL(4, 8, 4)
	VFMUL(5, 8, 5)
	VFMUL(6, 8, 6)
	VFMUL(7, 8, 7)
	VFADD(4, 0, 0)
	VFADD(5, 1, 1)
	VFADD(6, 2, 2)
	VFADD(7, 3, 3)
	SUB  $1, R16
	B    smallfwd_16_p
smallfwd_16_store:
	VST1.P [V0.S4, V1.S4, V2.S4, V3.S4], 64(R11)
	ADD  $64, R12
	SUB  $16, R10
	B    smallfwd_16
smallfwd_4:
	CMP  $4, R10
	BLT  smallfwd_1
	VLD1.P 16(R13), [V0.S4]
	MOVD R2, R14
	MOVD R12, R15
	MOVD R9, R16
smallfwd_4_p:
	CBZ  R16, smallfwd_4_store
	VLD1R.P 4(R14), [V8.S4]
	VLD1 (R15), [V4.S4]
	ADD  R5, R15
	VFMUL(4, 8, 4)
	VFADD(4, 0, 0)
	SUB  $1, R16
	B    smallfwd_4_p
smallfwd_4_store:
	VST1.P [V0.S4], 16(R11)
	ADD  $16, R12
	SUB  $4, R10
	B    smallfwd_4
smallfwd_1:
	CBZ  R10, smallfwd_next
	FMOVS.P 4(R13), F0
	MOVD R2, R14
	MOVD R12, R15
	MOVD R9, R16
smallfwd_1_p:
	CBZ  R16, smallfwd_1_store
	FMOVS.P 4(R14), F8
	FMOVS (R15), F4
	ADD  R5, R15
	FMULS F4, F8, F4
	FADDS F4, F0, F0
	SUB  $1, R16
	B    smallfwd_1_p
smallfwd_1_store:
	FMOVS.P F0, 4(R11)
	ADD  $4, R12
	SUB  $1, R10
	B    smallfwd_1
smallfwd_next:
	ADD  R1, R0
	ADD  R3, R2
	SUB  $1, R7
	B    smallfwd_row
smallfwd_done:
	RET

// func smallWeightGradNEON(acc *float32, a *float32, lda int, d *float32, ldd int, m, k, n int)
//
// For p < k and j < n: acc[p·32+j] += a[i·lda+p]·d[i·ldd+j] for i < m in
// order, the product rounded before the add, and acc[k·32+j] += d[i·ldd+j]
// (acc is k+1 rows of 32). Each group of 16, then 4, then 1 columns of
// each row of acc is held in registers while i runs over the m rows.
TEXT ·smallWeightGradNEON(SB), NOSPLIT, $0-64
	MOVD acc+0(FP), R0
	MOVD a+8(FP), R1
	MOVD lda+16(FP), R2
	LSL  $2, R2
	MOVD d+24(FP), R3
	MOVD ldd+32(FP), R4
	LSL  $2, R4
	MOVD m+40(FP), R5
	MOVD k+48(FP), R7
	MOVD n+56(FP), R6 // columns left
smallgrad_16:
	CMP  $16, R6
	BLT  smallgrad_4
	MOVD R0, R8 // acc[p, j]
	MOVD R1, R9 // a[0, p]
	MOVD ZR, R10 // p
smallgrad_16_p:
	VLD1 (R8), [V0.S4, V1.S4, V2.S4, V3.S4]
	MOVD R9, R11 // a[i, p]
	MOVD R3, R12 // d[i, j]
	MOVD R5, R13
	CMP  R7, R10
	BEQ  smallgrad_16_bias
smallgrad_16_i:
	CBZ  R13, smallgrad_16_store
	VLD1R (R11), [V8.S4]
	VLD1 (R12), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD  R2, R11
	ADD  R4, R12
	VFMUL(4, 8, 4)
	VFMUL(5, 8, 5)
	VFMUL(6, 8, 6)
	VFMUL(7, 8, 7)
	VFADD(4, 0, 0)
	VFADD(5, 1, 1)
	VFADD(6, 2, 2)
	VFADD(7, 3, 3)
	SUB  $1, R13
	B    smallgrad_16_i
smallgrad_16_bias:
	CBZ  R13, smallgrad_16_store
	VLD1 (R12), [V4.S4, V5.S4, V6.S4, V7.S4]
	ADD  R4, R12
	VFADD(4, 0, 0)
	VFADD(5, 1, 1)
	VFADD(6, 2, 2)
	VFADD(7, 3, 3)
	SUB  $1, R13
	B    smallgrad_16_bias
smallgrad_16_store:
	VST1 [V0.S4, V1.S4, V2.S4, V3.S4], (R8)
	ADD  $128, R8
	ADD  $4, R9
	ADD  $1, R10
	CMP  R7, R10
	BLE  smallgrad_16_p
	ADD  $64, R0
	ADD  $64, R3
	SUB  $16, R6
	B    smallgrad_16
smallgrad_4:
	CMP  $4, R6
	BLT  smallgrad_1
	MOVD R0, R8 // acc[p, j]
	MOVD R1, R9 // a[0, p]
	MOVD ZR, R10 // p
smallgrad_4_p:
	VLD1 (R8), [V0.S4]
	MOVD R9, R11 // a[i, p]
	MOVD R3, R12 // d[i, j]
	MOVD R5, R13
	CMP  R7, R10
	BEQ  smallgrad_4_bias
smallgrad_4_i:
	CBZ  R13, smallgrad_4_store
	VLD1R (R11), [V1.S4]
	VLD1 (R12), [V2.S4]
	ADD  R2, R11
	ADD  R4, R12
	VFMUL(2, 1, 2)
	VFADD(2, 0, 0)
	SUB  $1, R13
	B    smallgrad_4_i
smallgrad_4_bias:
	CBZ  R13, smallgrad_4_store
	VLD1 (R12), [V2.S4]
	ADD  R4, R12
	VFADD(2, 0, 0)
	SUB  $1, R13
	B    smallgrad_4_bias
smallgrad_4_store:
	VST1 [V0.S4], (R8)
	ADD  $128, R8
	ADD  $4, R9
	ADD  $1, R10
	CMP  R7, R10
	BLE  smallgrad_4_p
	ADD  $16, R0
	ADD  $16, R3
	SUB  $4, R6
	B    smallgrad_4
smallgrad_1:
	CBZ  R6, smallgrad_done
	MOVD R0, R8
	MOVD R1, R9
	MOVD ZR, R10
smallgrad_1_p:
	FMOVS (R8), F0
	MOVD R9, R11
	MOVD R3, R12
	MOVD R5, R13
	CMP  R7, R10
	BEQ  smallgrad_1_bias
smallgrad_1_i:
	CBZ  R13, smallgrad_1_store
	FMOVS (R11), F1
	FMOVS (R12), F2
	ADD  R2, R11
	ADD  R4, R12
	FMULS F1, F2, F2
	FADDS F2, F0, F0
	SUB  $1, R13
	B    smallgrad_1_i
smallgrad_1_bias:
	CBZ  R13, smallgrad_1_store
	FMOVS (R12), F2
	ADD  R4, R12
	FADDS F2, F0, F0
	SUB  $1, R13
	B    smallgrad_1_bias
smallgrad_1_store:
	FMOVS F0, (R8)
	ADD  $128, R8
	ADD  $4, R9
	ADD  $1, R10
	CMP  R7, R10
	BLE  smallgrad_1_p
	ADD  $4, R0
	ADD  $4, R3
	SUB  $1, R6
	B    smallgrad_1
smallgrad_done:
	RET

// Batch norm's loops over a block of rows of c channels. Each takes the
// first w channels (a multiple of 16), 16 at a time down all the rows,
// holding the strip's sums or parameters in registers; the Go loops take the
// channels left over.

// WIDEN converts the 16 float32 values in V16..V19 to float64 in V20..V27.
#define WIDEN VFCVTL(16, 20); VFCVTL2(16, 21); VFCVTL(17, 22); VFCVTL2(17, 23); VFCVTL(18, 24); VFCVTL2(18, 25); VFCVTL(19, 26); VFCVTL2(19, 27)

// func channelSumsNEON(acc *float64, x *float32, rows, c, w int)
//
// acc[q] += x[r·c+q] in float64, for every row r in order.
TEXT ·channelSumsNEON(SB), NOSPLIT, $0-40
	MOVD acc+0(FP), R0
	MOVD x+8(FP), R1
	MOVD rows+16(FP), R2
	MOVD c+24(FP), R3
	LSL  $2, R3, R4 // row stride in bytes
	MOVD w+32(FP), R5
bnsum_strip:
	CBZ  R5, bnsum_done
	ADD  $64, R0, R6
	VLD1 (R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1 (R6), [V4.D2, V5.D2, V6.D2, V7.D2]
	MOVD R1, R7
	MOVD R2, R8
bnsum_row:
	CBZ  R8, bnsum_store
	VLD1 (R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD  R4, R7
	WIDEN
	VFADDD(20, 0, 0)
	VFADDD(21, 1, 1)
	VFADDD(22, 2, 2)
	VFADDD(23, 3, 3)
	VFADDD(24, 4, 4)
	VFADDD(25, 5, 5)
	VFADDD(26, 6, 6)
	VFADDD(27, 7, 7)
	SUB  $1, R8
	B    bnsum_row
bnsum_store:
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R0)
	VST1 [V4.D2, V5.D2, V6.D2, V7.D2], (R6)
	ADD  $128, R0
	ADD  $64, R1
	SUB  $16, R5
	B    bnsum_strip
bnsum_done:
	RET

// func channelSquaresNEON(acc *float64, x *float32, mean *float64, rows, c, w int)
//
// acc[q] += (x[r·c+q] − mean[q])² in float64, the square rounded before the
// add, for every row r in order.
TEXT ·channelSquaresNEON(SB), NOSPLIT, $0-48
	MOVD acc+0(FP), R0
	MOVD x+8(FP), R1
	MOVD mean+16(FP), R9
	MOVD rows+24(FP), R2
	MOVD c+32(FP), R3
	LSL  $2, R3, R4
	MOVD w+40(FP), R5
bnsq_strip:
	CBZ  R5, bnsq_done
	ADD  $64, R0, R6
	VLD1 (R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1 (R6), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1.P 64(R9), [V8.D2, V9.D2, V10.D2, V11.D2]
	VLD1.P 64(R9), [V12.D2, V13.D2, V14.D2, V15.D2]
	MOVD R1, R7
	MOVD R2, R8
bnsq_row:
	CBZ  R8, bnsq_store
	VLD1 (R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD  R4, R7
	WIDEN
	VFSUBD(8, 20, 20)
	VFSUBD(9, 21, 21)
	VFSUBD(10, 22, 22)
	VFSUBD(11, 23, 23)
	VFSUBD(12, 24, 24)
	VFSUBD(13, 25, 25)
	VFSUBD(14, 26, 26)
	VFSUBD(15, 27, 27)
	VFMULD(20, 20, 20)
	VFMULD(21, 21, 21)
	VFMULD(22, 22, 22)
	VFMULD(23, 23, 23)
	VFMULD(24, 24, 24)
	VFMULD(25, 25, 25)
	VFMULD(26, 26, 26)
	VFMULD(27, 27, 27)
	VFADDD(20, 0, 0)
	VFADDD(21, 1, 1)
	VFADDD(22, 2, 2)
	VFADDD(23, 3, 3)
	VFADDD(24, 4, 4)
	VFADDD(25, 5, 5)
	VFADDD(26, 6, 6)
	VFADDD(27, 7, 7)
	SUB  $1, R8
	B    bnsq_row
bnsq_store:
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R0)
	VST1 [V4.D2, V5.D2, V6.D2, V7.D2], (R6)
	ADD  $128, R0
	ADD  $64, R1
	SUB  $16, R5
	B    bnsq_strip
bnsq_done:
	RET

// GRADSUMS adds the 4 float32 values of dy in V(dy) to sumD in V(sd),
// V(sd+1) and their products with the 4 of xhat in V(h) to sumDH in V(sh),
// V(sh+1), all in float64; clobbers V24..V27.
#define GRADSUMS(dy, h, sd, sh) VFCVTL(dy, 24); VFCVTL2(dy, 25); VFCVTL(h, 26); VFCVTL2(h, 27); VFADDD(24, sd, sd); VFADDD(25, sd+1, sd+1); VFMULD(24, 26, 26); VFMULD(25, 27, 27); VFADDD(26, sh, sh); VFADDD(27, sh+1, sh+1)

// func channelGradSumsNEON(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int)
//
// sumD[q] += dy[r·c+q] and sumDH[q] += dy[r·c+q]·xhat[r·c+q] in float64,
// the product rounded before the add, for every row r in order.
TEXT ·channelGradSumsNEON(SB), NOSPLIT, $0-56
	MOVD sumD+0(FP), R0
	MOVD sumDH+8(FP), R9
	MOVD dy+16(FP), R1
	MOVD xhat+24(FP), R10
	MOVD rows+32(FP), R2
	MOVD c+40(FP), R3
	LSL  $2, R3, R4
	MOVD w+48(FP), R5
bngrad_strip:
	CBZ  R5, bngrad_done
	ADD  $64, R0, R6
	ADD  $64, R9, R11
	VLD1 (R0), [V0.D2, V1.D2, V2.D2, V3.D2]
	VLD1 (R6), [V4.D2, V5.D2, V6.D2, V7.D2]
	VLD1 (R9), [V8.D2, V9.D2, V10.D2, V11.D2]
	VLD1 (R11), [V12.D2, V13.D2, V14.D2, V15.D2]
	MOVD R1, R7
	MOVD R10, R12
	MOVD R2, R8
bngrad_row:
	CBZ  R8, bngrad_store
	VLD1 (R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1 (R12), [V20.S4, V21.S4, V22.S4, V23.S4]
	ADD  R4, R7
	ADD  R4, R12
	GRADSUMS(16, 20, 0, 8)
	GRADSUMS(17, 21, 2, 10)
	GRADSUMS(18, 22, 4, 12)
	GRADSUMS(19, 23, 6, 14)
	SUB  $1, R8
	B    bngrad_row
bngrad_store:
	VST1 [V0.D2, V1.D2, V2.D2, V3.D2], (R0)
	VST1 [V4.D2, V5.D2, V6.D2, V7.D2], (R6)
	VST1 [V8.D2, V9.D2, V10.D2, V11.D2], (R9)
	VST1 [V12.D2, V13.D2, V14.D2, V15.D2], (R11)
	ADD  $128, R0
	ADD  $128, R9
	ADD  $64, R1
	ADD  $64, R10
	SUB  $16, R5
	B    bngrad_strip
bngrad_done:
	RET

// func normalizeNEON(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int)
//
// xhat = (x − mean)·inv and y = gamma·xhat + beta, the product rounded
// before the add.
TEXT ·normalizeNEON(SB), NOSPLIT, $0-80
	MOVD y+0(FP), R0
	MOVD xhat+8(FP), R1
	MOVD x+16(FP), R2
	MOVD mean+24(FP), R9
	MOVD inv+32(FP), R10
	MOVD gamma+40(FP), R11
	MOVD beta+48(FP), R12
	MOVD rows+56(FP), R3
	MOVD c+64(FP), R4
	LSL  $2, R4
	MOVD w+72(FP), R5
bnnorm_strip:
	CBZ  R5, bnnorm_done
	VLD1.P 64(R9), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R10), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R11), [V8.S4, V9.S4, V10.S4, V11.S4]
	VLD1.P 64(R12), [V12.S4, V13.S4, V14.S4, V15.S4]
	MOVD R0, R6
	MOVD R1, R7
	MOVD R2, R13
	MOVD R3, R8
bnnorm_row:
	CBZ  R8, bnnorm_next
	VLD1 (R13), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD  R4, R13
	VFSUB(0, 16, 16)
	VFSUB(1, 17, 17)
	VFSUB(2, 18, 18)
	VFSUB(3, 19, 19)
	VFMUL(4, 16, 16)
	VFMUL(5, 17, 17)
	VFMUL(6, 18, 18)
	VFMUL(7, 19, 19)
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R7)
	ADD  R4, R7
	VFMUL(16, 8, 20)
	VFMUL(17, 9, 21)
	VFMUL(18, 10, 22)
	VFMUL(19, 11, 23)
	VFADD(12, 20, 20)
	VFADD(13, 21, 21)
	VFADD(14, 22, 22)
	VFADD(15, 23, 23)
	VST1 [V20.S4, V21.S4, V22.S4, V23.S4], (R6)
	ADD  R4, R6
	SUB  $1, R8
	B    bnnorm_row
bnnorm_next:
	ADD  $64, R0
	ADD  $64, R1
	ADD  $64, R2
	SUB  $16, R5
	B    bnnorm_strip
bnnorm_done:
	RET

// func inputGradNEON(dx, dy, xhat, a, b, d *float32, rows, c, w int)
//
// dx = a·dy − b − xhat·d, each product rounded, subtracted left to right.
TEXT ·inputGradNEON(SB), NOSPLIT, $0-72
	MOVD dx+0(FP), R0
	MOVD dy+8(FP), R1
	MOVD xhat+16(FP), R2
	MOVD a+24(FP), R9
	MOVD b+32(FP), R10
	MOVD d+40(FP), R11
	MOVD rows+48(FP), R3
	MOVD c+56(FP), R4
	LSL  $2, R4
	MOVD w+64(FP), R5
bnin_strip:
	CBZ  R5, bnin_done
	VLD1.P 64(R9), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R10), [V4.S4, V5.S4, V6.S4, V7.S4]
	VLD1.P 64(R11), [V8.S4, V9.S4, V10.S4, V11.S4]
	MOVD R0, R6
	MOVD R1, R7
	MOVD R2, R13
	MOVD R3, R8
bnin_row:
	CBZ  R8, bnin_next
	VLD1 (R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1 (R13), [V20.S4, V21.S4, V22.S4, V23.S4]
	ADD  R4, R7
	ADD  R4, R13
	VFMUL(16, 0, 16) // a·dy
	VFMUL(17, 1, 17)
	VFMUL(18, 2, 18)
	VFMUL(19, 3, 19)
	VFSUB(4, 16, 16) // − b
	VFSUB(5, 17, 17)
	VFSUB(6, 18, 18)
	VFSUB(7, 19, 19)
	VFMUL(8, 20, 20) // xhat·d
	VFMUL(9, 21, 21)
	VFMUL(10, 22, 22)
	VFMUL(11, 23, 23)
	VFSUB(20, 16, 16)
	VFSUB(21, 17, 17)
	VFSUB(22, 18, 18)
	VFSUB(23, 19, 19)
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R6)
	ADD  R4, R6
	SUB  $1, R8
	B    bnin_row
bnin_next:
	ADD  $64, R0
	ADD  $64, R1
	ADD  $64, R2
	SUB  $16, R5
	B    bnin_strip
bnin_done:
	RET

// func scaleShiftNEON(y, x, scale, shift *float32, rows, c, w int)
//
// y = scale·x + shift, the product rounded before the add.
TEXT ·scaleShiftNEON(SB), NOSPLIT, $0-56
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD scale+16(FP), R9
	MOVD shift+24(FP), R10
	MOVD rows+32(FP), R3
	MOVD c+40(FP), R4
	LSL  $2, R4
	MOVD w+48(FP), R5
bnscale_strip:
	CBZ  R5, bnscale_done
	VLD1.P 64(R9), [V0.S4, V1.S4, V2.S4, V3.S4]
	VLD1.P 64(R10), [V4.S4, V5.S4, V6.S4, V7.S4]
	MOVD R0, R6
	MOVD R1, R7
	MOVD R3, R8
bnscale_row:
	CBZ  R8, bnscale_next
	VLD1 (R7), [V16.S4, V17.S4, V18.S4, V19.S4]
	ADD  R4, R7
	VFMUL(16, 0, 16)
	VFMUL(17, 1, 17)
	VFMUL(18, 2, 18)
	VFMUL(19, 3, 19)
	VFADD(4, 16, 16)
	VFADD(5, 17, 17)
	VFADD(6, 18, 18)
	VFADD(7, 19, 19)
	VST1 [V16.S4, V17.S4, V18.S4, V19.S4], (R6)
	ADD  R4, R6
	SUB  $1, R8
	B    bnscale_row
bnscale_next:
	ADD  $64, R0
	ADD  $64, R1
	SUB  $16, R5
	B    bnscale_strip
bnscale_done:
	RET

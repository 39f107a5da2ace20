//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 versions of the hot loops of kernels.go, optim.go, pool.go,
// smallconv.go and batchnorm.go (their AVX2 twins are in
// simd_avx2_amd64.s). Each computes exactly what its portable Go twin
// computes, with the same operations in the same order, so both give the
// same bits (simd_test.go checks it). A tail shorter than 16 lanes uses
// masked loads and stores, except where noted.

// TAILMASK sets K to the first n lanes (0 ≤ n < 16, n in CX); clobbers AX.
#define TAILMASK(K) MOVL $1, AX; SHLL CX, AX; DECL AX; KMOVW AX, K

// func reluForwardAVX512(y, x *float32, n int)
//
// y = x with the bits cleared where the sign bit is set, as reluForwardGo
// (so −0 gives +0, and a NaN stays a NaN unless its sign bit is set).
TEXT ·reluForwardAVX512(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
relufwd_loop:
	CMPQ CX, $16
	JLT relufwd_tail
	VMOVUPS (SI), Z1
	VPSRAD $31, Z1, Z2 // all ones where the sign bit is set
	VPANDND Z1, Z2, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP relufwd_loop
relufwd_tail:
	TESTQ CX, CX
	JEQ relufwd_done
	TAILMASK(K1)
	VMOVUPS.Z (SI), K1, Z1
	VPSRAD $31, Z1, Z2
	VPANDND Z1, Z2, Z1
	VMOVUPS Z1, K1, (DI)
relufwd_done:
	VZEROUPPER
	RET

// func reluBackwardAVX512(dx, dy, y *float32, n int)
//
// dx = dy where bits(y)−1 is not negative as an int32, 0 elsewhere, as
// reluBackwardGo.
TEXT ·reluBackwardAVX512(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ n+24(FP), CX
	VPTERNLOGD $0xff, Z0, Z0, Z0 // −1 in every lane
relubwd_loop:
	CMPQ CX, $16
	JLT relubwd_tail
	VPADDD (BX), Z0, Z1 // bits(y) − 1
	VPSRAD $31, Z1, Z1  // all ones where the gradient is zero
	VPANDND (SI), Z1, Z2
	VMOVUPS Z2, (DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, BX
	SUBQ $16, CX
	JMP relubwd_loop
relubwd_tail:
	TESTQ CX, CX
	JEQ relubwd_done
	TAILMASK(K1)
	VMOVUPS.Z (BX), K1, Z1
	VMOVUPS.Z (SI), K1, Z2
	VPADDD Z1, Z0, Z1
	VPSRAD $31, Z1, Z1
	VPANDND Z2, Z1, Z2
	VMOVUPS Z2, K1, (DI)
relubwd_done:
	VZEROUPPER
	RET

// func addRowsAVX512(y, b *float32, rows, n int)
TEXT ·addRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ n+24(FP), R9
	MOVQ R9, CX
	ANDQ $15, CX // tail lanes of a row
	TAILMASK(K1)
	MOVQ R9, R10
	SHRQ $4, R10 // whole vectors of a row
addrows_row:
	TESTQ R8, R8
	JEQ addrows_done
	MOVQ SI, BX
	MOVQ R10, DX
addrows_vec:
	TESTQ DX, DX
	JEQ addrows_tail
	VMOVUPS (DI), Z1
	VADDPS (BX), Z1, Z1
	VMOVUPS Z1, (DI)
	ADDQ $64, DI
	ADDQ $64, BX
	DECQ DX
	JMP addrows_vec
addrows_tail:
	TESTQ CX, CX
	JEQ addrows_next
	VMOVUPS.Z (DI), K1, Z1
	VMOVUPS.Z (BX), K1, Z2
	VADDPS Z2, Z1, Z1
	// Stored 8, 4, 2 and 1 lanes at a time rather than masked: the next
	// row's first load overlaps the 64 bytes of a masked store and would
	// wait for it to reach the cache (several times slower for short rows).
	TESTQ $8, CX
	JEQ addrows_s8
	VMOVUPS Y1, (DI)
	VEXTRACTF64X4 $1, Z1, Y1
	ADDQ $32, DI
addrows_s8:
	TESTQ $4, CX
	JEQ addrows_s4
	VMOVUPS X1, (DI)
	VEXTRACTF128 $1, Y1, X1
	ADDQ $16, DI
addrows_s4:
	TESTQ $2, CX
	JEQ addrows_s2
	VMOVSD X1, (DI)
	VPSRLDQ $8, X1, X1
	ADDQ $8, DI
addrows_s2:
	TESTQ $1, CX
	JEQ addrows_next
	VMOVSS X1, (DI)
	ADDQ $4, DI
addrows_next:
	DECQ R8
	JMP addrows_row
addrows_done:
	VZEROUPPER
	RET

// func sumRowsAVX512(s, y *float32, rows, n int)
TEXT ·sumRowsAVX512(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ n+24(FP), R12 // columns left
	MOVQ R12, R11
	SHLQ $2, R11 // row stride in bytes
sumrows_chunk:
	TESTQ R12, R12
	JLE sumrows_done
	CMPQ R12, $16
	JGE sumrows_full
	MOVQ R12, CX
	TAILMASK(K1)
	JMP sumrows_start
sumrows_full:
	MOVL $0xffff, AX
	KMOVW AX, K1
sumrows_start:
	VPXORD Z0, Z0, Z0
	VPXORD Z2, Z2, Z2 // a second accumulator for odd rows breaks the dependency chain
	MOVQ SI, DX
	MOVQ R8, R13
sumrows_pair:
	CMPQ R13, $2
	JLT sumrows_last
	VMOVUPS.Z (DX), K1, Z1
	VADDPS Z1, Z0, Z0
	ADDQ R11, DX
	VMOVUPS.Z (DX), K1, Z3
	VADDPS Z3, Z2, Z2
	ADDQ R11, DX
	SUBQ $2, R13
	JMP sumrows_pair
sumrows_last:
	TESTQ R13, R13
	JEQ sumrows_store
	VMOVUPS.Z (DX), K1, Z1
	VADDPS Z1, Z0, Z0
sumrows_store:
	VADDPS Z2, Z0, Z0
	VMOVUPS Z0, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, R12
	JMP sumrows_chunk
sumrows_done:
	VZEROUPPER
	RET

// func adamAVX512(w, grad, m, v *float32, n int, k *adamConsts)
TEXT ·adamAVX512(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), BX
	MOVQ v+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), R8
	VBROADCASTSS 0(R8), Z20  // b1
	VBROADCASTSS 4(R8), Z21  // 1−b1
	VBROADCASTSS 8(R8), Z22  // b2
	VBROADCASTSS 12(R8), Z23 // 1−b2
	VBROADCASTSS 16(R8), Z24 // c1
	VBROADCASTSS 20(R8), Z25 // c2
	VBROADCASTSS 24(R8), Z26 // lr
	VBROADCASTSS 28(R8), Z27 // eps
	VBROADCASTSS 32(R8), Z28 // decay
	MOVL $0xffff, AX
	KMOVW AX, K1
adam_loop:
	CMPQ CX, $16
	JGE adam_body
	TESTQ CX, CX
	JEQ adam_done
	TAILMASK(K1)
	XORQ CX, CX // this tail is the last pass
	JMP adam_masked
adam_body:
	SUBQ $16, CX
adam_masked:
	VMOVUPS.Z (DI), K1, Z10
	VMULPS Z10, Z28, Z11
	VSUBPS Z11, Z10, Z10     // w −= decay·w
	VMOVUPS.Z (SI), K1, Z12  // g
	VMOVUPS.Z (BX), K1, Z13
	VMULPS Z13, Z20, Z13     // b1·m
	VMULPS Z12, Z21, Z14     // (1−b1)·g
	VADDPS Z14, Z13, Z13     // m
	VMOVUPS Z13, K1, (BX)
	VMOVUPS.Z (DX), K1, Z15
	VMULPS Z15, Z22, Z15     // b2·v
	VMULPS Z12, Z23, Z16     // (1−b2)·g
	VMULPS Z12, Z16, Z16     // ·g
	VADDPS Z16, Z15, Z15     // v
	VMOVUPS Z15, K1, (DX)
	VMULPS Z24, Z13, Z13     // m·c1
	VMULPS Z25, Z15, Z15     // v·c2
	VSQRTPS Z15, Z15
	VADDPS Z27, Z15, Z15     // sqrt + eps
	VMULPS Z13, Z26, Z13     // lr·m̂
	VDIVPS Z15, Z13, Z13
	VSUBPS Z13, Z10, Z10
	VMOVUPS Z10, K1, (DI)
	ADDQ $64, DI
	ADDQ $64, SI
	ADDQ $64, BX
	ADDQ $64, DX
	JMP adam_loop
adam_done:
	VZEROUPPER
	RET

// func maxPoolAVX512(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int)
//
// For count windows, the w-th starting at img index first+w·step with its
// results at best[w·c:] and arg[w·c:].
TEXT ·maxPoolAVX512(SB), NOSPLIT, $0-80
	MOVQ best+0(FP), DI
	MOVQ arg+8(FP), SI
	MOVQ img+16(FP), BX
	MOVQ first+24(FP), R8
	MOVQ rows+32(FP), R9
	MOVQ cols+40(FP), R10
	MOVQ rowStride+48(FP), R11
	MOVQ c+56(FP), R12
	VMOVDQU32 iota<>(SB), Z31
	CMPQ R9, $2
	JNE maxpool_window
	CMPQ R10, $2
	JEQ maxpool22
maxpool_window:
	CMPQ count+64(FP), $0
	JLE maxpool_done
	XORQ R13, R13 // first channel of this vector
maxpool_q:
	CMPQ R13, R12
	JGE maxpool_nextwindow
	MOVQ R12, CX
	SUBQ R13, CX
	CMPQ CX, $16
	JLT maxpool_part
	MOVL $0xffff, AX
	KMOVW AX, K1
	JMP maxpool_init
maxpool_part:
	TAILMASK(K1)
maxpool_init:
	MOVQ R8, AX
	ADDQ R13, AX
	VMOVUPS.Z (BX)(AX*4), K1, Z0 // best: the window's first value
	VPBROADCASTD AX, Z1
	VPADDD Z31, Z1, Z1           // its index
	XORQ R14, R14                // window row
maxpool_r:
	CMPQ R14, R9
	JGE maxpool_store
	MOVQ R14, DX
	IMULQ R11, DX
	ADDQ R8, DX
	ADDQ R13, DX // index of (row, 0) for this vector
	XORQ R15, R15 // window column
maxpool_k:
	CMPQ R15, R10
	JGE maxpool_nextr
	MOVQ R14, AX
	ORQ R15, AX
	JEQ maxpool_nextk // (0, 0) is the start
	MOVQ R15, AX
	IMULQ R12, AX
	ADDQ DX, AX
	VMOVUPS.Z (BX)(AX*4), K1, Z2
	VCMPPS $14, Z0, Z2, K1, K2 // v > best
	VMOVAPS Z2, K2, Z0
	VPBROADCASTD AX, Z3
	VPADDD Z31, Z3, Z3
	VMOVDQA32 Z3, K2, Z1
maxpool_nextk:
	INCQ R15
	JMP maxpool_k
maxpool_nextr:
	INCQ R14
	JMP maxpool_r
maxpool_store:
	VMOVUPS Z0, K1, (DI)(R13*4)
	VMOVDQU32 Z1, K1, (SI)(R13*4)
	ADDQ $16, R13
	JMP maxpool_q
maxpool_nextwindow:
	ADDQ step+72(FP), R8
	LEAQ (DI)(R12*4), DI
	LEAQ (SI)(R12*4), SI
	DECQ count+64(FP)
	JMP maxpool_window
maxpool_done:
	VZEROUPPER
	RET

// 2×2 windows (the common case), unrolled: the values at (0,0), (0,1),
// (1,0) and (1,1) are compared in that order, as in the general loop.
maxpool22:
	VPBROADCASTD R12, Z28 // c: from (r,0) to (r,1)
	VPBROADCASTD R11, Z29 // rowStride: from (0,k) to (1,k)
	VPADDD Z28, Z29, Z30  // from (0,0) to (1,1)
	MOVQ count+64(FP), R15
maxpool22_window:
	TESTQ R15, R15
	JLE maxpool_done
	XORQ R13, R13 // first channel of this vector
maxpool22_q:
	CMPQ R13, R12
	JGE maxpool22_nextwindow
	MOVQ R12, CX
	SUBQ R13, CX
	CMPQ CX, $16
	JLT maxpool22_part
	MOVL $0xffff, AX
	KMOVW AX, K1
	JMP maxpool22_go
maxpool22_part:
	TAILMASK(K1)
maxpool22_go:
	MOVQ R8, AX
	ADDQ R13, AX
	LEAQ (BX)(AX*4), DX          // (0, 0)
	LEAQ (DX)(R11*4), R14        // (1, 0)
	VPBROADCASTD AX, Z4
	VPADDD Z31, Z4, Z4           // indices of (0, 0)
	VMOVUPS.Z (DX), K1, Z0       // best
	VMOVDQA32 Z4, Z1             // its indices
	VMOVUPS.Z (DX)(R12*4), K1, Z2
	VCMPPS $14, Z0, Z2, K1, K2   // v > best
	VMOVAPS Z2, K2, Z0
	VPADDD Z28, Z4, Z3
	VMOVDQA32 Z3, K2, Z1
	VMOVUPS.Z (R14), K1, Z2
	VCMPPS $14, Z0, Z2, K1, K2
	VMOVAPS Z2, K2, Z0
	VPADDD Z29, Z4, Z3
	VMOVDQA32 Z3, K2, Z1
	VMOVUPS.Z (R14)(R12*4), K1, Z2
	VCMPPS $14, Z0, Z2, K1, K2
	VMOVAPS Z2, K2, Z0
	VPADDD Z30, Z4, Z3
	VMOVDQA32 Z3, K2, Z1
	VMOVUPS Z0, K1, (DI)(R13*4)
	VMOVDQU32 Z1, K1, (SI)(R13*4)
	ADDQ $16, R13
	JMP maxpool22_q
maxpool22_nextwindow:
	ADDQ step+72(FP), R8
	LEAQ (DI)(R12*4), DI
	LEAQ (SI)(R12*4), SI
	DECQ R15
	JMP maxpool22_window

// func maxUnpoolAVX512(dx, dy *float32, arg *int32, first, rowStride, c, count, step int)
//
// For count 2×2 windows, the w-th starting at dx index first+w·step (rows
// rowStride apart, columns c apart), with gradients dy[w·c:] and winners
// arg[w·c:]: each of the window's four positions gets 0+dy where it is the
// winner and +0 elsewhere, what maxPool.backwardExamples adds up into a
// cleared dx when windows do not overlap.
TEXT ·maxUnpoolAVX512(SB), NOSPLIT, $0-64
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ arg+16(FP), BX
	MOVQ first+24(FP), R8
	MOVQ rowStride+32(FP), R11
	MOVQ c+40(FP), R12
	MOVQ count+48(FP), R15
	VMOVDQU32 iota<>(SB), Z31
	VPBROADCASTD R12, Z28 // c: from (r,0) to (r,1)
	VPBROADCASTD R11, Z29 // rowStride: from (0,k) to (1,k)
	VPADDD Z28, Z29, Z30  // from (0,0) to (1,1)
	VPXORD Z27, Z27, Z27
unpool_window:
	TESTQ R15, R15
	JLE unpool_done
	XORQ R13, R13 // first channel of this vector
unpool_q:
	CMPQ R13, R12
	JGE unpool_nextwindow
	MOVQ R12, CX
	SUBQ R13, CX
	CMPQ CX, $16
	JLT unpool_part
	MOVL $0xffff, AX
	KMOVW AX, K1
	JMP unpool_go
unpool_part:
	TAILMASK(K1)
unpool_go:
	MOVQ R8, AX
	ADDQ R13, AX
	LEAQ (DI)(AX*4), DX          // (0, 0)
	LEAQ (DX)(R11*4), R14        // (1, 0)
	VPBROADCASTD AX, Z4
	VPADDD Z31, Z4, Z4           // indices of (0, 0)
	VMOVUPS.Z (SI)(R13*4), K1, Z0
	VADDPS Z0, Z27, Z0           // 0 + dy, as the sum into a cleared dx
	VMOVDQU32.Z (BX)(R13*4), K1, Z1
	VPCMPEQD Z4, Z1, K1, K2
	VMOVAPS.Z Z0, K2, Z2
	VMOVUPS Z2, K1, (DX)
	VPADDD Z28, Z4, Z3
	VPCMPEQD Z3, Z1, K1, K2
	VMOVAPS.Z Z0, K2, Z2
	VMOVUPS Z2, K1, (DX)(R12*4)
	VPADDD Z29, Z4, Z3
	VPCMPEQD Z3, Z1, K1, K2
	VMOVAPS.Z Z0, K2, Z2
	VMOVUPS Z2, K1, (R14)
	VPADDD Z30, Z4, Z3
	VPCMPEQD Z3, Z1, K1, K2
	VMOVAPS.Z Z0, K2, Z2
	VMOVUPS Z2, K1, (R14)(R12*4)
	ADDQ $16, R13
	JMP unpool_q
unpool_nextwindow:
	ADDQ step+56(FP), R8
	LEAQ (SI)(R12*4), SI
	LEAQ (BX)(R12*4), BX
	DECQ R15
	JMP unpool_window
unpool_done:
	VZEROUPPER
	RET

DATA iota<>+0(SB)/4, $0
DATA iota<>+4(SB)/4, $1
DATA iota<>+8(SB)/4, $2
DATA iota<>+12(SB)/4, $3
DATA iota<>+16(SB)/4, $4
DATA iota<>+20(SB)/4, $5
DATA iota<>+24(SB)/4, $6
DATA iota<>+28(SB)/4, $7
DATA iota<>+32(SB)/4, $8
DATA iota<>+36(SB)/4, $9
DATA iota<>+40(SB)/4, $10
DATA iota<>+44(SB)/4, $11
DATA iota<>+48(SB)/4, $12
DATA iota<>+52(SB)/4, $13
DATA iota<>+56(SB)/4, $14
DATA iota<>+60(SB)/4, $15
GLOBL iota<>(SB), RODATA|NOPTR, $64

// func smallForwardAVX512(c *float32, ldc int, a *float32, lda int, off *int, b *float32, ldb int, bias *float32, m, k int, mask0, mask1 int)
//
// For i < m and the lanes of mask0 (columns 0..15) and mask1 (16..31):
// c[i·ldc+j] = bias[j], then c[i·ldc+j] += a[i·lda+off[p]]·b[p·ldb+j] for p < k in order.
// Four rows at a time, so that eight chains of dependent adds overlap.
TEXT ·smallForwardAVX512(SB), NOSPLIT, $0-96
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), R9
	SHLQ $2, R9
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R10
	SHLQ $2, R10
	MOVQ bias+56(FP), AX
	MOVQ m+64(FP), R11
	MOVQ k+72(FP), R12
	MOVQ mask0+80(FP), CX
	KMOVW CX, K1
	MOVQ mask1+88(FP), CX
	KMOVW CX, K2
	VMOVUPS.Z (AX), K1, Z28
	VMOVUPS.Z 64(AX), K2, Z29
	LEAQ (R9)(R9*2), R15 // 3·lda
smallfwd_quad:
	CMPQ R11, $4
	JLT smallfwd_row
	VMOVAPS Z28, Z0
	VMOVAPS Z29, Z1
	VMOVAPS Z28, Z2
	VMOVAPS Z29, Z3
	VMOVAPS Z28, Z4
	VMOVAPS Z29, Z5
	VMOVAPS Z28, Z6
	VMOVAPS Z29, Z7
	MOVQ off+32(FP), AX // off[p]
	MOVQ BX, R13 // b[p, 0]
	MOVQ R12, R14
smallfwd_quad_p:
	TESTQ R14, R14
	JEQ smallfwd_quad_store
	MOVQ (AX), DX
	LEAQ (SI)(DX*4), DX // a[i, p]
	VMOVUPS.Z (R13), K1, Z8
	VMOVUPS.Z 64(R13), K2, Z9
	VBROADCASTSS (DX), Z10
	VBROADCASTSS (DX)(R9*1), Z11
	VBROADCASTSS (DX)(R9*2), Z12
	VBROADCASTSS (DX)(R15*1), Z13
	VMULPS Z8, Z10, Z14
	VADDPS Z14, Z0, Z0
	VMULPS Z9, Z10, Z15
	VADDPS Z15, Z1, Z1
	VMULPS Z8, Z11, Z16
	VADDPS Z16, Z2, Z2
	VMULPS Z9, Z11, Z17
	VADDPS Z17, Z3, Z3
	VMULPS Z8, Z12, Z18
	VADDPS Z18, Z4, Z4
	VMULPS Z9, Z12, Z19
	VADDPS Z19, Z5, Z5
	VMULPS Z8, Z13, Z20
	VADDPS Z20, Z6, Z6
	VMULPS Z9, Z13, Z21
	VADDPS Z21, Z7, Z7
	ADDQ $8, AX
	ADDQ R10, R13
	DECQ R14
	JMP smallfwd_quad_p
smallfwd_quad_store:
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	ADDQ R8, DI
	VMOVUPS Z2, K1, (DI)
	VMOVUPS Z3, K2, 64(DI)
	ADDQ R8, DI
	VMOVUPS Z4, K1, (DI)
	VMOVUPS Z5, K2, 64(DI)
	ADDQ R8, DI
	VMOVUPS Z6, K1, (DI)
	VMOVUPS Z7, K2, 64(DI)
	ADDQ R8, DI
	LEAQ (SI)(R9*4), SI
	SUBQ $4, R11
	JMP smallfwd_quad
smallfwd_row:
	TESTQ R11, R11
	JEQ smallfwd_done
	VMOVAPS Z28, Z0
	VMOVAPS Z29, Z1
	MOVQ off+32(FP), AX // off[p]
	MOVQ BX, R13 // b[p, 0]
	MOVQ R12, R14
smallfwd_p:
	TESTQ R14, R14
	JEQ smallfwd_store
	MOVQ (AX), DX
	LEAQ (SI)(DX*4), DX // a[i, p]
	VBROADCASTSS (DX), Z2
	VMULPS.Z (R13), Z2, K1, Z3
	VADDPS Z3, Z0, Z0
	VMULPS.Z 64(R13), Z2, K2, Z4
	VADDPS Z4, Z1, Z1
	ADDQ $8, AX
	ADDQ R10, R13
	DECQ R14
	JMP smallfwd_p
smallfwd_store:
	VMOVUPS Z0, K1, (DI)
	VMOVUPS Z1, K2, 64(DI)
	ADDQ R8, DI
	ADDQ R9, SI
	DECQ R11
	JMP smallfwd_row
smallfwd_done:
	VZEROUPPER
	RET


// func smallWeightGradAVX512(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k int, mask0, mask1 int)
//
// For p < k and the lanes of mask0 and mask1:
// acc[p·32+j] += a[i·lda+off[p]]·d[i·ldd+j] for i < m in order, and
// acc[k·32+j] += d[i·ldd+j] (acc is k+1 rows of 32).
TEXT ·smallWeightGradAVX512(SB), NOSPLIT, $0-80
	MOVQ acc+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	MOVQ d+32(FP), BX
	MOVQ ldd+40(FP), R10
	SHLQ $2, R10
	MOVQ m+48(FP), R11
	MOVQ k+56(FP), R12
	MOVQ mask0+64(FP), CX
	KMOVW CX, K1
	MOVQ mask1+72(FP), CX
	KMOVW CX, K2
smallgrad_quad:
	CMPQ R11, $4
	JLT smallgrad_single
	// four rows of d, in order
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	ADDQ R10, BX
	VMOVUPS.Z (BX), K1, Z2
	VMOVUPS.Z 64(BX), K2, Z3
	ADDQ R10, BX
	VMOVUPS.Z (BX), K1, Z4
	VMOVUPS.Z 64(BX), K2, Z5
	ADDQ R10, BX
	VMOVUPS.Z (BX), K1, Z6
	VMOVUPS.Z 64(BX), K2, Z7
	ADDQ R10, BX
	MOVQ off+24(FP), AX // off[p]
	MOVQ DI, R13     // acc[p]
	MOVQ R12, R14
smallgrad_quad_p:
	TESTQ R14, R14
	JEQ smallgrad_quad_next
	MOVQ (AX), CX
	LEAQ (SI)(CX*4), DX  // a[i, p]
	LEAQ (DX)(R9*2), R15 // a[i+2, p]
	VMOVUPS (R13), Z16
	VMOVUPS 64(R13), Z17
	VBROADCASTSS (DX), Z8
	VBROADCASTSS (DX)(R9*1), Z9
	VBROADCASTSS (R15), Z10
	VBROADCASTSS (R15)(R9*1), Z11
	VMULPS Z0, Z8, Z12
	VADDPS Z12, Z16, Z16
	VMULPS Z1, Z8, Z13
	VADDPS Z13, Z17, Z17
	VMULPS Z2, Z9, Z12
	VADDPS Z12, Z16, Z16
	VMULPS Z3, Z9, Z13
	VADDPS Z13, Z17, Z17
	VMULPS Z4, Z10, Z12
	VADDPS Z12, Z16, Z16
	VMULPS Z5, Z10, Z13
	VADDPS Z13, Z17, Z17
	VMULPS Z6, Z11, Z12
	VADDPS Z12, Z16, Z16
	VMULPS Z7, Z11, Z13
	VADDPS Z13, Z17, Z17
	VMOVUPS Z16, (R13)
	VMOVUPS Z17, 64(R13)
	ADDQ $8, AX
	ADDQ $128, R13
	DECQ R14
	JMP smallgrad_quad_p
smallgrad_quad_next:
	VMOVUPS (R13), Z16 // the sums of d, for the bias
	VMOVUPS 64(R13), Z17
	VADDPS Z0, Z16, Z16
	VADDPS Z1, Z17, Z17
	VADDPS Z2, Z16, Z16
	VADDPS Z3, Z17, Z17
	VADDPS Z4, Z16, Z16
	VADDPS Z5, Z17, Z17
	VADDPS Z6, Z16, Z16
	VADDPS Z7, Z17, Z17
	VMOVUPS Z16, (R13)
	VMOVUPS Z17, 64(R13)
	LEAQ (SI)(R9*4), SI
	SUBQ $4, R11
	JMP smallgrad_quad
smallgrad_single:
	TESTQ R11, R11
	JEQ smallgrad_done
	VMOVUPS.Z (BX), K1, Z0
	VMOVUPS.Z 64(BX), K2, Z1
	ADDQ R10, BX
	MOVQ off+24(FP), AX
	MOVQ DI, R13
	MOVQ R12, R14
smallgrad_single_p:
	TESTQ R14, R14
	JEQ smallgrad_single_next
	MOVQ (AX), CX
	LEAQ (SI)(CX*4), DX
	VMOVUPS (R13), Z16
	VMOVUPS 64(R13), Z17
	VBROADCASTSS (DX), Z8
	VMULPS Z0, Z8, Z12
	VADDPS Z12, Z16, Z16
	VMULPS Z1, Z8, Z13
	VADDPS Z13, Z17, Z17
	VMOVUPS Z16, (R13)
	VMOVUPS Z17, 64(R13)
	ADDQ $8, AX
	ADDQ $128, R13
	DECQ R14
	JMP smallgrad_single_p
smallgrad_single_next:
	VMOVUPS (R13), Z16
	VMOVUPS 64(R13), Z17
	VADDPS Z0, Z16, Z16
	VADDPS Z1, Z17, Z17
	VMOVUPS Z16, (R13)
	VMOVUPS Z17, 64(R13)
	ADDQ R9, SI
	DECQ R11
	JMP smallgrad_single
smallgrad_done:
	VZEROUPPER
	RET

// func smallWeightGradRegsAVX512(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k int, mask0, mask1 int)
//
// smallWeightGradAVX512 for k ≤ 10, with the k+1 rows of acc held in
// registers while i runs over the m rows (rows p in Z2p and Z2p+1, the sums
// of d in Z20 and Z21) instead of loaded and stored for each group of rows:
// the same adds in the same order, without a round trip through memory
// between one row's add and the next's.
TEXT ·smallWeightGradRegsAVX512(SB), NOSPLIT, $0-80
	MOVQ acc+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	MOVQ off+24(FP), AX
	MOVQ d+32(FP), BX
	MOVQ ldd+40(FP), R10
	SHLQ $2, R10
	MOVQ m+48(FP), R11
	MOVQ k+56(FP), R12
	MOVQ mask0+64(FP), CX
	KMOVW CX, K1
	MOVQ mask1+72(FP), CX
	KMOVW CX, K2
	MOVQ R12, R13
	SHLQ $7, R13
	ADDQ DI, R13 // acc[k]: the sums of d
	VMOVUPS (R13), Z20
	VMOVUPS 64(R13), Z21
	VMOVUPS 0(DI), Z0
	VMOVUPS 64(DI), Z1
	CMPQ R12, $1
	JEQ wgregs_row
	VMOVUPS 128(DI), Z2
	VMOVUPS 192(DI), Z3
	CMPQ R12, $2
	JEQ wgregs_row
	VMOVUPS 256(DI), Z4
	VMOVUPS 320(DI), Z5
	CMPQ R12, $3
	JEQ wgregs_row
	VMOVUPS 384(DI), Z6
	VMOVUPS 448(DI), Z7
	CMPQ R12, $4
	JEQ wgregs_row
	VMOVUPS 512(DI), Z8
	VMOVUPS 576(DI), Z9
	CMPQ R12, $5
	JEQ wgregs_row
	VMOVUPS 640(DI), Z10
	VMOVUPS 704(DI), Z11
	CMPQ R12, $6
	JEQ wgregs_row
	VMOVUPS 768(DI), Z12
	VMOVUPS 832(DI), Z13
	CMPQ R12, $7
	JEQ wgregs_row
	VMOVUPS 896(DI), Z14
	VMOVUPS 960(DI), Z15
	CMPQ R12, $8
	JEQ wgregs_row
	VMOVUPS 1024(DI), Z16
	VMOVUPS 1088(DI), Z17
	CMPQ R12, $9
	JEQ wgregs_row
	VMOVUPS 1152(DI), Z18
	VMOVUPS 1216(DI), Z19
wgregs_row:
	TESTQ R11, R11
	JEQ wgregs_store
	VMOVUPS.Z (BX), K1, Z22
	VMOVUPS.Z 64(BX), K2, Z23
	MOVQ 0(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z0, Z0
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z1, Z1
	CMPQ R12, $1
	JEQ wgregs_sums
	MOVQ 8(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z2, Z2
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z3, Z3
	CMPQ R12, $2
	JEQ wgregs_sums
	MOVQ 16(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z4, Z4
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z5, Z5
	CMPQ R12, $3
	JEQ wgregs_sums
	MOVQ 24(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z6, Z6
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z7, Z7
	CMPQ R12, $4
	JEQ wgregs_sums
	MOVQ 32(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z8, Z8
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z9, Z9
	CMPQ R12, $5
	JEQ wgregs_sums
	MOVQ 40(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z10, Z10
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z11, Z11
	CMPQ R12, $6
	JEQ wgregs_sums
	MOVQ 48(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z12, Z12
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z13, Z13
	CMPQ R12, $7
	JEQ wgregs_sums
	MOVQ 56(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z14, Z14
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z15, Z15
	CMPQ R12, $8
	JEQ wgregs_sums
	MOVQ 64(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z16, Z16
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z17, Z17
	CMPQ R12, $9
	JEQ wgregs_sums
	MOVQ 72(AX), CX
	VBROADCASTSS (SI)(CX*4), Z24
	VMULPS Z22, Z24, Z25
	VADDPS Z25, Z18, Z18
	VMULPS Z23, Z24, Z26
	VADDPS Z26, Z19, Z19
wgregs_sums:
	VADDPS Z22, Z20, Z20
	VADDPS Z23, Z21, Z21
	ADDQ R9, SI
	ADDQ R10, BX
	DECQ R11
	JMP wgregs_row
wgregs_store:
	VMOVUPS Z20, (R13)
	VMOVUPS Z21, 64(R13)
	VMOVUPS Z0, 0(DI)
	VMOVUPS Z1, 64(DI)
	CMPQ R12, $1
	JEQ wgregs_done
	VMOVUPS Z2, 128(DI)
	VMOVUPS Z3, 192(DI)
	CMPQ R12, $2
	JEQ wgregs_done
	VMOVUPS Z4, 256(DI)
	VMOVUPS Z5, 320(DI)
	CMPQ R12, $3
	JEQ wgregs_done
	VMOVUPS Z6, 384(DI)
	VMOVUPS Z7, 448(DI)
	CMPQ R12, $4
	JEQ wgregs_done
	VMOVUPS Z8, 512(DI)
	VMOVUPS Z9, 576(DI)
	CMPQ R12, $5
	JEQ wgregs_done
	VMOVUPS Z10, 640(DI)
	VMOVUPS Z11, 704(DI)
	CMPQ R12, $6
	JEQ wgregs_done
	VMOVUPS Z12, 768(DI)
	VMOVUPS Z13, 832(DI)
	CMPQ R12, $7
	JEQ wgregs_done
	VMOVUPS Z14, 896(DI)
	VMOVUPS Z15, 960(DI)
	CMPQ R12, $8
	JEQ wgregs_done
	VMOVUPS Z16, 1024(DI)
	VMOVUPS Z17, 1088(DI)
	CMPQ R12, $9
	JEQ wgregs_done
	VMOVUPS Z18, 1152(DI)
	VMOVUPS Z19, 1216(DI)
wgregs_done:
	VZEROUPPER
	RET

// The per-channel loops of batch norm (batchnorm.go). They take the first w
// channels, a multiple of a strip of 32, a strip at a time down all the rows;
// the Go loops take the channels left over, so there are no tails here.

// func channelSumsAVX512(acc *float64, x *float32, rows, c, w int)
//
// For the first w channels (a multiple of 32), 32 at a time: acc[q] +=
// x[r·c+q] in float64, for every row r in order.
TEXT ·channelSumsAVX512(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ c+24(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+32(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn512sum_strip:
	CMPQ R11, R10
	JGE bn512sum_done
	VMOVUPD (DI)(R11*2), Z0
	VMOVUPD 64(DI)(R11*2), Z1
	VMOVUPD 128(DI)(R11*2), Z2
	VMOVUPD 192(DI)(R11*2), Z3
	LEAQ (SI)(R11*1), DX
	MOVQ R8, CX
bn512sum_row:
	TESTQ CX, CX
	JEQ bn512sum_store
	VCVTPS2PD (DX), Z4
	VCVTPS2PD 32(DX), Z5
	VCVTPS2PD 64(DX), Z6
	VCVTPS2PD 96(DX), Z7
	VADDPD Z4, Z0, Z0
	VADDPD Z5, Z1, Z1
	VADDPD Z6, Z2, Z2
	VADDPD Z7, Z3, Z3
	ADDQ R9, DX
	DECQ CX
	JMP bn512sum_row
bn512sum_store:
	VMOVUPD Z0, (DI)(R11*2)
	VMOVUPD Z1, 64(DI)(R11*2)
	VMOVUPD Z2, 128(DI)(R11*2)
	VMOVUPD Z3, 192(DI)(R11*2)
	ADDQ $128, R11
	JMP bn512sum_strip
bn512sum_done:
	VZEROUPPER
	RET

// func channelSquaresAVX512(acc *float64, x *float32, mean *float64, rows, c, w int)
//
// For the first w channels (a multiple of 32), 32 at a time: d = x[r·c+q] −
// mean[q] and acc[q] += d·d in float64, for every row r in order.
TEXT ·channelSquaresAVX512(SB), NOSPLIT, $0-48
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), BX
	MOVQ rows+24(FP), R8
	MOVQ c+32(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+40(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn512sq_strip:
	CMPQ R11, R10
	JGE bn512sq_done
	VMOVUPD (DI)(R11*2), Z0
	VMOVUPD 64(DI)(R11*2), Z1
	VMOVUPD 128(DI)(R11*2), Z2
	VMOVUPD 192(DI)(R11*2), Z3
	VMOVUPD (BX)(R11*2), Z4
	VMOVUPD 64(BX)(R11*2), Z5
	VMOVUPD 128(BX)(R11*2), Z6
	VMOVUPD 192(BX)(R11*2), Z7
	LEAQ (SI)(R11*1), DX
	MOVQ R8, CX
bn512sq_row:
	TESTQ CX, CX
	JEQ bn512sq_store
	VCVTPS2PD (DX), Z8
	VCVTPS2PD 32(DX), Z9
	VCVTPS2PD 64(DX), Z10
	VCVTPS2PD 96(DX), Z11
	VSUBPD Z4, Z8, Z8
	VSUBPD Z5, Z9, Z9
	VSUBPD Z6, Z10, Z10
	VSUBPD Z7, Z11, Z11
	VMULPD Z8, Z8, Z8
	VMULPD Z9, Z9, Z9
	VMULPD Z10, Z10, Z10
	VMULPD Z11, Z11, Z11
	VADDPD Z8, Z0, Z0
	VADDPD Z9, Z1, Z1
	VADDPD Z10, Z2, Z2
	VADDPD Z11, Z3, Z3
	ADDQ R9, DX
	DECQ CX
	JMP bn512sq_row
bn512sq_store:
	VMOVUPD Z0, (DI)(R11*2)
	VMOVUPD Z1, 64(DI)(R11*2)
	VMOVUPD Z2, 128(DI)(R11*2)
	VMOVUPD Z3, 192(DI)(R11*2)
	ADDQ $128, R11
	JMP bn512sq_strip
bn512sq_done:
	VZEROUPPER
	RET

// func channelGradSumsAVX512(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int)
//
// For the first w channels (a multiple of 32), 32 at a time: sumD[q] +=
// dy[r·c+q] and sumDH[q] += dy[r·c+q]·xhat[r·c+q] in float64, for every row r
// in order.
TEXT ·channelGradSumsAVX512(SB), NOSPLIT, $0-56
	MOVQ sumD+0(FP), DI
	MOVQ sumDH+8(FP), BX
	MOVQ dy+16(FP), SI
	MOVQ xhat+24(FP), R12
	MOVQ rows+32(FP), R8
	MOVQ c+40(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+48(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn512gs_strip:
	CMPQ R11, R10
	JGE bn512gs_done
	VMOVUPD (DI)(R11*2), Z0
	VMOVUPD 64(DI)(R11*2), Z1
	VMOVUPD 128(DI)(R11*2), Z2
	VMOVUPD 192(DI)(R11*2), Z3
	VMOVUPD (BX)(R11*2), Z4
	VMOVUPD 64(BX)(R11*2), Z5
	VMOVUPD 128(BX)(R11*2), Z6
	VMOVUPD 192(BX)(R11*2), Z7
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn512gs_row:
	TESTQ CX, CX
	JEQ bn512gs_store
	VCVTPS2PD (SI)(AX*1), Z8
	VCVTPS2PD 32(SI)(AX*1), Z9
	VCVTPS2PD 64(SI)(AX*1), Z10
	VCVTPS2PD 96(SI)(AX*1), Z11
	VCVTPS2PD (R12)(AX*1), Z12
	VCVTPS2PD 32(R12)(AX*1), Z13
	VCVTPS2PD 64(R12)(AX*1), Z14
	VCVTPS2PD 96(R12)(AX*1), Z15
	VADDPD Z8, Z0, Z0
	VADDPD Z9, Z1, Z1
	VADDPD Z10, Z2, Z2
	VADDPD Z11, Z3, Z3
	VMULPD Z12, Z8, Z12
	VMULPD Z13, Z9, Z13
	VMULPD Z14, Z10, Z14
	VMULPD Z15, Z11, Z15
	VADDPD Z12, Z4, Z4
	VADDPD Z13, Z5, Z5
	VADDPD Z14, Z6, Z6
	VADDPD Z15, Z7, Z7
	ADDQ R9, AX
	DECQ CX
	JMP bn512gs_row
bn512gs_store:
	VMOVUPD Z0, (DI)(R11*2)
	VMOVUPD Z1, 64(DI)(R11*2)
	VMOVUPD Z2, 128(DI)(R11*2)
	VMOVUPD Z3, 192(DI)(R11*2)
	VMOVUPD Z4, (BX)(R11*2)
	VMOVUPD Z5, 64(BX)(R11*2)
	VMOVUPD Z6, 128(BX)(R11*2)
	VMOVUPD Z7, 192(BX)(R11*2)
	ADDQ $128, R11
	JMP bn512gs_strip
bn512gs_done:
	VZEROUPPER
	RET

// func normalizeAVX512(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int)
//
// For the first w channels (a multiple of 32), 32 at a time, and every
// row r: h = (x[r·c+q] − mean[q])·inv[q], xhat[r·c+q] = h and
// y[r·c+q] = gamma[q]·h + beta[q].
TEXT ·normalizeAVX512(SB), NOSPLIT, $0-80
	MOVQ y+0(FP), DI
	MOVQ xhat+8(FP), SI
	MOVQ x+16(FP), BX
	MOVQ mean+24(FP), R12
	MOVQ inv+32(FP), R13
	MOVQ gamma+40(FP), R14
	MOVQ beta+48(FP), R15
	MOVQ rows+56(FP), R8
	MOVQ c+64(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+72(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn512nm_strip:
	CMPQ R11, R10
	JGE bn512nm_done
	VMOVUPS (R12)(R11*1), Z0 // mean
	VMOVUPS (R13)(R11*1), Z2 // inv
	VMOVUPS (R14)(R11*1), Z4 // gamma
	VMOVUPS (R15)(R11*1), Z6 // beta
	VMOVUPS 64(R12)(R11*1), Z1 // mean
	VMOVUPS 64(R13)(R11*1), Z3 // inv
	VMOVUPS 64(R14)(R11*1), Z5 // gamma
	VMOVUPS 64(R15)(R11*1), Z7 // beta
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn512nm_row:
	TESTQ CX, CX
	JEQ bn512nm_next
	VMOVUPS (BX)(AX*1), Z8
	VSUBPS Z0, Z8, Z8
	VMULPS Z2, Z8, Z8 // h
	VMOVUPS Z8, (SI)(AX*1)
	VMULPS Z8, Z4, Z9
	VADDPS Z6, Z9, Z9
	VMOVUPS Z9, (DI)(AX*1)
	VMOVUPS 64(BX)(AX*1), Z10
	VSUBPS Z1, Z10, Z10
	VMULPS Z3, Z10, Z10 // h
	VMOVUPS Z10, 64(SI)(AX*1)
	VMULPS Z10, Z5, Z11
	VADDPS Z7, Z11, Z11
	VMOVUPS Z11, 64(DI)(AX*1)
	ADDQ R9, AX
	DECQ CX
	JMP bn512nm_row
bn512nm_next:
	ADDQ $128, R11
	JMP bn512nm_strip
bn512nm_done:
	VZEROUPPER
	RET

// func inputGradAVX512(dx, dy, xhat, a, b, d *float32, rows, c, w int)
//
// For the first w channels (a multiple of 32), 32 at a time, and every
// row r: dx[r·c+q] = a[q]·dy[r·c+q] − b[q] − xhat[r·c+q]·d[q].
TEXT ·inputGradAVX512(SB), NOSPLIT, $0-72
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ xhat+16(FP), BX
	MOVQ a+24(FP), R12
	MOVQ b+32(FP), R13
	MOVQ d+40(FP), R14
	MOVQ rows+48(FP), R8
	MOVQ c+56(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+64(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn512ig_strip:
	CMPQ R11, R10
	JGE bn512ig_done
	VMOVUPS (R12)(R11*1), Z0 // a
	VMOVUPS (R13)(R11*1), Z2 // b
	VMOVUPS (R14)(R11*1), Z4 // d
	VMOVUPS 64(R12)(R11*1), Z1 // a
	VMOVUPS 64(R13)(R11*1), Z3 // b
	VMOVUPS 64(R14)(R11*1), Z5 // d
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn512ig_row:
	TESTQ CX, CX
	JEQ bn512ig_next
	VMULPS (SI)(AX*1), Z0, Z8 // a·dy
	VSUBPS Z2, Z8, Z8
	VMOVUPS (BX)(AX*1), Z9
	VMULPS Z4, Z9, Z9 // xhat·d
	VSUBPS Z9, Z8, Z8
	VMOVUPS Z8, (DI)(AX*1)
	VMULPS 64(SI)(AX*1), Z1, Z10 // a·dy
	VSUBPS Z3, Z10, Z10
	VMOVUPS 64(BX)(AX*1), Z11
	VMULPS Z5, Z11, Z11 // xhat·d
	VSUBPS Z11, Z10, Z10
	VMOVUPS Z10, 64(DI)(AX*1)
	ADDQ R9, AX
	DECQ CX
	JMP bn512ig_row
bn512ig_next:
	ADDQ $128, R11
	JMP bn512ig_strip
bn512ig_done:
	VZEROUPPER
	RET


// func scaleShiftAVX512(y, x, scale, shift *float32, rows, c, w int)
//
// For the first w channels (a multiple of 32), 32 at a time, and every
// row r: y[r·c+q] = scale[q]·x[r·c+q] + shift[q].
TEXT ·scaleShiftAVX512(SB), NOSPLIT, $0-56
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ scale+16(FP), R12
	MOVQ shift+24(FP), R13
	MOVQ rows+32(FP), R8
	MOVQ c+40(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+48(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn512ss_strip:
	CMPQ R11, R10
	JGE bn512ss_done
	VMOVUPS (R12)(R11*1), Z0 // scale
	VMOVUPS (R13)(R11*1), Z2 // shift
	VMOVUPS 64(R12)(R11*1), Z1 // scale
	VMOVUPS 64(R13)(R11*1), Z3 // shift
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn512ss_row:
	TESTQ CX, CX
	JEQ bn512ss_next
	VMULPS (SI)(AX*1), Z0, Z8
	VADDPS Z2, Z8, Z8
	VMOVUPS Z8, (DI)(AX*1)
	VMULPS 64(SI)(AX*1), Z1, Z9
	VADDPS Z3, Z9, Z9
	VMOVUPS Z9, 64(DI)(AX*1)
	ADDQ R9, AX
	DECQ CX
	JMP bn512ss_row
bn512ss_next:
	ADDQ $128, R11
	JMP bn512ss_strip
bn512ss_done:
	VZEROUPPER
	RET

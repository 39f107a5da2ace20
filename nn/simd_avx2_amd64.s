//go:build amd64 && !purego

#include "textflag.h"

// AVX2 versions of the loops of simd_amd64.s, for CPUs without AVX-512.
// Like those, each computes exactly what its portable Go twin computes, with
// the same operations in the same order (a product is rounded before it is
// added: no FMA), so all give the same bits (simd_test.go checks it). Only
// VEX-encoded instructions. A tail shorter than 8 lanes is read with
// VMASKMOVPS loads, which never touch the masked lanes' memory. A tail met
// once per call is written with a VMASKMOVPS store; one met on every row or
// window is written 4, 2 and 1 lanes at a time (STORELANES), as VMASKMOVPS
// stores are slow on some AMD CPUs.

// tailmask<> is 8 lanes of all ones then 8 of zeros: the 8 lanes from
// tailmask<>+4·(8−n) mask the first n.
DATA tailmask<>+0(SB)/8, $-1
DATA tailmask<>+8(SB)/8, $-1
DATA tailmask<>+16(SB)/8, $-1
DATA tailmask<>+24(SB)/8, $-1
DATA tailmask<>+32(SB)/8, $0
DATA tailmask<>+40(SB)/8, $0
DATA tailmask<>+48(SB)/8, $0
DATA tailmask<>+56(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $64

DATA iota8<>+0(SB)/4, $0
DATA iota8<>+4(SB)/4, $1
DATA iota8<>+8(SB)/4, $2
DATA iota8<>+12(SB)/4, $3
DATA iota8<>+16(SB)/4, $4
DATA iota8<>+20(SB)/4, $5
DATA iota8<>+24(SB)/4, $6
DATA iota8<>+28(SB)/4, $7
GLOBL iota8<>(SB), RODATA|NOPTR, $32

// TAILMASK8 sets Y to the mask of the first n lanes (0 ≤ n ≤ 8, n in CX);
// clobbers AX.
#define TAILMASK8(Y) LEAQ tailmask<>+32(SB), AX; SHLQ $2, CX; SUBQ CX, AX; SHRQ $2, CX; VMOVDQU (AX), Y

// CLAMPLANES sets CX to min(max(R−off, 0), 8), the lanes of the vector that
// starts at lane off when R lanes are live; clobbers AX.
#define CLAMPLANES(R, off) MOVQ R, CX; SUBQ $off, CX; XORQ AX, AX; CMPQ CX, AX; CMOVQLT AX, CX; MOVQ $8, AX; CMPQ CX, AX; CMOVQGT AX, CX

// STORELANES stores the first n lanes (0 ≤ n < 8, n in CX) of Y, whose low
// half is X, at (P), 4, 2 and 1 at a time. It advances P and clobbers Y;
// L4, L2 and L1 are labels of its own.
#define STORELANES(Y, X, P, L4, L2, L1) \
	TESTQ $4, CX; JEQ L4; VMOVUPS X, (P); VEXTRACTF128 $1, Y, X; ADDQ $16, P; \
L4: TESTQ $2, CX; JEQ L2; VMOVSD X, (P); VPSRLDQ $8, X, X; ADDQ $8, P; \
L2: TESTQ $1, CX; JEQ L1; VMOVSS X, (P); ADDQ $4, P; \
L1:

// func reluForwardAVX2(y, x *float32, n int)
//
// y = x with the bits cleared where the sign bit is set, as reluForwardGo.
TEXT ·reluForwardAVX2(SB), NOSPLIT, $0-24
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+16(FP), CX
relufwd2_loop16:
	CMPQ CX, $16
	JLT relufwd2_loop
	VMOVUPS (SI), Y0
	VMOVUPS 32(SI), Y1
	VPSRAD $31, Y0, Y2 // all ones where the sign bit is set
	VPSRAD $31, Y1, Y3
	VPANDN Y0, Y2, Y0
	VPANDN Y1, Y3, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JMP relufwd2_loop16
relufwd2_loop:
	CMPQ CX, $8
	JLT relufwd2_tail
	VMOVUPS (SI), Y0
	VPSRAD $31, Y0, Y2
	VPANDN Y0, Y2, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
relufwd2_tail:
	TESTQ CX, CX
	JEQ relufwd2_done
	TAILMASK8(Y15)
	VMASKMOVPS (SI), Y15, Y0
	VPSRAD $31, Y0, Y2
	VPANDN Y0, Y2, Y0
	VMASKMOVPS Y0, Y15, (DI)
relufwd2_done:
	VZEROUPPER
	RET

// func reluBackwardAVX2(dx, dy, y *float32, n int)
//
// dx = dy where bits(y)−1 is not negative as an int32, 0 elsewhere, as
// reluBackwardGo.
TEXT ·reluBackwardAVX2(SB), NOSPLIT, $0-32
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ y+16(FP), BX
	MOVQ n+24(FP), CX
	VPCMPEQD Y14, Y14, Y14 // −1 in every lane
relubwd2_loop16:
	CMPQ CX, $16
	JLT relubwd2_loop
	VPADDD (BX), Y14, Y0 // bits(y) − 1
	VPADDD 32(BX), Y14, Y1
	VPSRAD $31, Y0, Y0   // all ones where the gradient is zero
	VPSRAD $31, Y1, Y1
	VPANDN (SI), Y0, Y0
	VPANDN 32(SI), Y1, Y1
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	ADDQ $64, SI
	ADDQ $64, DI
	ADDQ $64, BX
	SUBQ $16, CX
	JMP relubwd2_loop16
relubwd2_loop:
	CMPQ CX, $8
	JLT relubwd2_tail
	VPADDD (BX), Y14, Y0
	VPSRAD $31, Y0, Y0
	VPANDN (SI), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, SI
	ADDQ $32, DI
	ADDQ $32, BX
	SUBQ $8, CX
relubwd2_tail:
	TESTQ CX, CX
	JEQ relubwd2_done
	TAILMASK8(Y15)
	VMASKMOVPS (BX), Y15, Y0
	VMASKMOVPS (SI), Y15, Y1
	VPADDD Y0, Y14, Y0
	VPSRAD $31, Y0, Y0
	VPANDN Y1, Y0, Y0
	VMASKMOVPS Y0, Y15, (DI)
relubwd2_done:
	VZEROUPPER
	RET

// func addRowsAVX2(y, b *float32, rows, n int)
TEXT ·addRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ y+0(FP), DI
	MOVQ b+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ n+24(FP), R9
	MOVQ R9, CX
	ANDQ $7, CX // tail lanes of a row
	TAILMASK8(Y15)
	MOVQ R9, R10
	SHRQ $3, R10 // whole vectors of a row
addrows2_row:
	TESTQ R8, R8
	JEQ addrows2_done
	MOVQ SI, BX
	MOVQ R10, DX
addrows2_vec:
	TESTQ DX, DX
	JEQ addrows2_tail
	VMOVUPS (DI), Y1
	VADDPS (BX), Y1, Y1
	VMOVUPS Y1, (DI)
	ADDQ $32, DI
	ADDQ $32, BX
	DECQ DX
	JMP addrows2_vec
addrows2_tail:
	TESTQ CX, CX
	JEQ addrows2_next
	VMASKMOVPS (DI), Y15, Y1
	VMASKMOVPS (BX), Y15, Y2
	VADDPS Y2, Y1, Y1
	STORELANES(Y1, X1, DI, addrows2_s4, addrows2_s2, addrows2_s1)
addrows2_next:
	DECQ R8
	JMP addrows2_row
addrows2_done:
	VZEROUPPER
	RET

// func sumRowsAVX2(s, y *float32, rows, n int)
//
// 16 columns at a time (two vectors), even and odd rows apart, as sumRowsGo.
TEXT ·sumRowsAVX2(SB), NOSPLIT, $0-32
	MOVQ s+0(FP), DI
	MOVQ y+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ n+24(FP), R12 // columns left
	MOVQ R12, R11
	SHLQ $2, R11 // row stride in bytes
sumrows2_chunk:
	TESTQ R12, R12
	JLE sumrows2_done
	CLAMPLANES(R12, 0)
	TAILMASK8(Y14)
	CLAMPLANES(R12, 8)
	TAILMASK8(Y15)
	VXORPS Y0, Y0, Y0 // even rows, columns 0..7 and 8..15 of the chunk
	VXORPS Y1, Y1, Y1
	VXORPS Y2, Y2, Y2 // odd rows
	VXORPS Y3, Y3, Y3
	MOVQ SI, DX
	MOVQ R8, R13
sumrows2_pair:
	CMPQ R13, $2
	JLT sumrows2_last
	VMASKMOVPS (DX), Y14, Y4
	VMASKMOVPS 32(DX), Y15, Y5
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
	ADDQ R11, DX
	VMASKMOVPS (DX), Y14, Y6
	VMASKMOVPS 32(DX), Y15, Y7
	VADDPS Y6, Y2, Y2
	VADDPS Y7, Y3, Y3
	ADDQ R11, DX
	SUBQ $2, R13
	JMP sumrows2_pair
sumrows2_last:
	TESTQ R13, R13
	JEQ sumrows2_store
	VMASKMOVPS (DX), Y14, Y4
	VMASKMOVPS 32(DX), Y15, Y5
	VADDPS Y4, Y0, Y0
	VADDPS Y5, Y1, Y1
sumrows2_store:
	VADDPS Y2, Y0, Y0
	VADDPS Y3, Y1, Y1
	CMPQ R12, $16
	JLT sumrows2_part
	VMOVUPS Y0, (DI)
	VMOVUPS Y1, 32(DI)
	JMP sumrows2_next
sumrows2_part: // the last chunk, once per call
	VMASKMOVPS Y0, Y14, (DI)
	VMASKMOVPS Y1, Y15, 32(DI)
sumrows2_next:
	ADDQ $64, DI
	ADDQ $64, SI
	SUBQ $16, R12
	JMP sumrows2_chunk
sumrows2_done:
	VZEROUPPER
	RET

// func adamAVX2(w, grad, m, v *float32, n int, k *adamConsts)
TEXT ·adamAVX2(SB), NOSPLIT, $0-48
	MOVQ w+0(FP), DI
	MOVQ grad+8(FP), SI
	MOVQ m+16(FP), BX
	MOVQ v+24(FP), DX
	MOVQ n+32(FP), CX
	MOVQ k+40(FP), R8
	VBROADCASTSS 0(R8), Y7   // b1
	VBROADCASTSS 4(R8), Y8   // 1−b1
	VBROADCASTSS 8(R8), Y9   // b2
	VBROADCASTSS 12(R8), Y10 // 1−b2
	VBROADCASTSS 16(R8), Y11 // c1
	VBROADCASTSS 20(R8), Y12 // c2
	VBROADCASTSS 24(R8), Y13 // lr
	VBROADCASTSS 28(R8), Y14 // eps
	VBROADCASTSS 32(R8), Y15 // decay
adam2_loop:
	CMPQ CX, $8
	JLT adam2_tail
	VMOVUPS (DI), Y0
	VMULPS Y0, Y15, Y1
	VSUBPS Y1, Y0, Y0      // w −= decay·w
	VMOVUPS (SI), Y2       // g
	VMULPS (BX), Y7, Y3    // b1·m
	VMULPS Y2, Y8, Y1      // (1−b1)·g
	VADDPS Y1, Y3, Y3      // m
	VMOVUPS Y3, (BX)
	VMULPS (DX), Y9, Y4    // b2·v
	VMULPS Y2, Y10, Y1     // (1−b2)·g
	VMULPS Y2, Y1, Y1      // ·g
	VADDPS Y1, Y4, Y4      // v
	VMOVUPS Y4, (DX)
	VMULPS Y11, Y3, Y3     // m·c1
	VMULPS Y12, Y4, Y4     // v·c2
	VSQRTPS Y4, Y4
	VADDPS Y14, Y4, Y4     // sqrt + eps
	VMULPS Y3, Y13, Y3     // lr·m̂
	VDIVPS Y4, Y3, Y3
	VSUBPS Y3, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ $32, DI
	ADDQ $32, SI
	ADDQ $32, BX
	ADDQ $32, DX
	SUBQ $8, CX
	JMP adam2_loop
adam2_tail:
	TESTQ CX, CX
	JEQ adam2_done
	TAILMASK8(Y5)
	VMASKMOVPS (DI), Y5, Y0
	VMULPS Y0, Y15, Y1
	VSUBPS Y1, Y0, Y0
	VMASKMOVPS (SI), Y5, Y2
	VMASKMOVPS (BX), Y5, Y3
	VMULPS Y3, Y7, Y3
	VMULPS Y2, Y8, Y1
	VADDPS Y1, Y3, Y3
	VMASKMOVPS Y3, Y5, (BX)
	VMASKMOVPS (DX), Y5, Y4
	VMULPS Y4, Y9, Y4
	VMULPS Y2, Y10, Y1
	VMULPS Y2, Y1, Y1
	VADDPS Y1, Y4, Y4
	VMASKMOVPS Y4, Y5, (DX)
	VMULPS Y11, Y3, Y3
	VMULPS Y12, Y4, Y4
	VSQRTPS Y4, Y4
	VADDPS Y14, Y4, Y4
	VMULPS Y3, Y13, Y3
	VDIVPS Y4, Y3, Y3
	VSUBPS Y3, Y0, Y0
	VMASKMOVPS Y0, Y5, (DI)
adam2_done:
	VZEROUPPER
	RET

// func maxPoolAVX2(best *float32, arg *int32, img *float32, first, rows, cols, rowStride, c, count, step int)
//
// As maxPoolAVX512: for count windows, the w-th starting at img index
// first+w·step with its results at best[w·c:] and arg[w·c:]; a value
// replaces the best so far only if it is greater (so never a NaN, and ties
// keep the first).
TEXT ·maxPoolAVX2(SB), NOSPLIT, $0-80
	MOVQ best+0(FP), DI
	MOVQ arg+8(FP), SI
	MOVQ img+16(FP), BX
	MOVQ first+24(FP), R8
	MOVQ rows+32(FP), R9
	MOVQ cols+40(FP), R10
	MOVQ rowStride+48(FP), R11
	MOVQ c+56(FP), R12
	VMOVDQU iota8<>(SB), Y15
	VMOVD R12, X13
	VPBROADCASTD X13, Y13 // c: from one column of the window to the next
	VMOVD R11, X12
	VPBROADCASTD X12, Y12 // rowStride: from one row to the next
	CMPQ R9, $2
	JNE maxpool2_window
	CMPQ R10, $2
	JEQ maxpool22
maxpool2_window:
	CMPQ count+64(FP), $0
	JLE maxpool2_done
	XORQ R13, R13 // first channel of this vector
maxpool2_q:
	CMPQ R13, R12
	JGE maxpool2_nextwindow
	MOVQ R12, CX
	SUBQ R13, CX
	CMPQ CX, $8
	JLE maxpool2_mask
	MOVQ $8, CX
maxpool2_mask:
	TAILMASK8(Y5) // CX, the lanes of this vector, stays for the store
	MOVQ R8, DX
	ADDQ R13, DX                  // index of (row, 0) for this vector
	VMASKMOVPS (BX)(DX*4), Y5, Y0 // best: the window's first value
	VMOVD DX, X6
	VPBROADCASTD X6, Y6
	VPADDD Y15, Y6, Y6            // the indices of (row, 0)
	VMOVDQA Y6, Y1                // best's indices
	XORQ R14, R14                 // window row
maxpool2_r:
	CMPQ R14, R9
	JGE maxpool2_store
	LEAQ (BX)(DX*4), AX // (row, column)
	VMOVDQA Y6, Y3      // its indices
	MOVQ R10, R15       // columns left
	TESTQ R14, R14
	JNE maxpool2_k
	LEAQ (AX)(R12*4), AX // (0, 0) is the start
	VPADDD Y13, Y3, Y3
	DECQ R15
maxpool2_k:
	TESTQ R15, R15
	JEQ maxpool2_nextr
	VMASKMOVPS (AX), Y5, Y2
	VCMPPS $14, Y0, Y2, Y4 // v > best
	VBLENDVPS Y4, Y2, Y0, Y0
	VBLENDVPS Y4, Y3, Y1, Y1
	VPADDD Y13, Y3, Y3
	LEAQ (AX)(R12*4), AX
	DECQ R15
	JMP maxpool2_k
maxpool2_nextr:
	ADDQ R11, DX
	VPADDD Y12, Y6, Y6
	INCQ R14
	JMP maxpool2_r
maxpool2_store:
	CMPQ CX, $8
	JLT maxpool2_part
	VMOVUPS Y0, (DI)(R13*4)
	VMOVDQU Y1, (SI)(R13*4)
	ADDQ $8, R13
	JMP maxpool2_q
maxpool2_part: // the last channels of the window
	LEAQ (DI)(R13*4), AX
	STORELANES(Y0, X0, AX, maxpool2_b4, maxpool2_b2, maxpool2_b1)
	LEAQ (SI)(R13*4), AX
	STORELANES(Y1, X1, AX, maxpool2_a4, maxpool2_a2, maxpool2_a1)
	ADDQ $8, R13
	JMP maxpool2_q
maxpool2_nextwindow:
	ADDQ step+72(FP), R8
	LEAQ (DI)(R12*4), DI
	LEAQ (SI)(R12*4), SI
	DECQ count+64(FP)
	JMP maxpool2_window
maxpool2_done:
	VZEROUPPER
	RET

// MAXPOOL22 pools 8 channels of a 2×2 window from (0,0) at (DX), (1,0) at
// (R14), their indices from Y6 (c apart across, rowStride down): (0,0),
// (0,1), (1,0) and (1,1) in that order, as in the general loop. LOAD(off, Y)
// loads the 8 values at off.
#define MAXPOOL22(LOAD) \
	LOAD((DX), Y0); VMOVDQA Y6, Y1; \
	LOAD((DX)(R12*4), Y2); VCMPPS $14, Y0, Y2, Y4; VBLENDVPS Y4, Y2, Y0, Y0; VPADDD Y13, Y6, Y3; VBLENDVPS Y4, Y3, Y1, Y1; \
	LOAD((R14), Y2); VCMPPS $14, Y0, Y2, Y4; VBLENDVPS Y4, Y2, Y0, Y0; VPADDD Y12, Y6, Y3; VBLENDVPS Y4, Y3, Y1, Y1; \
	LOAD((R14)(R12*4), Y2); VCMPPS $14, Y0, Y2, Y4; VBLENDVPS Y4, Y2, Y0, Y0; VPADDD Y11, Y6, Y3; VBLENDVPS Y4, Y3, Y1, Y1

#define LOADFULL(off, Y) VMOVUPS off, Y
#define LOADPART(off, Y) VMASKMOVPS off, Y5, Y

// 2×2 windows (the common case), unrolled.
maxpool22:
	VPADDD Y12, Y13, Y11 // from (0,0) to (1,1)
	MOVQ count+64(FP), R15
maxpool22_window:
	TESTQ R15, R15
	JLE maxpool2_done
	XORQ R13, R13 // first channel of this vector
maxpool22_q:
	MOVQ R12, CX
	SUBQ R13, CX
	JLE maxpool22_nextwindow
	MOVQ R8, DX
	ADDQ R13, DX
	VMOVD DX, X6
	VPBROADCASTD X6, Y6
	VPADDD Y15, Y6, Y6           // indices of (0, 0)
	LEAQ (BX)(DX*4), DX          // (0, 0)
	LEAQ (DX)(R11*4), R14        // (1, 0)
	CMPQ CX, $8
	JLT maxpool22_part
	MAXPOOL22(LOADFULL)
	VMOVUPS Y0, (DI)(R13*4)
	VMOVDQU Y1, (SI)(R13*4)
	ADDQ $8, R13
	JMP maxpool22_q
maxpool22_part: // the last channels of the window
	TAILMASK8(Y5)
	MAXPOOL22(LOADPART)
	LEAQ (DI)(R13*4), AX
	STORELANES(Y0, X0, AX, maxpool22_b4, maxpool22_b2, maxpool22_b1)
	LEAQ (SI)(R13*4), AX
	STORELANES(Y1, X1, AX, maxpool22_a4, maxpool22_a2, maxpool22_a1)
maxpool22_nextwindow:
	ADDQ step+72(FP), R8
	LEAQ (DI)(R12*4), DI
	LEAQ (SI)(R12*4), SI
	DECQ R15
	JMP maxpool22_window

// func maxUnpoolAVX2(dx, dy *float32, arg *int32, first, rowStride, c, count, step int)
//
// As maxUnpoolAVX512: each position of count 2×2 windows gets 0+dy where it
// is the winner and +0 elsewhere.
TEXT ·maxUnpoolAVX2(SB), NOSPLIT, $0-64
	MOVQ dx+0(FP), DI
	MOVQ dy+8(FP), SI
	MOVQ arg+16(FP), BX
	MOVQ first+24(FP), R8
	MOVQ rowStride+32(FP), R11
	MOVQ c+40(FP), R12
	MOVQ count+48(FP), R15
	VMOVDQU iota8<>(SB), Y15
	VMOVD R12, X13
	VPBROADCASTD X13, Y13 // c: from (r,0) to (r,1)
	VMOVD R11, X12
	VPBROADCASTD X12, Y12 // rowStride: from (0,k) to (1,k)
	VPADDD Y12, Y13, Y11  // from (0,0) to (1,1)
	VXORPS Y10, Y10, Y10
unpool2_window:
	TESTQ R15, R15
	JLE unpool2_done
	XORQ R13, R13 // first channel of this vector
unpool2_q:
	MOVQ R12, CX
	SUBQ R13, CX
	JLE unpool2_nextwindow
	MOVQ R8, DX
	ADDQ R13, DX
	VMOVD DX, X6
	VPBROADCASTD X6, Y6
	VPADDD Y15, Y6, Y6           // indices of (0, 0)
	LEAQ (DI)(DX*4), DX          // (0, 0)
	LEAQ (DX)(R11*4), R14        // (1, 0)
	CMPQ CX, $8
	JLT unpool2_part
	VMOVUPS (SI)(R13*4), Y0
	VMOVDQU (BX)(R13*4), Y1
	VADDPS Y0, Y10, Y0           // 0 + dy, as the sum into a cleared dx
	VPCMPEQD Y6, Y1, Y2
	VANDPS Y0, Y2, Y2
	VMOVUPS Y2, (DX)
	VPADDD Y13, Y6, Y3
	VPCMPEQD Y3, Y1, Y2
	VANDPS Y0, Y2, Y2
	VMOVUPS Y2, (DX)(R12*4)
	VPADDD Y12, Y6, Y3
	VPCMPEQD Y3, Y1, Y2
	VANDPS Y0, Y2, Y2
	VMOVUPS Y2, (R14)
	VPADDD Y11, Y6, Y3
	VPCMPEQD Y3, Y1, Y2
	VANDPS Y0, Y2, Y2
	VMOVUPS Y2, (R14)(R12*4)
	ADDQ $8, R13
	JMP unpool2_q
unpool2_part: // the last channels of the window
	TAILMASK8(Y5)
	VMASKMOVPS (SI)(R13*4), Y5, Y0
	VPMASKMOVD (BX)(R13*4), Y5, Y1
	VADDPS Y0, Y10, Y0
	VPCMPEQD Y6, Y1, Y2
	VANDPS Y0, Y2, Y2
	MOVQ DX, AX
	STORELANES(Y2, X2, AX, unpool2_s4a, unpool2_s2a, unpool2_s1a)
	VPADDD Y13, Y6, Y3
	VPCMPEQD Y3, Y1, Y2
	VANDPS Y0, Y2, Y2
	LEAQ (DX)(R12*4), AX
	STORELANES(Y2, X2, AX, unpool2_s4b, unpool2_s2b, unpool2_s1b)
	VPADDD Y12, Y6, Y3
	VPCMPEQD Y3, Y1, Y2
	VANDPS Y0, Y2, Y2
	MOVQ R14, AX
	STORELANES(Y2, X2, AX, unpool2_s4c, unpool2_s2c, unpool2_s1c)
	VPADDD Y11, Y6, Y3
	VPCMPEQD Y3, Y1, Y2
	VANDPS Y0, Y2, Y2
	LEAQ (R14)(R12*4), AX
	STORELANES(Y2, X2, AX, unpool2_s4d, unpool2_s2d, unpool2_s1d)
unpool2_nextwindow:
	ADDQ step+56(FP), R8
	LEAQ (SI)(R12*4), SI
	LEAQ (BX)(R12*4), BX
	DECQ R15
	JMP unpool2_window
unpool2_done:
	VZEROUPPER
	RET

// func smallForwardAVX2(c *float32, ldc int, a *float32, lda int, off *int, b *float32, ldb int, bias *float32, m, k, n int)
//
// For i < m and j < n ≤ 32 (four vectors, whose lanes past n are masked):
// c[i·ldc+j] = bias[j], then c[i·ldc+j] += a[i·lda+off[p]]·b[p·ldb+j] for p < k in
// order. Two rows at a time, so that two chains of dependent adds overlap.
TEXT ·smallForwardAVX2(SB), NOSPLIT, $0-88
	MOVQ c+0(FP), DI
	MOVQ ldc+8(FP), R8
	SHLQ $2, R8
	MOVQ a+16(FP), SI
	MOVQ lda+24(FP), R9
	SHLQ $2, R9
	MOVQ b+40(FP), BX
	MOVQ ldb+48(FP), R10
	SHLQ $2, R10
	MOVQ m+64(FP), R11
	MOVQ k+72(FP), R12
	MOVQ n+80(FP), R15
	CLAMPLANES(R15, 0)
	TAILMASK8(Y12)
	CLAMPLANES(R15, 8)
	TAILMASK8(Y13)
	CLAMPLANES(R15, 16)
	TAILMASK8(Y14)
	CLAMPLANES(R15, 24)
	TAILMASK8(Y15)
	MOVQ R15, CX
	ANDQ $7, CX // lanes of the last, partial vector
smallfwd2_pair:
	CMPQ R11, $2
	JLT smallfwd2_single
	MOVQ bias+56(FP), AX
	VMASKMOVPS (AX), Y12, Y0
	VMASKMOVPS 32(AX), Y13, Y1
	VMASKMOVPS 64(AX), Y14, Y2
	VMASKMOVPS 96(AX), Y15, Y3
	VMOVAPS Y0, Y4
	VMOVAPS Y1, Y5
	VMOVAPS Y2, Y6
	VMOVAPS Y3, Y7
	MOVQ off+32(FP), AX // off[p]
	MOVQ BX, R13 // b[p, 0]
	MOVQ R12, R14
smallfwd2_pair_p:
	TESTQ R14, R14
	JEQ smallfwd2_pair_store
	MOVQ (AX), DX
	LEAQ (SI)(DX*4), DX // a[i, p]
	VBROADCASTSS (DX), Y8
	VBROADCASTSS (DX)(R9*1), Y9
	VMASKMOVPS (R13), Y12, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y0, Y0
	VMULPS Y10, Y9, Y11
	VADDPS Y11, Y4, Y4
	VMASKMOVPS 32(R13), Y13, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y1, Y1
	VMULPS Y10, Y9, Y11
	VADDPS Y11, Y5, Y5
	VMASKMOVPS 64(R13), Y14, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y2, Y2
	VMULPS Y10, Y9, Y11
	VADDPS Y11, Y6, Y6
	VMASKMOVPS 96(R13), Y15, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y3, Y3
	VMULPS Y10, Y9, Y11
	VADDPS Y11, Y7, Y7
	ADDQ $8, AX
	ADDQ R10, R13
	DECQ R14
	JMP smallfwd2_pair_p
smallfwd2_pair_store:
	CMPQ R15, $8
	JLT smallfwd2_r0_t0
	VMOVUPS Y0, (DI)
	CMPQ R15, $16
	JLT smallfwd2_r0_t1
	VMOVUPS Y1, 32(DI)
	CMPQ R15, $24
	JLT smallfwd2_r0_t2
	VMOVUPS Y2, 64(DI)
	CMPQ R15, $32
	JLT smallfwd2_r0_t3
	VMOVUPS Y3, 96(DI)
	JMP smallfwd2_r0_done
smallfwd2_r0_t0:
	VMOVAPS Y0, Y11
	MOVQ DI, AX
	JMP smallfwd2_r0_tail
smallfwd2_r0_t1:
	VMOVAPS Y1, Y11
	LEAQ 32(DI), AX
	JMP smallfwd2_r0_tail
smallfwd2_r0_t2:
	VMOVAPS Y2, Y11
	LEAQ 64(DI), AX
	JMP smallfwd2_r0_tail
smallfwd2_r0_t3:
	VMOVAPS Y3, Y11
	LEAQ 96(DI), AX
smallfwd2_r0_tail:
	STORELANES(Y11, X11, AX, smallfwd2_r0_s4, smallfwd2_r0_s2, smallfwd2_r0_s1)
smallfwd2_r0_done:
	ADDQ R8, DI
	CMPQ R15, $8
	JLT smallfwd2_r1_t0
	VMOVUPS Y4, (DI)
	CMPQ R15, $16
	JLT smallfwd2_r1_t1
	VMOVUPS Y5, 32(DI)
	CMPQ R15, $24
	JLT smallfwd2_r1_t2
	VMOVUPS Y6, 64(DI)
	CMPQ R15, $32
	JLT smallfwd2_r1_t3
	VMOVUPS Y7, 96(DI)
	JMP smallfwd2_r1_done
smallfwd2_r1_t0:
	VMOVAPS Y4, Y11
	MOVQ DI, AX
	JMP smallfwd2_r1_tail
smallfwd2_r1_t1:
	VMOVAPS Y5, Y11
	LEAQ 32(DI), AX
	JMP smallfwd2_r1_tail
smallfwd2_r1_t2:
	VMOVAPS Y6, Y11
	LEAQ 64(DI), AX
	JMP smallfwd2_r1_tail
smallfwd2_r1_t3:
	VMOVAPS Y7, Y11
	LEAQ 96(DI), AX
smallfwd2_r1_tail:
	STORELANES(Y11, X11, AX, smallfwd2_r1_s4, smallfwd2_r1_s2, smallfwd2_r1_s1)
smallfwd2_r1_done:
	ADDQ R8, DI
	LEAQ (SI)(R9*2), SI
	SUBQ $2, R11
	JMP smallfwd2_pair
smallfwd2_single:
	TESTQ R11, R11
	JEQ smallfwd2_done
	MOVQ bias+56(FP), AX
	VMASKMOVPS (AX), Y12, Y0
	VMASKMOVPS 32(AX), Y13, Y1
	VMASKMOVPS 64(AX), Y14, Y2
	VMASKMOVPS 96(AX), Y15, Y3
	MOVQ off+32(FP), AX
	MOVQ BX, R13
	MOVQ R12, R14
smallfwd2_single_p:
	TESTQ R14, R14
	JEQ smallfwd2_single_store
	MOVQ (AX), DX
	LEAQ (SI)(DX*4), DX
	VBROADCASTSS (DX), Y8
	VMASKMOVPS (R13), Y12, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y0, Y0
	VMASKMOVPS 32(R13), Y13, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y1, Y1
	VMASKMOVPS 64(R13), Y14, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y2, Y2
	VMASKMOVPS 96(R13), Y15, Y10
	VMULPS Y10, Y8, Y11
	VADDPS Y11, Y3, Y3
	ADDQ $8, AX
	ADDQ R10, R13
	DECQ R14
	JMP smallfwd2_single_p
smallfwd2_single_store:
	CMPQ R15, $8
	JLT smallfwd2_r2_t0
	VMOVUPS Y0, (DI)
	CMPQ R15, $16
	JLT smallfwd2_r2_t1
	VMOVUPS Y1, 32(DI)
	CMPQ R15, $24
	JLT smallfwd2_r2_t2
	VMOVUPS Y2, 64(DI)
	CMPQ R15, $32
	JLT smallfwd2_r2_t3
	VMOVUPS Y3, 96(DI)
	JMP smallfwd2_r2_done
smallfwd2_r2_t0:
	VMOVAPS Y0, Y11
	MOVQ DI, AX
	JMP smallfwd2_r2_tail
smallfwd2_r2_t1:
	VMOVAPS Y1, Y11
	LEAQ 32(DI), AX
	JMP smallfwd2_r2_tail
smallfwd2_r2_t2:
	VMOVAPS Y2, Y11
	LEAQ 64(DI), AX
	JMP smallfwd2_r2_tail
smallfwd2_r2_t3:
	VMOVAPS Y3, Y11
	LEAQ 96(DI), AX
smallfwd2_r2_tail:
	STORELANES(Y11, X11, AX, smallfwd2_r2_s4, smallfwd2_r2_s2, smallfwd2_r2_s1)
smallfwd2_r2_done:
	ADDQ R8, DI
smallfwd2_done:
	VZEROUPPER
	RET

// func smallWeightGradAVX2(acc *float32, a *float32, lda int, off *int, d *float32, ldd int, m, k, n int)
//
// For p < k and j < 32 (lanes past n ≤ 32 read d as zeros):
// acc[p·32+j] += a[i·lda+off[p]]·d[i·ldd+j] for i < m in order, and
// acc[k·32+j] += d[i·ldd+j] (acc is k+1 rows of 32). Two rows of d at a time.
TEXT ·smallWeightGradAVX2(SB), NOSPLIT, $0-72
	MOVQ acc+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ lda+16(FP), R9
	SHLQ $2, R9
	MOVQ d+32(FP), BX
	MOVQ ldd+40(FP), R10
	SHLQ $2, R10
	MOVQ m+48(FP), R11
	MOVQ k+56(FP), R12
	MOVQ n+64(FP), R15
	CLAMPLANES(R15, 0)
	TAILMASK8(Y12)
	CLAMPLANES(R15, 8)
	TAILMASK8(Y13)
	CLAMPLANES(R15, 16)
	TAILMASK8(Y14)
	CLAMPLANES(R15, 24)
	TAILMASK8(Y15)
smallgrad2_pair:
	CMPQ R11, $2
	JLT smallgrad2_single
	// two rows of d, in order
	VMASKMOVPS (BX), Y12, Y0
	VMASKMOVPS 32(BX), Y13, Y1
	VMASKMOVPS 64(BX), Y14, Y2
	VMASKMOVPS 96(BX), Y15, Y3
	ADDQ R10, BX
	VMASKMOVPS (BX), Y12, Y4
	VMASKMOVPS 32(BX), Y13, Y5
	VMASKMOVPS 64(BX), Y14, Y6
	VMASKMOVPS 96(BX), Y15, Y7
	ADDQ R10, BX
	MOVQ off+24(FP), AX // off[p]
	MOVQ DI, R13 // acc[p]
	MOVQ R12, R14
smallgrad2_pair_p:
	TESTQ R14, R14
	JEQ smallgrad2_pair_next
	MOVQ (AX), CX
	LEAQ (SI)(CX*4), DX // a[i, p]
	VBROADCASTSS (DX), Y8
	VBROADCASTSS (DX)(R9*1), Y9
	VMOVUPS (R13), Y10
	VMULPS Y0, Y8, Y11
	VADDPS Y11, Y10, Y10
	VMULPS Y4, Y9, Y11
	VADDPS Y11, Y10, Y10
	VMOVUPS Y10, (R13)
	VMOVUPS 32(R13), Y10
	VMULPS Y1, Y8, Y11
	VADDPS Y11, Y10, Y10
	VMULPS Y5, Y9, Y11
	VADDPS Y11, Y10, Y10
	VMOVUPS Y10, 32(R13)
	VMOVUPS 64(R13), Y10
	VMULPS Y2, Y8, Y11
	VADDPS Y11, Y10, Y10
	VMULPS Y6, Y9, Y11
	VADDPS Y11, Y10, Y10
	VMOVUPS Y10, 64(R13)
	VMOVUPS 96(R13), Y10
	VMULPS Y3, Y8, Y11
	VADDPS Y11, Y10, Y10
	VMULPS Y7, Y9, Y11
	VADDPS Y11, Y10, Y10
	VMOVUPS Y10, 96(R13)
	ADDQ $8, AX
	ADDQ $128, R13
	DECQ R14
	JMP smallgrad2_pair_p
smallgrad2_pair_next:
	VMOVUPS (R13), Y8 // the sums of d, for the bias
	VMOVUPS 32(R13), Y9
	VMOVUPS 64(R13), Y10
	VMOVUPS 96(R13), Y11
	VADDPS Y0, Y8, Y8
	VADDPS Y1, Y9, Y9
	VADDPS Y2, Y10, Y10
	VADDPS Y3, Y11, Y11
	VADDPS Y4, Y8, Y8
	VADDPS Y5, Y9, Y9
	VADDPS Y6, Y10, Y10
	VADDPS Y7, Y11, Y11
	VMOVUPS Y8, (R13)
	VMOVUPS Y9, 32(R13)
	VMOVUPS Y10, 64(R13)
	VMOVUPS Y11, 96(R13)
	LEAQ (SI)(R9*2), SI
	SUBQ $2, R11
	JMP smallgrad2_pair
smallgrad2_single:
	TESTQ R11, R11
	JEQ smallgrad2_done
	VMASKMOVPS (BX), Y12, Y0
	VMASKMOVPS 32(BX), Y13, Y1
	VMASKMOVPS 64(BX), Y14, Y2
	VMASKMOVPS 96(BX), Y15, Y3
	MOVQ off+24(FP), AX
	MOVQ DI, R13
	MOVQ R12, R14
smallgrad2_single_p:
	TESTQ R14, R14
	JEQ smallgrad2_single_next
	MOVQ (AX), CX
	LEAQ (SI)(CX*4), DX
	VBROADCASTSS (DX), Y8
	VMOVUPS (R13), Y4
	VMOVUPS 32(R13), Y5
	VMOVUPS 64(R13), Y6
	VMOVUPS 96(R13), Y7
	VMULPS Y0, Y8, Y9
	VMULPS Y1, Y8, Y10
	VADDPS Y9, Y4, Y4
	VADDPS Y10, Y5, Y5
	VMULPS Y2, Y8, Y9
	VMULPS Y3, Y8, Y10
	VADDPS Y9, Y6, Y6
	VADDPS Y10, Y7, Y7
	VMOVUPS Y4, (R13)
	VMOVUPS Y5, 32(R13)
	VMOVUPS Y6, 64(R13)
	VMOVUPS Y7, 96(R13)
	ADDQ $8, AX
	ADDQ $128, R13
	DECQ R14
	JMP smallgrad2_single_p
smallgrad2_single_next:
	VMOVUPS (R13), Y4
	VMOVUPS 32(R13), Y5
	VMOVUPS 64(R13), Y6
	VMOVUPS 96(R13), Y7
	VADDPS Y0, Y4, Y4
	VADDPS Y1, Y5, Y5
	VADDPS Y2, Y6, Y6
	VADDPS Y3, Y7, Y7
	VMOVUPS Y4, (R13)
	VMOVUPS Y5, 32(R13)
	VMOVUPS Y6, 64(R13)
	VMOVUPS Y7, 96(R13)
	ADDQ R9, SI
	DECQ R11
	JMP smallgrad2_single
smallgrad2_done:
	VZEROUPPER
	RET

// The per-channel loops of batch norm (batchnorm.go). They take the first w
// channels, a multiple of a strip of 16, a strip at a time down all the rows;
// the Go loops take the channels left over, so there are no tails here.

// func channelSumsAVX2(acc *float64, x *float32, rows, c, w int)
//
// For the first w channels (a multiple of 16), 16 at a time: acc[q] +=
// x[r·c+q] in float64, for every row r in order.
TEXT ·channelSumsAVX2(SB), NOSPLIT, $0-40
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ rows+16(FP), R8
	MOVQ c+24(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+32(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn2sum_strip:
	CMPQ R11, R10
	JGE bn2sum_done
	VMOVUPD (DI)(R11*2), Y0
	VMOVUPD 32(DI)(R11*2), Y1
	VMOVUPD 64(DI)(R11*2), Y2
	VMOVUPD 96(DI)(R11*2), Y3
	LEAQ (SI)(R11*1), DX
	MOVQ R8, CX
bn2sum_row:
	TESTQ CX, CX
	JEQ bn2sum_store
	VCVTPS2PD (DX), Y4
	VCVTPS2PD 16(DX), Y5
	VCVTPS2PD 32(DX), Y6
	VCVTPS2PD 48(DX), Y7
	VADDPD Y4, Y0, Y0
	VADDPD Y5, Y1, Y1
	VADDPD Y6, Y2, Y2
	VADDPD Y7, Y3, Y3
	ADDQ R9, DX
	DECQ CX
	JMP bn2sum_row
bn2sum_store:
	VMOVUPD Y0, (DI)(R11*2)
	VMOVUPD Y1, 32(DI)(R11*2)
	VMOVUPD Y2, 64(DI)(R11*2)
	VMOVUPD Y3, 96(DI)(R11*2)
	ADDQ $64, R11
	JMP bn2sum_strip
bn2sum_done:
	VZEROUPPER
	RET

// func channelSquaresAVX2(acc *float64, x *float32, mean *float64, rows, c, w int)
//
// For the first w channels (a multiple of 16), 16 at a time: d = x[r·c+q] −
// mean[q] and acc[q] += d·d in float64, for every row r in order.
TEXT ·channelSquaresAVX2(SB), NOSPLIT, $0-48
	MOVQ acc+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ mean+16(FP), BX
	MOVQ rows+24(FP), R8
	MOVQ c+32(FP), R9
	SHLQ $2, R9 // row stride in bytes
	MOVQ w+40(FP), R10
	SHLQ $2, R10
	XORQ R11, R11 // the strip's first channel, times 4
bn2sq_strip:
	CMPQ R11, R10
	JGE bn2sq_done
	VMOVUPD (DI)(R11*2), Y0
	VMOVUPD 32(DI)(R11*2), Y1
	VMOVUPD 64(DI)(R11*2), Y2
	VMOVUPD 96(DI)(R11*2), Y3
	VMOVUPD (BX)(R11*2), Y4
	VMOVUPD 32(BX)(R11*2), Y5
	VMOVUPD 64(BX)(R11*2), Y6
	VMOVUPD 96(BX)(R11*2), Y7
	LEAQ (SI)(R11*1), DX
	MOVQ R8, CX
bn2sq_row:
	TESTQ CX, CX
	JEQ bn2sq_store
	VCVTPS2PD (DX), Y8
	VCVTPS2PD 16(DX), Y9
	VCVTPS2PD 32(DX), Y10
	VCVTPS2PD 48(DX), Y11
	VSUBPD Y4, Y8, Y8
	VSUBPD Y5, Y9, Y9
	VSUBPD Y6, Y10, Y10
	VSUBPD Y7, Y11, Y11
	VMULPD Y8, Y8, Y8
	VMULPD Y9, Y9, Y9
	VMULPD Y10, Y10, Y10
	VMULPD Y11, Y11, Y11
	VADDPD Y8, Y0, Y0
	VADDPD Y9, Y1, Y1
	VADDPD Y10, Y2, Y2
	VADDPD Y11, Y3, Y3
	ADDQ R9, DX
	DECQ CX
	JMP bn2sq_row
bn2sq_store:
	VMOVUPD Y0, (DI)(R11*2)
	VMOVUPD Y1, 32(DI)(R11*2)
	VMOVUPD Y2, 64(DI)(R11*2)
	VMOVUPD Y3, 96(DI)(R11*2)
	ADDQ $64, R11
	JMP bn2sq_strip
bn2sq_done:
	VZEROUPPER
	RET

// func channelGradSumsAVX2(sumD, sumDH *float64, dy, xhat *float32, rows, c, w int)
//
// For the first w channels (a multiple of 16), 16 at a time: sumD[q] +=
// dy[r·c+q] and sumDH[q] += dy[r·c+q]·xhat[r·c+q] in float64, for every row r
// in order.
TEXT ·channelGradSumsAVX2(SB), NOSPLIT, $0-56
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
bn2gs_strip:
	CMPQ R11, R10
	JGE bn2gs_done
	VMOVUPD (DI)(R11*2), Y0
	VMOVUPD 32(DI)(R11*2), Y1
	VMOVUPD 64(DI)(R11*2), Y2
	VMOVUPD 96(DI)(R11*2), Y3
	VMOVUPD (BX)(R11*2), Y4
	VMOVUPD 32(BX)(R11*2), Y5
	VMOVUPD 64(BX)(R11*2), Y6
	VMOVUPD 96(BX)(R11*2), Y7
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn2gs_row:
	TESTQ CX, CX
	JEQ bn2gs_store
	VCVTPS2PD (SI)(AX*1), Y8
	VCVTPS2PD 16(SI)(AX*1), Y9
	VCVTPS2PD 32(SI)(AX*1), Y10
	VCVTPS2PD 48(SI)(AX*1), Y11
	VCVTPS2PD (R12)(AX*1), Y12
	VCVTPS2PD 16(R12)(AX*1), Y13
	VCVTPS2PD 32(R12)(AX*1), Y14
	VCVTPS2PD 48(R12)(AX*1), Y15
	VADDPD Y8, Y0, Y0
	VADDPD Y9, Y1, Y1
	VADDPD Y10, Y2, Y2
	VADDPD Y11, Y3, Y3
	VMULPD Y12, Y8, Y12
	VMULPD Y13, Y9, Y13
	VMULPD Y14, Y10, Y14
	VMULPD Y15, Y11, Y15
	VADDPD Y12, Y4, Y4
	VADDPD Y13, Y5, Y5
	VADDPD Y14, Y6, Y6
	VADDPD Y15, Y7, Y7
	ADDQ R9, AX
	DECQ CX
	JMP bn2gs_row
bn2gs_store:
	VMOVUPD Y0, (DI)(R11*2)
	VMOVUPD Y1, 32(DI)(R11*2)
	VMOVUPD Y2, 64(DI)(R11*2)
	VMOVUPD Y3, 96(DI)(R11*2)
	VMOVUPD Y4, (BX)(R11*2)
	VMOVUPD Y5, 32(BX)(R11*2)
	VMOVUPD Y6, 64(BX)(R11*2)
	VMOVUPD Y7, 96(BX)(R11*2)
	ADDQ $64, R11
	JMP bn2gs_strip
bn2gs_done:
	VZEROUPPER
	RET

// func normalizeAVX2(y, xhat, x, mean, inv, gamma, beta *float32, rows, c, w int)
//
// For the first w channels (a multiple of 16), 16 at a time, and every
// row r: h = (x[r·c+q] − mean[q])·inv[q], xhat[r·c+q] = h and
// y[r·c+q] = gamma[q]·h + beta[q].
TEXT ·normalizeAVX2(SB), NOSPLIT, $0-80
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
bn2nm_strip:
	CMPQ R11, R10
	JGE bn2nm_done
	VMOVUPS (R12)(R11*1), Y0 // mean
	VMOVUPS (R13)(R11*1), Y2 // inv
	VMOVUPS (R14)(R11*1), Y4 // gamma
	VMOVUPS (R15)(R11*1), Y6 // beta
	VMOVUPS 32(R12)(R11*1), Y1 // mean
	VMOVUPS 32(R13)(R11*1), Y3 // inv
	VMOVUPS 32(R14)(R11*1), Y5 // gamma
	VMOVUPS 32(R15)(R11*1), Y7 // beta
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn2nm_row:
	TESTQ CX, CX
	JEQ bn2nm_next
	VMOVUPS (BX)(AX*1), Y8
	VSUBPS Y0, Y8, Y8
	VMULPS Y2, Y8, Y8 // h
	VMOVUPS Y8, (SI)(AX*1)
	VMULPS Y8, Y4, Y9
	VADDPS Y6, Y9, Y9
	VMOVUPS Y9, (DI)(AX*1)
	VMOVUPS 32(BX)(AX*1), Y10
	VSUBPS Y1, Y10, Y10
	VMULPS Y3, Y10, Y10 // h
	VMOVUPS Y10, 32(SI)(AX*1)
	VMULPS Y10, Y5, Y11
	VADDPS Y7, Y11, Y11
	VMOVUPS Y11, 32(DI)(AX*1)
	ADDQ R9, AX
	DECQ CX
	JMP bn2nm_row
bn2nm_next:
	ADDQ $64, R11
	JMP bn2nm_strip
bn2nm_done:
	VZEROUPPER
	RET

// func inputGradAVX2(dx, dy, xhat, a, b, d *float32, rows, c, w int)
//
// For the first w channels (a multiple of 16), 16 at a time, and every
// row r: dx[r·c+q] = a[q]·dy[r·c+q] − b[q] − xhat[r·c+q]·d[q].
TEXT ·inputGradAVX2(SB), NOSPLIT, $0-72
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
bn2ig_strip:
	CMPQ R11, R10
	JGE bn2ig_done
	VMOVUPS (R12)(R11*1), Y0 // a
	VMOVUPS (R13)(R11*1), Y2 // b
	VMOVUPS (R14)(R11*1), Y4 // d
	VMOVUPS 32(R12)(R11*1), Y1 // a
	VMOVUPS 32(R13)(R11*1), Y3 // b
	VMOVUPS 32(R14)(R11*1), Y5 // d
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn2ig_row:
	TESTQ CX, CX
	JEQ bn2ig_next
	VMULPS (SI)(AX*1), Y0, Y8 // a·dy
	VSUBPS Y2, Y8, Y8
	VMOVUPS (BX)(AX*1), Y9
	VMULPS Y4, Y9, Y9 // xhat·d
	VSUBPS Y9, Y8, Y8
	VMOVUPS Y8, (DI)(AX*1)
	VMULPS 32(SI)(AX*1), Y1, Y10 // a·dy
	VSUBPS Y3, Y10, Y10
	VMOVUPS 32(BX)(AX*1), Y11
	VMULPS Y5, Y11, Y11 // xhat·d
	VSUBPS Y11, Y10, Y10
	VMOVUPS Y10, 32(DI)(AX*1)
	ADDQ R9, AX
	DECQ CX
	JMP bn2ig_row
bn2ig_next:
	ADDQ $64, R11
	JMP bn2ig_strip
bn2ig_done:
	VZEROUPPER
	RET


// func scaleShiftAVX2(y, x, scale, shift *float32, rows, c, w int)
//
// For the first w channels (a multiple of 16), 16 at a time, and every
// row r: y[r·c+q] = scale[q]·x[r·c+q] + shift[q].
TEXT ·scaleShiftAVX2(SB), NOSPLIT, $0-56
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
bn2ss_strip:
	CMPQ R11, R10
	JGE bn2ss_done
	VMOVUPS (R12)(R11*1), Y0 // scale
	VMOVUPS (R13)(R11*1), Y2 // shift
	VMOVUPS 32(R12)(R11*1), Y1 // scale
	VMOVUPS 32(R13)(R11*1), Y3 // shift
	MOVQ R11, AX // offset of the row's strip
	MOVQ R8, CX
bn2ss_row:
	TESTQ CX, CX
	JEQ bn2ss_next
	VMULPS (SI)(AX*1), Y0, Y8
	VADDPS Y2, Y8, Y8
	VMOVUPS Y8, (DI)(AX*1)
	VMULPS 32(SI)(AX*1), Y1, Y9
	VADDPS Y3, Y9, Y9
	VMOVUPS Y9, 32(DI)(AX*1)
	ADDQ R9, AX
	DECQ CX
	JMP bn2ss_row
bn2ss_next:
	ADDQ $64, R11
	JMP bn2ss_strip
bn2ss_done:
	VZEROUPPER
	RET

//go:build arm64 && !purego

#include "textflag.h"

// NEON versions of the exp-based activation loops of expf.go. Each runs the
// operations of its Go twin in the same order, with a fused multiply-add
// exactly where the Go code calls fma32, so both give the same bits. They
// take n, a positive multiple of 4, and leave the rest of a slice to Go. d,
// the derivative, may be nil.
//
// Go's arm64 assembler lacks the floating-point vector instructions and a
// few integer ones; these macros encode them (all on 4 lanes of 32 bits).
// Operands are register numbers, sources first and destination last, as in
// Go's VADD/VSUB: VFSUB(m, n, d) is Vd = Vn − Vm.

// FADD, FSUB, FMUL, FDIV Vd.4S, Vn.4S, Vm.4S
#define VFADD(m, n, d) WORD $(0x4e20d400 | (m)<<16 | (n)<<5 | (d))
#define VFSUB(m, n, d) WORD $(0x4ea0d400 | (m)<<16 | (n)<<5 | (d))
#define VFMUL(m, n, d) WORD $(0x6e20dc00 | (m)<<16 | (n)<<5 | (d))
#define VFDIV(m, n, d) WORD $(0x6e20fc00 | (m)<<16 | (n)<<5 | (d))
// FMLA Vd.4S, Vn.4S, Vm.4S: Vd = Vd + Vn·Vm, rounded once
#define VFMLA(m, n, d) WORD $(0x4e20cc00 | (m)<<16 | (n)<<5 | (d))
// FMLS Vd.4S, Vn.4S, Vm.4S: Vd = Vd − Vn·Vm, rounded once
#define VFMLS(m, n, d) WORD $(0x4ea0cc00 | (m)<<16 | (n)<<5 | (d))
// FMIN, FMAX Vd.4S, Vn.4S, Vm.4S (a NaN operand gives a NaN)
#define VFMIN(m, n, d) WORD $(0x4ea0f400 | (m)<<16 | (n)<<5 | (d))
#define VFMAX(m, n, d) WORD $(0x4e20f400 | (m)<<16 | (n)<<5 | (d))
// FCMGT Vd.4S, Vn.4S, Vm.4S: all ones in the lanes where Vn > Vm (false for NaN)
#define VFCMGT(m, n, d) WORD $(0x6ea0e400 | (m)<<16 | (n)<<5 | (d))
// FRINTN Vd.4S, Vn.4S: round to the nearest integer, ties to even
#define VFRINTN(n, d) WORD $(0x4e218800 | (n)<<5 | (d))
// FCVTZS Vd.4S, Vn.4S: to int32, toward zero
#define VFCVTZS(n, d) WORD $(0x4ea1b800 | (n)<<5 | (d))
// SSHR Vd.4S, Vn.4S, #1
#define VSSHR1(n, d) WORD $(0x4f3f0400 | (n)<<5 | (d))
// SHL Vd.4S, Vn.4S, #23
#define VSHL23(n, d) WORD $(0x4f375400 | (n)<<5 | (d))
// BIT Vd.16B, Vn.16B, Vm.16B: Vd takes the bits of Vn where Vm is set
#define VBIT(m, n, d) WORD $(0x6ea01c00 | (m)<<16 | (n)<<5 | (d))

// Constants come from actK, each replicated over 16 lanes at 64·index:

#define K_LO 0
#define K_HI 64
#define K_LOG2E 128
#define K_LN2HI 192
#define K_LN2LO 256
#define K_P0 320
#define K_P1 384
#define K_P2 448
#define K_P3 512
#define K_P4 576
#define K_P5 640
#define K_ONE 704
#define K_BIAS 768
#define K_ABS 832
#define K_EXPM1LO 896
#define K_TANHSMALL 960
#define K_T0 1024
#define K_T1 1088
#define K_T2 1152
#define K_T3 1216
#define K_T4 1280
#define K_G0 1344
#define K_G1 1408
#define K_H0 1472
#define K_H1 1536
#define K_GELUCAP 1600
#define K_INVSQRT2 1664
#define K_HALF 1728
#define K_Q9 1792
#define K_Q8 1856
#define K_Q7 1920
#define K_Q6 1984
#define K_Q5 2048
#define K_Q4 2112
#define K_Q3 2176
#define K_Q2 2240
#define K_Q1 2304
#define K_Q0 2368
#define K_MINUSHALF 2432
#define K_INVSQRT2PI 2496
#define K_TWO 2560
#define K_SIGN 2624

// LDK loads the constant at off in actK (R8) into the register v.
#define LDK(off, v) ADD $(off), R8, R9; VLD1 (R9), [v]

// The loops keep expHi in V31, the low clamp in V30, log2 e, the parts of
// ln 2 and the polynomial in V29-V21, 1 in V20, the bias 127 in V19 and 0
// in V18, and work in V0-V17.
#define LOADN \
	MOVD $·actK(SB), R8; \
	LDK(K_HI, V31.S4); \
	LDK(K_LO, V30.S4); \
	LDK(K_LOG2E, V29.S4); \
	LDK(K_LN2HI, V28.S4); \
	LDK(K_LN2LO, V27.S4); \
	LDK(K_P0, V26.S4); \
	LDK(K_P1, V25.S4); \
	LDK(K_P2, V24.S4); \
	LDK(K_P3, V23.S4); \
	LDK(K_P4, V22.S4); \
	LDK(K_P5, V21.S4); \
	LDK(K_ONE, V20.S4); \
	LDK(K_BIAS, V19.S4); \
	VEOR V18.B16, V18.B16, V18.B16

// REDUCEN: from the clamped x in V0, n = round(x·log2 e) in V1 and
// r + r²·q(r) in V0, r = x − n·ln2. Clobbers V3, V4.
#define REDUCEN \
	VFMUL(29, 0, 1); \
	VFRINTN(1, 1); \
	VFMLS(28, 1, 0); \
	VFMLS(27, 1, 0); \
	VORR  V25.B16, V25.B16, V3.B16; \
	VFMLA(0, 26, 3); \
	VORR  V24.B16, V24.B16, V4.B16; \
	VFMLA(0, 3, 4); \
	VORR  V23.B16, V23.B16, V3.B16; \
	VFMLA(0, 4, 3); \
	VORR  V22.B16, V22.B16, V4.B16; \
	VFMLA(0, 3, 4); \
	VORR  V21.B16, V21.B16, V3.B16; \
	VFMLA(0, 4, 3); \
	VFMUL(0, 0, 4); \
	VFMLA(4, 3, 0)

// EXPN: V0 = e^V0, clobbering V1-V4: p·2^(n>>1), exact, times 2^(n−n>>1).
#define EXPN \
	VFMIN(0, 31, 0); \
	VFMAX(0, 30, 0); \
	REDUCEN; \
	VFADD(20, 0, 0); \
	VFCVTZS(1, 1); \
	VSSHR1(1, 2); \
	VSUB  V2.S4, V1.S4, V1.S4; \
	VADD  V19.S4, V2.S4, V2.S4; \
	VADD  V19.S4, V1.S4, V1.S4; \
	VSHL23(2, 2); \
	VSHL23(1, 1); \
	VFMUL(2, 0, 0); \
	VFMUL(1, 0, 0)

// func sigmoidNEON(y, x, d *float32, n int, alpha float32)
TEXT ·sigmoidNEON(SB), NOSPLIT, $0-36
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+24(FP), R3
	LOADN
	LDK(K_SIGN, V17.S4)
sigmoid_loop:
	VLD1.P 16(R1), [V0.S4]
	VEOR   V17.B16, V0.B16, V0.B16
	EXPN
	VFADD(20, 0, 0)
	VFDIV(0, 20, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3
	BNE    sigmoid_loop
	RET

// func tanhNEON(y, x, d *float32, n int, alpha float32)
TEXT ·tanhNEON(SB), NOSPLIT, $0-36
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD n+24(FP), R3
	LOADN
	LDK(K_SIGN, V17.S4)
	LDK(K_ABS, V16.S4)
	LDK(K_TWO, V15.S4)
	LDK(K_TANHSMALL, V14.S4)
	LDK(K_T0, V9.S4)
	LDK(K_T1, V10.S4)
	LDK(K_T2, V11.S4)
	LDK(K_T3, V12.S4)
	LDK(K_T4, V13.S4)
tanh_loop:
	VLD1.P 16(R1), [V5.S4]
	VAND   V16.B16, V5.B16, V6.B16 // |x|
	VFMUL(5, 5, 7)                 // z = x²
	VORR   V10.B16, V10.B16, V8.B16
	VFMLA(7, 9, 8)
	VORR   V11.B16, V11.B16, V0.B16
	VFMLA(7, 8, 0)
	VORR   V12.B16, V12.B16, V8.B16
	VFMLA(7, 0, 8)
	VORR   V13.B16, V13.B16, V0.B16
	VFMLA(7, 8, 0)
	VFMUL(7, 0, 0)
	VORR   V5.B16, V5.B16, V8.B16
	VFMLA(5, 0, 8)                 // x·(z·T(z)) + x
	VFADD(6, 6, 0)
	EXPN
	VFADD(20, 0, 0)
	VFDIV(0, 15, 0)
	VFSUB(0, 20, 0)                // 1 − 2/(e^2|x| + 1)
	VAND   V17.B16, V5.B16, V1.B16
	VORR   V1.B16, V0.B16, V0.B16
	VFCMGT(6, 14, 1)               // |x| < 0.625
	VBIT(1, 8, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3
	BNE    tanh_loop
	RET

// func siluNEON(y, x, d *float32, n int, alpha float32)
TEXT ·siluNEON(SB), NOSPLIT, $0-36
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	LOADN
	LDK(K_SIGN, V17.S4)
silu_loop:
	VLD1.P 16(R1), [V5.S4]
	VEOR   V17.B16, V5.B16, V0.B16
	EXPN
	VFADD(20, 0, 1)
	VFDIV(1, 20, 6)                // s
	VFMUL(6, 5, 1)
	VST1.P [V1.S4], 16(R0)
	CBZ    R2, silu_next
	VFMUL(6, 0, 1)                 // 1−s = e·s
	VORR   V20.B16, V20.B16, V2.B16
	VFMLA(1, 5, 2)                 // x·(1−s) + 1
	VFMUL(2, 6, 2)
	VST1.P [V2.S4], 16(R2)
silu_next:
	SUBS $4, R3
	BNE  silu_loop
	RET

// func eluNEON(y, x, d *float32, n int, alpha float32)
TEXT ·eluNEON(SB), NOSPLIT, $0-36
	MOVD  y+0(FP), R0
	MOVD  x+8(FP), R1
	MOVD  d+16(FP), R2
	MOVD  n+24(FP), R3
	MOVWU alpha+32(FP), R4
	VDUP  R4, V16.S4
	LOADN
	LDK(K_EXPM1LO, V30.S4)
elu_loop:
	VLD1.P 16(R1), [V5.S4]
	VFMIN(5, 18, 0)                // x > 0 gives 0
	VFMAX(0, 30, 0)
	REDUCEN
	VFCVTZS(1, 1)
	VADD   V19.S4, V1.S4, V1.S4
	VSHL23(1, 1)                   // s = 2^n
	VFSUB(20, 1, 2)
	VFMLA(0, 1, 2)                 // e^x − 1 = s·(e^r − 1) + (s − 1)
	VFMUL(16, 2, 2)                // e = alpha·(e^x − 1)
	VFCMGT(18, 5, 3)               // x > 0
	VORR   V2.B16, V2.B16, V4.B16
	VBIT(3, 5, 4)
	VST1.P [V4.S4], 16(R0)
	CBZ    R2, elu_next
	VFADD(16, 2, 2)
	VBIT(3, 20, 2)
	VST1.P [V2.S4], 16(R2)
elu_next:
	SUBS $4, R3
	BNE  elu_loop
	RET

// func geluTanhNEON(y, x, d *float32, n int, alpha float32)
TEXT ·geluTanhNEON(SB), NOSPLIT, $0-36
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	LOADN
	LDK(K_GELUCAP, V16.S4)
	LDK(K_G1, V15.S4)
	LDK(K_G0, V14.S4)
	LDK(K_H1, V13.S4)
	LDK(K_H0, V12.S4)
gelutanh_loop:
	VLD1.P 16(R1), [V5.S4]
	VFMUL(5, 5, 6)                 // x²
	VORR   V14.B16, V14.B16, V0.B16
	VFMLA(15, 6, 0)
	VFMUL(5, 0, 0)                 // −2u
	EXPN
	VFADD(20, 0, 1)
	VFDIV(1, 20, 7)                // s
	VFMUL(7, 5, 1)
	VST1.P [V1.S4], 16(R0)
	CBZ    R2, gelutanh_next
	VFMIN(6, 16, 6)
	VFMUL(7, 0, 1)                 // 1−s = e·s
	VFMUL(1, 7, 1)
	VFMUL(5, 1, 1)                 // s·(1−s)·x
	VORR   V12.B16, V12.B16, V2.B16
	VFMLA(13, 6, 2)
	VORR   V7.B16, V7.B16, V3.B16
	VFMLA(2, 1, 3)
	VST1.P [V3.S4], 16(R2)
gelutanh_next:
	SUBS $4, R3
	BNE  gelutanh_loop
	RET

// func geluNEON(y, x, d *float32, n int, alpha float32)
TEXT ·geluNEON(SB), NOSPLIT, $0-36
	MOVD y+0(FP), R0
	MOVD x+8(FP), R1
	MOVD d+16(FP), R2
	MOVD n+24(FP), R3
	LOADN
	LDK(K_ABS, V16.S4)
	LDK(K_INVSQRT2, V15.S4)
	LDK(K_HALF, V14.S4)
	LDK(K_MINUSHALF, V13.S4)
	LDK(K_INVSQRT2PI, V12.S4)
	ADD  $K_Q9, R8, R10
gelu_loop:
	VLD1.P 16(R1), [V5.S4]
	VAND   V16.B16, V5.B16, V6.B16
	VFMUL(15, 6, 6)                // z = |x|/√2
	VORR   V20.B16, V20.B16, V7.B16
	VFMLA(14, 6, 7)
	VFDIV(7, 20, 7)                // t = 1/(1 + z/2)
	MOVD   R10, R9                 // Q9, Q8, ..., Q0 follow at steps of 64
	VLD1   (R9), [V0.S4]
	ADD    $64, R9
	VLD1   (R9), [V10.S4]
	ADD    $64, R9
	VFMLA(7, 0, 10)
	VLD1   (R9), [V0.S4]
	ADD    $64, R9
	VFMLA(7, 10, 0)
	VLD1   (R9), [V10.S4]
	ADD    $64, R9
	VFMLA(7, 0, 10)
	VLD1   (R9), [V0.S4]
	ADD    $64, R9
	VFMLA(7, 10, 0)
	VLD1   (R9), [V10.S4]
	ADD    $64, R9
	VFMLA(7, 0, 10)
	VLD1   (R9), [V0.S4]
	ADD    $64, R9
	VFMLA(7, 10, 0)
	VLD1   (R9), [V10.S4]
	ADD    $64, R9
	VFMLA(7, 0, 10)
	VLD1   (R9), [V0.S4]
	ADD    $64, R9
	VFMLA(7, 10, 0)
	VLD1   (R9), [V10.S4]
	VFMLA(7, 0, 10)                // Q(t)
	VFMLS(6, 6, 10)                // Q(t) − z²
	VORR   V10.B16, V10.B16, V0.B16
	EXPN
	VFMUL(14, 7, 7)
	VFMUL(0, 7, 7)                 // erfc(z)/2
	VFSUB(7, 20, 8)
	VFCMGT(5, 18, 9)               // x < 0
	VBIT(9, 7, 8)                  // Φ(x)
	VFMUL(8, 5, 0)
	VST1.P [V0.S4], 16(R0)
	CBZ    R2, gelu_next
	VFMUL(5, 5, 0)
	VFMUL(13, 0, 0)
	EXPN
	VFMUL(12, 0, 0)                // φ(x)
	VORR   V8.B16, V8.B16, V1.B16
	VFMLA(0, 5, 1)
	VST1.P [V1.S4], 16(R2)
gelu_next:
	SUBS $4, R3
	BNE  gelu_loop
	RET

// The loops of the backward passes: dst = a·b (multiply), dx = dy·y·(1−y)
// (sigmoid) and dx = dy·(1−y²) (tanh), as (dst, a, b).

// func multiplyNEON(dst, a, b *float32, n int, s float32)
TEXT ·multiplyNEON(SB), NOSPLIT, $0-36
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
multiply_loop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	VFMUL(1, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3
	BNE    multiply_loop
	RET

// func sigmoidBackNEON(dst, a, b *float32, n int, s float32)
TEXT ·sigmoidBackNEON(SB), NOSPLIT, $0-36
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
	MOVD $·actK(SB), R8
	LDK(K_ONE, V20.S4)
sigmoidback_loop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	VFSUB(1, 20, 2)
	VFMUL(1, 0, 0)
	VFMUL(2, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3
	BNE    sigmoidback_loop
	RET

// func tanhBackNEON(dst, a, b *float32, n int, s float32)
TEXT ·tanhBackNEON(SB), NOSPLIT, $0-36
	MOVD dst+0(FP), R0
	MOVD a+8(FP), R1
	MOVD b+16(FP), R2
	MOVD n+24(FP), R3
	MOVD $·actK(SB), R8
	LDK(K_ONE, V20.S4)
tanhback_loop:
	VLD1.P 16(R1), [V0.S4]
	VLD1.P 16(R2), [V1.S4]
	VFMUL(1, 1, 1)
	VFSUB(1, 20, 1)
	VFMUL(1, 0, 0)
	VST1.P [V0.S4], 16(R0)
	SUBS   $4, R3
	BNE    tanhback_loop
	RET

//go:build amd64 && !purego

#include "textflag.h"

// AVX-512 and AVX2 versions of the exp-based activation loops of expf.go.
// Each runs the operations of its Go twin in the same order, with a fused
// multiply-add exactly where the Go code calls fma32, so both give the same
// bits. They take n, a positive multiple of the vector width (16 or 8), and
// leave the rest of a slice to Go. d, the derivative, may be nil.
//
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

// The AVX-512 loops keep 1 in Z29, expHi in Z30, the low clamp in Z31 and
// 0 in Z28, and work in Z0-Z8. R8 points at actK.

// REDUCE512: from the clamped x in Z0, n = round(x·log2 e) in Z1, r in Z0,
// and r + r²·q(r) in Z3. Clobbers Z2.
#define REDUCE512 \
	VMULPS       K_LOG2E(R8), Z0, Z1; \
	VRNDSCALEPS  $8, Z1, Z1; \
	VFNMADD231PS K_LN2HI(R8), Z1, Z0; \
	VFNMADD231PS K_LN2LO(R8), Z1, Z0; \
	VMOVUPS      K_P0(R8), Z3; \
	VFMADD213PS  K_P1(R8), Z0, Z3; \
	VFMADD213PS  K_P2(R8), Z0, Z3; \
	VFMADD213PS  K_P3(R8), Z0, Z3; \
	VFMADD213PS  K_P4(R8), Z0, Z3; \
	VFMADD213PS  K_P5(R8), Z0, Z3; \
	VMULPS       Z0, Z0, Z2; \
	VFMADD213PS  Z0, Z2, Z3

// EXP512: Z0 = e^Z0, clobbering Z1-Z3. p·2^n rounded once is what
// VSCALEFPS computes, and what p·2^(n>>1)·2^(n−n>>1) gives.
#define EXP512 \
	VMINPS    Z0, Z30, Z0; \
	VMAXPS    Z0, Z31, Z0; \
	REDUCE512; \
	VADDPS    Z29, Z3, Z3; \
	VSCALEFPS Z1, Z3, Z0

// LOAD512 sets up the registers every AVX-512 loop uses.
#define LOAD512 \
	LEAQ    ·actK(SB), R8; \
	VMOVUPS K_ONE(R8), Z29; \
	VMOVUPS K_HI(R8), Z30; \
	VMOVUPS K_LO(R8), Z31; \
	VPXORD  Z28, Z28, Z28

// func sigmoidAVX512(y, x, d *float32, n int, alpha float32)
TEXT ·sigmoidAVX512(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+24(FP), CX
	LOAD512
sigmoid512_loop:
	VMOVUPS (SI), Z0
	VPXORD  K_SIGN(R8), Z0, Z0
	EXP512
	VADDPS  Z29, Z0, Z0
	VDIVPS  Z0, Z29, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     sigmoid512_loop
	VZEROUPPER
	RET

// func tanhAVX512(y, x, d *float32, n int, alpha float32)
TEXT ·tanhAVX512(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+24(FP), CX
	LOAD512
tanh512_loop:
	VMOVUPS     (SI), Z5
	VPANDD      K_ABS(R8), Z5, Z6 // |x|
	VADDPS      Z6, Z6, Z0
	EXP512
	VADDPS      Z29, Z0, Z0
	VMOVUPS     K_TWO(R8), Z1
	VDIVPS      Z0, Z1, Z0
	VSUBPS      Z0, Z29, Z0       // 1 − 2/(e^2|x| + 1)
	VPANDD      K_SIGN(R8), Z5, Z1
	VPORD       Z1, Z0, Z0
	VMULPS      Z5, Z5, Z1        // z = x²
	VMOVUPS     K_T0(R8), Z2
	VFMADD213PS K_T1(R8), Z1, Z2
	VFMADD213PS K_T2(R8), Z1, Z2
	VFMADD213PS K_T3(R8), Z1, Z2
	VFMADD213PS K_T4(R8), Z1, Z2
	VMULPS      Z1, Z2, Z2
	VFMADD213PS Z5, Z5, Z2        // x·(z·T(z)) + x
	VCMPPS      $0x11, K_TANHSMALL(R8), Z6, K1 // |x| < 0.625
	VMOVAPS     Z2, K1, Z0
	VMOVUPS     Z0, (DI)
	ADDQ        $64, SI
	ADDQ        $64, DI
	SUBQ        $16, CX
	JNZ         tanh512_loop
	VZEROUPPER
	RET

// func siluAVX512(y, x, d *float32, n int, alpha float32)
TEXT ·siluAVX512(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD512
silu512_loop:
	VMOVUPS (SI), Z5
	VPXORD  K_SIGN(R8), Z5, Z0
	EXP512
	VADDPS  Z29, Z0, Z1
	VDIVPS  Z1, Z29, Z6 // s
	VMULPS  Z6, Z5, Z1
	VMOVUPS Z1, (DI)
	TESTQ   DX, DX
	JZ      silu512_next
	VMULPS      Z6, Z0, Z1 // 1−s = e·s
	VFMADD213PS Z29, Z5, Z1 // x·(1−s) + 1
	VMULPS      Z1, Z6, Z1
	VMOVUPS     Z1, (DX)
	ADDQ        $64, DX
silu512_next:
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  silu512_loop
	VZEROUPPER
	RET

// func eluAVX512(y, x, d *float32, n int, alpha float32)
TEXT ·eluAVX512(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         d+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Z27
	LOAD512
	VMOVUPS      K_EXPM1LO(R8), Z31
elu512_loop:
	VMOVUPS     (SI), Z5
	VMINPS      Z5, Z28, Z0 // x > 0 gives 0
	VMAXPS      Z0, Z31, Z0
	REDUCE512
	VCVTTPS2DQ  Z1, Z1
	VPADDD      K_BIAS(R8), Z1, Z1
	VPSLLD      $23, Z1, Z1 // s = 2^n
	VSUBPS      Z29, Z1, Z2
	VFMADD231PS Z3, Z1, Z2  // e^x − 1 = s·(e^r − 1) + (s − 1)
	VMULPS      Z27, Z2, Z2 // e = alpha·(e^x − 1)
	VCMPPS      $0x1e, Z28, Z5, K1 // x > 0
	VMOVAPS     Z2, Z0
	VMOVAPS     Z5, K1, Z0
	VMOVUPS     Z0, (DI)
	TESTQ       DX, DX
	JZ          elu512_next
	VADDPS      Z27, Z2, Z2
	VMOVAPS     Z29, K1, Z2
	VMOVUPS     Z2, (DX)
	ADDQ        $64, DX
elu512_next:
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  elu512_loop
	VZEROUPPER
	RET

// func geluTanhAVX512(y, x, d *float32, n int, alpha float32)
TEXT ·geluTanhAVX512(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD512
	VMOVUPS K_GELUCAP(R8), Z26
gelutanh512_loop:
	VMOVUPS     (SI), Z5
	VMULPS      Z5, Z5, Z6 // x²
	VMOVUPS     K_G1(R8), Z0
	VFMADD213PS K_G0(R8), Z6, Z0
	VMULPS      Z5, Z0, Z0 // −2u
	EXP512
	VADDPS      Z29, Z0, Z1
	VDIVPS      Z1, Z29, Z7 // s
	VMULPS      Z7, Z5, Z1
	VMOVUPS     Z1, (DI)
	TESTQ       DX, DX
	JZ          gelutanh512_next
	VMINPS      Z6, Z26, Z6
	VMULPS      Z7, Z0, Z1 // 1−s = e·s
	VMULPS      Z1, Z7, Z1
	VMULPS      Z5, Z1, Z1 // s·(1−s)·x
	VMOVUPS     K_H1(R8), Z2
	VFMADD213PS K_H0(R8), Z6, Z2
	VFMADD213PS Z7, Z1, Z2
	VMOVUPS     Z2, (DX)
	ADDQ        $64, DX
gelutanh512_next:
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  gelutanh512_loop
	VZEROUPPER
	RET

// func geluAVX512(y, x, d *float32, n int, alpha float32)
TEXT ·geluAVX512(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD512
gelu512_loop:
	VMOVUPS      (SI), Z5
	VPANDD       K_ABS(R8), Z5, Z6
	VMULPS       K_INVSQRT2(R8), Z6, Z6 // z = |x|/√2
	VMOVUPS      K_HALF(R8), Z7
	VFMADD213PS  Z29, Z6, Z7
	VDIVPS       Z7, Z29, Z7            // t = 1/(1 + z/2)
	VMOVUPS      K_Q9(R8), Z0
	VFMADD213PS  K_Q8(R8), Z7, Z0
	VFMADD213PS  K_Q7(R8), Z7, Z0
	VFMADD213PS  K_Q6(R8), Z7, Z0
	VFMADD213PS  K_Q5(R8), Z7, Z0
	VFMADD213PS  K_Q4(R8), Z7, Z0
	VFMADD213PS  K_Q3(R8), Z7, Z0
	VFMADD213PS  K_Q2(R8), Z7, Z0
	VFMADD213PS  K_Q1(R8), Z7, Z0
	VFMADD213PS  K_Q0(R8), Z7, Z0
	VFNMADD231PS Z6, Z6, Z0             // Q(t) − z²
	EXP512
	VMULPS       K_HALF(R8), Z7, Z7
	VMULPS       Z0, Z7, Z7             // erfc(z)/2
	VSUBPS       Z7, Z29, Z8
	VCMPPS       $0x11, Z28, Z5, K1     // x < 0
	VMOVAPS      Z7, K1, Z8             // Φ(x)
	VMULPS       Z8, Z5, Z0
	VMOVUPS      Z0, (DI)
	TESTQ        DX, DX
	JZ           gelu512_next
	VMULPS       Z5, Z5, Z0
	VMULPS       K_MINUSHALF(R8), Z0, Z0
	EXP512
	VMULPS       K_INVSQRT2PI(R8), Z0, Z0 // φ(x)
	VFMADD213PS  Z8, Z5, Z0
	VMOVUPS      Z0, (DX)
	ADDQ         $64, DX
gelu512_next:
	ADDQ $64, SI
	ADDQ $64, DI
	SUBQ $16, CX
	JNZ  gelu512_loop
	VZEROUPPER
	RET

// The AVX2 loops keep 1 in Y15, expHi in Y14, the low clamp in Y13 and 0 in
// Y12, and work in Y0-Y11. Without VSCALEFPS, they scale by 2^n in two
// steps, by 2^(n>>1) (exact) and by 2^(n−n>>1) (rounding once).

// REDUCE256: from the clamped x in Y0, n = round(x·log2 e) in Y1, r in Y0,
// and r + r²·q(r) in Y3. Clobbers Y2.
#define REDUCE256 \
	VMULPS       K_LOG2E(R8), Y0, Y1; \
	VROUNDPS     $8, Y1, Y1; \
	VFNMADD231PS K_LN2HI(R8), Y1, Y0; \
	VFNMADD231PS K_LN2LO(R8), Y1, Y0; \
	VMOVUPS      K_P0(R8), Y3; \
	VFMADD213PS  K_P1(R8), Y0, Y3; \
	VFMADD213PS  K_P2(R8), Y0, Y3; \
	VFMADD213PS  K_P3(R8), Y0, Y3; \
	VFMADD213PS  K_P4(R8), Y0, Y3; \
	VFMADD213PS  K_P5(R8), Y0, Y3; \
	VMULPS       Y0, Y0, Y2; \
	VFMADD213PS  Y0, Y2, Y3

// EXP256: Y0 = e^Y0, clobbering Y1-Y3.
#define EXP256 \
	VMINPS     Y0, Y14, Y0; \
	VMAXPS     Y0, Y13, Y0; \
	REDUCE256; \
	VADDPS     Y15, Y3, Y3; \
	VCVTTPS2DQ Y1, Y1; \
	VPSRAD     $1, Y1, Y2; \
	VPSUBD     Y2, Y1, Y1; \
	VPADDD     K_BIAS(R8), Y2, Y2; \
	VPADDD     K_BIAS(R8), Y1, Y1; \
	VPSLLD     $23, Y2, Y2; \
	VPSLLD     $23, Y1, Y1; \
	VMULPS     Y2, Y3, Y3; \
	VMULPS     Y1, Y3, Y0

// LOAD256 sets up the registers every AVX2 loop uses.
#define LOAD256 \
	LEAQ    ·actK(SB), R8; \
	VMOVUPS K_ONE(R8), Y15; \
	VMOVUPS K_HI(R8), Y14; \
	VMOVUPS K_LO(R8), Y13; \
	VXORPS  Y12, Y12, Y12

// func sigmoidAVX2(y, x, d *float32, n int, alpha float32)
TEXT ·sigmoidAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+24(FP), CX
	LOAD256
sigmoid256_loop:
	VMOVUPS (SI), Y0
	VXORPS  K_SIGN(R8), Y0, Y0
	EXP256
	VADDPS  Y15, Y0, Y0
	VDIVPS  Y0, Y15, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     sigmoid256_loop
	VZEROUPPER
	RET

// func tanhAVX2(y, x, d *float32, n int, alpha float32)
TEXT ·tanhAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ n+24(FP), CX
	LOAD256
tanh256_loop:
	VMOVUPS     (SI), Y5
	VANDPS      K_ABS(R8), Y5, Y6 // |x|
	VADDPS      Y6, Y6, Y0
	EXP256
	VADDPS      Y15, Y0, Y0
	VMOVUPS     K_TWO(R8), Y1
	VDIVPS      Y0, Y1, Y0
	VSUBPS      Y0, Y15, Y0       // 1 − 2/(e^2|x| + 1)
	VANDPS      K_SIGN(R8), Y5, Y1
	VORPS       Y1, Y0, Y0
	VMULPS      Y5, Y5, Y1        // z = x²
	VMOVUPS     K_T0(R8), Y2
	VFMADD213PS K_T1(R8), Y1, Y2
	VFMADD213PS K_T2(R8), Y1, Y2
	VFMADD213PS K_T3(R8), Y1, Y2
	VFMADD213PS K_T4(R8), Y1, Y2
	VMULPS      Y1, Y2, Y2
	VFMADD213PS Y5, Y5, Y2        // x·(z·T(z)) + x
	VCMPPS      $0x11, K_TANHSMALL(R8), Y6, Y3 // |x| < 0.625
	VBLENDVPS   Y3, Y2, Y0, Y0
	VMOVUPS     Y0, (DI)
	ADDQ        $32, SI
	ADDQ        $32, DI
	SUBQ        $8, CX
	JNZ         tanh256_loop
	VZEROUPPER
	RET

// func siluAVX2(y, x, d *float32, n int, alpha float32)
TEXT ·siluAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD256
silu256_loop:
	VMOVUPS (SI), Y5
	VXORPS  K_SIGN(R8), Y5, Y0
	EXP256
	VADDPS  Y15, Y0, Y1
	VDIVPS  Y1, Y15, Y6 // s
	VMULPS  Y6, Y5, Y1
	VMOVUPS Y1, (DI)
	TESTQ   DX, DX
	JZ      silu256_next
	VMULPS      Y6, Y0, Y1 // 1−s = e·s
	VFMADD213PS Y15, Y5, Y1 // x·(1−s) + 1
	VMULPS      Y1, Y6, Y1
	VMOVUPS     Y1, (DX)
	ADDQ        $32, DX
silu256_next:
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  silu256_loop
	VZEROUPPER
	RET

// func eluAVX2(y, x, d *float32, n int, alpha float32)
TEXT ·eluAVX2(SB), NOSPLIT, $0-36
	MOVQ         y+0(FP), DI
	MOVQ         x+8(FP), SI
	MOVQ         d+16(FP), DX
	MOVQ         n+24(FP), CX
	VBROADCASTSS alpha+32(FP), Y11
	LOAD256
	VMOVUPS      K_EXPM1LO(R8), Y13
elu256_loop:
	VMOVUPS     (SI), Y5
	VMINPS      Y5, Y12, Y0 // x > 0 gives 0
	VMAXPS      Y0, Y13, Y0
	REDUCE256
	VCVTTPS2DQ  Y1, Y1
	VPADDD      K_BIAS(R8), Y1, Y1
	VPSLLD      $23, Y1, Y1 // s = 2^n
	VSUBPS      Y15, Y1, Y2
	VFMADD231PS Y3, Y1, Y2  // e^x − 1 = s·(e^r − 1) + (s − 1)
	VMULPS      Y11, Y2, Y2 // e = alpha·(e^x − 1)
	VCMPPS      $0x1e, Y12, Y5, Y4 // x > 0
	VBLENDVPS   Y4, Y5, Y2, Y0
	VMOVUPS     Y0, (DI)
	TESTQ       DX, DX
	JZ          elu256_next
	VADDPS      Y11, Y2, Y2
	VBLENDVPS   Y4, Y15, Y2, Y2
	VMOVUPS     Y2, (DX)
	ADDQ        $32, DX
elu256_next:
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  elu256_loop
	VZEROUPPER
	RET

// func geluTanhAVX2(y, x, d *float32, n int, alpha float32)
TEXT ·geluTanhAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD256
	VMOVUPS K_GELUCAP(R8), Y10
gelutanh256_loop:
	VMOVUPS     (SI), Y5
	VMULPS      Y5, Y5, Y6 // x²
	VMOVUPS     K_G1(R8), Y0
	VFMADD213PS K_G0(R8), Y6, Y0
	VMULPS      Y5, Y0, Y0 // −2u
	EXP256
	VADDPS      Y15, Y0, Y1
	VDIVPS      Y1, Y15, Y7 // s
	VMULPS      Y7, Y5, Y1
	VMOVUPS     Y1, (DI)
	TESTQ       DX, DX
	JZ          gelutanh256_next
	VMINPS      Y6, Y10, Y6
	VMULPS      Y7, Y0, Y1 // 1−s = e·s
	VMULPS      Y1, Y7, Y1
	VMULPS      Y5, Y1, Y1 // s·(1−s)·x
	VMOVUPS     K_H1(R8), Y2
	VFMADD213PS K_H0(R8), Y6, Y2
	VFMADD213PS Y7, Y1, Y2
	VMOVUPS     Y2, (DX)
	ADDQ        $32, DX
gelutanh256_next:
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  gelutanh256_loop
	VZEROUPPER
	RET

// func geluAVX2(y, x, d *float32, n int, alpha float32)
TEXT ·geluAVX2(SB), NOSPLIT, $0-36
	MOVQ y+0(FP), DI
	MOVQ x+8(FP), SI
	MOVQ d+16(FP), DX
	MOVQ n+24(FP), CX
	LOAD256
gelu256_loop:
	VMOVUPS      (SI), Y5
	VANDPS       K_ABS(R8), Y5, Y6
	VMULPS       K_INVSQRT2(R8), Y6, Y6 // z = |x|/√2
	VMOVUPS      K_HALF(R8), Y7
	VFMADD213PS  Y15, Y6, Y7
	VDIVPS       Y7, Y15, Y7            // t = 1/(1 + z/2)
	VMOVUPS      K_Q9(R8), Y0
	VFMADD213PS  K_Q8(R8), Y7, Y0
	VFMADD213PS  K_Q7(R8), Y7, Y0
	VFMADD213PS  K_Q6(R8), Y7, Y0
	VFMADD213PS  K_Q5(R8), Y7, Y0
	VFMADD213PS  K_Q4(R8), Y7, Y0
	VFMADD213PS  K_Q3(R8), Y7, Y0
	VFMADD213PS  K_Q2(R8), Y7, Y0
	VFMADD213PS  K_Q1(R8), Y7, Y0
	VFMADD213PS  K_Q0(R8), Y7, Y0
	VFNMADD231PS Y6, Y6, Y0             // Q(t) − z²
	EXP256
	VMULPS       K_HALF(R8), Y7, Y7
	VMULPS       Y0, Y7, Y7             // erfc(z)/2
	VSUBPS       Y7, Y15, Y8
	VCMPPS       $0x11, Y12, Y5, Y4     // x < 0
	VBLENDVPS    Y4, Y7, Y8, Y8         // Φ(x)
	VMULPS       Y8, Y5, Y0
	VMOVUPS      Y0, (DI)
	TESTQ        DX, DX
	JZ           gelu256_next
	VMULPS       Y5, Y5, Y0
	VMULPS       K_MINUSHALF(R8), Y0, Y0
	EXP256
	VMULPS       K_INVSQRT2PI(R8), Y0, Y0 // φ(x)
	VFMADD213PS  Y8, Y5, Y0
	VMOVUPS      Y0, (DX)
	ADDQ         $32, DX
gelu256_next:
	ADDQ $32, SI
	ADDQ $32, DI
	SUBQ $8, CX
	JNZ  gelu256_loop
	VZEROUPPER
	RET

// The loops of the backward passes: dst = a·b (multiply), dx = dy·y·(1−y)
// (sigmoid) and dx = dy·(1−y²) (tanh), as (dst, a, b).

// func multiplyAVX512(dst, a, b *float32, n int, s float32)
TEXT ·multiplyAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
multiply512_loop:
	VMOVUPS (SI), Z0
	VMULPS  (DX), Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     multiply512_loop
	VZEROUPPER
	RET

// func sigmoidBackAVX512(dst, a, b *float32, n int, s float32)
TEXT ·sigmoidBackAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ ·actK(SB), R8
	VMOVUPS K_ONE(R8), Z29
sigmoidback512_loop:
	VMOVUPS (DX), Z1
	VSUBPS  Z1, Z29, Z2
	VMULPS  (SI), Z1, Z0
	VMULPS  Z2, Z0, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     sigmoidback512_loop
	VZEROUPPER
	RET

// func tanhBackAVX512(dst, a, b *float32, n int, s float32)
TEXT ·tanhBackAVX512(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ ·actK(SB), R8
	VMOVUPS K_ONE(R8), Z29
tanhback512_loop:
	VMOVUPS (DX), Z1
	VMULPS  Z1, Z1, Z1
	VSUBPS  Z1, Z29, Z1
	VMULPS  (SI), Z1, Z0
	VMOVUPS Z0, (DI)
	ADDQ    $64, SI
	ADDQ    $64, DX
	ADDQ    $64, DI
	SUBQ    $16, CX
	JNZ     tanhback512_loop
	VZEROUPPER
	RET

// func multiplyAVX2(dst, a, b *float32, n int, s float32)
TEXT ·multiplyAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
multiply256_loop:
	VMOVUPS (SI), Y0
	VMULPS  (DX), Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     multiply256_loop
	VZEROUPPER
	RET

// func sigmoidBackAVX2(dst, a, b *float32, n int, s float32)
TEXT ·sigmoidBackAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ ·actK(SB), R8
	VMOVUPS K_ONE(R8), Y15
sigmoidback256_loop:
	VMOVUPS (DX), Y1
	VSUBPS  Y1, Y15, Y2
	VMULPS  (SI), Y1, Y0
	VMULPS  Y2, Y0, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     sigmoidback256_loop
	VZEROUPPER
	RET

// func tanhBackAVX2(dst, a, b *float32, n int, s float32)
TEXT ·tanhBackAVX2(SB), NOSPLIT, $0-36
	MOVQ dst+0(FP), DI
	MOVQ a+8(FP), SI
	MOVQ b+16(FP), DX
	MOVQ n+24(FP), CX
	LEAQ ·actK(SB), R8
	VMOVUPS K_ONE(R8), Y15
tanhback256_loop:
	VMOVUPS (DX), Y1
	VMULPS  Y1, Y1, Y1
	VSUBPS  Y1, Y15, Y1
	VMULPS  (SI), Y1, Y0
	VMOVUPS Y0, (DI)
	ADDQ    $32, SI
	ADDQ    $32, DX
	ADDQ    $32, DI
	SUBQ    $8, CX
	JNZ     tanhback256_loop
	VZEROUPPER
	RET

package gemm

import (
	"math"
	"math/rand/v2"
	"testing"
)

// BenchmarkMicroKernel runs each micro-kernel alone on L1-resident panels
// (k = 256): the ceiling for the whole product.
func BenchmarkMicroKernel(b *testing.B) {
	const k = 256
	for _, kern := range platformKernels() {
		b.Run(kern.name, func(b *testing.B) {
			a := make([]float32, kern.mr*k)
			bp := make([]float32, kern.nr*k)
			c := make([]float32, kern.mr*kern.nr)
			for b.Loop() {
				kern.micro(k, &a[0], &bp[0], &c[0], kern.nr, 1, 0, kern.mr, kern.nr, kern.nr)
			}
			b.ReportMetric(2*float64(kern.mr*kern.nr*k)*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

// TestMicroKernelDepths runs each micro-kernel alone at every depth around
// its loop's unrolling and short-product thresholds, on full tiles with
// beta = 0 and with beta ≠ 0, against a float64 product.
func TestMicroKernelDepths(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	var depths []int
	for k := 0; k <= 70; k++ {
		depths = append(depths, k)
	}
	depths = append(depths, 127, 128, 129, 130, 131, 255, 256, 257, 258, 259)
	for _, kern := range platformKernels() {
		mr, nr := kern.mr, kern.nr
		for _, k := range depths {
			a := make([]float32, mr*k+1)
			b := make([]float32, nr*k+1)
			for i := range a {
				a[i] = float32(rng.NormFloat64())
			}
			for i := range b {
				b[i] = float32(rng.NormFloat64())
			}
			for _, beta := range []float32{0, -0.5} {
				c := make([]float32, mr*nr)
				for i := range c {
					c[i] = float32(rng.NormFloat64())
				}
				old := append([]float32(nil), c...)
				kern.micro(k, &a[0], &b[0], &c[0], nr, 1.5, beta, mr, nr, nr)
				for i := 0; i < mr; i++ {
					for j := 0; j < nr; j++ {
						var s, abs float64
						for p := 0; p < k; p++ {
							v := float64(a[p*mr+i]) * float64(b[p*nr+j])
							s += v
							abs += math.Abs(v)
						}
						want := 1.5 * s
						bound := 1.5*abs + 1e-30
						if beta != 0 {
							want += float64(beta) * float64(old[i*nr+j])
							bound += math.Abs(float64(beta) * float64(old[i*nr+j]))
						}
						bound *= float64(k+3) * math.Pow(2, -23)
						if got := float64(c[i*nr+j]); math.Abs(got-want) > bound {
							t.Fatalf("%s k=%d beta=%g: C[%d][%d] = %v, want %v ± %g", kern.name, k, beta, i, j, got, want, bound)
						}
					}
				}
			}
		}
	}
}

// TestMicroKernelInPlace checks that every micro-kernel, and each of its
// short twins, gives the same bits whether its panel of B is packed (rows
// nr values apart) or read in place from rows ldb apart, at depths around
// the loops' edges, for beta = 0 and ≠ 0.
func TestMicroKernelInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, kern := range platformKernels() {
		mr, nr := kern.mr, kern.nr
		ldb := nr + 5
		rowCounts := []int{mr}
		for _, s := range kern.short {
			rowCounts = append(rowCounts, s.rows)
		}
		for _, rows := range rowCounts {
			for _, k := range []int{0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 64, 129, 1153} {
				a := make([]float32, mr*k+1)
				packed := make([]float32, nr*k+1)
				strided := make([]float32, ldb*k+1)
				for i := range a {
					a[i] = float32(rng.NormFloat64())
				}
				for p := 0; p < k; p++ {
					for j := 0; j < ldb; j++ {
						strided[p*ldb+j] = float32(rng.NormFloat64())
					}
					copy(packed[p*nr:(p+1)*nr], strided[p*ldb:])
				}
				for _, beta := range []float32{0, -0.5} {
					c0 := make([]float32, mr*nr)
					for i := range c0 {
						c0[i] = float32(rng.NormFloat64())
					}
					want := append([]float32(nil), c0...)
					got := append([]float32(nil), c0...)
					micro := kern.microFor(rows)
					micro(k, &a[0], &packed[0], &want[0], nr, 1.5, beta, rows, nr, nr)
					micro(k, &a[0], &strided[0], &got[0], nr, 1.5, beta, rows, nr, ldb)
					for i := range got {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							t.Fatalf("%s rows=%d k=%d beta=%g: C[%d] = %v from rows %d apart, %v packed", kern.name, rows, k, beta, i, got[i], ldb, want[i])
						}
					}
				}
			}
		}
	}
}

package nn

import (
	"fmt"
	"math"
	"slices"
	"strconv"
)

// Patch whitening: a conv layer with init: whiten, the first layer of a
// network, takes its filters from the training images instead of at
// random. For the kh×kw×C patches of the images (every position where the
// kernel fits, stride 1), with covariance Σ = V·diag(λ)·Vᵀ, filter q is the
// eigenvector v_q scaled by 1/√(λ_q + eps), largest eigenvalue first: the
// layer's outputs are then uncorrelated with variance about 1 over the
// patches. With 2·kh·kw·C filters, the second half are the first half
// negated, so that an activation after the layer keeps both signs. The
// bias starts at 0.

// MaxWhitenSize bounds the patch size kh·kw·C of a whitening layer: the
// eigendecomposition takes time cubic in it.
const MaxWhitenSize = 192

var keyWhitenEps = Key{Name: "whiten_eps", Type: KeyFloat, OmitDefault: true,
	Doc:     "init whiten: added to each eigenvalue of the patch covariance before the inverse square root",
	Default: Value{Float: 5e-4}, Min: 0, MinOpen: true, Max: math.Inf(1)}

// checkWhiten checks the filter count of a whitening conv on input in.
func checkWhiten(in Shape, s LayerSpec) error {
	if s.Init != InitWhiten {
		return nil
	}
	d := s.KernelH * s.KernelW * in.C
	if d > MaxWhitenSize {
		return fmt.Errorf("init whiten: a %d×%d×%d patch has %d values, at most %d can be whitened", s.KernelH, s.KernelW, in.C, d, MaxWhitenSize)
	}
	if s.Filters != d && s.Filters != 2*d {
		return fmt.Errorf("init whiten needs filters = %d (kernel %d×%d × %d channels) or %d (with the negated filters), got %d",
			d, s.KernelH, s.KernelW, in.C, 2*d, s.Filters)
	}
	return nil
}

// trainText describes a layer's freezing for its detail column.
func trainText(s LayerSpec) string {
	var t string
	if s.Init == InitWhiten {
		t += ", whitened"
	}
	if s.Init == InitDirac {
		t += ", dirac"
	}
	if s.Bool(keyFrozen.Name) {
		t += ", frozen weights"
	}
	if n := s.Int(keyFreezeAfter.Name); n > 0 {
		t += ", frozen after epoch " + strconv.Itoa(n)
	}
	return t
}

// WhitenStats is what Whiten computed: the patch covariance's eigenvalues,
// largest first, and the eps added to them.
type WhitenStats struct {
	Layer       string    `json:"layer"`
	KernelH     int       `json:"kernel_h"`
	KernelW     int       `json:"kernel_w"`
	Channels    int       `json:"channels"`
	Images      int       `json:"images"`
	Eps         float64   `json:"eps"`
	Eigenvalues []float64 `json:"eigenvalues"`
}

// WhitenLayer returns the index of the layer of net that init whiten sets
// from the images, or −1 when there is none. Only the first layer may be
// one.
func (net *Network) WhitenLayer() int {
	if net.specs[0].Kind == KindConv && net.specs[0].Init == InitWhiten {
		return 0
	}
	return -1
}

// Whiten sets the filters of the network's whitening layer (its first,
// a conv with init: whiten) from the patches of the images x (preprocessed,
// of the network's input shape) and zeroes its bias. The sums run in
// float64 in a fixed order, so the result does not depend on the thread
// count.
func (net *Network) Whiten(x *Tensor) (WhitenStats, error) {
	if net.WhitenLayer() != 0 {
		return WhitenStats{}, fmt.Errorf("nn: the first layer is no conv with init %s", InitWhiten)
	}
	l := net.layers[0].(*conv)
	g := l.geom
	if x.H != g.h || x.W != g.w || x.C != g.c || x.N < 1 {
		return WhitenStats{}, fmt.Errorf("nn: whitening images of %d×%d×%d (%d), want %d×%d×%d", x.H, x.W, x.C, x.N, g.h, g.w, g.c)
	}
	eps := float64(l.spec.Float(keyWhitenEps.Name))
	d := g.kh * g.kw * g.c
	cov, count := patchCovariance(x, g.kh, g.kw)
	if count < 2 {
		return WhitenStats{}, fmt.Errorf("nn: %d×%d images hold no %d×%d patches to whiten", x.H, x.W, g.kh, g.kw)
	}
	vals, vecs := symmetricEigen(cov, d)
	f := l.spec.Filters
	w := l.w.Value
	for q := range d {
		s := 1 / math.Sqrt(max(vals[q], 0)+eps)
		for i := range d {
			v := float32(vecs[i*d+q] * s)
			w[i*f+q] = v
			if f == 2*d {
				w[i*f+d+q] = -v
			}
		}
	}
	if l.b != nil {
		clear(l.b.Value)
	}
	return WhitenStats{Layer: l.spec.Name, KernelH: g.kh, KernelW: g.kw, Channels: g.c, Images: x.N, Eps: eps, Eigenvalues: vals}, nil
}

// patchCovariance returns the d×d covariance (d = kh·kw·C, the values of a
// patch in the kernel's layout) of the kh×kw patches of the images x at
// every position where they fit, and the number of patches.
func patchCovariance(x *Tensor, kh, kw int) ([]float64, int) {
	c := x.C
	d := kh * kw * c
	sum := make([]float64, d)
	prod := make([]float64, d*d)
	patch := make([]float64, d)
	count := 0
	for n := range x.N {
		img := x.Data[n*x.H*x.W*c:]
		for y := 0; y+kh <= x.H; y++ {
			for xx := 0; xx+kw <= x.W; xx++ {
				for ky := range kh {
					row := img[((y+ky)*x.W+xx)*c:]
					for j := range kw * c {
						patch[ky*kw*c+j] = float64(row[j])
					}
				}
				for i, a := range patch {
					sum[i] += a
					r := prod[i*d:]
					for j := i; j < d; j++ {
						r[j] += a * patch[j]
					}
				}
				count++
			}
		}
	}
	m := float64(count)
	for i := range d {
		for j := i; j < d; j++ {
			v := prod[i*d+j]/m - sum[i]/m*sum[j]/m
			prod[i*d+j], prod[j*d+i] = v, v
		}
	}
	return prod, count
}

// symmetricEigen returns the eigenvalues of the symmetric d×d matrix a,
// largest first, and the eigenvectors as the columns of a d×d matrix, by
// cyclic Jacobi rotations. Each eigenvector's largest component is made
// positive, so the result is one definite answer. a is overwritten.
func symmetricEigen(a []float64, d int) ([]float64, []float64) {
	v := make([]float64, d*d)
	for i := range d {
		v[i*d+i] = 1
	}
	for sweep := 0; sweep < 100; sweep++ {
		var off, total float64
		for i := range d {
			for j := range d {
				if i != j {
					off += a[i*d+j] * a[i*d+j]
				}
				total += a[i*d+j] * a[i*d+j]
			}
		}
		if off <= 1e-30*total || off == 0 {
			break
		}
		for p := 0; p < d-1; p++ {
			for q := p + 1; q < d; q++ {
				apq := a[p*d+q]
				if apq == 0 {
					continue
				}
				theta := (a[q*d+q] - a[p*d+p]) / (2 * apq)
				t := math.Copysign(1, theta) / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				cs := 1 / math.Sqrt(t*t+1)
				sn := t * cs
				for k := range d { // columns p and q
					akp, akq := a[k*d+p], a[k*d+q]
					a[k*d+p] = cs*akp - sn*akq
					a[k*d+q] = sn*akp + cs*akq
				}
				for k := range d { // rows p and q
					apk, aqk := a[p*d+k], a[q*d+k]
					a[p*d+k] = cs*apk - sn*aqk
					a[q*d+k] = sn*apk + cs*aqk
				}
				for k := range d {
					vkp, vkq := v[k*d+p], v[k*d+q]
					v[k*d+p] = cs*vkp - sn*vkq
					v[k*d+q] = sn*vkp + cs*vkq
				}
			}
		}
	}
	order := make([]int, d)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case a[i*d+i] > a[j*d+j]:
			return -1
		case a[i*d+i] < a[j*d+j]:
			return 1
		}
		return 0
	})
	vals := make([]float64, d)
	vecs := make([]float64, d*d)
	for c, src := range order {
		vals[c] = a[src*d+src]
		big := 0
		for k := range d {
			if math.Abs(v[k*d+src]) > math.Abs(v[big*d+src]) {
				big = k
			}
		}
		sign := 1.0
		if v[big*d+src] < 0 {
			sign = -1
		}
		for k := range d {
			vecs[k*d+c] = sign * v[k*d+src]
		}
	}
	return vals, vecs
}

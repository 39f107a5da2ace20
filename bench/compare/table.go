package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// side is one side of a comparison.
type side int

const (
	sideCnnlab side = iota
	sideOther
)

// Units of the rows.
const (
	unitImages = "images/s"
	unitGFLOPs = "GFLOP/s"
)

// row is one line of the table: a measurement of cnnlab and of another
// library, one value per round on each side.
type row struct {
	what, unit, ref string
	values          [2][]float64 // by side
}

// table keeps its rows in the order they were first added.
type table struct {
	rows []*row
}

func newTable() *table { return &table{} }

// add records one round's value of a side of the row (what, ref).
func (t *table) add(what, unit, ref string, s side, v float64) {
	for _, r := range t.rows {
		if r.what == what && r.ref == ref {
			r.values[s] = append(r.values[s], v)
			return
		}
	}
	r := &row{what: what, unit: unit, ref: ref}
	r.values[s] = []float64{v}
	t.rows = append(t.rows, r)
}

// median returns the middle value of xs (the mean of the two middle ones
// when len(xs) is even), NaN for no values.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// spread returns the smallest and largest of xs.
func spread(xs []float64) (lo, hi float64) {
	if len(xs) == 0 {
		return math.NaN(), math.NaN()
	}
	return slices.Min(xs), slices.Max(xs)
}

// ratio is a ÷ b, NaN when b is not positive.
func ratio(a, b float64) float64 {
	if !(b > 0) {
		return math.NaN()
	}
	return a / b
}

// number writes v with thousands separators, one decimal under 100.
func number(v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.Abs(v) < 100:
		return fmt.Sprintf("%.1f", v)
	}
	s := fmt.Sprintf("%.0f", v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// spreadText writes the min–max of xs.
func spreadText(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	lo, hi := spread(xs)
	return number(lo) + "–" + number(hi)
}

// columns of the table; the numbers are aligned right.
var columns = []struct {
	title string
	right bool
}{
	{"what", false}, {"unit", false}, {"cnnlab", true}, {"spread", true},
	{"other side", false}, {"value", true}, {"spread", true}, {"ratio", true},
}

// cells returns the table's text, a title line first.
func (t *table) cells() [][]string {
	lines := [][]string{make([]string, len(columns))}
	for i, c := range columns {
		lines[0][i] = c.title
	}
	for _, r := range t.rows {
		c, o := median(r.values[sideCnnlab]), median(r.values[sideOther])
		q := "–"
		if x := ratio(c, o); !math.IsNaN(x) {
			q = fmt.Sprintf("%.2f×", x)
		}
		lines = append(lines, []string{r.what, r.unit, number(c), spreadText(r.values[sideCnnlab]),
			r.ref, number(o), spreadText(r.values[sideOther]), q})
	}
	return lines
}

func (t *table) write(w io.Writer) {
	lines := t.cells()
	widths := make([]int, len(columns))
	for _, l := range lines {
		for i, c := range l {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, l := range lines {
		var b strings.Builder
		for i, c := range l {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				b.WriteString("  ")
			}
			if columns[i].right {
				b.WriteString(pad + c)
			} else {
				b.WriteString(c + pad)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}

// header describes the run above the table.
func header(cfg config, m machine, inf info) string {
	var b strings.Builder
	fmt.Fprintf(&b, "cnnlab vs PyTorch and OpenBLAS, %s\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	fmt.Fprintf(&b, "machine: %s, %s; %d threads on both sides\n", m.model, m.kind, cfg.threads)
	switch cfg.isa {
	case isaNative:
		fmt.Fprintf(&b, "ISA: native (each side uses the best the CPU has)\n")
	case isaAVX2:
		fmt.Fprintf(&b, "ISA: both sides held to AVX2 (cnnlab: %s; Python: %s)\n",
			strings.Join(cnnlabAVX2Env, " "), strings.Join(pythonAVX2Env, " "))
	case isaAVX2Gemm:
		fmt.Fprintf(&b, "ISA: gemm held to AVX2, nn's own loops not (cnnlab: %s; Python: %s)\n",
			strings.Join(cnnlabGemmEnv, " "), strings.Join(pythonAVX2Env, " "))
	}
	fmt.Fprintf(&b, "cnnlab gemm kernel: %s (networks), %s (SGEMM)\n", inf.netKernel, inf.sgemmKernel)
	if len(inf.peaks) > 0 {
		lo, hi := spread(inf.peaks)
		fmt.Fprintf(&b, "ceiling: %s GFLOP/s (%s–%s), %s's multiply-adds alone on %d threads (bench/internal/peak); no SGEMM can go faster\n",
			number(median(inf.peaks)), number(lo), number(hi), inf.sgemmKernel, cfg.threads)
	}
	fmt.Fprintf(&b, "PyTorch side: %s", strings.TrimPrefix(inf.pythonCheck, "ok "))
	if cfg.ompWait != "" {
		fmt.Fprintf(&b, " OMP_WAIT_POLICY=%s", cfg.ompWait)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "parameters: MNIST cnnlab %s, PyTorch %s; CIFAR-10 cnnlab %s, PyTorch %s\n",
		number(float64(inf.cnnlabParams["mnist"])), number(float64(inf.pytorchParams["mnist"])),
		number(float64(inf.cnnlabParams["cifar10"])), number(float64(inf.pytorchParams["cifar10"])))
	rate := "mean rate"
	if cfg.sgemmStat == statP10 {
		rate = "rate of the 10th-percentile call"
	}
	fmt.Fprintf(&b, "%s, interleaved (MNIST %d images, CIFAR-10 %d images, SGEMM %v per shape, its %s); medians, spread min–max; ratio = cnnlab ÷ other side\n\n",
		plural(cfg.rounds, "round"), cfg.mnistImages, cfg.cifarImages, cfg.sgemmTime, rate)
	return b.String()
}

// plural writes n and noun, with an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

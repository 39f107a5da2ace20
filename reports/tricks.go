package reports

import (
	"fmt"
	"image"
	"image/color"
	"math"
	"strconv"

	"github.com/cnnlab/cnnlab/runner/record"
)

// The part of a run page that shows what the training settings of the
// fast recipes change: the test accuracy of the raw and averaged weights
// without and with test-time augmentation (evaluations.json), and the
// filters of a first layer whitened from the training images (whiten.json).

// tricksView is that part of a run page; nil when the run has neither
// record.
type tricksView struct {
	Used     string
	LastOnly bool
	Epoch    int
	Headers  []string   // the test-time augmentations, as columns
	Rows     [][]string // per weights: name, then accuracy (loss) per column
	Whiten   *whitenView
	Problems []string
}

type whitenView struct {
	Src           string
	Width, Height int
	Layer, Patch  string
	Filters       int
	Images        int
	Eps           string
	Eigenvalues   []string
}

// tricks builds the view from the run folder's records and writes the
// filter picture under dir.
func (b *builder) tricks(rec *record.Run, dir string) *tricksView {
	ev, err1 := record.ReadEvaluations(rec.Dir)
	wh, err2 := record.ReadWhitening(rec.Dir)
	if ev == nil && wh == nil && err1 == nil && err2 == nil {
		return nil
	}
	v := &tricksView{}
	for _, err := range []error{err1, err2} {
		if err != nil {
			v.Problems = append(v.Problems, err.Error())
		}
	}
	if ev != nil {
		v.Used, v.Epoch, v.LastOnly = ev.Used, ev.Epoch, ev.LastOnly
		col := map[string]int{}
		row := map[string]int{}
		for _, r := range ev.Rows {
			if _, ok := col[r.TTA]; !ok {
				col[r.TTA] = len(v.Headers)
				v.Headers = append(v.Headers, r.TTA)
			}
		}
		for _, r := range ev.Rows {
			i, ok := row[r.Weights]
			if !ok {
				i = len(v.Rows)
				row[r.Weights] = i
				v.Rows = append(v.Rows, make([]string, 1+len(v.Headers)))
				v.Rows[i][0] = r.Weights
			}
			v.Rows[i][1+col[r.TTA]] = pct(r.TestAcc) + " (" + strconv.FormatFloat(r.TestLoss, 'f', 4, 64) + ")"
		}
	}
	if wh != nil {
		img, w, h, err := whitenFilters(wh)
		if err != nil {
			v.Problems = append(v.Problems, err.Error())
		} else if png, err := encodePNG(img); err != nil {
			v.Problems = append(v.Problems, err.Error())
		} else {
			src := "img/whitening.png"
			b.w.file(dir+"/"+src, png)
			wv := &whitenView{Src: src, Width: w, Height: h, Layer: wh.Layer, Filters: len(wh.Filters), Images: wh.Images,
				Patch: fmt.Sprintf("%d×%d×%d", wh.KernelH, wh.KernelW, wh.Channels), Eps: strconv.FormatFloat(wh.Eps, 'g', 3, 64)}
			for _, e := range wh.Eigenvalues {
				wv.Eigenvalues = append(wv.Eigenvalues, strconv.FormatFloat(e, 'g', 3, 64))
			}
			v.Whiten = wv
		}
	}
	return v
}

// whitenCell is the side in pixels of one weight of a filter in the picture.
const whitenCell = 10

// whitenFilters draws the filters of a whitening layer side by side, one
// tile per filter, a weight per whitenCell×whitenCell square: each filter
// is scaled by its largest magnitude, 0 grey, positive weights lighter,
// negative darker, in colour when the layer sees three channels (the
// channel's share of red, green, blue) and grey with one.
func whitenFilters(wh *record.Whitening) (image.Image, int, int, error) {
	kh, kw, c := wh.KernelH, wh.KernelW, wh.Channels
	size := kh * kw * c
	if kh < 1 || kw < 1 || (c != 1 && c != 3) || len(wh.Filters) == 0 || len(wh.Filters) > 4096 || kh*kw > 4096 {
		return nil, 0, 0, fmt.Errorf("whitening record: %d filters of %d×%d×%d cannot be drawn", len(wh.Filters), kh, kw, c)
	}
	n := len(wh.Filters)
	cols := min(n, 12)
	rows := (n + cols - 1) / cols
	tw, th := kw*whitenCell, kh*whitenCell
	w, h := cols*(tw+4)-4, rows*(th+4)-4
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255 // white gaps
	}
	for f, filter := range wh.Filters {
		if len(filter) != size {
			return nil, 0, 0, fmt.Errorf("whitening record: filter %d has %d values, want %d", f, len(filter), size)
		}
		var big float64
		for _, x := range filter {
			big = math.Max(big, math.Abs(float64(x)))
		}
		if big == 0 {
			big = 1
		}
		x0, y0 := (f%cols)*(tw+4), (f/cols)*(th+4)
		for y := range kh {
			for x := range kw {
				var rgb [3]uint8
				for ch := range 3 {
					v := float64(filter[(y*kw+x)*c+min(ch, c-1)]) / big
					rgb[ch] = uint8(math.Round(127.5 + 127.5*v))
				}
				col := color.NRGBA{rgb[0], rgb[1], rgb[2], 255}
				for dy := range whitenCell {
					for dx := range whitenCell {
						img.SetNRGBA(x0+x*whitenCell+dx, y0+y*whitenCell+dy, col)
					}
				}
			}
		}
	}
	return img, w, h, nil
}

// sweepTricksView is the sweep page's table of evaluations.json over the
// points: per point, the mean ± standard deviation over its seeds of the
// test accuracy of each weights and test-time augmentation.
type sweepTricksView struct {
	Headers []string   // "weights, augmentation" columns
	Rows    [][]string // per point: name, seeds, then a cell per column
}

// sweepTricks builds that table; nil when no finished run recorded
// evaluations. A run whose record cannot be read is left out.
func sweepTricks(e *experiment) *sweepTricksView {
	type cell struct{ accs []float64 }
	v := &sweepTricksView{}
	col := map[string]int{}
	for _, pt := range e.points(e.Runs) {
		cells := map[int]*cell{}
		seeds := 0
		for _, r := range pt.runs {
			ev, err := record.ReadEvaluations(r.Rec.Dir)
			if err != nil || ev == nil || r.State() != record.StateDone {
				continue
			}
			seeds++
			for _, row := range ev.Rows {
				k := row.Weights + ", " + row.TTA
				i, ok := col[k]
				if !ok {
					i = len(v.Headers)
					col[k] = i
					v.Headers = append(v.Headers, k)
				}
				if cells[i] == nil {
					cells[i] = &cell{}
				}
				cells[i].accs = append(cells[i].accs, row.TestAcc)
			}
		}
		if seeds == 0 {
			continue
		}
		name := pt.name
		if name == "" {
			name = e.Name // a sweep of seeds alone: one point
		}
		row := []string{name, strconv.Itoa(seeds)}
		for i := range v.Headers {
			c := cells[i]
			switch {
			case c == nil:
				row = append(row, "–")
			case len(c.accs) == 1:
				row = append(row, pct(c.accs[0]))
			default:
				m, s := meanStd(c.accs)
				row = append(row, fmt.Sprintf("%.2f ± %.2f%%", 100*m, 100*s))
			}
		}
		v.Rows = append(v.Rows, row)
	}
	if len(v.Rows) == 0 {
		return nil
	}
	for i := range v.Rows {
		for len(v.Rows[i]) < 2+len(v.Headers) {
			v.Rows[i] = append(v.Rows[i], "–")
		}
	}
	return v
}

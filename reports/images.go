package reports

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"

	"github.com/cnnlab/cnnlab/runner/record"
)

// imagePNG encodes a stored picture (H×W×C bytes, C = 1 or 3) as a PNG.
func imagePNG(im record.Image) ([]byte, error) {
	img, err := pictureImage(im)
	if err != nil {
		return nil, err
	}
	return encodePNG(img)
}

// pictureImage turns a stored picture (H×W×C bytes, C = 1 or 3) into an image.
func pictureImage(im record.Image) (image.Image, error) {
	if im.H <= 0 || im.W <= 0 || (im.C != 1 && im.C != 3) {
		return nil, fmt.Errorf("image of %d×%d×%d: want H, W > 0 and 1 or 3 channels", im.H, im.W, im.C)
	}
	if len(im.Pixels) != im.H*im.W*im.C {
		return nil, fmt.Errorf("image of %d×%d×%d has %d bytes, want %d", im.H, im.W, im.C, len(im.Pixels), im.H*im.W*im.C)
	}
	if im.C == 1 {
		g := image.NewGray(image.Rect(0, 0, im.W, im.H))
		copy(g.Pix, im.Pixels)
		return g, nil
	}
	rgb := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
	for i := 0; i < im.H*im.W; i++ {
		copy(rgb.Pix[4*i:4*i+3], im.Pixels[3*i:3*i+3])
		rgb.Pix[4*i+3] = 255
	}
	return rgb, nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// featureGrid lays out one layer's channels as a grid of grey tiles, one
// pixel of gap between them, and returns the PNG with the grid's columns
// and rows.
func featureGrid(m record.LayerMaps) (pngBytes []byte, cols, rows int, err error) {
	img, cols, rows, err := featureGridImage(m)
	if err != nil {
		return nil, 0, 0, err
	}
	b, err := encodePNG(img)
	return b, cols, rows, err
}

// featureGridImage is featureGrid's picture. Every map of the layer shares
// one grey scale, black at the layer's lowest value and white at its
// highest, so that a weak channel looks weak: the stored bytes, scaled per
// channel, are taken back to values through the channel's Min and Max.
// Records without them are drawn as stored.
func featureGridImage(m record.LayerMaps) (img *image.Gray, cols, rows int, err error) {
	cols, rows, err = mapGrid(m)
	if err != nil {
		return nil, 0, 0, err
	}
	grey := layerScale(m)
	const gap = 1
	w, h := cols*(m.W+gap)-gap, rows*(m.H+gap)-gap
	img = image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255 // gaps and unused tiles are white
	}
	for ch := 0; ch < m.C; ch++ {
		x0, y0 := (ch%cols)*(m.W+gap), (ch/cols)*(m.H+gap)
		for y := 0; y < m.H; y++ {
			for x := 0; x < m.W; x++ {
				img.SetGray(x0+x, y0+y, color.Gray{grey(ch, m.Data[(y*m.W+x)*m.C+ch])})
			}
		}
	}
	return img, cols, rows, nil
}

// mapGrid checks a layer's recorded maps and lays its channels out in a
// near-square grid of cols × rows tiles.
func mapGrid(m record.LayerMaps) (cols, rows int, err error) {
	if m.H <= 0 || m.W <= 0 || m.C <= 0 {
		return 0, 0, fmt.Errorf("layer %q: feature maps of %d×%d×%d", m.Layer, m.H, m.W, m.C)
	}
	if len(m.Data) != m.H*m.W*m.C {
		return 0, 0, fmt.Errorf("layer %q: feature maps of %d×%d×%d have %d bytes, want %d", m.Layer, m.H, m.W, m.C, len(m.Data), m.H*m.W*m.C)
	}
	cols = int(math.Ceil(math.Sqrt(float64(m.C))))
	return cols, (m.C + cols - 1) / cols, nil
}

// layerScale returns how a stored byte of channel ch becomes a grey level
// on the layer's common scale, and the layer's range.
func layerScale(m record.LayerMaps) func(ch int, b byte) byte {
	lo, hi, ok := layerRange(m)
	if !ok {
		return func(_ int, b byte) byte { return b }
	}
	return func(ch int, b byte) byte {
		v := float64(m.Min[ch]) + float64(b)/255*float64(m.Max[ch]-m.Min[ch])
		return byte(math.Round(255 * math.Max(0, math.Min(1, (v-lo)/(hi-lo)))))
	}
}

// layerRange is the lowest and highest value over every channel of a
// layer, from the channels' Min and Max; ok is false when the record has
// none or they are not finite, or the layer is constant.
func layerRange(m record.LayerMaps) (lo, hi float64, ok bool) {
	if len(m.Min) != m.C || len(m.Max) != m.C {
		return 0, 0, false
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for ch := range m.C {
		lo, hi = math.Min(lo, float64(m.Min[ch])), math.Max(hi, float64(m.Max[ch]))
	}
	return lo, hi, isFinite(lo) && isFinite(hi) && hi > lo
}

// filterImage draws a conv layer's recorded filters on a diverging scale
// (blue negative, white zero, red positive, full colour at the layer's
// largest |weight|), one KH×KW tile per filter and input channel: with one
// input channel, the filters in a square grid; with more, one row per
// filter and one column per channel. It returns the picture and that
// largest |weight|.
func filterImage(f record.LayerFilters) (img *image.RGBA, scale float64, err error) {
	cols, rows, err := filterGrid(f)
	if err != nil {
		return nil, 0, err
	}
	for _, w := range f.Weights {
		if v := math.Abs(float64(w)); isFinite(v) {
			scale = math.Max(scale, v)
		}
	}
	const gap = 1
	img = image.NewRGBA(image.Rect(0, 0, cols*(f.KW+gap)-gap, rows*(f.KH+gap)-gap))
	for i := range img.Pix {
		img.Pix[i] = 0xb0 // grey gaps, which white (zero) weights do not melt into
		if i%4 == 3 {
			img.Pix[i] = 255
		}
	}
	for k := range f.F {
		for ch := range f.C {
			tx, ty := ch, k
			if f.C == 1 {
				tx, ty = k%cols, k/cols
			}
			for y := range f.KH {
				for x := range f.KW {
					w := float64(f.Weights[((y*f.KW+x)*f.C+ch)*f.F+k])
					img.Set(tx*(f.KW+gap)+x, ty*(f.KH+gap)+y, diverging(w, scale))
				}
			}
		}
	}
	return img, scale, nil
}

// filterGrid checks a layer's recorded filters and lays them out: with one
// input channel, the filters in a square grid; with more, one row per
// filter and one column per channel.
func filterGrid(f record.LayerFilters) (cols, rows int, err error) {
	if f.KH <= 0 || f.KW <= 0 || f.C <= 0 || f.F <= 0 || len(f.Weights) != f.KH*f.KW*f.C*f.F {
		return 0, 0, fmt.Errorf("filters of %s: %d×%d×%d×%d with %d weights", f.Layer, f.KH, f.KW, f.C, f.F, len(f.Weights))
	}
	if f.C > 1 {
		return f.C, f.F, nil
	}
	cols = int(math.Ceil(math.Sqrt(float64(f.F))))
	return cols, (f.F + cols - 1) / cols, nil
}

// filterSize is the size in screen pixels a filter picture of w×h pixels is
// shown at: about 360 wide, each weight 2 to 12 pixels square.
func filterSize(w, h int) (int, int) {
	px := max(2, min(12, 360/max(w, 1)))
	return w * px, h * px
}

// diverging colours v on a scale from −scale (blue) through 0 (white) to
// +scale (red).
func diverging(v, scale float64) color.RGBA {
	t := 0.0
	if scale > 0 && isFinite(v) {
		t = math.Max(-1, math.Min(1, v/scale))
	}
	mix := func(a, b uint8, f float64) uint8 { return uint8(math.Round(float64(a) + f*(float64(b)-float64(a)))) }
	if t < 0 {
		return color.RGBA{mix(255, 0x21, -t), mix(255, 0x66, -t), mix(255, 0xac, -t), 255}
	}
	return color.RGBA{mix(255, 0xb2, t), mix(255, 0x18, t), mix(255, 0x2b, t), 255}
}

// stripImage puts pictures side by side, one pixel apart, scaled to a
// common height: the test images of a confusion matrix cell.
func stripImage(ims []record.Image) (image.Image, error) {
	var pics []image.Image
	h, w := 0, 0
	for _, im := range ims {
		p, err := pictureImage(im)
		if err != nil {
			return nil, err
		}
		pics = append(pics, p)
		h = max(h, im.H)
		w += im.W + 1
	}
	if len(pics) == 0 {
		return nil, fmt.Errorf("no image")
	}
	out := image.NewRGBA(image.Rect(0, 0, w-1, h))
	for i := range out.Pix {
		out.Pix[i] = 255
	}
	x := 0
	for _, p := range pics {
		b := p.Bounds()
		for y := 0; y < b.Dy(); y++ {
			for xx := 0; xx < b.Dx(); xx++ {
				out.Set(x+xx, y, p.At(b.Min.X+xx, b.Min.Y+y))
			}
		}
		x += b.Dx() + 1
	}
	return out, nil
}

package reports

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cnnlab/cnnlab/runner/record"
)

// checker returns a w×h grey picture whose pixel (x, y) is 40·x + y.
func checker(w, h int) record.Image {
	im := record.Image{H: h, W: w, C: 1, Pixels: make([]byte, w*h)}
	for y := range h {
		for x := range w {
			im.Pixels[y*w+x] = byte(40*x + y)
		}
	}
	return im
}

func decodeSheet(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// countInk counts the pixels of r in img that are close to c.
func countInk(img image.Image, r image.Rectangle, c color.RGBA) int {
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.RGBAModel.Convert(img.At(x, y)).(color.RGBA)
			d := func(a, b uint8) int { return max(int(a)-int(b), int(b)-int(a)) }
			if d(p.R, c.R) < 40 && d(p.G, c.G) < 40 && d(p.B, c.B) < 40 {
				n++
			}
		}
	}
	return n
}

func TestGallerySheet(t *testing.T) {
	examples := []record.Example{
		{Index: 7, True: 1, Pred: 1, Prob: 0.9, Image: checker(4, 4)},
		{Index: 8, True: 0, Pred: 2, Prob: 0.8, Image: checker(4, 4)},
		{Index: 9, True: 0, Pred: 0, Prob: 0.7, Image: record.Image{H: 4, W: 4, C: 1, Pixels: []byte{1}}}, // damaged
	}
	b, problems, err := gallerySheet("title", []string{"cat", "dog", "bird"}, examples)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 1 || !strings.Contains(problems[0], "image 9") {
		t.Errorf("problems %q, want the damaged image 9 named", problems)
	}
	img := decodeSheet(t, b)
	txt := newSheetText(captionSize)
	scale := sheetTile / 4
	// The first picture sits below the title, each pixel a scale×scale
	// square, centred in its cell.
	cellW := max(4*scale, txt.width("true dog"), txt.width("pred cat 90.00%"), txt.width("true cat"), txt.width("pred bird 80.00%"))
	x0, y0 := sheetPad+(cellW-4*scale)/2, sheetPad+txt.line+sheetPad/2
	for _, p := range [][2]int{{0, 0}, {3, 0}, {1, 2}, {3, 3}} {
		for _, d := range [][2]int{{0, 0}, {scale - 1, scale - 1}} {
			got := color.GrayModel.Convert(img.At(x0+p[0]*scale+d[0], y0+p[1]*scale+d[1])).(color.Gray).Y
			if want := byte(40*p[0] + p[1]); got != want {
				t.Errorf("pixel (%d, %d) of the first picture, at offset %v: %d, want %d", p[0], p[1], d, got, want)
			}
		}
	}
	if w := img.Bounds().Dx(); w != sheetPad+2*(cellW+sheetPad) {
		t.Errorf("sheet %d wide, want two cells of %d", w, cellW)
	}
	// The prediction is written in green when right, in red when wrong.
	capY := y0 + 4*scale + 4 + txt.line
	first := image.Rect(sheetPad, capY, sheetPad+cellW, capY+txt.line)
	second := first.Add(image.Pt(cellW+sheetPad, 0))
	if countInk(img, first, sheetRight) == 0 || countInk(img, first, sheetWrong) > 0 {
		t.Error("the right prediction is not written in green alone")
	}
	if countInk(img, second, sheetWrong) == 0 || countInk(img, second, sheetRight) > 0 {
		t.Error("the wrong prediction is not written in red alone")
	}

	if _, _, err := gallerySheet("title", nil, examples[2:]); err == nil {
		t.Error("a sheet of damaged pictures alone: no error")
	}
}

func TestFeatureSheet(t *testing.T) {
	maps := record.LayerMaps{Layer: "conv1", Kind: "conv", H: 3, W: 3, C: 2, Data: make([]byte, 18)}
	for i := range maps.Data {
		maps.Data[i] = byte(i * 10)
	}
	fm := record.FeatureMaps{Index: 3, True: 1, Image: checker(6, 6), Layers: []record.LayerMaps{maps}}
	b, err := featureSheet(fm, []string{"cat", "dog"})
	if err != nil {
		t.Fatal(err)
	}
	img := decodeSheet(t, b)
	txt := newSheetText(captionSize)
	// One scale for the input and every map: the largest whole factor
	// that keeps the input within a tile and the widest grid within the
	// sheet, and at most 8.
	gridScale := min(8, sheetMapsW/(2*3+1), sheetTile/6)
	inScale := gridScale
	wantH := sheetPad + (txt.line + 6*inScale + sheetPad) + (txt.line + 3*gridScale + sheetPad)
	if h := img.Bounds().Dy(); h != wantH {
		t.Errorf("sheet %d high, want %d", h, wantH)
	}
	// Channel 1's top-left value (data index 1) starts the second tile of
	// the layer's grid, after a one-pixel gap, enlarged.
	y := sheetPad + txt.line + 6*inScale + sheetPad + txt.line
	x := sheetPad + (3+1)*gridScale
	if got := color.GrayModel.Convert(img.At(x, y)).(color.Gray).Y; got != 10 {
		t.Errorf("channel 1 at (0, 0): %d, want 10", got)
	}

	maps.Data = maps.Data[:5]
	fm.Layers = []record.LayerMaps{maps}
	if _, err := featureSheet(fm, nil); err == nil || !strings.Contains(err.Error(), "conv1") {
		t.Errorf("damaged maps: %v, want an error naming the layer", err)
	}
}

// A finished run's page offers its galleries and feature maps as PNG figures.
func TestRunPageLinksSheets(t *testing.T) {
	out, _, _ := sharedSite(t)
	dir := filepath.Join(out, "grid", "run-01")
	b, err := os.ReadFile(filepath.Join(dir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"img/correct.png", "img/wrong.png", "img/fm0.png"} {
		if !strings.Contains(string(b), `href="`+name+`"`) {
			t.Errorf("run page does not link %s", name)
		}
		f, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		decodeSheet(t, f)
	}
}

// enlarge draws every source pixel as a scale×scale square, and nothing
// outside them, whatever the source's colour model and origin.
func TestEnlarge(t *testing.T) {
	gray := image.NewGray(image.Rect(2, 3, 5, 5))
	nrgba := image.NewNRGBA(image.Rect(0, 0, 2, 3))
	for i := range gray.Pix {
		gray.Pix[i] = uint8(40 * i)
	}
	for i := range nrgba.Pix {
		nrgba.Pix[i] = uint8(17*i + 3)
	}
	for _, tc := range []struct {
		name  string
		src   image.Image
		scale int
	}{{"gray", gray, 3}, {"nrgba", nrgba, 2}, {"gray at 1", gray, 1}} {
		dst := image.NewRGBA(image.Rect(0, 0, 20, 20))
		const x, y = 4, 5
		enlarge(dst, x, y, tc.src, tc.scale)
		b := tc.src.Bounds()
		for dy := range 20 {
			for dx := range 20 {
				want := color.RGBA{}
				sx, sy := b.Min.X+(dx-x)/tc.scale, b.Min.Y+(dy-y)/tc.scale
				if dx >= x && dy >= y && sx < b.Max.X && sy < b.Max.Y {
					want = color.RGBAModel.Convert(tc.src.At(sx, sy)).(color.RGBA)
				}
				if got := dst.RGBAAt(dx, dy); got != want {
					t.Fatalf("%s: pixel (%d, %d) = %v, want %v", tc.name, dx, dy, got, want)
				}
			}
		}
	}
}

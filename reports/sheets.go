package reports

import (
	"fmt"
	"image"
	"image/color"
	"strings"

	"golang.org/x/image/draw"
	xfont "golang.org/x/image/font"
	"golang.org/x/image/math/fixed"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"

	"github.com/cnnlab/cnnlab/runner/record"
)

// A sheet is one of a run page's picture galleries drawn as a single PNG,
// captions included, for a write-up: the classified test images, and one
// test image's feature maps through the network. Pictures are enlarged by
// whole factors, pixel by pixel, so that nothing is blurred.

const (
	sheetPad    = 10 // margin around the sheet and between cells, pixels
	sheetTile   = 96 // a gallery picture is enlarged to at most this side
	sheetCols   = 8  // gallery pictures per row
	sheetMapsW  = 720
	captionSize = 12 // points, drawn at 72 dpi: pixels
)

var (
	sheetInk   = color.RGBA{0x1f, 0x29, 0x37, 255}
	sheetMuted = color.RGBA{0x6b, 0x72, 0x80, 255}
	sheetRight = color.RGBA{0x15, 0x80, 0x3d, 255}
	sheetWrong = color.RGBA{0xb9, 0x1c, 0x1c, 255}
)

// sheetText draws single lines of text in the charts' typeface.
type sheetText struct {
	face         xfont.Face
	ascent, line int
}

func newSheetText(points float64) sheetText {
	f := font.DefaultCache.Lookup(font.Font{Typeface: "Liberation", Variant: "Sans"}, vg.Points(points))
	face := f.FontFace(72)
	m := face.Metrics()
	return sheetText{face: face, ascent: m.Ascent.Ceil(), line: (m.Ascent + m.Descent).Ceil() + 2}
}

func (t sheetText) width(s string) int { return xfont.MeasureString(t.face, s).Ceil() }

// draw writes s with its top-left corner at (x, y).
func (t sheetText) draw(dst draw.Image, x, y int, s string, c color.Color) {
	d := xfont.Drawer{Dst: dst, Src: image.NewUniform(c), Face: t.face, Dot: fixed.P(x, y+t.ascent)}
	d.DrawString(s)
}

// enlarge draws src onto dst at (x, y), each pixel as a scale×scale square.
func enlarge(dst *image.RGBA, x, y int, src image.Image, scale int) {
	b := src.Bounds()
	draw.NearestNeighbor.Scale(dst, image.Rect(x, y, x+b.Dx()*scale, y+b.Dy()*scale), src, b, draw.Src, nil)
}

func whiteSheet(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	return img
}

// gallerySheet draws test images as one picture: a title line, then rows of
// enlarged images, each captioned with its true class and the predicted
// class with its probability, the prediction in green when right and red
// when wrong. Images that cannot be drawn are left out and returned as
// problems.
func gallerySheet(title string, classes []string, examples []record.Example) (png []byte, problems []string, err error) {
	type cell struct {
		img         image.Image
		truth, pred string
		right       bool
	}
	var cells []cell
	side := 1
	for _, ex := range examples {
		img, err := pictureImage(ex.Image)
		if err != nil {
			problems = append(problems, fmt.Sprintf("image %d: %v", ex.Index, err))
			continue
		}
		side = max(side, ex.Image.H, ex.Image.W)
		cells = append(cells, cell{img, "true " + className(classes, ex.True),
			fmt.Sprintf("pred %s %s", className(classes, ex.Pred), pct(ex.Prob)), ex.Pred == ex.True})
	}
	if len(cells) == 0 {
		return nil, problems, fmt.Errorf("no image to draw")
	}
	txt := newSheetText(captionSize)
	scale := max(1, sheetTile/side)
	cellW := side * scale
	for _, c := range cells {
		cellW = max(cellW, txt.width(c.truth), txt.width(c.pred))
	}
	cols := min(sheetCols, len(cells))
	rows := (len(cells) + cols - 1) / cols
	cellH := side*scale + 4 + 2*txt.line
	titleH := txt.line + sheetPad/2
	w := max(sheetPad+cols*(cellW+sheetPad), 2*sheetPad+txt.width(title))
	h := sheetPad + titleH + rows*(cellH+sheetPad)
	img := whiteSheet(w, h)
	txt.draw(img, sheetPad, sheetPad, title, sheetInk)
	for i, c := range cells {
		x := sheetPad + (i%cols)*(cellW+sheetPad)
		y := sheetPad + titleH + (i/cols)*(cellH+sheetPad)
		b := c.img.Bounds()
		enlarge(img, x+(cellW-b.Dx()*scale)/2, y, c.img, scale)
		ty := y + side*scale + 4
		txt.draw(img, x, ty, c.truth, sheetMuted)
		ink := sheetWrong
		if c.right {
			ink = sheetRight
		}
		txt.draw(img, x, ty+txt.line, c.pred, ink)
	}
	png, err = encodePNG(img)
	return png, problems, err
}

// featureSheet draws one test image and, below it, the feature maps of
// every recorded layer, each enlarged to about the sheet's width and
// captioned with the layer's name, kind and shape.
func featureSheet(fm record.FeatureMaps, classes []string) ([]byte, error) {
	txt := newSheetText(captionSize)
	type part struct {
		caption string
		img     image.Image
		scale   int
	}
	in, err := pictureImage(fm.Image)
	if err != nil {
		return nil, fmt.Errorf("input image: %w", err)
	}
	// One scale for every map, as wide as the widest grid allows, so that
	// maps keep their sizes relative to each other and to the input.
	var grids []*image.Gray
	var captions []string
	widest := fm.Image.W
	for _, lm := range fm.Layers {
		grid, cols, rows, err := featureGridImage(lm)
		if err != nil {
			return nil, err
		}
		grids = append(grids, grid)
		captions = append(captions, fmt.Sprintf("%s · %s · %d×%d×%d, %d maps in %d×%d", lm.Layer, mapKind(lm), lm.H, lm.W, lm.C, lm.C, cols, rows))
		widest = max(widest, grid.Bounds().Dx())
	}
	scale := max(1, min(8, sheetMapsW/max(widest, 1), sheetTile/max(fm.Image.H, fm.Image.W, 1)))
	parts := []part{{fmt.Sprintf("test image %d, true class %s", fm.Index, className(classes, fm.True)), in, scale}}
	for i, g := range grids {
		parts = append(parts, part{captions[i], g, scale})
	}
	w, h := 0, sheetPad
	for _, p := range parts {
		b := p.img.Bounds()
		w = max(w, b.Dx()*p.scale, txt.width(p.caption))
		h += txt.line + b.Dy()*p.scale + sheetPad
	}
	img := whiteSheet(w+2*sheetPad, h)
	y := sheetPad
	for _, p := range parts {
		txt.draw(img, sheetPad, y, p.caption, sheetInk)
		y += txt.line
		enlarge(img, sheetPad, y, p.img, p.scale)
		y += p.img.Bounds().Dy()*p.scale + sheetPad
	}
	return encodePNG(img)
}

// sheetTitle is the first line of a gallery sheet.
func sheetTitle(exp, label, what string) string {
	return strings.Join([]string{exp, label, what}, " · ")
}

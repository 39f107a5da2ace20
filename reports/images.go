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

// featureGridImage is featureGrid's picture.
func featureGridImage(m record.LayerMaps) (img *image.Gray, cols, rows int, err error) {
	if m.H <= 0 || m.W <= 0 || m.C <= 0 {
		return nil, 0, 0, fmt.Errorf("layer %q: feature maps of %d×%d×%d", m.Layer, m.H, m.W, m.C)
	}
	if len(m.Data) != m.H*m.W*m.C {
		return nil, 0, 0, fmt.Errorf("layer %q: feature maps of %d×%d×%d have %d bytes, want %d", m.Layer, m.H, m.W, m.C, len(m.Data), m.H*m.W*m.C)
	}
	cols = int(math.Ceil(math.Sqrt(float64(m.C))))
	rows = (m.C + cols - 1) / cols
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
				img.SetGray(x0+x, y0+y, color.Gray{m.Data[(y*m.W+x)*m.C+ch]})
			}
		}
	}
	return img, cols, rows, nil
}

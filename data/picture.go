package data

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// MaxPicturePixels bounds the pixels of one picture of a folder data set,
// as its header gives them: 50 megapixels holds the photos of common
// cameras (48 MP is 8000×6000) and decodes in at most 400 MB (16-bit RGBA).
// A header claiming more (a 100000×100000 PNG of a few hundred bytes) is
// refused before any pixel is decoded.
const MaxPicturePixels = 50_000_000

// pictureFormat is a picture format LoadFolder reads.
type pictureFormat string

const (
	formatPNG  pictureFormat = "png"
	formatJPEG pictureFormat = "jpeg"
)

// sniff names the format of a picture from its first bytes. Only PNG and
// JPEG are read; other formats are named in the error, so that no other
// decoder linked into the program (GIF, TIFF) ever sees a user's file.
func sniff(name string, r *bufio.Reader) (pictureFormat, error) {
	head, _ := r.Peek(8)
	switch {
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return formatPNG, nil
	case bytes.HasPrefix(head, []byte{0xff, 0xd8}):
		return formatJPEG, nil
	}
	other := "an unknown format"
	for _, k := range []struct{ magic, name string }{
		{"GIF8", "a GIF picture"}, {"BM", "a BMP picture"}, {"II*\x00", "a TIFF picture"}, {"MM\x00*", "a TIFF picture"}, {"RIFF", "a WebP picture"},
	} {
		if bytes.HasPrefix(head, []byte(k.magic)) {
			other = k.name
		}
	}
	return "", fmt.Errorf("%s: unreadable image: %s; pictures must be PNG or JPEG", name, other)
}

// pictureHeader reads the header of a picture from r (its format and size,
// not its pixels) and refuses it as LoadFolder would: not PNG or JPEG, a
// damaged header, no pixels, or more than MaxPicturePixels. name names the
// picture in errors.
func pictureHeader(name string, r *bufio.Reader) (image.Config, pictureFormat, error) {
	format, err := sniff(name, r)
	if err != nil {
		return image.Config{}, "", err
	}
	var cfg image.Config
	if format == formatPNG {
		cfg, err = png.DecodeConfig(r)
	} else {
		cfg, err = jpeg.DecodeConfig(r)
	}
	if err != nil {
		return cfg, format, fmt.Errorf("%s: unreadable image: %w", name, err)
	}
	if err := checkSides(name, cfg.Width, cfg.Height); err != nil {
		return cfg, format, err
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > MaxPicturePixels {
		return cfg, format, fmt.Errorf("%s: %s image of %d×%d = %.0f megapixels; pictures are limited to %d megapixels (scale it down first)",
			name, format, cfg.Width, cfg.Height, float64(px)/1e6, MaxPicturePixels/1_000_000)
	}
	return cfg, format, nil
}

// decodePicture decodes the picture at path after checking its header, so
// that its size is bounded before any pixel is decoded. Only regular files
// are read: a device or a pipe named like a picture is refused.
func decodePicture(path string) (image.Image, error) {
	f, _, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return decodeFrom(path, f)
}

// decodeFrom is decodePicture for a picture read from r; name names it in
// errors.
func decodeFrom(name string, r io.ReadSeeker) (image.Image, error) {
	_, format, err := pictureHeader(name, bufio.NewReader(r))
	if err != nil {
		return nil, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var src image.Image
	if format == formatPNG {
		src, err = png.Decode(bufio.NewReader(r))
	} else {
		src, err = jpeg.Decode(bufio.NewReader(r))
	}
	if err != nil {
		return nil, fmt.Errorf("%s: unreadable image: %w", name, err)
	}
	if b := src.Bounds(); b.Dx() < 1 || b.Dy() < 1 || int64(b.Dx())*int64(b.Dy()) > MaxPicturePixels {
		return nil, fmt.Errorf("%s: changed while being read", name)
	}
	return src, nil
}

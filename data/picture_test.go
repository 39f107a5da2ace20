package data

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// pngHeader is a PNG whose header claims w×h RGBA pixels, followed by a
// small compressed body (of one row) and the end chunk.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(kind string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		c := append([]byte(kind), data...)
		b.Write(c)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(c))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 6
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegHeader is a 378-byte JPEG: a JFIF marker and a baseline frame header
// claiming w×h pixels of three components, then zeros.
func jpegHeader(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	b = append(b, 0xff, 0xc0, 0x00, 0x11, 8, byte(h>>8), byte(h), byte(w>>8), byte(w), 3)
	for id := byte(1); id <= 3; id++ {
		b = append(b, id, 0x11, 0)
	}
	return append(b, make([]byte, 378-len(b))...)
}

func smallPNG(t testing.TB) []byte {
	im := image.NewRGBA(image.Rect(0, 0, 4, 3))
	for i := range im.Pix {
		im.Pix[i] = byte(i * 7)
	}
	var b bytes.Buffer
	if err := png.Encode(&b, im); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func smallGIF(t testing.TB) []byte {
	im := image.NewPaletted(image.Rect(0, 0, 2, 2), color.Palette{color.Black, color.White})
	var b bytes.Buffer
	if err := gif.Encode(&b, im, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Pictures whose header claims a huge size are refused from the header,
// both by CheckFolder (validate) and LoadFolder (run), before any pixel is
// decoded; devices and pipes named like pictures are refused unread.
func TestPicturesBoundedBeforeDecode(t *testing.T) {
	tests := []struct {
		name string
		file func(path string) error // writes the bad picture at path
		want string
	}{
		{"huge png", func(p string) error { return os.WriteFile(p, pngHeader(100000, 100000), 0o644) },
			"png image of 100000×100000 = 10000 megapixels; pictures are limited to 50 megapixels"},
		{"huge jpeg", func(p string) error { return os.WriteFile(p, jpegHeader(65500, 65500), 0o644) },
			"jpeg image of 65500×65500 = 4290 megapixels"},
		{"just above the limit", func(p string) error { return os.WriteFile(p, pngHeader(10000, 5001), 0o644) },
			"pictures are limited to 50 megapixels"},
		{"empty png", func(p string) error { return os.WriteFile(p, pngHeader(0, 5), 0o644) }, "non-positive dimension"},
		{"gif named png", func(p string) error { return os.WriteFile(p, smallGIF(t), 0o644) },
			"a GIF picture; pictures must be PNG or JPEG"},
		{"link to /dev/zero", func(p string) error { return os.Symlink("/dev/zero", p) }, "not a regular file"},
		{"named pipe", func(p string) error { return syscall.Mkfifo(p, 0o644) }, "not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, c := range []string{"a", "b"} {
				os.MkdirAll(filepath.Join(root, c), 0o755)
				if err := os.WriteFile(filepath.Join(root, c, "ok.png"), smallPNG(t), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := tt.file(filepath.Join(root, "b", "bad.png")); err != nil {
				t.Skip(err)
			}
			if _, err := CheckFolder(root); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("CheckFolder: %v, want %q", err, tt.want)
			}
			if _, err := LoadFolder(root, 8, 3); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("LoadFolder: %v, want %q", err, tt.want)
			}
		})
	}
	// The limit itself is accepted from the header.
	if _, _, err := pictureHeader("p", bufio.NewReader(bytes.NewReader(pngHeader(10000, 5000)))); err != nil {
		t.Errorf("a picture of exactly %d pixels: %v", MaxPicturePixels, err)
	}
}

// FuzzPictureHeader checks that no picture makes the header check or the
// decoder panic, and that whatever passes the header check has a bounded,
// non-empty size. In a plain `go test` it runs the seed corpus only.
func FuzzPictureHeader(f *testing.F) {
	f.Add(smallPNG(f))
	f.Add(smallGIF(f))
	f.Add(pngHeader(100000, 100000))
	f.Add(jpegHeader(65500, 65500))
	f.Add(jpegHeader(3, 2))
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, _, err := pictureHeader("fuzz", bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		if cfg.Width < 1 || cfg.Height < 1 || int64(cfg.Width)*int64(cfg.Height) > MaxPicturePixels {
			t.Fatalf("accepted a %d×%d picture", cfg.Width, cfg.Height)
		}
		if int64(cfg.Width)*int64(cfg.Height) > 1<<20 {
			return // decoding would take long; the header is what is checked
		}
		if im, err := decodeFrom("fuzz", bytes.NewReader(b)); err == nil && im.Bounds().Empty() {
			t.Fatal("decoded an empty picture")
		}
	})
}

// A class folder that is a symbolic link to a folder is a class like any
// other.
func TestClassFolders(t *testing.T) {
	root := t.TempDir()
	elsewhere := t.TempDir()
	for _, d := range []string{filepath.Join(root, "cat"), filepath.Join(elsewhere, "dog")} {
		os.MkdirAll(d, 0o755)
		for _, n := range []string{"1.png", "2.png"} {
			if err := os.WriteFile(filepath.Join(d, n), smallPNG(t), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink(filepath.Join(elsewhere, "dog"), filepath.Join(root, "dog")); err != nil {
		t.Skip(err)
	}
	sum, err := CheckFolder(root)
	if err != nil || len(sum.Classes) != 2 || sum.Train != 4 {
		t.Errorf("with a linked class folder: %+v, %v; want classes cat and dog, 4 pictures", sum, err)
	}
	set, err := LoadFolder(root, 4, 1)
	if err != nil || len(set.Classes) != 2 || set.Train.N != 4 {
		t.Errorf("LoadFolder with a linked class folder: %v", err)
	}
}

package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writePicture writes a w×h picture of one colour, PNG or JPEG by the
// extension of path.
func writePicture(t *testing.T, path string, w, h int, c color.RGBA) {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	var err error
	if strings.HasSuffix(path, ".png") {
		err = png.Encode(&b, img)
	} else {
		err = jpeg.Encode(&b, img, &jpeg.Options{Quality: 100})
	}
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, path, b.Bytes())
}

func TestLoadFolder(t *testing.T) {
	root := t.TempDir()
	writePicture(t, filepath.Join(root, "cat", "a.png"), 40, 20, color.RGBA{200, 10, 10, 255})
	writePicture(t, filepath.Join(root, "cat", "b.JPG"), 20, 40, color.RGBA{200, 10, 10, 255})
	writePicture(t, filepath.Join(root, "dog", "c.jpeg"), 8, 8, color.RGBA{10, 10, 200, 255})
	writeFile(t, filepath.Join(root, "dog", "notes.txt"), []byte("skipped"))
	writeFile(t, filepath.Join(root, ".hidden", "x.png"), []byte("skipped"))

	set, err := LoadFolder(root, 16, 3)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Classes, ","); got != "cat,dog" {
		t.Fatalf("classes %q, want cat,dog", got)
	}
	if set.Train.N != 3 || set.Test.N != 0 || set.H != 16 || set.Train.W != 16 || set.Train.C != 3 {
		t.Fatalf("got %d train, %d test images of %d×%d×%d", set.Train.N, set.Test.N, set.Train.H, set.Train.W, set.Train.C)
	}
	if !bytes.Equal(set.Train.Labels, []byte{0, 0, 1}) {
		t.Errorf("labels %v, want [0 0 1]", set.Train.Labels)
	}
	// A one-colour picture stays that colour after scaling and cropping
	// (JPEG within a few levels).
	near := func(a, b uint8) bool { return a+6 >= b && b+6 >= a }
	for i, want := range [][3]uint8{{200, 10, 10}, {200, 10, 10}, {10, 10, 200}} {
		px := set.Train.Image(i)
		for _, p := range []int{0, 8*16 + 8, 16*16 - 1} {
			got := px[3*p : 3*p+3]
			if !near(got[0], want[0]) || !near(got[1], want[1]) || !near(got[2], want[2]) {
				t.Errorf("image %d pixel %d = %v, want about %v", i, p, got, want)
			}
		}
	}

	grey, err := LoadFolder(root, 4, 1)
	if err != nil {
		t.Fatal(err)
	}
	wantGrey := color.GrayModel.Convert(color.RGBA{200, 10, 10, 255}).(color.Gray).Y
	if grey.Train.C != 1 || grey.Train.Image(0)[5] != wantGrey {
		t.Errorf("grey image: %d channels, pixel %d; want 1 channel, %d", grey.Train.C, grey.Train.Image(0)[5], wantGrey)
	}
}

func TestLoadFolderCentreCrop(t *testing.T) {
	// 30×10: left and right thirds black, the centred 10×10 square white.
	root := t.TempDir()
	img := image.NewGray(image.Rect(0, 0, 30, 10))
	for y := range 10 {
		for x := 10; x < 20; x++ {
			img.SetGray(x, y, color.Gray{255})
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	writeFile(t, filepath.Join(root, "only", "wide.png"), b.Bytes())
	set, err := LoadFolder(root, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range set.Train.Pixels {
		if v != 255 {
			t.Fatalf("pixel %d = %d: the crop is not the centred square", i, v)
		}
	}
}

func TestLoadFolderTrainTest(t *testing.T) {
	root := t.TempDir()
	for _, p := range []string{"train/a/1.png", "train/a/2.png", "train/b/3.png", "test/b/4.png"} {
		writePicture(t, filepath.Join(root, p), 6, 6, color.RGBA{1, 2, 3, 255})
	}
	set, err := LoadFolder(root, 6, 3)
	if err != nil {
		t.Fatal(err)
	}
	if set.Train.N != 3 || set.Test.N != 1 || set.Test.Labels[0] != 1 || len(set.Classes) != 2 {
		t.Errorf("got %d train, %d test (label %v), classes %v", set.Train.N, set.Test.N, set.Test.Labels, set.Classes)
	}
}

func TestLoadFolderBadInput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(root string)
		want  string // with the offending path: {root} is replaced
	}{
		{"empty class folder", func(root string) {
			writePicture(t, filepath.Join(root, "a", "1.png"), 4, 4, color.RGBA{A: 255})
			os.MkdirAll(filepath.Join(root, "b"), 0o755)
			writeFile(t, filepath.Join(root, "b", "readme.txt"), nil)
		}, "{root}/b: empty class folder"},
		{"unreadable image", func(root string) {
			writePicture(t, filepath.Join(root, "a", "1.png"), 4, 4, color.RGBA{A: 255})
			writeFile(t, filepath.Join(root, "a", "2.png"), []byte("not a picture"))
		}, "{root}/a/2.png: unreadable image"},
		{"truncated image", func(root string) {
			var b bytes.Buffer
			png.Encode(&b, image.NewGray(image.Rect(0, 0, 50, 50)))
			writeFile(t, filepath.Join(root, "a", "1.png"), b.Bytes()[:b.Len()/2])
		}, "{root}/a/1.png: unreadable image"},
		{"no class folders", func(root string) {
			writePicture(t, filepath.Join(root, "1.png"), 4, 4, color.RGBA{A: 255})
		}, "{root}: no class folders"},
		{"test class unknown", func(root string) {
			writePicture(t, filepath.Join(root, "train", "a", "1.png"), 4, 4, color.RGBA{A: 255})
			writePicture(t, filepath.Join(root, "test", "z", "1.png"), 4, 4, color.RGBA{A: 255})
		}, `{root}/test/z: class "z" is not among the training classes`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			tt.setup(root)
			_, err := LoadFolder(root, 4, 1)
			want := strings.ReplaceAll(tt.want, "{root}", root)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("error %v, want it to contain %q", err, want)
			}
		})
	}
	if _, err := LoadFolder(t.TempDir(), 4, 2); err == nil || !strings.Contains(err.Error(), "2 channels") {
		t.Errorf("2 channels: error %v", err)
	}
}

// TestReadPicture checks that a picture read alone gets exactly the pixels
// LoadFolder gives it, and what ReadPicture says of it.
func TestReadPicture(t *testing.T) {
	root := t.TempDir()
	for _, tc := range []struct {
		name           string
		w, h, channels int
		c              color.RGBA
		colour         bool
	}{
		{"wide.png", 40, 20, 3, color.RGBA{200, 10, 10, 255}, true},
		{"tall.jpg", 20, 40, 1, color.RGBA{200, 10, 10, 255}, true},
		{"grey.png", 9, 9, 3, color.RGBA{90, 90, 90, 255}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(root, tc.name)
			path := filepath.Join(dir, "c", tc.name)
			writePicture(t, path, tc.w, tc.h, tc.c)
			set, err := LoadFolder(dir, 12, tc.channels)
			if err != nil {
				t.Fatal(err)
			}
			p, err := ReadPicture(path, 12, tc.channels)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(p.Pixels, set.Train.Image(0)) {
				t.Errorf("pixels differ from LoadFolder's")
			}
			if p.Width != tc.w || p.Height != tc.h || p.Colour != tc.colour {
				t.Errorf("got %d×%d colour %v, want %d×%d colour %v", p.Width, p.Height, p.Colour, tc.w, tc.h, tc.colour)
			}
		})
	}
	bad := filepath.Join(root, "bad.png")
	writeFile(t, bad, []byte("GIF89a not a png"))
	if _, err := ReadPicture(bad, 12, 1); err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "GIF") {
		t.Errorf("a GIF named .png: got %v, want an error naming the file and GIF", err)
	}
	if _, err := ReadPicture(filepath.Join(root, "missing.png"), 12, 1); err == nil {
		t.Error("a missing file: no error")
	}
}

package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes builds an IDX file of unsigned bytes.
func idxBytes(dims []int, values []byte) []byte {
	var b bytes.Buffer
	b.Write([]byte{0, 0, idxUbyte, byte(len(dims))})
	for _, d := range dims {
		binary.Write(&b, binary.BigEndian, uint32(d))
	}
	b.Write(values)
	return b.Bytes()
}

func gzipBytes(b []byte) []byte {
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	zw.Write(b)
	zw.Close()
	return out.Bytes()
}

func writeFile(t *testing.T, path string, b []byte) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// smallIDX returns n images of 3×2 pixels whose values encode image and
// position, and labels i%classes.
func smallIDX(n, classes int) (images, labels []byte) {
	pix := make([]byte, n*6)
	for i := range pix {
		pix[i] = byte(i * 7)
	}
	lab := make([]byte, n)
	for i := range lab {
		lab[i] = byte(i % classes)
	}
	return idxBytes([]int{n, 3, 2}, pix), idxBytes([]int{n}, lab)
}

func TestReadIDXImages(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		img, lab := smallIDX(5, 3)
		if gz {
			img, lab = gzipBytes(img), gzipBytes(lab)
		}
		im, err := ReadIDXImages(writeFile(t, filepath.Join(dir, "img"), img), writeFile(t, filepath.Join(dir, "lab"), lab), 3)
		if err != nil {
			t.Fatalf("gzip=%v: %v", gz, err)
		}
		if im.N != 5 || im.H != 3 || im.W != 2 || im.C != 1 {
			t.Fatalf("gzip=%v: got %d images of %d×%d×%d, want 5 of 3×2×1", gz, im.N, im.H, im.W, im.C)
		}
		if err := im.Check(3); err != nil {
			t.Fatal(err)
		}
		if im.Image(4)[5] != byte(29*7) || im.Labels[4] != 1 {
			t.Errorf("gzip=%v: image 4 pixel 5 = %d label %d, want %d and 1", gz, im.Image(4)[5], im.Labels[4], byte(29*7))
		}
	}
}

func TestReadIDXBadInput(t *testing.T) {
	img, lab := smallIDX(4, 10)
	badLabels := idxBytes([]int{4}, []byte{1, 2, 10, 3})
	wrongMagic := append([]byte{0, 0, 0x0d, 3}, img[4:]...)
	tests := []struct {
		name     string
		img, lab []byte
		bad      string // which file the error must name
		want     string
	}{
		{"truncated images", img[:len(img)-1], lab, "img", "truncated"},
		{"truncated header", img[:10], lab, "img", "truncated"},
		{"wrong magic", wrongMagic, lab, "img", "wrong magic number 0x00000d03"},
		{"extra bytes", append(append([]byte(nil), img...), 9), lab, "img", "1 bytes after"},
		{"label outside classes", img, badLabels, "lab", "label 10 of image 2 is outside the 10 classes"},
		{"count mismatch", img, idxBytes([]int{3}, []byte{1, 2, 3}), "lab", "has 3 labels but"},
		{"labels as images", lab, lab, "img", "need 3 dimensions"},
		{"truncated gzip", gzipBytes(img)[:40], lab, "img", "bad gzip data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			ip := writeFile(t, filepath.Join(dir, "img"), tt.img)
			lp := writeFile(t, filepath.Join(dir, "lab"), tt.lab)
			_, err := ReadIDXImages(ip, lp, 10)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), filepath.Join(dir, tt.bad)) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q should name %s and say %q", err, tt.bad, tt.want)
			}
		})
	}
}

// cifarRecords builds n CIFAR-10 records; record i has label labels[i] and
// red, green, blue planes holding i+pos, 100+pos, 200-pos (mod 256).
func cifarRecords(labels []byte) []byte {
	var b bytes.Buffer
	for i, l := range labels {
		b.WriteByte(l)
		for ch := range 3 {
			for p := range cifarPlane {
				b.WriteByte([]byte{byte(i + p), byte(100 + p), byte(200 - p)}[ch])
			}
		}
	}
	return b.Bytes()
}

func writeCIFARDir(t *testing.T, dir string) {
	writeFile(t, filepath.Join(dir, "batches.meta.txt"), []byte("airplane\nautomobile\nbird\n\n"))
	writeFile(t, filepath.Join(dir, "data_batch_1.bin"), cifarRecords([]byte{0, 1, 2}))
	writeFile(t, filepath.Join(dir, "data_batch_2.bin"), cifarRecords([]byte{2, 2}))
	writeFile(t, filepath.Join(dir, "test_batch.bin"), cifarRecords([]byte{1}))
}

func TestReadCIFARDir(t *testing.T) {
	dir := t.TempDir()
	writeCIFARDir(t, dir)
	set, err := ReadCIFARDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(set.Classes, ","); got != "airplane,automobile,bird" {
		t.Errorf("classes %q", got)
	}
	if set.Train.N != 5 || set.Test.N != 1 || set.Train.C != 3 || set.Train.H != 32 {
		t.Fatalf("got %d train, %d test images of %d×%d×%d", set.Train.N, set.Test.N, set.Train.H, set.Train.W, set.Train.C)
	}
	if err := set.Train.Check(3); err != nil {
		t.Fatal(err)
	}
	if got := set.Train.Labels; !bytes.Equal(got, []byte{0, 1, 2, 2, 2}) {
		t.Errorf("train labels %v", got)
	}
	// Image 3 is record 0 of the second batch; pixel (row 1, col 2) is p = 34.
	px := set.Train.Image(3)[3*34 : 3*34+3]
	if want := []byte{0 + 34, 100 + 34, 200 - 34}; !bytes.Equal(px, want) {
		t.Errorf("pixel (1,2) of image 3 = %v, want %v (HWC from planar RGB)", px, want)
	}
}

func TestReadCIFARBadInput(t *testing.T) {
	tests := []struct {
		name, file string
		content    []byte
		want       string
	}{
		{"truncated batch", "data_batch_2.bin", cifarRecords([]byte{1, 1})[:2*cifarRecord-5], "not a whole, non-zero number of 3073-byte records"},
		{"empty batch", "test_batch.bin", nil, "not a whole"},
		{"label outside classes", "data_batch_1.bin", cifarRecords([]byte{0, 3}), "label 3 of record 1 is outside the 3 classes"},
		{"no class names", "batches.meta.txt", []byte("\n \n"), "no class names"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeCIFARDir(t, dir)
			p := writeFile(t, filepath.Join(dir, tt.file), tt.content)
			_, err := ReadCIFARDir(dir)
			if err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v should name %s and say %q", err, p, tt.want)
			}
		})
	}
}

// FuzzIDX checks that no pair of files makes the IDX reader panic or return
// images that disagree with their sizes. In a plain `go test` it runs the
// seed corpus only.
func FuzzIDX(f *testing.F) {
	img, lab := smallIDX(4, 10)
	f.Add(img, lab)
	f.Add(gzipBytes(img), gzipBytes(lab))
	f.Add(img[:10], lab)
	f.Add(idxBytes([]int{1 << 30, 1 << 30, 1 << 30}, nil), lab)
	f.Add(idxBytes([]int{0, 0, 0}, nil), idxBytes([]int{0}, nil))
	f.Fuzz(func(t *testing.T, imgFile, labFile []byte) {
		ib, err := decodeMaybeGzip(bytes.NewReader(imgFile), 1<<24)
		if err != nil {
			return
		}
		lb, err := decodeMaybeGzip(bytes.NewReader(labFile), 1<<24)
		if err != nil {
			return
		}
		im, err := idxImages("img", ib, "lab", lb, 10)
		if err != nil {
			return
		}
		if im.H < 1 || im.W < 1 || len(im.Pixels) != im.N*im.H*im.W || len(im.Labels) != im.N {
			t.Fatalf("images %d×%d×%d with %d pixels and %d labels", im.N, im.H, im.W, len(im.Pixels), len(im.Labels))
		}
		for _, l := range im.Labels {
			if l >= 10 {
				t.Fatalf("label %d of 10 classes", l)
			}
		}
	})
}

// A gzip bomb and a device in place of an IDX file are refused without
// reading more than the limit.
func TestReadIDXBounded(t *testing.T) {
	if _, err := decodeMaybeGzip(bytes.NewReader(gzipBytes(make([]byte, 1<<20))), 1<<16); err == nil || !strings.Contains(err.Error(), "once decompressed") {
		t.Errorf("gzip bomb: %v", err)
	}
	if _, err := decodeMaybeGzip(bytes.NewReader(make([]byte, 1<<17)), 1<<16); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("too long: %v", err)
	}
	dir := t.TempDir()
	link := filepath.Join(dir, "train-images-idx3-ubyte")
	if err := os.Symlink("/dev/zero", link); err != nil {
		t.Skip(err)
	}
	if _, err := ReadIDXImages(link, link, 10); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("/dev/zero: %v", err)
	}
}

// FuzzCIFAR checks that no batch file or class-name file makes the CIFAR-10
// readers panic. In a plain `go test` it runs the seed corpus only.
func FuzzCIFAR(f *testing.F) {
	f.Add(cifarRecords([]byte{0, 1, 2}), []byte("cat\ndog\nbird\n"))
	f.Add(cifarRecords([]byte{9})[:100], []byte(""))
	f.Add([]byte{}, []byte("\n\n"))
	f.Fuzz(func(t *testing.T, batch, meta []byte) {
		classes, err := parseClassNames("meta", meta)
		if err != nil {
			return
		}
		n, err := cifarCount("batch", len(batch))
		if err != nil {
			return
		}
		pixels, labels := make([]uint8, n*3*cifarPlane), make([]uint8, n)
		if err := decodeCIFAR("batch", batch, pixels, labels, len(classes)); err != nil {
			return
		}
		for _, l := range labels {
			if int(l) >= len(classes) {
				t.Fatalf("label %d of %d classes", l, len(classes))
			}
		}
	})
}

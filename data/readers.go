package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// IDX is the format of MNIST and Fashion-MNIST: a 4-byte magic number (two
// zero bytes, a type byte, the number of dimensions), one big-endian uint32
// per dimension, then the values. Only unsigned bytes (type 0x08) occur here.
const idxUbyte = 0x08

// parseIDX checks an IDX header and returns the dimensions and the values,
// which alias b.
func parseIDX(b []byte) (dims []int, values []byte, err error) {
	if len(b) < 4 {
		return nil, nil, fmt.Errorf("truncated: %d bytes, shorter than an IDX header", len(b))
	}
	magic := binary.BigEndian.Uint32(b)
	nd := int(b[3])
	if b[0] != 0 || b[1] != 0 || b[2] != idxUbyte || nd < 1 || nd > 4 {
		return nil, nil, fmt.Errorf("wrong magic number 0x%08x: not an IDX file of unsigned bytes (want 0x000008NN, NN = 1 to 4 dimensions)", magic)
	}
	head := 4 + 4*nd
	if len(b) < head {
		return nil, nil, fmt.Errorf("truncated: %d bytes, shorter than the %d-byte header", len(b), head)
	}
	total := int64(1)
	for i := range nd {
		d := binary.BigEndian.Uint32(b[4+4*i:])
		if d > 1<<30 {
			return nil, nil, fmt.Errorf("dimension %d is %d, too large", i, d)
		}
		dims = append(dims, int(d))
		total *= int64(d)
		if total > 1<<40 {
			return nil, nil, fmt.Errorf("dimensions %v are too large", dims)
		}
	}
	have := int64(len(b) - head)
	switch {
	case have < total:
		return nil, nil, fmt.Errorf("truncated: the header promises %v = %d values, the file holds %d", dims, total, have)
	case have > total:
		return nil, nil, fmt.Errorf("%d bytes after the %v = %d values the header promises", have-total, dims, total)
	}
	return dims, b[head:], nil
}

// MaxIDXSize bounds the bytes of an IDX file, compressed or not: 1 GiB,
// twenty times MNIST's training images, so that a gzip bomb or a device in
// its place cannot exhaust memory.
const MaxIDXSize = 1 << 30

// readMaybeGzip reads a whole regular file, decompressing it if it starts
// with the gzip magic bytes, and refuses more than MaxIDXSize bytes either
// way.
func readMaybeGzip(path string) ([]byte, error) {
	f, _, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := decodeMaybeGzip(f, MaxIDXSize)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return b, nil
}

// decodeMaybeGzip reads r to the end, decompressing it if it starts with
// the gzip magic bytes, and refuses more than limit bytes.
func decodeMaybeGzip(r io.Reader, limit int64) ([]byte, error) {
	br := bufio.NewReader(io.LimitReader(r, limit+1))
	var src io.Reader = br
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("bad gzip data: %w", err)
		}
		src = io.LimitReader(zr, limit+1)
		b, err := io.ReadAll(src)
		if err != nil {
			return nil, fmt.Errorf("bad gzip data: %w", err)
		}
		if int64(len(b)) > limit {
			return nil, fmt.Errorf("more than %d bytes once decompressed", limit)
		}
		return b, nil
	}
	b, err := io.ReadAll(src)
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("more than %d bytes", limit)
	}
	return b, nil
}

// ReadIDX reads an IDX file of unsigned bytes, gzip-compressed or raw, and
// returns its dimensions and values.
func ReadIDX(path string) (dims []int, values []uint8, err error) {
	b, err := readMaybeGzip(path)
	if err != nil {
		return nil, nil, err
	}
	dims, values, err = parseIDX(b)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return dims, values, nil
}

// ReadIDXImages reads a pair of IDX files (gzip or raw) in the layout of
// MNIST: images N×H×W and labels N, each label below classes.
func ReadIDXImages(imagesPath, labelsPath string, classes int) (Images, error) {
	ib, err := readMaybeGzip(imagesPath)
	if err != nil {
		return Images{}, err
	}
	lb, err := readMaybeGzip(labelsPath)
	if err != nil {
		return Images{}, err
	}
	return idxImages(imagesPath, ib, labelsPath, lb, classes)
}

// idxImages turns the bytes of an image and a label IDX file into Images;
// the pixels alias imgBytes.
func idxImages(imgName string, imgBytes []byte, lblName string, lblBytes []byte, classes int) (Images, error) {
	dims, pix, err := parseIDX(imgBytes)
	if err != nil {
		return Images{}, fmt.Errorf("%s: %w", imgName, err)
	}
	if len(dims) != 3 {
		return Images{}, fmt.Errorf("%s: images need 3 dimensions (count, height, width), the header has %v", imgName, dims)
	}
	if dims[1] < 1 || dims[2] < 1 {
		return Images{}, fmt.Errorf("%s: images of %d×%d pixels have no pixels", imgName, dims[1], dims[2])
	}
	ldims, labels, err := parseIDX(lblBytes)
	if err != nil {
		return Images{}, fmt.Errorf("%s: %w", lblName, err)
	}
	if len(ldims) != 1 {
		return Images{}, fmt.Errorf("%s: labels need 1 dimension, the header has %v", lblName, ldims)
	}
	if ldims[0] != dims[0] {
		return Images{}, fmt.Errorf("%s has %d labels but %s has %d images", lblName, ldims[0], imgName, dims[0])
	}
	for i, l := range labels {
		if int(l) >= classes {
			return Images{}, fmt.Errorf("%s: label %d of image %d is outside the %d classes", lblName, l, i, classes)
		}
	}
	return Images{N: dims[0], H: dims[1], W: dims[2], C: 1, Pixels: pix, Labels: labels}, nil
}

// CIFAR-10's binary format: records of 1 label byte then 1,024 red, 1,024
// green and 1,024 blue bytes of a 32×32 picture, rows top to bottom.
const (
	cifarSide   = 32
	cifarPlane  = cifarSide * cifarSide
	cifarRecord = 1 + 3*cifarPlane
)

// cifarCount returns the number of records in a batch of n bytes.
func cifarCount(name string, n int) (int, error) {
	if n == 0 || n%cifarRecord != 0 {
		return 0, fmt.Errorf("%s: truncated or not a CIFAR-10 batch: %d bytes is not a whole, non-zero number of %d-byte records", name, n, cifarRecord)
	}
	return n / cifarRecord, nil
}

// decodeCIFAR converts the records in b (planar RGB) into dst, which holds
// len(b)/3073 images in HWC order, and their labels.
func decodeCIFAR(name string, b []byte, pixels, labels []uint8, classes int) error {
	n := len(b) / cifarRecord
	for i := range n {
		rec := b[i*cifarRecord : (i+1)*cifarRecord]
		if int(rec[0]) >= classes {
			return fmt.Errorf("%s: label %d of record %d is outside the %d classes", name, rec[0], i, classes)
		}
		labels[i] = rec[0]
		r, g, bl := rec[1:1+cifarPlane], rec[1+cifarPlane:1+2*cifarPlane], rec[1+2*cifarPlane:]
		out := pixels[i*3*cifarPlane : (i+1)*3*cifarPlane]
		for p := range cifarPlane {
			out[3*p] = r[p]
			out[3*p+1] = g[p]
			out[3*p+2] = bl[p]
		}
	}
	return nil
}

// parseClassNames reads CIFAR-10's batches.meta.txt: one class name a line;
// blank lines are ignored.
func parseClassNames(name string, b []byte) ([]string, error) {
	var classes []string
	for line := range strings.SplitSeq(string(b), "\n") {
		if c := strings.TrimSpace(line); c != "" {
			classes = append(classes, c)
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class names", name)
	}
	if len(classes) > 256 {
		return nil, fmt.Errorf("%s: %d class names; at most 256 are supported", name, len(classes))
	}
	return classes, nil
}

// ReadCIFARDir reads a folder in CIFAR-10's binary layout: batches.meta.txt
// (class names), data_batch_1.bin, data_batch_2.bin, … (the training part,
// as many as there are, at least one) and test_batch.bin (optional).
func ReadCIFARDir(dir string) (*Set, error) {
	metaPath := filepath.Join(dir, "batches.meta.txt")
	meta, err := fsutil.ReadFileLimit(metaPath, 1<<20)
	if err != nil {
		return nil, err
	}
	classes, err := parseClassNames(metaPath, meta)
	if err != nil {
		return nil, err
	}
	var trainFiles []string
	for i := 1; ; i++ {
		p := filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i))
		if _, err := os.Stat(p); err != nil {
			break
		}
		trainFiles = append(trainFiles, p)
	}
	if len(trainFiles) == 0 {
		return nil, fmt.Errorf("%s: no data_batch_1.bin", dir)
	}
	var testFiles []string
	if p := filepath.Join(dir, "test_batch.bin"); fileExists(p) {
		testFiles = append(testFiles, p)
	}
	read := readFileInto
	set := &Set{Name: filepath.Base(dir), Classes: classes, H: cifarSide, W: cifarSide, C: 3}
	if set.Train, err = readCIFARBatches(trainFiles, len(classes), read); err != nil {
		return nil, err
	}
	if set.Test, err = readCIFARBatches(testFiles, len(classes), read); err != nil {
		return nil, err
	}
	return set, nil
}

// readCIFARBatches reads and decodes the given batch files one after the
// other into one Images. It learns the sizes first, so the pixels are
// allocated once.
func readCIFARBatches(paths []string, classes int, read func(path string, buf []byte) ([]byte, error)) (Images, error) {
	im := Images{H: cifarSide, W: cifarSide, C: 3}
	counts := make([]int, len(paths))
	for i, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return Images{}, err
		}
		if counts[i], err = cifarCount(p, int(st.Size())); err != nil {
			return Images{}, err
		}
		im.N += counts[i]
	}
	im.Pixels = make([]uint8, im.N*im.ImageSize())
	im.Labels = make([]uint8, im.N)
	var buf []byte
	at := 0
	for i, p := range paths {
		b, err := read(p, buf)
		if err != nil {
			return Images{}, err
		}
		if n, err := cifarCount(p, len(b)); err != nil {
			return Images{}, err
		} else if n != counts[i] {
			return Images{}, fmt.Errorf("%s changed while being read", p)
		}
		sz := im.ImageSize()
		if err := decodeCIFAR(p, b, im.Pixels[at*sz:(at+counts[i])*sz], im.Labels[at:at+counts[i]], classes); err != nil {
			return Images{}, err
		}
		at += counts[i]
		buf = b
	}
	return im, nil
}

// readFileInto reads the whole file into buf, growing it if needed.
func readFileInto(path string, buf []byte) ([]byte, error) {
	f, st, err := fsutil.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > MaxIDXSize {
		return nil, &fsutil.TooLargeError{Path: path, Size: st.Size(), Limit: MaxIDXSize}
	}
	n := int(st.Size())
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	if _, err := io.ReadFull(f, buf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return buf, nil
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

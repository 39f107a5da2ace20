// Package data provides the image data sets cnnlab trains on: it fetches
// MNIST, Fashion-MNIST and CIFAR-10 into a local cache and verifies them,
// reads them (and folders of labelled pictures) into memory as uint8 pixels,
// carves seeded stratified splits, and turns the pixels into shuffled,
// preprocessed and augmented float32 batches.
//
// Images stay uint8 in memory (all of CIFAR-10 takes about 185 MB) and are
// converted to float32 one batch at a time into buffers the caller owns.
//
// Randomness: every random choice comes from math/rand/v2's PCG seeded with a
// caller's seed and one of the stream constants below, so a run is
// reproducible and a resumed run continues bit for bit.
package data

import "fmt"

// Stream constants: the second PCG seed of each use of randomness, so that
// the same run seed gives independent sequences for each purpose.
const (
	// StreamSplit seeds the choice of train, validation and subset images.
	StreamSplit uint64 = 0x73706c6974000001 // "split"
	// StreamShuffle seeds the order of training images in each epoch.
	StreamShuffle uint64 = 0x73687566666c6502 // "shuffle"
	// StreamAugment seeds crop offsets, flips and cutout positions.
	StreamAugment uint64 = 0x6175676d656e7403 // "augment"
)

// Set is a data set in memory: a training and a test part sharing classes and
// image shape.
type Set struct {
	Name    string
	Classes []string // Classes[label] is the name of label
	H, W, C int      // height, width and channels of every image
	Train   Images
	Test    Images // empty (N == 0) when the source has no test part
}

// Images holds N images of H×W×C uint8 pixels, stored image after image,
// each in row-major HWC order (channels interleaved), and their labels.
type Images struct {
	N       int
	H, W, C int
	Pixels  []uint8 // len N*H*W*C
	Labels  []uint8 // len N; each < the number of classes
}

// ImageSize is the number of bytes of one image, H*W*C.
func (im Images) ImageSize() int { return im.H * im.W * im.C }

// Image returns the pixels of image i (a view, not a copy).
func (im Images) Image(i int) []uint8 {
	n := im.ImageSize()
	return im.Pixels[i*n : (i+1)*n : (i+1)*n]
}

// Check reports whether the fields agree with each other and every label is
// below classes.
func (im Images) Check(classes int) error {
	if im.N < 0 || im.H < 0 || im.W < 0 || im.C < 0 {
		return fmt.Errorf("negative size: %d images of %d×%d×%d", im.N, im.H, im.W, im.C)
	}
	if len(im.Pixels) != im.N*im.ImageSize() {
		return fmt.Errorf("%d images of %d×%d×%d need %d pixel bytes, have %d",
			im.N, im.H, im.W, im.C, im.N*im.ImageSize(), len(im.Pixels))
	}
	if len(im.Labels) != im.N {
		return fmt.Errorf("%d images but %d labels", im.N, len(im.Labels))
	}
	for i, l := range im.Labels {
		if int(l) >= classes {
			return fmt.Errorf("image %d has label %d, outside the %d classes", i, l, classes)
		}
	}
	return nil
}

// ClassCounts returns how many images carry each label.
func (im Images) ClassCounts(classes int) []int {
	counts := make([]int, classes)
	for _, l := range im.Labels {
		if int(l) < classes {
			counts[l]++
		}
	}
	return counts
}

// subset copies the images at the given indices, in that order.
func (im Images) subset(idx []int) Images {
	n := im.ImageSize()
	out := Images{N: len(idx), H: im.H, W: im.W, C: im.C,
		Pixels: make([]uint8, len(idx)*n), Labels: make([]uint8, len(idx))}
	for j, i := range idx {
		copy(out.Pixels[j*n:(j+1)*n], im.Pixels[i*n:(i+1)*n])
		out.Labels[j] = im.Labels[i]
	}
	return out
}

// splitmix64 scrambles x; it turns a counter (an epoch, a batch number) into
// a well-spread PCG seed.
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

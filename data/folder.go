package data

import (
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decoders for LoadFolder
	_ "image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/image/draw"
)

// imageExts are the file extensions LoadFolder reads; other files are
// skipped.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// LoadFolder reads a folder of labelled pictures: ROOT/<class>/*.png|*.jpg,
// one sub-folder per class, classes in name order. If ROOT holds folders
// named train and test, each is such a folder and they become the training
// and test parts (the test classes must be among the training ones);
// otherwise every picture goes to the training part and the test part is
// empty. Each picture is scaled so its shorter side is size, centre-cropped
// to size×size, and kept with channels 1 (grey) or 3 (RGB). Files with
// other extensions and hidden entries are skipped.
func LoadFolder(root string, size, channels int) (*Set, error) {
	if size < 1 || size > 4096 {
		return nil, fmt.Errorf("%s: image size %d, want 1 to 4096", root, size)
	}
	if channels != 1 && channels != 3 {
		return nil, fmt.Errorf("%s: %d channels, want 1 (grey) or 3 (RGB)", root, channels)
	}
	set := &Set{Name: filepath.Base(filepath.Clean(root)), H: size, W: size, C: channels}
	trainDir, testDir := filepath.Join(root, "train"), filepath.Join(root, "test")
	if isDir(trainDir) && isDir(testDir) {
		classes, err := classFolders(trainDir)
		if err != nil {
			return nil, err
		}
		testClasses, err := classFolders(testDir)
		if err != nil {
			return nil, err
		}
		index := map[string]int{}
		for i, c := range classes {
			index[c] = i
		}
		for _, c := range testClasses {
			if _, ok := index[c]; !ok {
				return nil, fmt.Errorf("%s: class %q is not among the training classes %v", filepath.Join(testDir, c), c, classes)
			}
		}
		set.Classes = classes
		if set.Train, err = readClassFolders(trainDir, nil, classes, index, size, channels); err != nil {
			return nil, err
		}
		if set.Test, err = readClassFolders(testDir, testClasses, classes, index, size, channels); err != nil {
			return nil, err
		}
		return set, nil
	}
	classes, err := classFolders(root)
	if err != nil {
		return nil, err
	}
	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	set.Classes = classes
	if set.Train, err = readClassFolders(root, nil, classes, index, size, channels); err != nil {
		return nil, err
	}
	set.Test = Images{H: size, W: size, C: channels}
	return set, nil
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// classFolders lists the non-hidden sub-folders of dir, sorted.
func classFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class folders (want %s/<class>/*.png or *.jpg)", dir, dir)
	}
	if len(classes) > 256 {
		return nil, fmt.Errorf("%s: %d class folders; at most 256 are supported", dir, len(classes))
	}
	sort.Strings(classes)
	return classes, nil
}

// readClassFolders reads dir/<class>/* for the given classes (all of
// classes when only is nil or empty), labelling by index.
func readClassFolders(dir string, only, classes []string, index map[string]int, size, channels int) (Images, error) {
	if len(only) == 0 {
		only = classes
	}
	type file struct {
		path  string
		label uint8
	}
	var files []file
	for _, c := range only {
		cdir := filepath.Join(dir, c)
		entries, err := os.ReadDir(cdir)
		if err != nil {
			return Images{}, err
		}
		n := 0
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") || !imageExts[strings.ToLower(filepath.Ext(e.Name()))] {
				continue
			}
			files = append(files, file{filepath.Join(cdir, e.Name()), uint8(index[c])})
			n++
		}
		if n == 0 {
			return Images{}, fmt.Errorf("%s: empty class folder: no .png, .jpg or .jpeg files", cdir)
		}
	}
	im := Images{N: len(files), H: size, W: size, C: channels,
		Pixels: make([]uint8, len(files)*size*size*channels), Labels: make([]uint8, len(files))}
	rgba := image.NewRGBA(image.Rect(0, 0, size, size))
	for i, f := range files {
		if err := decodeSquare(f.path, rgba); err != nil {
			return Images{}, err
		}
		toChannels(rgba, channels, im.Image(i))
		im.Labels[i] = f.label
	}
	return im, nil
}

// decodeSquare decodes the picture at path and draws its centred square,
// scaled, onto dst.
func decodeSquare(path string, dst *image.RGBA) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	src, _, err := image.Decode(f)
	if err != nil {
		return fmt.Errorf("%s: unreadable image: %w", path, err)
	}
	b := src.Bounds()
	side := min(b.Dx(), b.Dy())
	if side < 1 {
		return fmt.Errorf("%s: image is empty (%d×%d)", path, b.Dx(), b.Dy())
	}
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	clear(dst.Pix)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, image.Rect(x0, y0, x0+side, y0+side), draw.Over, nil)
	return nil
}

// toChannels copies rgba (transparent parts already black) into out as
// grey (the luminance of color.GrayModel) or RGB, HWC.
func toChannels(rgba *image.RGBA, channels int, out []uint8) {
	n := len(rgba.Pix) / 4
	for p := range n {
		r, g, b := rgba.Pix[4*p], rgba.Pix[4*p+1], rgba.Pix[4*p+2]
		if channels == 1 {
			out[p] = color.GrayModel.Convert(color.RGBA{r, g, b, 255}).(color.Gray).Y
		} else {
			out[3*p], out[3*p+1], out[3*p+2] = r, g, b
		}
	}
}

package data

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/image/draw"
)

// imageExts are the file extensions LoadFolder reads; other files are
// skipped.
var imageExts = map[string]bool{".png": true, ".jpg": true, ".jpeg": true}

// IsPictureName reports whether LoadFolder reads a file of this name as a
// picture (by its extension, in any case).
func IsPictureName(name string) bool { return imageExts[strings.ToLower(filepath.Ext(name))] }

// checkShape checks the size and channels pictures are read at; name
// (the folder or file) starts the message.
func checkShape(name string, size, channels int) error {
	if size < 1 || size > 4096 {
		return fmt.Errorf("%s: image size %d, want 1 to 4096", name, size)
	}
	if channels != 1 && channels != 3 {
		return fmt.Errorf("%s: %d channels, want 1 (grey) or 3 (RGB)", name, channels)
	}
	return nil
}

// LoadFolder reads a folder of labelled pictures: ROOT/<class>/*.png|*.jpg,
// one sub-folder per class, classes in name order. If ROOT holds folders
// named train and test, each is such a folder and they become the training
// and test parts (the test classes must be among the training ones);
// otherwise every picture goes to the training part and the test part is
// empty. Each picture is scaled so its shorter side is size, centre-cropped
// to size×size, and kept with channels 1 (grey) or 3 (RGB). Files with
// other extensions and hidden entries are skipped.
func LoadFolder(root string, size, channels int) (*Set, error) {
	if err := checkShape(root, size, channels); err != nil {
		return nil, err
	}
	layout, problems := listFolder(root)
	if len(problems) > 0 {
		return nil, problems[0]
	}
	set := &Set{Name: filepath.Base(filepath.Clean(root)), H: size, W: size, C: channels, Classes: layout.classes}
	var err error
	if set.Train, err = readPictures(layout.train, size, channels); err != nil {
		return nil, err
	}
	if set.Test, err = readPictures(layout.test, size, channels); err != nil {
		return nil, err
	}
	return set, nil
}

// labelledFile is one picture of a folder and the index of its class.
type labelledFile struct {
	path  string
	label uint8
}

// folderLayout is what LoadFolder reads from a folder: the class names, and
// the pictures of the training part and of the test part (none without
// train and test folders).
type folderLayout struct {
	classes     []string
	hasTest     bool
	train, test []labelledFile
}

// listFolder finds the classes and the picture files of the folder root, as
// LoadFolder reads them, without opening any picture. It goes on past a
// problem to find the others, and returns them all in the order found; the
// layout is whole only when there are none.
func listFolder(root string) (folderLayout, []error) {
	var layout folderLayout
	st, err := os.Stat(root)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return layout, []error{fmt.Errorf("%s: no such folder", root)}
	case err != nil:
		return layout, []error{err}
	case !st.IsDir():
		return layout, []error{fmt.Errorf("%s: not a folder (want %s/<class>/*.png or *.jpg)", root, root)}
	}
	trainDir, testDir := root, ""
	if isDir(filepath.Join(root, "train")) && isDir(filepath.Join(root, "test")) {
		trainDir, testDir = filepath.Join(root, "train"), filepath.Join(root, "test")
		layout.hasTest = true
	}
	classes, err := classFolders(trainDir)
	if err != nil {
		return layout, []error{err}
	}

	index := map[string]int{}
	for i, c := range classes {
		index[c] = i
	}
	layout.classes = classes
	var problems []error
	layout.train = listClassFolders(trainDir, classes, index, &problems)
	if testDir != "" {
		testClasses, err := classFolders(testDir)
		if err != nil {
			return layout, append(problems, err)
		}
		for _, c := range testClasses {
			if _, ok := index[c]; !ok {
				problems = append(problems, fmt.Errorf("%s: class %q is not among the training classes %v", filepath.Join(testDir, c), c, classes))
			}
		}
		layout.test = listClassFolders(testDir, testClasses, index, &problems)
	}
	return layout, problems
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// FolderClasses returns the class names LoadFolder finds under root (those
// of root/train when root holds both train and test folders), or nil when
// they cannot be listed.
func FolderClasses(root string) []string {
	dir := root
	if isDir(filepath.Join(root, "train")) && isDir(filepath.Join(root, "test")) {
		dir = filepath.Join(root, "train")
	}
	classes, err := classFolders(dir)
	if err != nil {
		return nil
	}
	return classes
}

// classFolders lists the non-hidden sub-folders of dir, sorted.
func classFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var classes []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		// A symbolic link to a folder is a class folder too.
		if e.IsDir() || e.Type()&fs.ModeSymlink != 0 && isDir(filepath.Join(dir, e.Name())) {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("%s: no class folders (want %s/<class>/*.png or *.jpg)", dir, dir)
	}

	if len(classes) > 256 {
		return nil, fmt.Errorf("%s: %d class folders; at most 256 are supported", dir, len(classes))
	}
	slices.Sort(classes)
	return classes, nil
}

// listClassFolders lists the pictures of dir/<class>/ for each of classes
// (those found in index), labelled by index, and adds a problem for each
// class folder that cannot be read or has no pictures.
func listClassFolders(dir string, classes []string, index map[string]int, problems *[]error) []labelledFile {
	var files []labelledFile
	for _, c := range classes {
		label, ok := index[c]
		if !ok {
			continue
		}
		cdir := filepath.Join(dir, c)
		entries, err := os.ReadDir(cdir)
		if err != nil {
			*problems = append(*problems, err)
			continue
		}
		n, skipped := 0, 0
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			if !IsPictureName(e.Name()) {
				skipped++
				continue
			}
			files = append(files, labelledFile{filepath.Join(cdir, e.Name()), uint8(label)})
			n++
		}
		if n == 0 {
			msg := fmt.Sprintf("%s: empty class folder: no .png, .jpg or .jpeg files", cdir)
			if skipped > 0 {
				msg += fmt.Sprintf(" (%d other files skipped)", skipped)
			}
			*problems = append(*problems, errors.New(msg))
		}
	}
	return files
}

// readPictures decodes files into size×size images of channels channels.
func readPictures(files []labelledFile, size, channels int) (Images, error) {
	im := Images{N: len(files), H: size, W: size, C: channels,
		Pixels: make([]uint8, len(files)*size*size*channels), Labels: make([]uint8, len(files))}
	rgba := image.NewRGBA(image.Rect(0, 0, size, size))
	for i, f := range files {
		if _, err := decodeSquare(f.path, rgba); err != nil {
			return Images{}, err
		}
		toChannels(rgba, channels, im.Image(i))
		im.Labels[i] = f.label
	}
	return im, nil
}

// decodeSquare decodes the picture at path and draws its centred square,
// scaled, onto dst. It returns the picture's own bounds.
func decodeSquare(path string, dst *image.RGBA) (image.Rectangle, error) {
	src, err := decodePicture(path)
	if err != nil {
		return image.Rectangle{}, err
	}
	b := src.Bounds()
	if err := checkSides(path, b.Dx(), b.Dy()); err != nil {
		return b, err
	}
	side := min(b.Dx(), b.Dy())
	x0 := b.Min.X + (b.Dx()-side)/2
	y0 := b.Min.Y + (b.Dy()-side)/2
	clear(dst.Pix)
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, image.Rect(x0, y0, x0+side, y0+side), draw.Over, nil)
	return b, nil
}

// Picture is one picture read as LoadFolder reads each of its pictures.
type Picture struct {
	Pixels        []uint8 // size×size×channels values, HWC
	Width, Height int     // the picture's own size, before scaling
	Colour        bool    // its scaled square holds a pixel that is not grey
}

// ReadPicture reads the PNG or JPEG picture at path exactly as LoadFolder
// reads each picture of a folder: its header is checked before any pixel
// is decoded, it is scaled so its shorter side is size, centre-cropped to
// size×size and kept with channels 1 (grey) or 3 (RGB).
func ReadPicture(path string, size, channels int) (Picture, error) {
	if err := checkShape(path, size, channels); err != nil {
		return Picture{}, err
	}
	rgba := image.NewRGBA(image.Rect(0, 0, size, size))
	b, err := decodeSquare(path, rgba)
	if err != nil {
		return Picture{}, err
	}
	p := Picture{Pixels: make([]uint8, size*size*channels), Width: b.Dx(), Height: b.Dy()}
	for i := 0; i < len(rgba.Pix); i += 4 {
		if rgba.Pix[i] != rgba.Pix[i+1] || rgba.Pix[i+1] != rgba.Pix[i+2] {
			p.Colour = true
			break
		}
	}
	toChannels(rgba, channels, p.Pixels)
	return p, nil
}

// checkSides refuses a picture with no pixels, which has no square to scale.
func checkSides(path string, w, h int) error {
	if w < 1 || h < 1 {
		return fmt.Errorf("%s: image is empty (%d×%d)", path, w, h)
	}
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

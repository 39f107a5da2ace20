package data

import (
	"bufio"
	"errors"
	"fmt"

	"github.com/cnnlab/cnnlab/internal/fsutil"
)

// MaxListedPictures is how many bad pictures of one folder CheckFolder names
// before it counts the rest.
const MaxListedPictures = 3

// FolderSummary is what CheckFolder found in a folder of labelled pictures.
type FolderSummary struct {
	Classes []string // class names, in label order
	HasTest bool     // the folder holds train and test folders
	Train   int      // pictures of the training part (the whole folder without a test part)
	Test    int      // pictures of the test part
}

// CheckFolder checks that LoadFolder can read the folder root, finding the
// same classes and pictures by the same rules, but reading only the header
// of each picture (its format and size) rather than decoding its pixels.
// Any size and colour model is accepted, as LoadFolder scales, crops and
// converts every picture. The error joins every problem found (see
// errors.Join), naming the folder or picture of each; unreadable pictures
// beyond the first MaxListedPictures are counted rather than named. A
// picture whose header is sound but whose pixel data is damaged passes here
// and is refused by LoadFolder.
func CheckFolder(root string) (FolderSummary, error) {
	layout, problems := listFolder(root)
	sum := FolderSummary{Classes: layout.classes, HasTest: layout.hasTest, Train: len(layout.train), Test: len(layout.test)}
	var bad []error
	for _, files := range [][]labelledFile{layout.train, layout.test} {
		for _, f := range files {
			if err := checkPicture(f.path); err != nil {
				bad = append(bad, err)
			}
		}
	}
	if len(bad) > MaxListedPictures {
		n := len(bad) - MaxListedPictures
		bad = append(bad[:MaxListedPictures], fmt.Errorf("%s: and %d more unreadable %s (%d pictures in all)", root, n, plural(n, "picture"), sum.Train+sum.Test))
	}
	return sum, errors.Join(append(problems, bad...)...)
}

// checkPicture reads the header of the picture at path and refuses it as
// LoadFolder would: not a regular file, an unknown or damaged format, no
// pixels, or more than MaxPicturePixels.
func checkPicture(path string) error {
	f, _, err := fsutil.OpenRegular(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, _, err = pictureHeader(path, bufio.NewReader(f))
	return err
}

// CheckSplit says whether a folder holds enough pictures for a split of
// train, val and test pictures (train 0 meaning all the rest), as a run
// carves it: from the test part when the folder has one, else test is
// carved from the folder first; train and val come from what is left.
func (s FolderSummary) CheckSplit(train, val, test int) error {
	pool := s.Train
	if s.HasTest {
		if test > s.Test {
			return fmt.Errorf("split: test %d, but the test part has %d %s", test, s.Test, plural(s.Test, "picture"))
		}
	} else {
		if test >= pool {
			return fmt.Errorf("split: test %d leaves nothing of the %d %s to train on", test, pool, plural(pool, "picture"))
		}
		pool -= test
	}
	what := "the folder has"
	if s.HasTest {
		what = "the training part has"
	}
	if train == 0 {
		if val >= pool {
			return fmt.Errorf("split: val %d leaves nothing of the %d %s to train on (%s %d)", val, pool, plural(pool, "picture"), what, s.Train)
		}
		return nil
	}
	if train+val > pool {
		left := ""
		if !s.HasTest {
			left = fmt.Sprintf(" and %d after test", pool)
		}
		return fmt.Errorf("split: train %d + val %d = %d pictures, but %s %d%s", train, val, train+val, what, s.Train, left)
	}
	return nil
}

// TrainImages is how many pictures a split that CheckSplit accepts leaves
// for training.
func (s FolderSummary) TrainImages(train, val, test int) int {
	if train > 0 {
		return train
	}
	pool := s.Train - val
	if !s.HasTest {
		pool -= test
	}
	return pool
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

// CountFolder counts the pictures LoadFolder would read from root, without
// opening any; ok is false when the folder cannot be listed as a data set.
func CountFolder(root string) (n int, ok bool) {
	layout, problems := listFolder(root)
	if len(problems) > 0 {
		return 0, false
	}
	return len(layout.train) + len(layout.test), true
}

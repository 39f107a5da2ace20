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

func TestCheckFolder(t *testing.T) {
	pic := func(root, p string) { writePicture(t, filepath.Join(root, p), 3, 2, color.RGBA{9, 9, 9, 255}) }
	junk := func(root, p string) { writeFile(t, filepath.Join(root, p), []byte("not a picture")) }
	tests := []struct {
		name  string
		setup func(root string) string // returns the folder to check
		want  []string                 // every problem, in order; {root} is replaced
		sum   FolderSummary            // when want is empty
	}{
		{"good", func(root string) string {
			pic(root, "cat/1.png")
			pic(root, "cat/2.jpg")
			pic(root, "dog/1.PNG")
			writeFile(t, filepath.Join(root, "dog", "notes.txt"), nil)
			writeFile(t, filepath.Join(root, "dog", ".hidden.png"), []byte("skipped"))
			writeFile(t, filepath.Join(root, "README"), nil)
			return root
		}, nil, FolderSummary{Classes: []string{"cat", "dog"}, Train: 3}},
		{"good with train and test", func(root string) string {
			pic(root, "train/a/1.png")
			pic(root, "train/b/1.png")
			pic(root, "train/b/2.png")
			pic(root, "test/b/1.png")
			return root
		}, nil, FolderSummary{Classes: []string{"a", "b"}, HasTest: true, Train: 3, Test: 1}},
		{"pictures of any size and colour", func(root string) string {
			writePicture(t, filepath.Join(root, "a", "wide.png"), 50, 1, color.RGBA{1, 2, 3, 255})
			var b bytes.Buffer
			png.Encode(&b, image.NewGray16(image.Rect(0, 0, 1, 7)))
			writeFile(t, filepath.Join(root, "a", "grey.png"), b.Bytes())
			return root
		}, nil, FolderSummary{Classes: []string{"a"}, Train: 2}},
		{"missing folder", func(root string) string { return filepath.Join(root, "nope") },
			[]string{"{root}/nope: no such folder"}, FolderSummary{}},
		{"a file, not a folder", func(root string) string {
			junk(root, "file.png")
			return filepath.Join(root, "file.png")
		}, []string{"{root}/file.png: not a folder"}, FolderSummary{}},
		{"no class folders", func(root string) string {
			pic(root, "1.png")
			return root
		}, []string{"{root}: no class folders"}, FolderSummary{}},
		{"empty class folders", func(root string) string {
			pic(root, "a/1.png")
			os.MkdirAll(filepath.Join(root, "b"), 0o755)
			writeFile(t, filepath.Join(root, "c", "x.gif"), nil)
			return root
		}, []string{"{root}/b: empty class folder", "{root}/c: empty class folder: no .png, .jpg or .jpeg files (1 other files skipped)"}, FolderSummary{}},
		{"unreadable pictures listed then counted", func(root string) string {
			pic(root, "a/0.png")
			for _, p := range []string{"a/1.png", "a/2.jpg", "b/3.png", "b/4.png", "b/5.jpeg"} {
				junk(root, p)
			}
			return root
		}, []string{"{root}/a/1.png: unreadable image: ", "{root}/a/2.jpg: unreadable image", "{root}/b/3.png: unreadable image",
			"{root}: and 2 more unreadable pictures (6 pictures in all)"}, FolderSummary{}},
		{"empty picture", func(root string) string {
			// A JPEG whose frame header says it is 0 pixels wide.
			var b bytes.Buffer
			jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 1, 5)), nil)
			sof := bytes.Index(b.Bytes(), []byte{0xff, 0xc0})
			if sof < 0 {
				t.Fatal("no SOF0 marker")
			}
			b.Bytes()[sof+7], b.Bytes()[sof+8] = 0, 0
			writeFile(t, filepath.Join(root, "a", "1.jpg"), b.Bytes())
			return root
		}, []string{"{root}/a/1.jpg: image is empty (0×5)"}, FolderSummary{}},
		{"test class unknown", func(root string) string {
			pic(root, "train/a/1.png")
			pic(root, "test/z/1.png")
			junk(root, "test/a/1.png")
			return root
		}, []string{`{root}/test/z: class "z" is not among the training classes [a]`, "{root}/test/a/1.png: unreadable image"}, FolderSummary{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			dir := tt.setup(root)
			sum, err := CheckFolder(dir)
			var got []string
			if err != nil {
				got = strings.Split(err.Error(), "\n")
			}
			if len(got) != len(tt.want) {
				t.Fatalf("problems %q, want %d like %q", got, len(tt.want), tt.want)
			}
			for i, w := range tt.want {
				if w = strings.ReplaceAll(w, "{root}", root); !strings.HasPrefix(got[i], w) {
					t.Errorf("problem %d: %q, want it to start with %q", i, got[i], w)
				}
			}
			if len(tt.want) == 0 && (strings.Join(sum.Classes, ",") != strings.Join(tt.sum.Classes, ",") ||
				sum.HasTest != tt.sum.HasTest || sum.Train != tt.sum.Train || sum.Test != tt.sum.Test) {
				t.Errorf("summary %+v, want %+v", sum, tt.sum)
			}
			// LoadFolder refuses exactly what CheckFolder refuses, with its
			// first problem (the details in brackets may differ).
			_, lerr := LoadFolder(dir, 4, 3)
			switch {
			case (lerr == nil) != (err == nil):
				t.Errorf("LoadFolder: %v; CheckFolder: %v", lerr, err)
			case lerr != nil && !strings.Contains(err.Error(), strings.Split(lerr.Error(), " (")[0]):
				t.Errorf("LoadFolder's error %q is not among CheckFolder's:\n%v", lerr, err)
			}
		})
	}
}

func TestFolderSummaryCheckSplit(t *testing.T) {
	flat := FolderSummary{Classes: []string{"a", "b"}, Train: 10}
	parts := FolderSummary{Classes: []string{"a", "b"}, HasTest: true, Train: 10, Test: 4}
	tests := []struct {
		sum              FolderSummary
		train, val, test int
		want             string // "" for fits
	}{
		{flat, 0, 2, 2, ""},
		{flat, 6, 2, 2, ""},
		{flat, 0, 8, 1, ""},
		{flat, 0, 1, 10, "split: test 10 leaves nothing of the 10 pictures to train on"},
		{flat, 0, 8, 2, "split: val 8 leaves nothing of the 8 pictures to train on (the folder has 10)"},
		{flat, 7, 2, 2, "split: train 7 + val 2 = 9 pictures, but the folder has 10 and 8 after test"},
		{parts, 0, 9, 4, ""},
		{parts, 8, 2, 1, ""},
		{parts, 0, 2, 5, "split: test 5, but the test part has 4 pictures"},
		{parts, 0, 10, 1, "split: val 10 leaves nothing of the 10 pictures to train on (the training part has 10)"},
		{parts, 9, 2, 1, "split: train 9 + val 2 = 11 pictures, but the training part has 10"},
	}
	for _, tt := range tests {
		err := tt.sum.CheckSplit(tt.train, tt.val, tt.test)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("HasTest %v, split %d/%d/%d: %q, want %q", tt.sum.HasTest, tt.train, tt.val, tt.test, got, tt.want)
		}
	}
}

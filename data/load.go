package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/cnnlab/cnnlab/internal/cachedir"
)

// LoadOptions tunes Load.
type LoadOptions struct {
	// Log receives fetch progress; nil means silent.
	Log io.Writer
	// NoFetch makes Load fail instead of fetching a set that is not cached.
	NoFetch bool
}

// Load returns the data set called name ("mnist", "fashion-mnist" or
// "cifar10") from the cache, fetching it first if it is missing or damaged
// (see Fetch). Every file is checked against its sha256 as it is read, so a
// damaged cached file is never used.
func Load(ctx context.Context, name string, opts LoadOptions) (*Set, error) {
	spec, err := lookup(name)
	if err != nil {
		return nil, err
	}
	root, err := cachedir.Dir()
	if err != nil {
		return nil, err
	}
	return loadSet(ctx, spec, filepath.Join(root, spec.Name), spec.sources, opts)
}

func loadSet(ctx context.Context, spec *setSpec, dir string, sources []source, opts LoadOptions) (*Set, error) {
	set, err := readCachedSet(spec, dir)
	if err == nil {
		return set, nil
	}
	if opts.NoFetch {
		return nil, fmt.Errorf("data set %s is not ready in the cache: %w (run `cnnlab data fetch %s`)", spec.Name, err, spec.Name)
	}
	if err := fetchSet(ctx, spec, dir, sources, opts.Log); err != nil {
		return nil, err
	}
	set, err = readCachedSet(spec, dir)
	if err != nil {
		return nil, fmt.Errorf("data set %s: %w", spec.Name, err)
	}
	return set, nil
}

// readCachedSet reads a known set from its cache folder, verifying every
// file.
func readCachedSet(spec *setSpec, dir string) (*Set, error) {
	files := map[string]fileSpec{}
	for _, f := range spec.Files {
		files[f.Name] = f
	}
	read := func(path string, buf []byte) ([]byte, error) {
		return readVerified(path, files[filepath.Base(path)], buf)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	set := &Set{Name: spec.Name, Classes: spec.Classes, H: spec.H, W: spec.W, C: spec.C}
	switch spec.Name {
	case "cifar10":
		meta, err := read(p("batches.meta.txt"), nil)
		if err != nil {
			return nil, err
		}
		if set.Classes, err = parseClassNames(p("batches.meta.txt"), meta); err != nil {
			return nil, err
		}
		var train []string
		for i := 1; i <= 5; i++ {
			train = append(train, p(fmt.Sprintf("data_batch_%d.bin", i)))
		}
		if set.Train, err = readCIFARBatches(train, len(set.Classes), read); err != nil {
			return nil, err
		}
		if set.Test, err = readCIFARBatches([]string{p("test_batch.bin")}, len(set.Classes), read); err != nil {
			return nil, err
		}
	default: // the IDX sets
		for _, part := range []struct {
			prefix string
			dst    *Images
		}{{"train", &set.Train}, {"t10k", &set.Test}} {
			imgPath, lblPath := p(part.prefix+"-images-idx3-ubyte"), p(part.prefix+"-labels-idx1-ubyte")
			ib, err := read(imgPath, nil)
			if err != nil {
				return nil, err
			}
			lb, err := read(lblPath, nil)
			if err != nil {
				return nil, err
			}
			if *part.dst, err = idxImages(imgPath, ib, lblPath, lb, len(set.Classes)); err != nil {
				return nil, err
			}
		}
	}
	if set.Train.H != set.H || set.Train.W != set.W || set.Test.H != set.H || set.Test.W != set.W {
		return nil, fmt.Errorf("%s: images are %d×%d, want %d×%d", dir, set.Train.H, set.Train.W, set.H, set.W)
	}
	return set, nil
}

// readVerified reads path into buf (grown if needed) and checks it has f's
// size and sha256.
func readVerified(path string, f fileSpec, buf []byte) ([]byte, error) {
	if f.Name == "" {
		return nil, fmt.Errorf("%s: not a file of this data set", path)
	}
	file, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer file.Close()
	st, err := file.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() != f.Size {
		return nil, fmt.Errorf("%s has %d bytes, want %d", path, st.Size(), f.Size)
	}
	if int64(cap(buf)) < f.Size {
		buf = make([]byte, f.Size)
	}
	buf = buf[:f.Size]
	if _, err := io.ReadFull(file, buf); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sum := sha256.Sum256(buf)
	if got := hex.EncodeToString(sum[:]); got != f.SHA256 {
		return nil, fmt.Errorf("%s: checksum mismatch: sha256 %s, want %s", path, got, f.SHA256)
	}
	return buf, nil
}

package fsutil

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// ErrNotRegular is returned for a path that names a device, a pipe, a
// socket or a folder rather than a regular file: such a file has no size to
// check and may never end (/dev/zero) or block (a named pipe).
var ErrNotRegular = errors.New("not a regular file")

// TooLargeError is returned by ReadFileLimit for a file above the limit.
type TooLargeError struct {
	Path  string
	Size  int64 // bytes, as far as known: at least Limit+1
	Limit int64
}

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("%s is %d bytes; the limit is %d", e.Path, e.Size, e.Limit)
}

// OpenRegular opens path for reading and refuses anything but a regular
// file (symbolic links are followed). The kind is checked before opening,
// so a named pipe never blocks, and again on the open file, so a file
// swapped in between is caught.
func OpenRegular(path string) (*os.File, fs.FileInfo, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: notRegular(st)}
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	st, err = f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: notRegular(st)}
	}
	return f, st, nil
}

func notRegular(st fs.FileInfo) error {
	if st.IsDir() {
		return fmt.Errorf("%w: a folder", ErrNotRegular)
	}
	return fmt.Errorf("%w (a device, pipe or socket)", ErrNotRegular)
}

// ReadFileLimit reads the regular file at path, refusing one of more than
// limit bytes with a *TooLargeError before reading it. A file that grows
// while it is read is cut off at limit+1 bytes and refused too.
func ReadFileLimit(path string, limit int64) ([]byte, error) {
	f, st, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st.Size() > limit {
		return nil, &TooLargeError{Path: path, Size: st.Size(), Limit: limit}
	}
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, &TooLargeError{Path: path, Size: int64(len(b)), Limit: limit}
	}
	return b, nil
}

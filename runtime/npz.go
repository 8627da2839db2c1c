// NumPy .npz archives: zip files whose members are <key>.npy arrays.
//
// Contract: ReadNPZ accepts stored and deflated members (np.savez and
// np.savez_compressed), keys containing '/', and checks each member's header
// against its declared uncompressed size before allocating; it verifies
// each member's CRC. WriteNPZ writes stored members in the given key order
// with fixed timestamps, so equal input gives byte-identical output.

package runtime

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"strings"
)

// ReadNPZ reads the .npz archive in r, size bytes long. It returns the
// arrays by key (member name without ".npy") and the keys in archive order.
func ReadNPZ(r io.ReaderAt, size int64) (map[string]*Array, []string, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // nothing touches the file system
		return nil, nil, fmt.Errorf("npz: %w", err)
	}
	arrays := map[string]*Array{}
	var keys []string
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") { // directory entry
			continue
		}
		key, ok := strings.CutSuffix(f.Name, ".npy")
		if !ok {
			return nil, nil, fmt.Errorf("npz: %q: not a .npy member", f.Name)
		}
		if _, dup := arrays[key]; dup {
			return nil, nil, fmt.Errorf("npz: %q: duplicate member", f.Name)
		}
		a, err := readMember(f, size)
		if err != nil {
			return nil, nil, fmt.Errorf("npz: %q: %w", f.Name, err)
		}
		arrays[key] = a
		keys = append(keys, key)
	}
	return arrays, keys, nil
}

// readMember reads the array in f, a member of an archive of archiveSize
// bytes, first refusing sizes that the archive cannot hold: a stored member
// is as long as its data, and deflate compresses at most about 1032:1.
func readMember(f *zip.File, archiveSize int64) (*Array, error) {
	n, c := f.UncompressedSize64, f.CompressedSize64
	if c > uint64(archiveSize) || n > math.MaxInt64 ||
		f.Method == zip.Store && n != c || f.Method == zip.Deflate && n/1032 > c+64 {
		return nil, fmt.Errorf("implausible size: %d bytes from %d compressed, in a %d-byte archive", n, c, archiveSize)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	a, err := readNPY(rc, int64(n), f.Method == zip.Store)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, rc); err != nil { // reaching EOF checks the CRC
		return nil, err
	}
	return a, nil
}

// ReadNPZFile reads the .npz file at path, like ReadNPZ.
func ReadNPZFile(path string) (map[string]*Array, []string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	arrays, keys, err := ReadNPZ(f, st.Size())
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	return arrays, keys, nil
}

// WriteNPZ writes arrays[k] for each k in keys, in that order, as stored
// (uncompressed) members "<k>.npy" with fixed timestamps, like np.savez.
// Each array is written in its DType ("" means f4), little-endian; integer
// and bool dtypes take their values from Ints when it has Size() elements,
// else from Data. Arrays whose keys are not in keys are not written.
func WriteNPZ(w io.Writer, keys []string, arrays map[string]*Array) error {
	zw := zip.NewWriter(w)
	seen := map[string]bool{}
	var buf bytes.Buffer
	for _, k := range keys {
		name := k + ".npy"
		a := arrays[k]
		switch {
		case k == "":
			return errors.New("npz: empty key")
		case seen[k]:
			return fmt.Errorf("npz: %q: duplicate key", name)
		case a == nil:
			return fmt.Errorf("npz: %q: no array for key", name)
		}
		seen[k] = true
		buf.Reset()
		if err := writeNPY(&buf, a); err != nil {
			return fmt.Errorf("npz: %q: %w", name, err)
		}
		fh := &zip.FileHeader{
			Name:               name,
			Method:             zip.Store,
			CreatorVersion:     20,
			ReaderVersion:      20,
			ModifiedDate:       1<<5 | 1, // 1980-01-01 00:00:00, the DOS epoch
			CRC32:              crc32.ChecksumIEEE(buf.Bytes()),
			CompressedSize64:   uint64(buf.Len()),
			UncompressedSize64: uint64(buf.Len()),
		}
		for i := 0; i < len(name); i++ {
			if name[i] >= 0x80 {
				fh.Flags |= 0x800 // name is UTF-8
				break
			}
		}
		mw, err := zw.CreateRaw(fh)
		if err != nil {
			return fmt.Errorf("npz: %q: %w", name, err)
		}
		if _, err := mw.Write(buf.Bytes()); err != nil {
			return fmt.Errorf("npz: %q: %w", name, err)
		}
	}
	if err := zw.Close(); err != nil {
		return fmt.Errorf("npz: %w", err)
	}
	return nil
}

package hdf5

import (
	"bytes"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzOpen opens arbitrary bytes and walks everything. The seed corpus is
// testdata/fuzz/FuzzOpen (small files from gen.py, truncated and corrupted
// variants, and inputs the fuzzer found) plus the small test files.
//
//	go test -run=^$ -fuzz=FuzzOpen -fuzztime=120s ./hdf5/
func FuzzOpen(f *testing.F) {
	for _, name := range []string{"userblock.h5", "smallk.h5", "v108.h5"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	old := maxDataBytes
	maxDataBytes = 1 << 20 // keep the fuzzer fast and its memory use small
	verifyChecksums = false
	f.Cleanup(func() { maxDataBytes, verifyChecksums = old, true })
	f.Fuzz(func(t *testing.T, data []byte) {
		exercise(data)
	})
}

// exercise opens data and reads everything it can, ignoring errors.
func exercise(data []byte) error {
	f, err := Open(data)
	if err != nil {
		return err
	}
	_, err = walkFile(f, true)
	root := f.Root()
	for _, p := range []string{"layouts/chunked_gzip", "g/gz", "chunked", "x", "many/item_01"} {
		root.Has(p)
		if d, err := root.Dataset(p); err == nil {
			d.ReadFloat32()
			d.ReadInt64()
			d.ReadStrings()
		}
	}
	return err
}

// withEOF returns a copy of data whose superblock end-of-file address says
// eof, so that truncation is found by the structures that run past the end
// rather than by the superblock check.
func withEOF(data []byte, eof uint64) []byte {
	data = bytes.Clone(data)
	base := bytes.Index(data, []byte(signature))
	if base < 0 || len(data) < base+48 {
		return data
	}
	version, o := data[base+8], int(data[base+13])
	put := func(off int) {
		if o == 8 {
			binary.LittleEndian.PutUint64(data[off:], eof)
		} else if o == 4 {
			binary.LittleEndian.PutUint32(data[off:], uint32(eof))
		}
	}
	switch version {
	case 0:
		put(base + 24 + 2*o)
	case 1:
		put(base + 28 + 2*o)
	case 2, 3:
		o = int(data[base+9])
		put(base + 12 + 2*o)
		end := base + 12 + 4*o
		if len(data) >= end+4 {
			binary.LittleEndian.PutUint32(data[end:], lookup3(data[base:end]))
		}
	}
	return data
}

// TestTruncated cuts every test file at several points: each cut must give
// an error, never a panic, with or without a consistent superblock.
func TestTruncated(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.h5"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		noErr(t, err)
		for k := 1; k < 16; k++ {
			n := len(data) * k / 16
			if err := exercise(data[:n]); err == nil {
				t.Errorf("%s cut at %d: no error", name, n)
			}
			if err := exercise(withEOF(data[:n], uint64(n))); err == nil {
				t.Errorf("%s cut at %d with matching EOF address: no error", name, n)
			}
		}
		// The EOF patch itself leaves a readable file.
		if err := exercise(withEOF(data, uint64(len(data)))); err != nil {
			t.Errorf("%s with rewritten EOF address: %v", name, err)
		}
	}
}

// TestCorrupted flips bytes all over the small test files: no panics, no
// hangs. (FuzzOpen explores much further; this runs on every go test.)
func TestCorrupted(t *testing.T) {
	old := maxDataBytes
	maxDataBytes = 1 << 20
	defer func() { maxDataBytes = old }()
	start := time.Now()
	for _, name := range []string{"userblock.h5", "smallk.h5", "v108.h5", "latest.h5", "earliest.h5"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		noErr(t, err)
		step := len(data)/400 + 1
		for off := 0; off < len(data); off += step {
			for _, x := range []byte{0x01, 0x80, 0xff} {
				mut := bytes.Clone(data)
				mut[off] ^= x
				exercise(mut)
			}
		}
	}
	t.Logf("corrupted-file walks took %v", time.Since(start))
}

// TestDeclaredSizes patches dataspaces to claim far more data than the file
// holds: reads must fail before allocating.
func TestDeclaredSizes(t *testing.T) {
	for _, tc := range []struct {
		path string
		dim0 uint64
		msg  string
	}{
		{"layouts/contiguous", 1 << 40, "exceeds the 2147483648-byte limit"},
		{"layouts/contiguous", 1 << 24, "contiguous storage has 160 bytes, need 671088640"},
		{"layouts/compact", 1 << 20, "compact data has 24 bytes, need"},
		{"layouts/chunked_gzip", 1 << 40, "exceeds the 2147483648-byte limit"},
		{"types/i32", 1 << 61, "dimensions [2305843009213693952 4] too large"},
	} {
		data, err := os.ReadFile(filepath.Join("testdata", "earliest.h5"))
		noErr(t, err)
		f, err := Open(data)
		noErr(t, err)
		d, err := f.Root().Dataset(tc.path)
		noErr(t, err)
		h, err := f.header(d.addr)
		noErr(t, err)
		// Version 1 dataspace: 8-byte prefix, then the dimensions. The message
		// aliases data, so this patches the file image.
		binary.LittleEndian.PutUint64(h.find(msgDataspace).data[8:], tc.dim0)
		f, err = Open(data)
		noErr(t, err)
		d, err = f.Root().Dataset(tc.path)
		if err == nil {
			_, err = d.ReadFloat64()
		}
		errContains(t, err, tc.msg, tc.path)
	}
}

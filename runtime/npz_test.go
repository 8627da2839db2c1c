package runtime

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleArrays() ([]string, map[string]*Array) {
	keys := []string{"mlp/dense_1/kernel", "mlp/dense_1/bias", "ids", "mask", "half", "wide", "scalar", "empty", "ünï/cödé"}
	arrays := map[string]*Array{
		"mlp/dense_1/kernel": {Shape: []int{2, 3}, DType: "f4", Data: []float32{1, -2, 3.5, 0, 1e-30, -7}},
		"mlp/dense_1/bias":   {Shape: []int{3}, DType: "f4", Data: []float32{0.25, 0.5, 0.75}},
		"ids":                {Shape: []int{2, 2}, DType: "i8", Data: []float32{1e12, -1, 0, 5}, Ints: []int64{1e12 + 1, -1, 0, 5}},
		"mask":               {Shape: []int{3}, DType: "b1", Data: []float32{1, 0, 1}, Ints: []int64{1, 0, 1}},
		"half":               {Shape: []int{2}, DType: "f2", Data: []float32{-0.5, 65504}},
		"wide":               {Shape: []int{1}, DType: "f8", Data: []float32{0.1}},
		"scalar":             {Shape: []int{}, DType: "f4", Data: []float32{3}},
		"empty":              {Shape: []int{0, 4}, DType: "f4", Data: []float32{}},
		"ünï/cödé":           {Shape: []int{1}, DType: "u2", Data: []float32{65535}, Ints: []int64{65535}},
	}
	return keys, arrays
}

func TestNPZRoundTrip(t *testing.T) {
	keys, arrays := sampleArrays()
	var a, b bytes.Buffer
	require.NoError(t, WriteNPZ(&a, keys, arrays))
	require.NoError(t, WriteNPZ(&b, keys, arrays))
	assert.Equal(t, a.Bytes(), b.Bytes(), "WriteNPZ must be deterministic")

	got, gotKeys, err := ReadNPZ(bytes.NewReader(a.Bytes()), int64(a.Len()))
	require.NoError(t, err)
	assert.Equal(t, keys, gotKeys)
	// "ids" round-trips exactly in Ints; Data is recomputed from them.
	arrays["ids"].Data = []float32{1e12 + 1, -1, 0, 5}
	assert.Equal(t, arrays, got)

	path := filepath.Join(t.TempDir(), "x.npz")
	require.NoError(t, os.WriteFile(path, a.Bytes(), 0o644))
	fromFile, fileKeys, err := ReadNPZFile(path)
	require.NoError(t, err)
	assert.Equal(t, gotKeys, fileKeys)
	assert.Equal(t, got, fromFile)
}

type member struct {
	name   string
	method uint16
	data   []byte
	badCRC bool
	usize  uint64 // declared uncompressed size of a raw member, if nonzero
}

func zipOf(t *testing.T, members ...member) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, m := range members {
		if m.badCRC || m.usize != 0 {
			usize := m.usize
			if usize == 0 {
				usize = uint64(len(m.data))
			}
			crc, raw := crc32.ChecksumIEEE(m.data), m.data
			if m.badCRC {
				crc++
			}
			if m.method == zip.Deflate {
				var c bytes.Buffer
				fw, err := flate.NewWriter(&c, flate.BestCompression)
				require.NoError(t, err)
				_, err = fw.Write(m.data)
				require.NoError(t, err)
				require.NoError(t, fw.Close())
				raw = c.Bytes()
			}
			w, err := zw.CreateRaw(&zip.FileHeader{Name: m.name, Method: m.method, CRC32: crc,
				CompressedSize64: uint64(len(raw)), UncompressedSize64: usize})
			require.NoError(t, err)
			_, err = w.Write(raw)
			require.NoError(t, err)
			continue
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: m.name, Method: m.method})
		require.NoError(t, err)
		_, err = w.Write(m.data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return buf.Bytes()
}

func npyOf(t *testing.T, shape []int, data []float32) []byte {
	var buf bytes.Buffer
	require.NoError(t, WriteNPY(&buf, shape, data))
	return buf.Bytes()
}

func TestReadNPZMembers(t *testing.T) {
	x := npyOf(t, []int{2, 2}, []float32{1, 2, 3, 4})
	z := zipOf(t,
		member{name: "dense/kernel.npy", method: zip.Deflate, data: x},
		member{name: "dir/", method: zip.Store},
		member{name: "b.npy", method: zip.Store, data: x},
	)
	arrays, keys, err := ReadNPZ(bytes.NewReader(z), int64(len(z)))
	require.NoError(t, err)
	assert.Equal(t, []string{"dense/kernel", "b"}, keys)
	assert.Equal(t, []float32{1, 2, 3, 4}, arrays["dense/kernel"].Data)
	assert.Equal(t, []int{2, 2}, arrays["b"].Shape)
}

func TestReadNPZErrors(t *testing.T) {
	x := npyOf(t, []int{3}, []float32{1, 2, 3})
	truncated := npyBytes(1, hdr("<f4", "False", "(3, 4)"), make([]byte, 20))
	tests := []struct {
		name  string
		input []byte
		want  string // the whole message, or a prefix ending in "…"
	}{
		{"not a zip", []byte("hello, world"), "npz: zip: not a valid zip file"},
		{"not npy", zipOf(t, member{name: "README.txt", data: []byte("hi")}), `npz: "README.txt": not a .npy member`},
		{"duplicate", zipOf(t, member{name: "a.npy", data: x}, member{name: "a.npy", data: x}), `npz: "a.npy": duplicate member`},
		{"truncated", zipOf(t, member{name: "dense/kernel.npy", data: truncated}), `npz: "dense/kernel.npy": npy: data truncated: want 48 bytes, got 20`},
		{"truncated deflated", zipOf(t, member{name: "k.npy", method: zip.Deflate, data: truncated}), `npz: "k.npy": npy: data truncated: want 48 bytes, got 20`},
		{"bad member", zipOf(t, member{name: "k.npy", data: []byte("nope")}), `npz: "k.npy": npy: reading magic: unexpected EOF`},
		{"checksum", zipOf(t, member{name: "k.npy", data: x, badCRC: true}), `npz: "k.npy": zip: checksum error`},
		{"bomb", zipOf(t, member{name: "k.npy", method: zip.Deflate, data: make([]byte, 10), usize: 1 << 40}),
			`npz: "k.npy": implausible size: 1099511627776 bytes from …`},
		{"stored size", zipOf(t, member{name: "k.npy", data: x, usize: 40}), `npz: "k.npy": implausible size: 40 bytes from 140 compressed, in a 248-byte archive`},
		{"short header", zipOf(t, member{name: "k.npy", method: zip.Deflate, data: x, usize: 40}), `npz: "k.npy": npy: header truncated: want 118 bytes, got 30`},
		{"short data", zipOf(t, member{name: "k.npy", method: zip.Deflate, data: x, usize: 132}), `npz: "k.npy": npy: data truncated: want 12 bytes, got 4`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ReadNPZ(bytes.NewReader(tt.input), int64(len(tt.input)))
			require.Error(t, err)
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
				assert.True(t, strings.HasPrefix(err.Error(), prefix), "got %q", err)
			} else {
				assert.Equal(t, tt.want, err.Error())
			}
		})
	}
}

func TestWriteNPZErrors(t *testing.T) {
	ok := &Array{Shape: []int{1}, Data: []float32{1}}
	tests := []struct {
		name   string
		keys   []string
		arrays map[string]*Array
		want   string
	}{
		{"empty key", []string{""}, map[string]*Array{"": ok}, "npz: empty key"},
		{"duplicate", []string{"a", "a"}, map[string]*Array{"a": ok}, `npz: "a.npy": duplicate key`},
		{"missing", []string{"b"}, map[string]*Array{"a": ok}, `npz: "b.npy": no array for key`},
		{"size", []string{"a"}, map[string]*Array{"a": {Shape: []int{2}, Data: []float32{1}}}, `npz: "a.npy": npy: shape (2,) needs 2 values, got 1`},
		{"dtype", []string{"a"}, map[string]*Array{"a": {Shape: []int{1}, DType: "c8", Data: []float32{1}}}, `npz: "a.npy": npy: unknown dtype 'c8'`},
		{"negative", []string{"a"}, map[string]*Array{"a": {Shape: []int{-1}}}, `npz: "a.npy": npy: shape (-1,) has a negative dimension`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			require.EqualError(t, WriteNPZ(&buf, tt.keys, tt.arrays), tt.want)
		})
	}
}

// numpy reads WriteNPZ output, keys in order, values as written.
func TestWriteNPZMatchesNumPy(t *testing.T) {
	needNumPy(t)
	keys, arrays := sampleArrays()
	path := filepath.Join(t.TempDir(), "x.npz")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, WriteNPZ(f, keys, arrays))
	require.NoError(t, f.Close())
	out := runPython(t, `
import sys, numpy as np
with np.load(sys.argv[1]) as z:
    for k in z.files:
        a = z[k]
        print(k, a.dtype.str, a.shape, a.tolist())
`, path)
	want := strings.Join([]string{
		"mlp/dense_1/kernel <f4 (2, 3) [[1.0, -2.0, 3.5], [0.0, 1.0000000031710769e-30, -7.0]]",
		"mlp/dense_1/bias <f4 (3,) [0.25, 0.5, 0.75]",
		"ids <i8 (2, 2) [[1000000000001, -1], [0, 5]]",
		"mask |b1 (3,) [True, False, True]",
		"half <f2 (2,) [-0.5, 65504.0]",
		"wide <f8 (1,) [0.10000000149011612]",
		"scalar <f4 () 3.0",
		"empty <f4 (0, 4) []",
		"ünï/cödé <u2 (1,) [65535]",
	}, "\n")
	assert.Equal(t, want, strings.TrimSpace(out))
}

func FuzzReadNPZ(f *testing.F) {
	keys, arrays := sampleArrays()
	var buf bytes.Buffer
	if err := WriteNPZ(&buf, keys[:3], arrays); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		arrays, keys, err := ReadNPZ(bytes.NewReader(data), int64(len(data)))
		if err == nil {
			require.Len(t, keys, len(arrays))
			for k, a := range arrays {
				checkArray(t, k, a)
			}
		}
		// The input as the one (deflated) member of a valid archive reads
		// as ReadNPY reads it, errors included.
		var z bytes.Buffer
		zw := zip.NewWriter(&z)
		w, err := zw.Create("k.npy")
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		want, wantErr := ReadNPY(bytes.NewReader(data))
		got, _, err := ReadNPZ(bytes.NewReader(z.Bytes()), int64(z.Len()))
		if wantErr != nil {
			require.EqualError(t, err, `npz: "k.npy": `+wantErr.Error())
			return
		}
		require.NoError(t, err)
		requireSame(t, want, got["k"])
	})
}

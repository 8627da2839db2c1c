package runtime

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"github.com/kerasgen/kerasgen/internal/sharedtest"
	"hash/crc32"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	goruntime "runtime"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const python = "/usr/bin/python3"

// needNumPy skips the test unless python with numpy is available; checks
// against numpy are supplementary.
func needNumPy(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import numpy").Run(); err != nil {
		t.Skipf("%s with numpy not available (%v): skipping the numpy cross-check", python, err)
	}
}

// runPython runs script with args and returns its stdout.
func runPython(t *testing.T, script string, args ...string) string {
	t.Helper()
	cmd := exec.Command(python, append([]string{"-c", script}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	require.NoError(t, err, "python: %s", stderr.String())
	return string(out)
}

func seq(n int, f func(i int) float64) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(f(i))
	}
	return out
}

func seqInt(n int, f func(i int) int64) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// The formulas are those of testdata/gen_npy.py.
func TestReadNPYTestdata(t *testing.T) {
	tests := []struct {
		file  string
		shape []int
		dtype string
		data  []float32
		ints  []int64
	}{
		{"f2.npy", []int{2, 3}, "f2", seq(6, func(i int) float64 { return float64(i-3) * 0.125 }), nil},
		{"f8.npy", []int{5}, "f8", seq(5, func(i int) float64 { return float64(i) / 3 }), nil},
		{"i8.npy", []int{2, 2}, "i8", nil, seqInt(4, func(i int) int64 { return int64(i-1)*1e12 + int64(i) })},
		{"i1.npy", []int{6}, "i1", nil, seqInt(6, func(i int) int64 { return int64(i*50 - 128) })},
		{"u1.npy", []int{6}, "u1", nil, seqInt(6, func(i int) int64 { return int64(i * 70 % 256) })},
		{"u2.npy", []int{6}, "u2", nil, seqInt(6, func(i int) int64 { return int64(i * 13000) })},
		{"u4.npy", []int{6}, "u4", nil, seqInt(6, func(i int) int64 { return int64(i) * 800000000 })},
		{"b1.npy", []int{3, 2}, "b1", nil, seqInt(6, func(i int) int64 { return int64(boolByte(i%3 == 0)) })},
		{"f4_be.npy", []int{2, 2}, "f4", seq(4, func(i int) float64 { return float64(i)*1.5 - 1 }), nil},
		{"i2_be.npy", []int{6}, "i2", nil, seqInt(6, func(i int) int64 { return int64(1000 - i*700) })},
		{"fortran.npy", []int{2, 3, 4}, "f4", seq(24, func(i int) float64 { return float64(i) }), nil},
		{"scalar.npy", []int{}, "f4", []float32{3.5}, nil},
		{"empty.npy", []int{0, 3}, "f4", []float32{}, nil},
		{"v2.npy", []int{2, 3}, "f4", seq(6, func(i int) float64 { return float64(i) }), nil},
		{"v3.npy", []int{2, 3}, "f4", seq(6, func(i int) float64 { return float64(i) }), nil},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a, err := ReadNPYFile(filepath.Join("testdata", tt.file))
			require.NoError(t, err)
			assert.Equal(t, tt.shape, a.Shape)
			assert.Equal(t, tt.dtype, a.DType)
			assert.Equal(t, tt.ints, a.Ints)
			want := tt.data
			if tt.ints != nil {
				want = make([]float32, len(tt.ints))
				for i, v := range tt.ints {
					want[i] = float32(v)
				}
			}
			assert.Equal(t, want, a.Data)
			assert.Equal(t, a.Size(), len(a.Data))
		})
	}
}

func TestNPYRoundTrip(t *testing.T) {
	for _, shape := range [][]int{{}, {0}, {5}, {2, 3}, {0, 3}, {2, 1, 3, 1}, {1234567890, 0}, {300, 7}} {
		t.Run(shapeString(shape), func(t *testing.T) {
			n := (&Array{Shape: shape}).Size()
			data := seq(n, func(i int) float64 { return math.Sin(float64(i)) * 1e3 })
			var buf bytes.Buffer
			require.NoError(t, WriteNPY(&buf, shape, data))
			raw := buf.Bytes()
			hlen := int(binary.LittleEndian.Uint16(raw[8:10]))
			assert.Equal(t, 0, (10+hlen)%64, "data must start 64-byte aligned")
			assert.Equal(t, byte('\n'), raw[10+hlen-1])
			assert.Equal(t, 10+hlen+4*n, len(raw))
			a, err := ReadNPY(&buf)
			require.NoError(t, err)
			assert.Equal(t, shape, a.Shape)
			assert.Equal(t, "f4", a.DType)
			assert.Equal(t, data, a.Data)
			assert.Nil(t, a.Ints)
		})
	}
}

// Every dtype written by writeNPY (as WriteNPZ uses it) reads back the same.
func TestWriteDTypesRoundTrip(t *testing.T) {
	for dt := range npyItemSize {
		t.Run(dt, func(t *testing.T) {
			in := &Array{Shape: []int{3, 2}, DType: dt, Data: []float32{0, 1, -2, 0.5, 3.25, -1024}}
			if isIntDType(dt) {
				in.Ints = []int64{0, 1, 127, 100, 1, 0}
				if dt[0] == 'i' {
					in.Ints[1] = -1
				}
				if dt == "b1" {
					in.Ints = []int64{0, 1, 1, 0, 1, 0}
				}
				for i, v := range in.Ints {
					in.Data[i] = float32(v)
				}
			}
			var buf bytes.Buffer
			require.NoError(t, writeNPY(&buf, in))
			out, err := ReadNPY(&buf)
			require.NoError(t, err)
			assert.Equal(t, in, out)
		})
	}
}

func TestHalf(t *testing.T) {
	for h := 0; h < 1<<16; h++ {
		f := halfToFloat32(uint16(h))
		if f != f {
			assert.True(t, math.IsNaN(float64(halfToFloat32(float32ToHalf(f)))), "NaN %#04x", h)
			continue
		}
		require.Equal(t, uint16(h), float32ToHalf(f), "half %#04x -> %g", h, f)
	}
	// Expected bits from numpy: np.float32(v).astype(np.float16).view(np.uint16).
	tests := []struct {
		in   float64
		want uint16
	}{
		{1 + 0x1p-11, 0x3c00}, {1 + 3*0x1p-11, 0x3c02}, {65520, 0x7c00}, {65519, 0x7bff},
		{0x1p-25, 0}, {3 * 0x1p-26, 1}, {0x1p-24, 1}, {0x1p-14, 0x400}, {0x1p-14 - 0x1p-25, 0x400},
		{math.Copysign(0, -1), 0x8000}, {1e-30, 0}, {math.Inf(1), 0x7c00}, {math.Inf(-1), 0xfc00},
		{0.1, 0x2e66}, {-2.5, 0xc100},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, float32ToHalf(float32(tt.in)), "%g", tt.in)
	}
}

// npyBytes builds a .npy stream from a version, header text and data.
func npyBytes(major byte, header string, data []byte) []byte {
	b := []byte(npyMagic)
	b = append(b, major, 0)
	if major == 1 {
		b = binary.LittleEndian.AppendUint16(b, uint16(len(header)))
	} else {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(header)))
	}
	return append(append(b, header...), data...)
}

func hdr(descr, fortran, shape string) string {
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': %s, 'shape': %s, }\n", descr, fortran, shape)
}

func TestReadNPYErrors(t *testing.T) {
	tests := []struct {
		name  string
		input []byte
		want  string // the whole message, or a prefix ending in "…"
	}{
		{"empty", nil, "npy: reading magic: unexpected EOF"},
		{"bad magic", []byte("NOTNUMPY\x00\x00"), "npy: not a .npy file (bad magic)"},
		{"version", npyBytes(4, "", nil), "npy: unsupported format version 4.0"},
		{"no header length", []byte(npyMagic + "\x02\x00\x01"), "npy: reading header length: unexpected EOF"},
		{"header length", []byte(npyMagic + "\x02\x00\xff\xff\xff\xff"), "npy: header length 4294967295 too large"},
		{"short header", append(npyBytes(1, "", nil)[:8], 100, 0, '{'), "npy: header truncated: want 100 bytes, got 1"},
		{"unknown descr", npyBytes(1, hdr("<c8", "False", "(2,)"), make([]byte, 16)), "npy: header: unknown descr '<c8'"},
		{"overflow", npyBytes(1, hdr("<f4", "False", "(1000000000, 1000000000)"), nil), "npy: shape (1000000000, 1000000000) overflows"},
		{"int64 overflow", npyBytes(1, hdr("<f8", "False", "(4294967296, 4294967296, 4294967296)"), nil), "npy: shape (4294967296, 4294967296, 4294967296) overflows"},
		{"dim overflow", npyBytes(1, hdr("<f4", "False", "(99999999999999999999999,)"), nil), "npy: header: bad dimension \"99999999999999999999999\"…"},
		{"truncated", npyBytes(1, hdr("<f4", "False", "(3, 4)"), make([]byte, 20)), "npy: data truncated: want 48 bytes, got 20"},
		{"huge truncated", npyBytes(1, hdr("|u1", "False", "(1099511627776,)"), nil), "npy: data truncated: want 1099511627776 bytes, got 0"},
		{"structured", npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,)}", nil), "npy: header: unsupported descr: structured dtype"},
		{"missing key", npyBytes(1, "{'descr': '<f4', 'shape': (1,)}", nil), "npy: header: missing key 'fortran_order'"},
		{"duplicate key", npyBytes(1, "{'descr': '<f4', 'descr': '<f4'}", nil), "npy: header: duplicate key 'descr'"},
		{"extra key", npyBytes(1, "{'descr': '<f4', 'foo': 1}", nil), "npy: header: unexpected key 'foo'"},
		{"bad bool", npyBytes(1, hdr("<f4", "0", "(1,)"), nil), "npy: header: expected True or False…"},
		{"not a dict", npyBytes(1, "(1,)", nil), "npy: header: expected '{'…"},
		{"unterminated", npyBytes(1, "{'descr", nil), "npy: header: unterminated string…"},
		{"after dict", npyBytes(1, hdr("<f4", "False", "(1,)")+"x", nil), "npy: header: unexpected text after the dict…"},
		{"bad tuple", npyBytes(1, hdr("<f4", "False", "(1; 2)"), nil), "npy: header: expected ',' or ')'…"},
		{"too many dims", npyBytes(1, hdr("<f4", "False", "("+strings.Repeat("1,", 65)+")"), nil), "npy: header: more than 64 dimensions…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := ReadNPY(bytes.NewReader(tt.input))
			require.Error(t, err)
			assert.Nil(t, a)
			if prefix, ok := strings.CutSuffix(tt.want, "…"); ok {
				assert.True(t, strings.HasPrefix(err.Error(), prefix), "got %q", err)
			} else {
				assert.Equal(t, tt.want, err.Error())
			}
		})
	}
}

// A header claiming 1 TiB must not make the reader allocate it.
func TestReadNPYHugeClaimAllocatesLittle(t *testing.T) {
	in := npyBytes(1, hdr("<f4", "False", "(274877906944,)"), make([]byte, 1000))
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	_, err := ReadNPY(bytes.NewReader(in))
	goruntime.ReadMemStats(&after)
	require.EqualError(t, err, "npy: data truncated: want 1099511627776 bytes, got 1000")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(4<<20))
}

func TestReadNPYFileTruncated(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.npy")
	require.NoError(t, os.WriteFile(path, npyBytes(1, hdr("<f4", "False", "(3, 4)"), make([]byte, 20)), 0o644))
	_, err := ReadNPYFile(path)
	require.EqualError(t, err, path+": npy: data truncated: want 48 bytes, got 20")
}

func TestReadNPYTolerantHeader(t *testing.T) {
	for _, h := range []string{
		`{"shape":(2,),"fortran_order":False,"descr":"<f4"}`,
		"{ 'shape' : ( 2 , ) ,\t'descr':'=f4', 'fortran_order' :False , }   \n",
		"{'descr': 'f4', 'fortran_order': False, 'shape': (2L,)}",
		"{'descr': '<f4', 'fortran_order': True, 'shape': (2)}",
	} {
		a, err := ReadNPY(bytes.NewReader(npyBytes(1, h, []byte{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40})))
		require.NoError(t, err, h)
		assert.Equal(t, []int{2}, a.Shape, h)
		assert.Equal(t, []float32{1, 2}, a.Data, h)
	}
}

// sharedFiles lists the .npy and .npz files under the shared directory.
func sharedFiles(t *testing.T) (npy, npz []string) {
	root := sharedtest.Dir(t)
	require.NoError(t, filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case strings.HasSuffix(p, ".npy"):
			npy = append(npy, p)
		case strings.HasSuffix(p, ".npz"):
			npz = append(npz, p)
		}
		return nil
	}))
	require.NotEmpty(t, npy)
	require.NotEmpty(t, npz)
	return npy, npz
}

func checkArray(t *testing.T, name string, a *Array) {
	t.Helper()
	assert.Equal(t, a.Size(), len(a.Data), name)
	if isIntDType(a.DType) {
		assert.Equal(t, a.Size(), len(a.Ints), name)
	}
}

func TestReadShared(t *testing.T) {
	npy, npz := sharedFiles(t)
	for _, p := range npy {
		a, err := ReadNPYFile(p)
		if assert.NoError(t, err) {
			checkArray(t, p, a)
		}
	}
	for _, p := range npz {
		arrays, keys, err := ReadNPZFile(p)
		if assert.NoError(t, err) {
			assert.Len(t, keys, len(arrays), p)
			for k, a := range arrays {
				checkArray(t, p+":"+k, a)
			}
		}
	}
	t.Logf("read %d .npy and %d .npz files", len(npy), len(npz))
}

// Values below were read with numpy 1.24.
func TestReadSharedValues(t *testing.T) {
	root := sharedtest.Dir(t)
	a, err := ReadNPYFile(filepath.Join(root, "golden", "activations", "input.npy"))
	require.NoError(t, err)
	assert.Equal(t, []int{6, 10}, a.Shape)
	assert.Equal(t, []uint32{0x3f9f2d67, 0xbfee9114, 0xbfb42eae},
		[]uint32{math.Float32bits(a.Data[0]), math.Float32bits(a.Data[1]), math.Float32bits(a.Data[59])})

	w, keys, err := ReadNPZFile(filepath.Join(root, "golden", "mlp_relu_softmax", "weights.npz"))
	require.NoError(t, err)
	k := w["mlp/dense_1/kernel"]
	require.NotNil(t, k, "keys %v", keys)
	assert.Equal(t, []int{20, 32}, k.Shape)
	assert.Equal(t, uint32(0xbdb23640), math.Float32bits(k.Data[0]))
	assert.Equal(t, uint32(0x3d80f32c), math.Float32bits(k.Data[len(k.Data)-1]))

	s, _, err := ReadNPZFile(filepath.Join(root, "corpus", "age-gender", "layer_samples.npz"))
	require.NoError(t, err)
	idx := s["conv2d__idx"]
	require.NotNil(t, idx)
	assert.Equal(t, "i4", idx.DType)
	assert.Equal(t, []int{2048}, idx.Shape)
	assert.Equal(t, []int64{0, 277, 371, 423, 611, 999}, idx.Ints[:6])
}

// Golden cases: weights.npz matches meta.json's weights_order and
// weights_shapes, inputs and expected outputs match the declared shapes, and
// every layer output has the inputs' batch as its first axis.
func TestGoldenStructure(t *testing.T) {
	metas, err := filepath.Glob(filepath.Join(sharedtest.Dir(t), "golden", "*", "meta.json"))
	require.NoError(t, err)
	require.NotEmpty(t, metas)
	for _, m := range metas {
		dir := filepath.Dir(m)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			raw, err := os.ReadFile(m)
			require.NoError(t, err)
			var meta struct {
				Inputs, Outputs []struct{ File string }
				InputShapes     [][]int          `json:"input_shapes"`
				OutputShapes    [][]int          `json:"output_shapes"`
				WeightsOrder    []string         `json:"weights_order"`
				WeightsShapes   map[string][]int `json:"weights_shapes"`
				LayerOutputs    []string         `json:"layer_outputs"`
			}
			require.NoError(t, json.Unmarshal(raw, &meta))

			w, keys, err := ReadNPZFile(filepath.Join(dir, "weights.npz"))
			require.NoError(t, err)
			assert.Equal(t, meta.WeightsOrder, keys)
			shapes := map[string][]int{}
			for k, a := range w {
				shapes[k] = a.Shape
			}
			assert.Equal(t, meta.WeightsShapes, shapes)

			require.Len(t, meta.Inputs, len(meta.InputShapes))
			for i, in := range meta.Inputs {
				a, err := ReadNPYFile(filepath.Join(dir, in.File))
				require.NoError(t, err)
				assert.Equal(t, meta.InputShapes[i], a.Shape, in.File)
			}
			for i, out := range meta.Outputs {
				a, err := ReadNPYFile(filepath.Join(dir, out.File))
				require.NoError(t, err)
				assert.Equal(t, meta.OutputShapes[i], a.Shape, out.File)
			}

			batch := meta.InputShapes[0][0]
			lo, keys, err := ReadNPZFile(filepath.Join(dir, "layer_outputs.npz"))
			require.NoError(t, err)
			assert.Equal(t, meta.LayerOutputs, keys)
			for k, a := range lo {
				require.NotEmpty(t, a.Shape, k)
				assert.Equal(t, batch, a.Shape[0], k)
			}
		})
	}
}

// dataCRC is the CRC-32 of a's float32 data, little-endian, as numpy's
// zlib.crc32(a.astype('<f4').tobytes()).
func dataCRC(a *Array) uint32 {
	b := make([]byte, 0, 4*len(a.Data))
	for _, f := range a.Data {
		b = binary.LittleEndian.AppendUint32(b, math.Float32bits(f))
	}
	return crc32.ChecksumIEEE(b)
}

// Every array under the shared directory has, bit for bit, the values
// numpy reads.
func TestSharedMatchesNumPy(t *testing.T) {
	npy, npz := sharedFiles(t)
	needNumPy(t)
	const script = `
import sys, zlib, numpy as np
def line(p, k, a):
    print(p, k, a.dtype.str[1:], ",".join(map(str, a.shape)), zlib.crc32(np.ascontiguousarray(a, "<f4").tobytes()))
for p in sys.argv[1:]:
    if p.endswith(".npy"):
        line(p, "-", np.load(p))
    else:
        with np.load(p) as z:
            for k in z.files:
                line(p, k, z[k])
`
	want := strings.Split(strings.TrimSpace(runPython(t, script, append(npy, npz...)...)), "\n")
	var got []string
	line := func(p, k string, a *Array) {
		dims := make([]string, len(a.Shape))
		for i, d := range a.Shape {
			dims[i] = fmt.Sprint(d)
		}
		got = append(got, fmt.Sprintf("%s %s %s %s %d", p, k, a.DType, strings.Join(dims, ","), dataCRC(a)))
	}
	for _, p := range npy {
		a, err := ReadNPYFile(p)
		require.NoError(t, err)
		line(p, "-", a)
	}
	for _, p := range npz {
		arrays, keys, err := ReadNPZFile(p)
		require.NoError(t, err)
		for _, k := range keys {
			line(p, k, arrays[k])
		}
	}
	sort.Strings(want)
	sort.Strings(got)
	assert.Equal(t, want, got)
}

// Go's WriteNPY output is byte-identical to np.save's, and numpy reads it.
func TestWriteNPYMatchesNumPy(t *testing.T) {
	needNumPy(t)
	dir := t.TempDir()
	const script = `
import sys, io, numpy as np
for p in sys.argv[1:]:
    a = np.load(p)
    b = io.BytesIO()
    np.save(b, a)
    want = (np.sin(np.arange(a.size)) * 1e3).astype("<f4").reshape(a.shape)
    print(p, b.getvalue() == open(p, "rb").read(), np.array_equal(a, want))
`
	var paths, want []string
	for _, shape := range [][]int{{}, {0}, {5}, {2, 3}, {0, 3}, {12345, 1}, {1, 2, 3, 4}} {
		p := filepath.Join(dir, strings.NewReplacer("(", "", ")", "", ", ", "x", ",", "").Replace(shapeString(shape))+"_.npy")
		data := seq((&Array{Shape: shape}).Size(), func(i int) float64 { return math.Sin(float64(i)) * 1e3 })
		require.NoError(t, WriteNPYFile(p, shape, data))
		paths = append(paths, p)
		want = append(want, p+" True True")
	}
	assert.Equal(t, want, strings.Split(strings.TrimSpace(runPython(t, script, paths...)), "\n"))
}

// All 65536 half values convert as numpy's astype(float32) does.
func TestHalfMatchesNumPy(t *testing.T) {
	needNumPy(t)
	dir := t.TempDir()
	runPython(t, `
import sys, numpy as np
h = np.arange(65536, dtype="<u2").view("<f2")
np.save(sys.argv[1] + "/h.npy", h)
np.save(sys.argv[1] + "/f.npy", h.astype("<f4"))
`, dir)
	h, err := ReadNPYFile(filepath.Join(dir, "h.npy"))
	require.NoError(t, err)
	f, err := ReadNPYFile(filepath.Join(dir, "f.npy"))
	require.NoError(t, err)
	require.Len(t, h.Data, 65536)
	for i := range h.Data {
		require.Equal(t, math.Float32bits(f.Data[i]), math.Float32bits(h.Data[i]), "half %#04x", i)
	}
}

// requireSame requires a and b to be equal, NaNs matching NaNs.
func requireSame(t *testing.T, a, b *Array) {
	t.Helper()
	require.Equal(t, a.Shape, b.Shape)
	require.Equal(t, a.DType, b.DType)
	require.Equal(t, a.Ints, b.Ints)
	require.Len(t, b.Data, len(a.Data))
	for i := range a.Data {
		if x, y := a.Data[i], b.Data[i]; x == x || y == y {
			require.Equal(t, math.Float32bits(x), math.Float32bits(y), "element %d", i)
		}
	}
}

func FuzzReadNPY(f *testing.F) {
	f.Add(npyBytes(1, hdr("<f4", "True", "(2, 3)"), make([]byte, 24)))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := ReadNPY(bytes.NewReader(data))
		if err != nil {
			return
		}
		checkArray(t, "fuzz", a)
		// Writing the array in its dtype and reading it back gives it again.
		var buf bytes.Buffer
		require.NoError(t, writeNPY(&buf, a))
		b, err := ReadNPY(&buf)
		require.NoError(t, err)
		requireSame(t, a, b)
	})
}

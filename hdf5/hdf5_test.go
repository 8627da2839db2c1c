package hdf5

// The files in testdata/ were written by testdata/gen.py with h5py 3.7.0 /
// HDF5 1.10.8 / numpy 1.24.2 on Debian 12. Every expected value below is
// recomputed here from the same index formulas as gen.py, not read back.

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"
)

func openTestdata(t *testing.T, name string) *File {
	t.Helper()
	f, err := OpenFile(filepath.Join("testdata", name))
	noErr(t, err)
	return f
}

// seq returns f(i) for i = 0..n-1.
func seq(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

func fill(n int, v float64) []float64 { return seq(n, func(int) float64 { return v }) }

func TestSuperblockVersions(t *testing.T) {
	for name, want := range map[string]int{
		"earliest.h5": 0, "smallk.h5": 1, "v108.h5": 2, "latest.h5": 3, "userblock.h5": 0,
	} {
		check(t, want, openTestdata(t, name).SuperblockVersion(), name)
	}
}

// typeCases mirrors TYPES in gen.py: datasets of shape (3, 4).
var typeCases = []struct {
	name, typ string
	val       func(i int) float64
}{
	{"f16", "float16", func(i int) float64 { return float64(i-6) * 0.25 }},
	{"f32", "float32", func(i int) float64 { return float64(float32(float64(i-6) * 0.1)) }},
	{"f64", "float64", func(i int) float64 { return float64(i-6) * 0.1 }},
	{"i8", "int8", func(i int) float64 { return float64((i - 6) * 20) }},
	{"i16", "int16", func(i int) float64 { return float64((i - 6) * 5000) }},
	{"i32", "int32", func(i int) float64 { return float64((i - 6) * 300000000) }},
	{"i64", "int64", func(i int) float64 { return float64(int64(i-6) * 1e17) }},
	{"u8", "uint8", func(i int) float64 { return float64(i * 20) }},
	{"u16", "uint16", func(i int) float64 { return float64(i * 5000) }},
	{"u32", "uint32", func(i int) float64 { return float64(i * 350000000) }},
	{"u64", "uint64", func(i int) float64 { return float64(uint64(i) * 1500000000000000000) }},
}

func TestTypes(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5", "v108.h5"} {
		f := openTestdata(t, file)
		for _, tc := range typeCases {
			for _, suffix := range []string{"", "be"} {
				if suffix == "be" && (tc.name == "i8" || tc.name == "u8") {
					continue
				}
				name := file + ":" + tc.name + suffix
				d, err := f.Root().Dataset("types/" + tc.name + suffix)
				noErr(t, err, name)
				check(t, tc.typ, d.Type().String(), name)
				check(t, suffix == "be", d.Type().BigEndian, name)
				check(t, []int{3, 4}, d.Shape(), name)
				want := seq(12, tc.val)
				got, err := d.ReadFloat64()
				noErr(t, err, name)
				check(t, want, got, name)

				got32, err := d.ReadFloat32()
				noErr(t, err, name)
				for i, v := range got32 {
					var w float32
					switch {
					case strings.HasPrefix(tc.name, "i"):
						w = float32(int64(want[i]))
					case strings.HasPrefix(tc.name, "u"):
						w = float32(uint64(want[i]))
					default:
						w = float32(want[i])
					}
					check(t, w, v, "%s[%d]", name, i)
				}

				ints, err := d.ReadInt64()
				switch {
				case tc.name[0] == 'f':
					isErr(t, err, name)
				case tc.name == "u64":
					errContains(t, err, "overflows int64", name)
				default:
					noErr(t, err, name)
					for i, v := range ints {
						check(t, int64(want[i]), v, "%s[%d]", name, i)
					}
				}
				_, err = d.ReadStrings()
				isErr(t, err, name)
			}
		}
	}
}

func TestHalfFloat(t *testing.T) {
	for bits, want := range map[uint16]float32{
		0x0000: 0, 0x3c00: 1, 0xc000: -2, 0x7bff: 65504, 0x0001: 1.0 / (1 << 24),
		0x8001: -1.0 / (1 << 24), 0x0400: 1.0 / (1 << 14), 0x3555: 0.33325195,
	} {
		check(t, want, halfToFloat32(bits), "%#04x", bits)
	}
	check(t, true, math.IsInf(float64(halfToFloat32(0x7c00)), 1))
	check(t, true, math.IsNaN(float64(halfToFloat32(0x7e00))))
}

type layoutCase struct {
	path  string
	shape []int
	want  []float64
}

func layoutCases(latest bool) []layoutCase {
	i := func(n int) []float64 { return seq(n, func(i int) float64 { return float64(i) }) }
	cases := []layoutCase{
		{"compact", []int{2, 3}, seq(6, func(i int) float64 { return float64(i) * 1.5 })},
		{"contiguous", []int{4, 5}, seq(20, func(i int) float64 { return float64(i)*0.5 - 3 })},
		{"contig_unwritten", []int{3}, fill(3, 0)},
		{"chunked_gzip", []int{10, 7}, seq(70, func(i int) float64 { return float64(i*7 - 100) })},
		{"chunked_plain", []int{5, 5}, seq(25, func(i int) float64 { return float64(i) * 0.25 })},
		{"chunked_fill", []int{6, 4}, fill(24, 7.5)},
		{"chunked_partial", []int{6, 6}, seq(36, func(i int) float64 {
			r, c := i/6, i%6
			if r < 3 && c >= 3 {
				return float64(r*3 + c - 3 + 1)
			}
			return -1
		})},
		{"fletcher", []int{8}, seq(8, func(i int) float64 { return float64(i) + 0.5 })},
		{"scalar_f64", []int{}, []float64{3.25}},
		{"scalar_i32", []int{}, []float64{-42}},
		{"empty", []int{0}, []float64{}},
		{"null", nil, []float64{}},
		{"rank3", []int{2, 3, 4}, i(24)},
	}
	if latest {
		cases = append(cases, []layoutCase{
			{"single", []int{3, 4}, i(12)},
			{"single_gzip", []int{3, 4}, i(12)},
			{"implicit", []int{5, 7}, i(35)},
			{"farray_max", []int{5, 7}, i(35)},
			{"farray_paged", []int{1100}, seq(1100, func(i int) float64 { return float64(i % 100) })},
			{"earray", []int{10, 7}, i(70)},
			{"earray_dim1", []int{7, 10}, i(70)},
			{"earray_many", []int{300}, seq(300, func(i int) float64 { return float64(i % 100) })},
			{"earray_empty", []int{5}, fill(5, 2.5)},
			{"btree2", []int{10, 7}, i(70)},
			{"btree2_gzip", []int{10, 7}, i(70)},
		}...)
	}
	return cases
}

func TestLayouts(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		f := openTestdata(t, file)
		for _, tc := range layoutCases(file == "latest.h5") {
			name := file + ":" + tc.path
			d, err := f.Root().Dataset("layouts/" + tc.path)
			noErr(t, err, name)
			check(t, "/layouts/"+tc.path, d.Path())
			check(t, tc.shape, d.Shape(), name)
			check(t, tc.path == "null", d.IsNull(), name)
			got, err := d.ReadFloat64()
			noErr(t, err, name)
			check(t, tc.want, got, name)
		}
	}
	// Other file formats: 1.8 (superblock 2), small B-tree K with 4-byte
	// offsets (superblock 1), user block.
	for _, tc := range []struct {
		file, path string
		want       []float64
	}{
		{"v108.h5", "layouts/chunked_gzip", seq(70, func(i int) float64 { return float64(i*7 - 100) })},
		{"v108.h5", "layouts/earray", seq(70, func(i int) float64 { return float64(i) })},
		{"smallk.h5", "chunked", seq(200, func(i int) float64 { return float64(i * 3) })},
		{"userblock.h5", "x", seq(5, func(i int) float64 { return float64(i * 2) })},
	} {
		d, err := openTestdata(t, tc.file).Root().Dataset(tc.path)
		noErr(t, err, tc.file)
		got, err := d.ReadFloat64()
		noErr(t, err, tc.file)
		check(t, tc.want, got, tc.file+":"+tc.path)
	}
}

func TestUnsupportedFilters(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		f := openTestdata(t, file)
		for path, msg := range map[string]string{
			"/layouts/lzf":  "hdf5: /layouts/lzf: unsupported filter 32000 (lzf)",
			"/layouts/szip": "hdf5: /layouts/szip: unsupported filter 4 (szip)",
		} {
			d, err := f.Root().Dataset(path)
			noErr(t, err)
			_, err = d.ReadFloat32()
			errEq(t, err, msg)
			errIs(t, err, ErrUnsupported)
		}
	}
}

func TestStrings(t *testing.T) {
	cases := []struct {
		path     string
		shape    []int
		want     []string
		variable bool
		pad      int
	}{
		{"fixed_ascii", []int{3}, []string{"alpha", "be", "gamma!"}, false, PadNullPad},
		{"fixed_nullterm", []int{3}, []string{"alpha", "be", "gamma"}, false, PadNullTerm},
		{"fixed_spacepad", []int{3}, []string{"alpha", "be", "gamma!"}, false, PadSpacePad},
		{"fixed_utf8", []int{2}, []string{"héllo", "wörld"}, false, PadNullPad},
		{"vlen_ascii", []int{3}, []string{"one", "two", "three"}, true, PadNullTerm},
		{"vlen_utf8", []int{4}, []string{"α", "βγ", "", "plain"}, true, PadNullTerm},
		{"vlen_scalar", []int{}, []string{"just one string"}, true, PadNullTerm},
		{"vlen_chunked", []int{5}, []string{"s0", "s1s1", "s2s2s2", "s3s3s3s3", "s4s4s4s4s4"}, true, PadNullTerm},
	}
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		f := openTestdata(t, file)
		for _, tc := range cases {
			name := file + ":" + tc.path
			d, err := f.Root().Dataset("strings/" + tc.path)
			noErr(t, err, name)
			typ := d.Type()
			check(t, "string", typ.String(), name)
			check(t, tc.variable, typ.Variable, name)
			check(t, tc.pad, typ.Pad, name)
			// h5py.string_dtype() defaults to UTF-8.
			check(t, tc.path != "fixed_ascii" && tc.path != "fixed_nullterm" && tc.path != "fixed_spacepad" && tc.path != "vlen_ascii", typ.UTF8, name)
			check(t, tc.shape, d.Shape(), name)
			got, err := d.ReadStrings()
			noErr(t, err, name)
			check(t, tc.want, got, name)
			_, err = d.ReadFloat64()
			isErr(t, err, name)
		}
	}
}

func TestAttributes(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		root := openTestdata(t, file).Root()
		attrs, err := root.Attrs()
		noErr(t, err)
		var names []string
		for _, a := range attrs {
			names = append(names, a.Name)
		}
		check(t, []string{"arr_f32", "bool_enum", "compound", "empty_f64", "f16_arr", "f64_arr",
			"i64_scalar", "null_f32", "s_fixed", "s_list_fixed", "s_list_vlen", "s_vlen", "u16_be"}, names, file)

		attr := func(name string) *Attribute {
			a, err := root.Attr(name)
			noErr(t, err, name)
			return a
		}
		str := func(name, want string) {
			s, err := attr(name).String()
			noErr(t, err, name)
			check(t, want, s, name)
		}
		strs := func(name string, want ...string) {
			s, err := attr(name).Strings()
			noErr(t, err, name)
			check(t, want, s, name)
		}
		floats := func(name string, shape []int, want ...float64) {
			a := attr(name)
			v, err := a.Float64s()
			noErr(t, err, name)
			check(t, want, v, name)
			check(t, shape, a.Shape(), name)
		}
		str("s_fixed", "fixed bytes")
		check(t, false, attr("s_fixed").Type().Variable)
		str("s_vlen", "vlen ünïcode")
		check(t, true, attr("s_vlen").Type().Variable)
		check(t, true, attr("s_vlen").Type().UTF8)
		strs("s_list_fixed", "dense_1", "dense_2", "out")
		strs("s_list_vlen", "a", "bb", "ccc")
		_, err = attr("s_list_vlen").String()
		errContains(t, err, `hdf5: /: attribute "s_list_vlen": has 3 strings, want 1`)

		floats("empty_f64", []int{0}, []float64{}...)
		check(t, true, attr("empty_f64").IsEmpty())
		check(t, "float64", attr("empty_f64").Type().String())
		floats("null_f32", nil, []float64{}...)
		check(t, true, attr("null_f32").IsEmpty())
		s, err := attr("null_f32").Strings()
		isErr(t, err) // not a string type
		check(t, 0, len(s))

		ints, err := attr("i64_scalar").Int64s()
		noErr(t, err)
		check(t, []int64{-1234567890123}, ints)
		check(t, []int{}, attr("i64_scalar").Shape())
		check(t, false, attr("i64_scalar").IsEmpty())
		floats("f64_arr", []int{2, 3}, 0, 0.5, 1, 1.5, 2, 2.5)
		floats("u16_be", []int{4}, 0, 300, 600, 900)
		check(t, true, attr("u16_be").Type().BigEndian)
		floats("f16_arr", []int{4}, 0, 0.5, 1, 1.5)
		floats("arr_f32", []int{2}, 0, 1, 2, 3, 4, 5)
		at := attr("arr_f32").Type()
		check(t, "float32[3]", at.String())
		check(t, ClassArray, at.Class)
		check(t, []int{3}, at.Dims)

		for name, class := range map[string]Class{"bool_enum": ClassEnum, "compound": ClassCompound} {
			a := attr(name)
			check(t, class, a.Type().Class)
			_, err := a.Int64s()
			errIs(t, err, ErrUnsupported)
			errEq(t, err, fmt.Sprintf("hdf5: /: attribute %q: unsupported datatype class %s", name, class))
		}

		_, err = root.Attr("nope")
		var nf *NotFoundError
		if !errors.As(err, &nf) {
			t.Fatalf("%v is not a *NotFoundError", err)
		}
		check(t, "/", nf.Path)
		errEq(t, err, `hdf5: /: no such attribute "nope"`)
	}
}

func TestManyAttributes(t *testing.T) {
	checkAttrs := func(name string, attrs []*Attribute, n int, want func(k int) []float64) {
		hasLen(t, attrs, n, name)
		for k, a := range attrs {
			check(t, fmt.Sprintf("a%02d", k), a.Name, name)
			v, err := a.Float64s()
			noErr(t, err, name)
			check(t, want(k), v, name)
		}
	}
	arange := func(k int) []float64 { return seq(k+1, func(i int) float64 { return float64(i) }) }
	// Added after creation: header continuation blocks (v1) / dense storage (v2).
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		d, err := openTestdata(t, file).Root().Dataset("many_attrs")
		noErr(t, err)
		attrs, err := d.Attrs()
		noErr(t, err)
		checkAttrs(file, attrs, 20, arange)
		a, err := d.Attr("a07")
		noErr(t, err)
		check(t, []int{8}, a.Shape())
	}
	g, err := openTestdata(t, "v108.h5").Root().Group("many")
	noErr(t, err)
	attrs, err := g.Attrs()
	noErr(t, err)
	checkAttrs("v108", attrs, 12, arange)

	// Dense storage, with a 72 KB attribute stored as a huge heap object.
	f := openTestdata(t, "latest.h5")
	g, err = f.Root().Group("dense_attrs")
	noErr(t, err)
	attrs, err = g.Attrs()
	noErr(t, err)
	hasLen(t, attrs, 13)
	big, err := attrs[0].Float64s()
	noErr(t, err)
	check(t, "big", attrs[0].Name)
	check(t, seq(9000, func(i int) float64 { return float64(i) }), big)
	for k, a := range attrs[1:] {
		check(t, fmt.Sprintf("s%02d", k), a.Name)
		s, err := a.String()
		noErr(t, err)
		check(t, fmt.Sprintf("string attribute %d", k), s)
	}

	// Creation order tracked and indexed: still returned in name order.
	g, err = f.Root().Group("ordered")
	noErr(t, err)
	attrs, err = g.Attrs()
	noErr(t, err)
	hasLen(t, attrs, 12)
	for k, a := range attrs {
		check(t, fmt.Sprintf("a%02d", k), a.Name)
		v, err := a.Int64s()
		noErr(t, err)
		check(t, []int64{int64(11 - k)}, v)
	}
	members, err := g.Members()
	noErr(t, err)
	hasLen(t, members, 12)
	for k, m := range members {
		check(t, Member{fmt.Sprintf("g%02d", k), true}, m)
	}
}

func TestMembers(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5", "smallk.h5", "v108.h5"} {
		g, err := openTestdata(t, file).Root().Group("many")
		noErr(t, err, file)
		members, err := g.Members()
		noErr(t, err, file)
		hasLen(t, members, 50, file)
		for i, m := range members {
			isGroup := i%2 == 0 && file != "v108.h5"
			check(t, Member{fmt.Sprintf("item_%02d", i), isGroup}, m, file)
			if !isGroup {
				d, err := g.Dataset(m.Name)
				noErr(t, err)
				v, err := d.ReadInt64()
				noErr(t, err)
				check(t, []int64{int64(i)}, v)
			}
		}
	}
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		root := openTestdata(t, file).Root()
		names, err := root.Group("names")
		noErr(t, err)
		members, err := names.Members()
		noErr(t, err)
		check(t, []Member{{`layers\conv1d`, true}, {"with space", true}, {"ünïcode", true}}, members, file)
		d, err := root.Dataset(`names/layers\conv1d/kernel`)
		noErr(t, err)
		check(t, `/names/layers\conv1d/kernel`, d.Path())
		v, err := d.ReadFloat32()
		noErr(t, err)
		check(t, []float32{0, 1, 2, 3}, v)
		check(t, false, root.Has("names/layers/conv1d"))

		// Soft and external links are not members; committed types neither.
		links, err := root.Group("links")
		noErr(t, err)
		members, err = links.Members()
		noErr(t, err)
		check(t, []Member{{"hard", false}, {"loop", true}}, members, file)
		types, err := root.Group("types")
		noErr(t, err)
		members, err = types.Members()
		noErr(t, err)
		hasLen(t, members, 21)
		d, err = types.Dataset("f32_committed") // shared datatype message
		noErr(t, err)
		v, err = d.ReadFloat32()
		noErr(t, err)
		check(t, []float32{0, 0.5, 1, 1.5}, v)
	}
}

func TestLookup(t *testing.T) {
	for _, file := range []string{"earliest.h5", "latest.h5"} {
		root := openTestdata(t, file).Root()
		for _, p := range []string{"", ".", "/", "./."} {
			g, err := root.Group(p)
			noErr(t, err)
			check(t, "/", g.Path())
		}
		types, err := root.Group("/types")
		noErr(t, err)
		check(t, "/types", types.Path())
		g, err := types.Group("/links/loop/loop")
		noErr(t, err)
		check(t, "/links/loop/loop", g.Path())
		d, err := g.Dataset("hard")
		noErr(t, err)
		check(t, "/links/loop/loop/hard", d.Path())

		check(t, true, root.Has("types"))
		check(t, true, root.Has("types/f32"))
		check(t, true, types.Has("f32"))
		check(t, false, root.Has("types/committed"))
		check(t, false, root.Has("links/soft"))
		check(t, false, root.Has("nope"))

		var nf *NotFoundError
		_, err = root.Group("model_weights/dense_8")
		if !errors.As(err, &nf) {
			t.Fatalf("%v is not a *NotFoundError", err)
		}
		check(t, &NotFoundError{Path: "/model_weights", Kind: "group"}, nf)
		errEq(t, err, "hdf5: /model_weights: no such group")
		_, err = types.Dataset("nope")
		errEq(t, err, "hdf5: /types/nope: no such dataset")
		_, err = root.Group("types/nope/deeper")
		errEq(t, err, "hdf5: /types/nope: no such group")

		_, err = root.Group("types/f32")
		errEq(t, err, "hdf5: /types/f32: not a group")
		check(t, false, errors.As(err, &nf))
		_, err = root.Dataset("types")
		errEq(t, err, "hdf5: /types: not a dataset")
		_, err = root.Dataset("types/f32/x")
		errEq(t, err, "hdf5: /types/f32: not a group")
		_, err = root.Dataset("links/soft")
		errEq(t, err, `hdf5: /links/soft: unsupported soft link (to "/types/f32")`)
		errIs(t, err, ErrUnsupported)
		_, err = root.Group("links/ext")
		errIs(t, err, ErrUnsupported)
	}
}

// TestWalkTestdata reads every object of every test file.
func TestWalkTestdata(t *testing.T) {
	for file, want := range map[string]struct{ groups, datasets, unsupported int }{
		// unsupported: bool_enum, compound, lzf, szip
		"earliest.h5": {36, 72, 4}, // counts as listed by h5ls -r
		"latest.h5":   {51, 83, 4},
	} {
		st, err := walkFile(openTestdata(t, file), false)
		noErr(t, err, file)
		check(t, want.groups, st.groups, file)
		check(t, want.datasets, st.datasets, file)
		check(t, want.unsupported, st.unsupported, file)
	}
	for _, file := range []string{"v108.h5", "smallk.h5", "userblock.h5"} {
		st, err := walkFile(openTestdata(t, file), false)
		noErr(t, err, file)
		check(t, 0, st.unsupported, file)
	}
}

func TestOpenErrors(t *testing.T) {
	_, err := Open(nil)
	errEq(t, err, "hdf5: not an HDF5 file (no superblock signature)")
	_, err = Open([]byte("not an hdf5 file at all, just text"))
	isErr(t, err)
	_, err = OpenFile(filepath.Join("testdata", "missing.h5"))
	isErr(t, err)
}

func TestCompactAttributes(t *testing.T) {
	// Version 1 messages are covered by TestAttributes on earliest.h5.
	for _, file := range []string{"latest.h5", "v108.h5"} {
		g, err := openTestdata(t, file).Root().Group("few_attrs")
		noErr(t, err, file)
		attrs, err := g.Attrs()
		noErr(t, err, file)
		hasLen(t, attrs, 3, file)
		check(t, "e", attrs[0].Name)
		check(t, true, attrs[0].IsEmpty())
		s, err := attrs[1].String()
		noErr(t, err)
		check(t, "short", s)
		x, err := attrs[2].Float64s()
		noErr(t, err)
		check(t, []float64{1.5}, x)
	}
}

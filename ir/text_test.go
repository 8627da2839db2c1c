package ir

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite ir/testdata/*.ir and the FuzzParse seeds")

// roundTrip prints g, parses it back, and checks that the result verifies, prints
// identically and matches g value by value.
func roundTrip(t *testing.T, g *Graph) *Graph {
	t.Helper()
	if err := Verify(g); err != nil {
		t.Fatalf("input graph: %v", err)
	}
	text := Print(g)
	g2, err := Parse(text)
	if err != nil {
		t.Fatalf("%v\n%s", err, text)
	}
	if err := Verify(g2); err != nil {
		t.Fatalf("parsed graph: %v", err)
	}
	if text2 := Print(g2); text2 != text {
		t.Fatalf("printed differently after parsing:\n%s\nvs\n%s", text, text2)
	}
	if g2.Name != g.Name || len(g2.Inputs) != len(g.Inputs) || len(g2.Consts) != len(g.Consts) ||
		len(g2.Ops) != len(g.Ops) || len(g2.Outputs) != len(g.Outputs) {
		t.Fatalf("graph sizes differ")
	}
	same := func(a, b *Value) {
		t.Helper()
		if a.Name != b.Name || a.Type.DType != b.Type.DType || !a.Type.Shape.Equal(b.Type.Shape) {
			t.Errorf("value %s %v parsed as %s %v", a.Name, a.Type, b.Name, b.Type)
		}
	}
	for i, v := range g.Inputs {
		same(v, g2.Inputs[i])
	}
	for i, c := range g.Consts {
		c2 := g2.Consts[i]
		same(c, c2)
		if len(c.Data) <= inlineMax && !sameFloat32s(c.Data, c2.Data) {
			t.Errorf("constant %s: data %v parsed as %v", c.Name, c.Data, c2.Data)
		}
	}
	for i, op := range g.Ops {
		op2 := g2.Ops[i]
		if op.Kind != op2.Kind || op.Layer != op2.Layer || !sameAttrs(op.Attrs, op2.Attrs) {
			t.Errorf("op #%d %s %q %v parsed as %s %q %v", i, op.Kind, op.Layer, op.Attrs, op2.Kind, op2.Layer, op2.Attrs)
		}
		for j, v := range op.In {
			if v.Name != op2.In[j].Name {
				t.Errorf("op #%d input %d: %s parsed as %s", i, j, v.Name, op2.In[j].Name)
			}
		}
		for j, v := range op.Out {
			same(v, op2.Out[j])
		}
	}
	for i, v := range g.Outputs {
		same(v, g2.Outputs[i])
	}
	return g2
}

func sameFloat32s(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) && !(a[i] != a[i] && b[i] != b[i]) {
			return false
		}
	}
	return true
}

// sameAttrs compares attributes exactly, NaN equal to NaN and nil lists to empty ones.
func sameAttrs(a, b Attrs) bool {
	if len(a) != len(b) {
		return false
	}
	sameF := func(x, y float64) bool { return math.Float64bits(x) == math.Float64bits(y) || x != x && y != y }
	for k, x := range a {
		switch x := x.(type) {
		case float64:
			y, ok := b[k].(float64)
			if !ok || !sameF(x, y) {
				return false
			}
		case []float64:
			y, ok := b[k].([]float64)
			if !ok || len(x) != len(y) {
				return false
			}
			for i := range x {
				if !sameF(x[i], y[i]) {
					return false
				}
			}
		case []int:
			y, ok := b[k].([]int)
			if !ok || len(x) != len(y) || len(x) > 0 && !reflect.DeepEqual(x, y) {
				return false
			}
		default:
			if !reflect.DeepEqual(x, b[k]) {
				return false
			}
		}
	}
	return true
}

func TestRoundTrip(t *testing.T) {
	for name, build := range map[string]func(testing.TB) *Graph{"mlp": mlpGraph, "cnn": cnnGraph, "all ops": allOpsGraph} {
		t.Run(name, func(t *testing.T) { roundTrip(t, build(t)) })
	}
	t.Run("empty", func(t *testing.T) { roundTrip(t, NewGraph("")) })
}

// TestRoundTripAttrTypes round-trips every attribute type, float lists included, through a
// test-only op kind.
func TestRoundTripAttrTypes(t *testing.T) {
	def(&OpDef{Kind: "TestAttrs", MinIn: 1, MaxIn: 1, AttrSpec: "i:i f:f s:s b:b I:I F:F e:I E:F a-b:i",
		Infer: func(op *Op) ([]Type, error) { return one(op.In[0].Type) }})
	defer delete(Ops, "TestAttrs")
	attrSets := []Attrs{
		{"i": 0, "f": 0.0, "s": "", "b": false, "I": []int{}, "F": []float64{}},
		{"i": -7, "f": 1.0, "s": "relu", "b": true, "I": []int{1, -2, 3}, "F": []float64{1.0, 2.5, math.Copysign(0, -1)}},
		{"i": math.MaxInt, "f": math.Copysign(0, -1), "s": "a \"quoted\"\n\tstring", "I": []int{math.MinInt}, "F": []float64{1e21, 1e-7}},
		{"i": math.MinInt, "f": math.NaN(), "s": "ünïcode ☃", "F": []float64{math.Inf(1), math.Inf(-1), math.NaN()}},
		{"f": math.Inf(1), "s": "\xff\xfe invalid utf-8", "F": []float64{math.MaxFloat64, math.SmallestNonzeroFloat64, 0.1}},
		{"f": math.Inf(-1), "e": []int(nil), "E": []float64(nil), "a-b": 3},
		{"f": 1e100, "F": []float64{100, 1e6, 123456789}},
		{"f": 0.30000000000000004},
	}
	b := newBuilder(t, "attrs")
	x := b.in("x", F32, 2)
	for i, a := range attrSets {
		x = b.op("TestAttrs", fmt.Sprint("layer", i), vals(x), a)
	}
	g2 := roundTrip(t, b.out(x))
	text := Print(g2)
	for _, want := range []string{`f=1.0,`, `F=[1.0,2.5,-0.0]`, `f=-0.0,`, `F=[]`, `I=[]`, `e=[]`, `E=[]`, `f=NaN`, `f=+Inf`, `f=-Inf`,
		`"a-b"=3`, `F=[100.0,1e+06,1.23456789e+08]`, `s="\xff\xfe invalid utf-8"`} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %s:\n%s", want, text)
		}
	}
	if v := g2.Ops[5].Attrs["E"]; reflect.TypeOf(v) != reflect.TypeOf([]float64{}) {
		t.Errorf("empty float list parsed as %T", v)
	}
}

// TestRoundTripNames uses names and layers that need quoting (namesGraph).
func TestRoundTripNames(t *testing.T) {
	g := namesGraph(t)
	g2 := roundTrip(t, g)
	if g2.Name != "weird name #1" {
		t.Errorf("graph name %q", g2.Name)
	}
	if !strings.Contains(Print(g), `%"with spacey" = Binary(%"with space", %"with spacec") {fn="mul"} : f32[N,2]  # "with space"`) {
		t.Errorf("unexpected quoting:\n%s", Print(g))
	}
}

// TestConstData checks inline data (special floats, empty and scalar constants) and hashed
// data (zero-filled on parsing, the hash kept while the data stays zero).
func TestConstData(t *testing.T) {
	g := constsGraph(t)
	consts := g.Consts
	text := Print(g)
	for _, want := range []string{
		"const %special: f32[10] = [NaN, +Inf, -Inf, -0.0, 1e-45, 3.4028235e+38, 0.1, 1e-40, 1.6777216e+07, -3.0]",
		"const %empty: f32[0,3] = []", "const %scalar: f32[] = [2.5]", "const %ids: i32[2] = [1.0, 2.0]",
		"const %seventeen: f32[17] = sha256:", "const %big: f32[40,25] = sha256:" + dataHash(consts[5].Data),
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	g2 := roundTrip(t, g)
	big := g2.Consts[5]
	if len(big.Data) != 1000 || !allZero(big.Data) || big.parsedHash != dataHash(consts[5].Data) {
		t.Fatalf("hashed constant parsed as %d elements, hash %q", len(big.Data), big.parsedHash)
	}
	big.Data[3] = 1 // a pass changed it: Print must show the new data's hash
	if want := "sha256:" + dataHash(big.Data); !strings.Contains(Print(g2), want) {
		t.Errorf("changed constant does not print %s", want)
	}
}

// TestGolden compares Print's output with testdata/*.ir. With -update it rewrites them, and
// writes the text of every test graph as a FuzzParse seed.
func TestGolden(t *testing.T) {
	if *update {
		for name, build := range map[string]func(testing.TB) *Graph{"mlp": mlpGraph, "cnn": cnnGraph,
			"all_ops": allOpsGraph, "names": namesGraph, "consts": constsGraph} {
			seed := fmt.Sprintf("go test fuzz v1\nstring(%q)\n", Print(build(t)))
			if err := os.WriteFile(filepath.Join("testdata", "fuzz", "FuzzParse", "graph_"+name), []byte(seed), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	for name, build := range map[string]func(testing.TB) *Graph{"mlp": mlpGraph, "cnn": cnnGraph, "all_ops": allOpsGraph} {
		path := filepath.Join("testdata", name+".ir")
		got := Print(build(t))
		if *update {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./ir -update)", err)
		}
		if got != string(want) {
			t.Errorf("%s: Print differs from %s (run go test ./ir -update):\n%s", name, path, got)
		}
		g, err := Parse(string(want))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if again := Print(g); again != string(want) {
			t.Errorf("%s does not round-trip:\n%s", path, again)
		}
	}
}

// parseErrorCases are texts Parse refuses, with the error position and message; they also
// seed FuzzParse.
var parseErrorCases = func() []parseErrorCase {
	const head = "graph g(%x: f32[N,4]) -> (%y) {\n"
	return []parseErrorCase{
		{"empty", "", 1, 1, `expected "graph"`},
		{"no brace", "graph g(%x: f32[2]) -> (%x)\n", 1, 28, `expected "{"`},
		{"missing close", head + "  %y = Identity(%x) : f32[N,4]\n", 3, 1, "expected const, an op or }"},
		{"junk after", head + "  %y = Identity(%x) : f32[N,4]\n}\nx", 4, 1, "after the graph"},
		{"bad char", head + "  %y = Identity(%x) ; f32[N,4]\n}\n", 2, 21, "unexpected character ';'"},
		{"unknown dtype", "graph g(%x: f16[2]) -> () {\n}\n", 1, 13, `unknown dtype "f16"`},
		{"bad dim", "graph g(%x: f32[N,S2]) -> () {\n}\n", 1, 19, `bad dimension "S2"`},
		{"huge dim", "graph g(%x: f32[99999999999]) -> () {\n}\n", 1, 17, "bad dimension"},
		{"negative dim", "graph g(%x: f32[-1]) -> () {\n}\n", 1, 17, "bad dimension"},
		{"duplicate input", "graph g(%x: f32[2], %x: f32[2]) -> () {\n}\n", 1, 21, "%x is already defined"},
		{"empty name", `graph g(%"": f32[2]) -> () {` + "\n}\n", 1, 9, "empty value name"},
		{"bare empty name", "graph g(% : f32[2]) -> () {\n}\n", 1, 9, "empty value name"},
		{"bad quote", "graph g(%\"x: f32[2]) -> () {\n}\n", 1, 10, "malformed quoted string"},
		{"undefined output", head + "}\n", 1, 27, "output %y is not defined"},
		{"undefined input", head + "  %y = Identity(%z) : f32[N,4]\n}\n", 2, 17, "%z is not defined"},
		{"use before def", head + "  %y = Identity(%w) : f32[N,4]\n  %w = Identity(%x) : f32[N,4]\n}\n", 2, 17, "%w is not defined"},
		{"redefined", head + "  %x = Identity(%x) : f32[N,4]\n}\n", 2, 3, "%x is already defined"},
		{"unknown op", head + "  %y = Frob(%x) : f32[N,4]\n}\n", 2, 8, `unknown op kind "Frob"`},
		{"arity", head + "  %y = Identity(%x, %x) : f32[N,4]\n}\n", 2, 8, "got 2"},
		{"wrong type", head + "  %y = Identity(%x) : f32[N,5]\n}\n", 2, 23, "shape rule gives f32[N,4]"},
		{"wrong output count", head + "  %y, %z = Identity(%x) : f32[N,4], f32[N,4]\n}\n", 2, 3, "1 outputs, 2 are named"},
		{"missing attr", head + "  %y = Softmax(%x) : f32[N,4]\n}\n", 2, 8, `missing attribute "axis"`},
		{"attr type", head + "  %y = Softmax(%x) {axis=1.0} : f32[N,4]\n}\n", 2, 8, `"axis" has type float64`},
		{"repeated attr", head + "  %y = Softmax(%x) {axis=1, axis=1} : f32[N,4]\n}\n", 2, 29, "repeated"},
		{"mixed list", head + "  %y = Reshape(%x) {shape=[1, 2.0]} : f32[N,4]\n}\n", 2, 31, "mixes"},
		{"bad number", head + "  %y = Softmax(%x) {axis=1x} : f32[N,4]\n}\n", 2, 26, `bad number "1x"`},
		{"int overflow", head + "  %y = Softmax(%x) {axis=99999999999999999999} : f32[N,4]\n}\n", 2, 26, "out of range"},
		{"bad layer", head + "  %y = Identity(%x) : f32[N,4]  # two words\n}\n", 2, 33, "layer comment"},
		{"stray comment", head + "  const %c: f32[1] = [1.0]  # no\n}\n", 2, 29, "expected end of line"},
		{"const short", head + "  const %c: f32[3] = [1.0, 2.0]\n}\n", 2, 22, "2 elements for a constant of 3"},
		{"const long", head + "  const %c: f32[1] = [1.0, 2.0]\n}\n", 2, 28, "more than 1 elements"},
		{"const symbolic", head + "  const %c: f32[N] = []\n}\n", 2, 13, "symbolic shape"},
		{"small hashed", head + "  const %c: f32[16] = sha256:00ff\n}\n", 2, 30, "must be written inline"},
		{"bad hash", head + "  const %c: f32[17] = sha256:00FF\n}\n", 2, 30, "bad hash"},
		{"too big", head + "  const %c: f32[65536,65536] = sha256:00\n}\n", 2, 13, "more than 268435456 elements"},
		{"bad float", head + "  const %c: f32[1] = [1e999]\n}\n", 2, 23, "bad float32"},
		{"shape rule", head + "  %y = Conv(%x, %x) {strides=[1,1], dilations=[1,1], pads=[0,0,0,0]} : f32[N,4]\n}\n", 2, 8, "NHWC"},
	}
}()

type parseErrorCase struct {
	name, text string
	line, col  int
	want       string
}

func TestParseErrors(t *testing.T) {
	for _, c := range parseErrorCases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse(c.text)
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %v is not a *ParseError", err)
			}
			if pe.Line != c.line || pe.Col != c.col || !strings.Contains(pe.Msg, c.want) {
				t.Errorf("got %v, want line %d, col %d: ...%s...", err, c.line, c.col, c.want)
			}
		})
	}
}

// TestParseElemBudget checks that the constant budget counts all constants together.
func TestParseElemBudget(t *testing.T) {
	old := maxParseElems
	maxParseElems = 100
	defer func() { maxParseElems = old }()
	text := "graph g() -> () {\n  const %a: f32[60] = sha256:01\n  const %b: f32[60] = sha256:02\n}\n"
	if _, err := Parse(text); err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("Parse = %v, want an error on line 3", err)
	}
}

// TestParseLenient checks the forms Parse accepts besides Print's.
func TestParseLenient(t *testing.T) {
	text := "\n\ngraph \"g\"( %x : f32[ N , 2 ] )->( %\"x\" ){\r\n\n" +
		"  const %c: f32[2] = [1, 2.]\r\n" +
		"  %y = Binary(%x, %c) {\"fn\"=\"add\"} : f32[N,2]   #   \"lay\"  \n" +
		"  %z = Softmax(%y) {axis=+1} : f32[N,2]\n" +
		"}\n\n"
	g, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	want := "graph g(%x: f32[N,2]) -> (%x) {\n  const %c: f32[2] = [1.0, 2.0]\n" +
		"  %y = Binary(%x, %c) {fn=\"add\"} : f32[N,2]  # lay\n  %z = Softmax(%y) {axis=1} : f32[N,2]\n}\n"
	if got := Print(g); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestNumberKind(t *testing.T) {
	for s, want := range map[string]byte{
		"0": 'i', "-12": 'i', "+3": 'i', "1.0": 'f', "-0.0": 'f', "5.": 'f', ".5": 'f', "1e5": 'f', "1E-5": 'f',
		"1.5e+06": 'f', "NaN": 'f', "+Inf": 'f', "-Inf": 'f', "Inf": 'f',
		"": 0, "-": 0, ".": 0, "e5": 0, "1e": 0, "1e+": 0, "1_0": 0, "0x10": 0, "-NaN": 0, "inf": 0, "1.2.3": 0, "1e5x": 0, "--1": 0,
	} {
		if got := numberKind(s); got != want {
			t.Errorf("numberKind(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzParse parses arbitrary text: Parse must not panic, and whatever it accepts must
// verify and round-trip through Print exactly.
//
//	go test -run='^$' -fuzz=FuzzParse -fuzztime=120s ./ir/
func FuzzParse(f *testing.F) {
	for _, name := range []string{"mlp.ir", "cnn.ir", "all_ops.ir"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
	for _, c := range parseErrorCases {
		f.Add(c.text)
	}
	old := maxParseElems
	maxParseElems = 1 << 16 // keep the fuzzer's allocations small
	f.Cleanup(func() { maxParseElems = old })
	f.Fuzz(func(t *testing.T, text string) {
		g, err := Parse(text)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse error %v is not a *ParseError", err)
			}
			return
		}
		if err := Verify(g); err != nil {
			t.Fatalf("parsed graph fails Verify: %v", err)
		}
		p1 := Print(g)
		g2, err := Parse(p1)
		if err != nil {
			t.Fatalf("printed graph does not parse: %v\n%s", err, p1)
		}
		if p2 := Print(g2); p2 != p1 {
			t.Fatalf("printed differently after parsing:\n%s\nvs\n%s", p1, p2)
		}
	})
}

// TestParseNumberMutations replaces each integer in the all-ops text, one at a time, by
// extreme values: Parse must not panic (a shape rule dividing by a zero stride would),
// and what it accepts must round-trip.
func TestParseNumberMutations(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "all_ops.ir"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	old := maxParseElems
	maxParseElems = 1 << 16
	defer func() { maxParseElems = old }()
	extremes := []string{"0", "1", "-1", "-2", "-3", "2147483647", "2147483648", "9223372036854775807", "-9223372036854775808"}
	accepted := 0
	for i := 0; i < len(text); i++ {
		if !isDigitByte(text[i]) || i > 0 && (isDigitByte(text[i-1]) || text[i-1] == 'S' || text[i-1] == '_' || text[i-1] == '.' || text[i-1] == 'f') {
			continue
		}
		j := i
		for j < len(text) && isDigitByte(text[j]) {
			j++
		}
		if j < len(text) && (text[j] == '.' || text[j] == 'e') {
			continue // part of a float
		}
		if i > 0 && text[i-1] == '-' {
			i-- // replace the sign too
		}
		for _, x := range extremes {
			mutated := text[:i] + x + text[j:]
			g, err := Parse(mutated)
			if err != nil {
				continue
			}
			accepted++
			p1 := Print(g)
			if g2, err := Parse(p1); err != nil || Print(g2) != p1 {
				t.Fatalf("mutation %q at %d does not round-trip: %v", x, i, err)
			}
		}
		i = j
	}
	if accepted == 0 {
		t.Error("no mutation was accepted: the test mutates nothing useful")
	}
}

func isDigitByte(c byte) bool { return '0' <= c && c <= '9' }

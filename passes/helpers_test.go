package passes

import (
	"flag"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

var update = flag.Bool("update", false, "rewrite passes/testdata/<pass>/*.ir")

// builder builds test graphs, failing the test on any error. Constants are filled from a
// seeded generator with multiples of 1/8 in [-1, 1] (so that small ones print readably).
type builder struct {
	t   testing.TB
	g   *ir.Graph
	rng *rand.Rand
}

func newBuilder(t testing.TB, name string) *builder {
	var seed uint64
	for _, c := range name {
		seed = seed*31 + uint64(c)
	}
	return &builder{t, ir.NewGraph(name), rand.New(rand.NewPCG(seed, 7))}
}

func (b *builder) in(name string, s ...ir.Dim) *ir.Value {
	return b.g.AddInput(name, ir.Type{DType: ir.F32, Shape: s})
}

// c adds a constant with values in [-1, 1].
func (b *builder) c(name string, s ...ir.Dim) *ir.Value {
	data := make([]float32, ir.Shape(s).StaticSize())
	for i := range data {
		data[i] = float32(b.rng.IntN(17)-8) / 8
	}
	return b.g.AddConst(name, s, data)
}

// pos adds a constant with values in [0.125, 1] (variances).
func (b *builder) pos(name string, s ...ir.Dim) *ir.Value {
	data := make([]float32, ir.Shape(s).StaticSize())
	for i := range data {
		data[i] = float32(b.rng.IntN(8)+1) / 8
	}
	return b.g.AddConst(name, s, data)
}

func (b *builder) op(kind, layer string, in []*ir.Value, a ir.Attrs, names ...string) *ir.Value {
	b.t.Helper()
	v, err := b.g.Add1(kind, layer, in, a, names...)
	if err != nil {
		b.t.Fatalf("%s: %v", kind, err)
	}
	return v
}

func (b *builder) out(vs ...*ir.Value) *ir.Graph {
	b.g.Outputs = append(b.g.Outputs, vs...)
	return b.g
}

func vals(vs ...*ir.Value) []*ir.Value { return vs }

// Common attributes.
var (
	one2 = []int{1, 1}
	pad0 = []int{0, 0, 0, 0}
	pad1 = []int{1, 1, 1, 1}
)

func convAttrs(pads []int, extra ...any) ir.Attrs {
	a := ir.Attrs{"strides": one2, "dilations": one2, "pads": pads}
	for i := 0; i+1 < len(extra); i += 2 {
		a[extra[i].(string)] = extra[i+1]
	}
	return a
}

// bnAttrs are a BatchNorm's attributes.
func bnAttrs(eps float64, gamma, beta bool) ir.Attrs {
	a := ir.Attrs{"eps": eps}
	if gamma {
		a["has_gamma"] = true
	}
	if beta {
		a["has_beta"] = true
	}
	return a
}

// bn adds a BatchNorm over x's last axis (c channels) with constant statistics.
func (b *builder) bn(layer string, x *ir.Value, c ir.Dim, gamma, beta bool) *ir.Value {
	b.t.Helper()
	in := vals(x, b.c(layer+".mean", c), b.pos(layer+".var", c))
	if gamma {
		in = append(in, b.c(layer+".gamma", c))
	}
	if beta {
		in = append(in, b.c(layer+".beta", c))
	}
	return b.op("BatchNorm", layer, in, bnAttrs(1e-3, gamma, beta))
}

// mustVerify fails the test when g does not verify.
func mustVerify(t testing.TB, g *ir.Graph, when string) {
	t.Helper()
	if err := ir.Verify(g); err != nil {
		t.Fatalf("%s: %v\n%s", when, err, ir.Print(g))
	}
}

// checkGolden compares got with the file at path, rewriting it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./passes -update)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run go test ./passes -update to accept):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// opsOfKind returns g's ops of the given kind, in order.
func opsOfKind(g *ir.Graph, kind string) []*ir.Op {
	var ops []*ir.Op
	for _, op := range g.Ops {
		if op.Kind == kind {
			ops = append(ops, op)
		}
	}
	return ops
}

// opByLayer returns g's only op of the given layer, failing the test otherwise.
func opByLayer(t testing.TB, g *ir.Graph, layer string) *ir.Op {
	t.Helper()
	var found *ir.Op
	for _, op := range g.Ops {
		if op.Layer == layer {
			if found != nil {
				t.Fatalf("two ops of layer %s", layer)
			}
			found = op
		}
	}
	if found == nil {
		t.Fatalf("no op of layer %s in\n%s", layer, ir.Print(g))
	}
	return found
}

// kinds lists g's op kinds in order, for messages and quick checks.
func kinds(g *ir.Graph) string {
	var ks []string
	for _, op := range g.Ops {
		ks = append(ks, op.Kind)
	}
	return strings.Join(ks, " ")
}

// keptWithout is a golden case's check that the graph's ops are of the given kinds and that no
// Conv took attribute attr (the fusion left them apart).
func keptWithout(kinds, attr string) func(t *testing.T, _ snapshot, g *ir.Graph) {
	return func(t *testing.T, _ snapshot, g *ir.Graph) {
		wantKinds(t, g, kinds)
		for _, c := range opsOfKind(g, "Conv") {
			if c.Attrs[attr] != nil {
				t.Errorf("conv %s took attribute %s: %v", c.Layer, attr, c.Attrs[attr])
			}
		}
	}
}

package passes

import (
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// Before/after golden tests: each case builds a small graph, prints it, runs one pass,
// verifies and prints it again, and compares both texts with
// testdata/<pass>/<case>.{before,after}.ir (go test ./passes -update rewrites them). Every
// case also checks that the pass is idempotent, that the result round-trips through
// ir.Parse, and, with the reference interpreter, that it computes what the input graph did.

// constSnap is a copy of a constant taken before a pass runs.
type constSnap struct {
	shape ir.Shape
	data  []float32
}

type snapshot map[string]constSnap

func takeSnapshot(g *ir.Graph) snapshot {
	s := snapshot{}
	for _, c := range g.Consts {
		s[c.Name] = constSnap{append(ir.Shape{}, c.Type.Shape...), append([]float32{}, c.Data...)}
	}
	return s
}

func (s snapshot) get(t testing.TB, name string) constSnap {
	t.Helper()
	c, ok := s[name]
	if !ok {
		t.Fatalf("no constant %s before the pass", name)
	}
	return c
}

type goldenCase struct {
	name  string
	build func(t testing.TB) *ir.Graph
	// check, when set, makes case-specific assertions on the graph after the pass.
	check func(t *testing.T, before snapshot, g *ir.Graph)
}

func runGolden(t *testing.T, pass string, run func(*ir.Graph) error, cases []goldenCase) {
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.build(t)
			mustVerify(t, g, "before "+pass)
			snap := takeSnapshot(g)
			rng := rand.New(rand.NewPCG(1, 2))
			inputs := randomInputs(t, g, 2, rng)
			want, evalErr := eval(g, inputs, 2)
			if evalErr != nil {
				t.Fatalf("interpreter, before: %v", evalErr)
			}
			before := ir.Print(g)
			if err := run(g); err != nil {
				t.Fatalf("%s: %v", pass, err)
			}
			mustVerify(t, g, "after "+pass)
			after := ir.Print(g)
			dir := filepath.Join("testdata", pass)
			checkGolden(t, filepath.Join(dir, c.name+".before.ir"), before)
			checkGolden(t, filepath.Join(dir, c.name+".after.ir"), after)

			if g2, err := ir.Parse(after); err != nil {
				t.Errorf("the result does not parse: %v", err)
			} else if again := ir.Print(g2); again != after {
				t.Errorf("the result does not round-trip:\n%s", again)
			}
			got, err := eval(g, inputs, 2)
			if err != nil {
				t.Fatalf("interpreter, after: %v", err)
			}
			compareOutputs(t, want, got, 1e-5)
			if c.check != nil {
				c.check(t, snap, g)
			}
			if err := run(g); err != nil {
				t.Fatalf("%s, second run: %v", pass, err)
			}
			mustVerify(t, g, "after a second "+pass)
			if again := ir.Print(g); again != after {
				t.Errorf("%s is not idempotent; a second run gives\n%s", pass, again)
			}
		})
	}
}

// noKind fails the test if g has an op of one of the kinds.
func noKind(t *testing.T, g *ir.Graph, ks ...string) {
	t.Helper()
	for _, k := range ks {
		if n := len(opsOfKind(g, k)); n > 0 {
			t.Errorf("%d %s ops remain: %s", n, k, kinds(g))
		}
	}
}

func wantKinds(t *testing.T, g *ir.Graph, want string) {
	t.Helper()
	if got := kinds(g); got != want {
		t.Errorf("ops %q, want %q", got, want)
	}
}

// ---- shapes ----

func shapesMLP(t testing.TB) *ir.Graph {
	b := newBuilder(t, "mlp")
	x := b.in("x", ir.Batch, 8)
	h := b.op("MatMul", "dense_1", vals(x, b.c("dense_1.kernel", 8, 4), b.c("dense_1.bias", 4)), ir.Attrs{"act": "relu"})
	h = b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.5, "kind": "Dropout"})
	h = b.op("MatMul", "dense_2", vals(h, b.c("dense_2.kernel", 4, 3), b.c("dense_2.bias", 3)), nil)
	return b.out(b.op("Softmax", "probs", vals(h), ir.Attrs{"axis": -1}))
}

func shapesCNN(t testing.TB) *ir.Graph {
	b := newBuilder(t, "cnn")
	x := b.in("image", ir.Batch, 5, 5, 2)
	h := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 3, 2, 3), b.c("conv.bias", 3)), convAttrs(pad1))
	h = b.bn("bn", h, 3, true, true)
	h = b.op("DepthwiseConv", "dw", vals(h, b.c("dw.kernel", 3, 3, 3, 1)), convAttrs(pad0, "act", "relu"))
	h = b.op("Reshape", "flatten", vals(h), ir.Attrs{"shape": []int{-1, 27}})
	return b.out(b.op("MatMul", "dense", vals(h, b.c("dense.kernel", 27, 2)), nil))
}

func TestShapesGolden(t *testing.T) {
	same := func(t *testing.T, _ snapshot, g *ir.Graph) {} // the golden files show before == after
	runGolden(t, "shapes", Shapes, []goldenCase{
		{"mlp", shapesMLP, same},
		{"cnn", shapesCNN, same},
	})
	// Shapes only checks: the text must not change.
	for _, build := range []func(testing.TB) *ir.Graph{shapesMLP, shapesCNN} {
		g := build(t)
		before := ir.Print(g)
		if err := Shapes(g); err != nil {
			t.Fatal(err)
		}
		if after := ir.Print(g); after != before {
			t.Errorf("Shapes changed graph %s:\n%s", g.Name, after)
		}
	}
}

// TestShapesErrors checks that Shapes refuses graphs whose recorded types disagree with
// the op table, naming the op and layer.
func TestShapesErrors(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(g *ir.Graph)
		want   []string
	}{
		{"wrong shape", func(g *ir.Graph) { g.Ops[0].Out[0].Type.Shape = ir.Shape{ir.Batch, 5} },
			[]string{"MatMul (layer dense_1)", "output 0 is f32[N,5]", "the rule gives f32[N,4]"}},
		{"wrong dtype", func(g *ir.Graph) { g.Ops[2].Out[0].Type.DType = ir.I32 },
			[]string{"MatMul (layer dense_2)", "i32[N,3]"}},
		{"later op", func(g *ir.Graph) { g.Ops[3].Out[0].Type.Shape = ir.Shape{ir.Batch, 3, 1} },
			[]string{"Softmax (layer probs)"}},
		{"unknown kind", func(g *ir.Graph) { g.Ops[1].Kind = "Frobnicate" },
			[]string{`unknown op "Frobnicate" (layer dropout)`}},
		{"shape rule fails", func(g *ir.Graph) { g.Ops[2].In[0] = g.Inputs[0] },
			[]string{"MatMul (layer dense_2)", "do not multiply"}},
		{"extra output", func(g *ir.Graph) {
			op := g.Ops[1]
			op.Out = append(op.Out, &ir.Value{ID: 1000, Name: "extra", Def: op})
		}, []string{"Dropout (layer dropout)", "2 outputs, the rule gives 1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := shapesMLP(t)
			c.break_(g)
			err := Shapes(g)
			if err == nil {
				t.Fatalf("Shapes accepted a broken graph:\n%s", ir.Print(g))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

// ---- dropout ----

func TestDropoutGolden(t *testing.T) {
	none := func(t *testing.T, g *ir.Graph) { t.Helper(); noKind(t, g, "Dropout", "Identity") }
	runGolden(t, "dropout", RemoveIdentities, []goldenCase{
		{"chain", func(t testing.TB) *ir.Graph {
			// Dropout -> Identity -> GaussianNoise between two Dense layers.
			b := newBuilder(t, "chain")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense_1", vals(x, b.c("dense_1.kernel", 3, 4)), ir.Attrs{"act": "relu"})
			h = b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.5, "kind": "Dropout"})
			h = b.op("Identity", "identity", vals(h), nil)
			h = b.op("Dropout", "noise", vals(h), ir.Attrs{"rate": 0.1, "kind": "GaussianNoise"})
			return b.out(b.op("MatMul", "dense_2", vals(h, b.c("dense_2.kernel", 4, 2)), nil))
		}, func(t *testing.T, _ snapshot, g *ir.Graph) {
			none(t, g)
			wantKinds(t, g, "MatMul MatMul")
			if g.Ops[1].In[0] != g.Ops[0].Out[0] {
				t.Errorf("dense_2 reads %s, want dense_1's output", g.Ops[1].In[0].Name)
			}
		}},
		{"feeds_output", func(t testing.TB) *ir.Graph {
			// A chain ending in a graph output: the output becomes the Dense's value.
			b := newBuilder(t, "feeds output")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 2)), nil)
			h = b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.2})
			return b.out(b.op("Identity", "identity", vals(h), nil))
		}, func(t *testing.T, _ snapshot, g *ir.Graph) {
			none(t, g)
			if len(g.Outputs) != 1 || g.Outputs[0] != g.Ops[0].Out[0] {
				t.Errorf("graph output is %v, want dense's output", g.Outputs)
			}
		}},
		{"graph_input", func(t testing.TB) *ir.Graph {
			// Dropout of a graph input feeding an op, and Identity of a graph input that is
			// a graph output: the output becomes the input itself.
			b := newBuilder(t, "graph input")
			x := b.in("x", ir.Batch, 3)
			h := b.op("Dropout", "input_dropout", vals(x), ir.Attrs{"rate": 0.3})
			h = b.op("MatMul", "dense", vals(h, b.c("dense.kernel", 3, 2)), nil)
			skip := b.op("Identity", "passthrough", vals(x), nil)
			return b.out(h, skip)
		}, func(t *testing.T, _ snapshot, g *ir.Graph) {
			none(t, g)
			x := g.Inputs[0]
			if g.Ops[0].In[0] != x {
				t.Errorf("dense reads %s, want the graph input", g.Ops[0].In[0].Name)
			}
			if g.Outputs[1] != x {
				t.Errorf("second graph output is %s, want the graph input", g.Outputs[1].Name)
			}
		}},
		{"constant", func(t testing.TB) *ir.Graph {
			// Identity of a constant used by a Binary.
			b := newBuilder(t, "constant")
			x := b.in("x", ir.Batch, 3)
			c := b.op("Identity", "bias_copy", vals(b.c("bias", 3)), nil)
			return b.out(b.op("Binary", "add", vals(x, c), ir.Attrs{"fn": "add"}))
		}, func(t *testing.T, _ snapshot, g *ir.Graph) {
			none(t, g)
			if !g.Ops[0].In[1].IsConst() {
				t.Errorf("add reads %s, want the constant", g.Ops[0].In[1].Name)
			}
		}},
		{"fan_out", func(t testing.TB) *ir.Graph {
			// One Dropout read by two ops and a graph output.
			b := newBuilder(t, "fan out")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 3)), nil)
			d := b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.5})
			y := b.op("Unary", "tanh", vals(d), ir.Attrs{"fn": "tanh"})
			z := b.op("Binary", "add", vals(d, y), ir.Attrs{"fn": "add"})
			return b.out(z, d)
		}, func(t *testing.T, _ snapshot, g *ir.Graph) {
			none(t, g)
			wantKinds(t, g, "MatMul Unary Binary")
		}},
	})
}

// ---- bnfold ----

// bnFormula computes a BatchNorm's per-channel scale and shift in float64 from the
// constants recorded before the pass: scale = gamma/sqrt(var+eps), shift = beta - mean*scale.
func bnFormula(t testing.TB, s snapshot, layer string, gamma, beta bool, eps float64) (scale, shift []float64) {
	mean, variance := s.get(t, layer+".mean").data, s.get(t, layer+".var").data
	scale, shift = make([]float64, len(mean)), make([]float64, len(mean))
	for c := range mean {
		g, b := 1.0, 0.0
		if gamma {
			g = float64(s.get(t, layer+".gamma").data[c])
		}
		if beta {
			b = float64(s.get(t, layer+".beta").data[c])
		}
		scale[c] = g / math.Sqrt(float64(variance[c])+eps)
		shift[c] = b - float64(mean[c])*scale[c]
	}
	return scale, shift
}

// closeTo reports whether float32 got is within float32 rounding (a few ulps) of want.
func closeTo(got float32, want float64) bool {
	return math.Abs(float64(got)-want) <= 4e-7*math.Max(math.Abs(want), 1e-3)
}

// kernelChannel gives the output channel of each element of a kernel of the given kind and
// shape, from its multi-index: MatMul [K,N] and Conv [KH,KW,C,OC] the last index,
// DepthwiseConv [KH,KW,C,M] c*M+m, ConvTranspose [KH,KW,OC,C] the index on axis 2.
func kernelChannel(kind string, shape ir.Shape) []int {
	n := int(shape.StaticSize())
	ch := make([]int, n)
	idx := make([]int, len(shape))
	for i := 0; i < n; i++ {
		rem := i
		for a := len(shape) - 1; a >= 0; a-- {
			idx[a] = rem % int(shape[a])
			rem /= int(shape[a])
		}
		switch kind {
		case "MatMul", "Conv":
			ch[i] = idx[len(idx)-1]
		case "DepthwiseConv":
			ch[i] = idx[2]*int(shape[3]) + idx[3]
		case "ConvTranspose":
			ch[i] = idx[2]
		}
	}
	return ch
}

// checkFolded checks that the BatchNorm of layer bn was folded into the op of layer prod:
// its kernel is the old kernel times scale per output channel, its bias old*scale + shift.
func checkFolded(t *testing.T, s snapshot, g *ir.Graph, prod, bn string, gamma, beta bool) {
	t.Helper()
	op := opByLayer(t, g, prod)
	scale, shift := bnFormula(t, s, bn, gamma, beta, 1e-3)
	w := s.get(t, prod+".kernel")
	nw := op.In[1]
	if !nw.IsConst() || !nw.Type.Shape.Equal(w.shape) {
		t.Fatalf("%s: folded kernel %s: %v", prod, nw.Name, nw.Type)
	}
	for i, c := range kernelChannel(op.Kind, w.shape) {
		if want := float64(w.data[i]) * scale[c]; !closeTo(nw.Data[i], want) {
			t.Errorf("%s: kernel element %d (channel %d) is %g, want %g", prod, i, c, nw.Data[i], want)
		}
	}
	if len(op.In) != 3 || !op.In[2].IsConst() || !op.In[2].Type.Shape.Equal(ir.Shape{ir.Dim(len(scale))}) {
		t.Fatalf("%s has no folded bias: %d inputs", prod, len(op.In))
	}
	var bias []float32
	if c, ok := s[prod+".bias"]; ok {
		bias = c.data
	}
	for c := range scale {
		old := 0.0
		if bias != nil {
			old = float64(bias[c])
		}
		if want := old*scale[c] + shift[c]; !closeTo(op.In[2].Data[c], want) {
			t.Errorf("%s: bias %d is %g, want %g", prod, c, op.In[2].Data[c], want)
		}
	}
}

// checkAffine checks that the BatchNorm of layer bn became an Affine with scale and shift
// of the formula, reading the given value.
func checkAffine(t *testing.T, s snapshot, g *ir.Graph, bn string, x *ir.Value, gamma, beta bool) {
	t.Helper()
	op := opByLayer(t, g, bn)
	if op.Kind != "Affine" || len(op.In) != 3 {
		t.Fatalf("%s is %s with %d inputs, want Affine(x, scale, shift)", bn, op.Kind, len(op.In))
	}
	if op.In[0] != x {
		t.Errorf("%s reads %s, want %s", bn, op.In[0].Name, x.Name)
	}
	scale, shift := bnFormula(t, s, bn, gamma, beta, 1e-3)
	for c := range scale {
		if !closeTo(op.In[1].Data[c], scale[c]) || !closeTo(op.In[2].Data[c], shift[c]) {
			t.Errorf("%s channel %d: scale %g shift %g, want %g %g", bn, c, op.In[1].Data[c], op.In[2].Data[c], scale[c], shift[c])
		}
	}
}

func TestBNFoldGolden(t *testing.T) {
	runGolden(t, "bnfold", FoldBatchNorm, []goldenCase{
		{"conv", func(t testing.TB) *ir.Graph {
			b := newBuilder(t, "conv bn")
			x := b.in("x", ir.Batch, 3, 3, 2)
			h := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 1, 1, 2, 3), b.c("conv.bias", 3)), convAttrs(pad0))
			return b.out(b.bn("bn", h, 3, true, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "Conv")
			checkFolded(t, s, g, "conv", "bn", true, true)
			if g.Outputs[0] != g.Ops[0].Out[0] {
				t.Errorf("the graph output is not the conv's output")
			}
		}},
		{"conv3x3_no_bias", func(t testing.TB) *ir.Graph {
			// A bias-less Conv gains a bias; the BN feeds a relu.
			b := newBuilder(t, "conv3x3 bn")
			x := b.in("x", ir.Batch, 4, 4, 2)
			h := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 3, 2, 2)), convAttrs(pad1))
			h = b.bn("bn", h, 2, true, true)
			return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "Conv Unary")
			checkFolded(t, s, g, "conv", "bn", true, true)
		}},
		{"matmul", func(t testing.TB) *ir.Graph {
			b := newBuilder(t, "dense bn")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 4), b.c("dense.bias", 4)), nil)
			return b.out(b.bn("bn", h, 4, true, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul")
			checkFolded(t, s, g, "dense", "bn", true, true)
		}},
		{"depthwise", func(t testing.TB) *ir.Graph {
			// Output channel c*M+m: 2 channels, multiplier 2.
			b := newBuilder(t, "depthwise bn")
			x := b.in("x", ir.Batch, 3, 3, 2)
			h := b.op("DepthwiseConv", "dw", vals(x, b.c("dw.kernel", 1, 2, 2, 2), b.c("dw.bias", 4)), convAttrs([]int{0, 0, 0, 1}))
			return b.out(b.bn("bn", h, 4, true, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "DepthwiseConv")
			checkFolded(t, s, g, "dw", "bn", true, true)
		}},
		{"conv_transpose", func(t testing.TB) *ir.Graph {
			// Kernel [KH,KW,OC=3,C=2]: the output channel is axis 2, not the last axis.
			b := newBuilder(t, "deconv bn")
			x := b.in("x", ir.Batch, 2, 2, 2)
			h := b.op("ConvTranspose", "deconv", vals(x, b.c("deconv.kernel", 2, 2, 3, 2), b.c("deconv.bias", 3)),
				ir.Attrs{"strides": []int{2, 2}, "dilations": one2, "out_size": []int{4, 4}, "crop": []int{0, 0}})
			return b.out(b.bn("bn", h, 3, true, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "ConvTranspose")
			checkFolded(t, s, g, "deconv", "bn", true, true)
		}},
		{"shared_producer", func(t testing.TB) *ir.Graph {
			// The Dense output is read by the BN and by an add: folding would change the add.
			b := newBuilder(t, "shared producer")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 3), b.c("dense.bias", 3)), nil)
			n := b.bn("bn", h, 3, true, true)
			return b.out(b.op("Binary", "residual", vals(n, h), ir.Attrs{"fn": "add"}))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul Affine Binary")
			checkAffine(t, s, g, "bn", opByLayer(t, g, "dense").Out[0], true, true)
			if k := opByLayer(t, g, "dense").In[1]; k.Name != "dense.kernel" {
				t.Errorf("the Dense kernel was replaced by %s", k.Name)
			}
		}},
		{"producer_is_output", func(t testing.TB) *ir.Graph {
			// The Dense output is also a graph output.
			b := newBuilder(t, "producer output")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 2), b.c("dense.bias", 2)), nil)
			return b.out(h, b.bn("bn", h, 2, true, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul Affine")
			checkAffine(t, s, g, "bn", opByLayer(t, g, "dense").Out[0], true, true)
		}},
		{"after_activation", func(t testing.TB) *ir.Graph {
			// relu(x·W+b) then BN: the BN cannot move inside the activation.
			b := newBuilder(t, "after activation")
			x := b.in("x", ir.Batch, 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 4), b.c("dense.bias", 4)), ir.Attrs{"act": "relu"})
			return b.out(b.bn("bn", h, 4, true, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul Affine")
			checkAffine(t, s, g, "bn", opByLayer(t, g, "dense").Out[0], true, true)
		}},
		{"no_gamma_beta", func(t testing.TB) *ir.Graph {
			// scale=False, center=False: only mean and variance.
			b := newBuilder(t, "no gamma beta")
			x := b.in("x", ir.Batch, 2, 2, 3)
			h := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 1, 1, 3, 2), b.c("conv.bias", 2)), convAttrs(pad0))
			return b.out(b.bn("bn", h, 2, false, false))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "Conv")
			checkFolded(t, s, g, "conv", "bn", false, false)
		}},
		{"graph_input", func(t testing.TB) *ir.Graph {
			// BN of a graph input (gamma only, then beta only): Affine ops.
			b := newBuilder(t, "input bn")
			x := b.in("x", ir.Batch, 3)
			h := b.bn("bn_gamma", x, 3, true, false)
			return b.out(b.bn("bn_beta", h, 3, false, true))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "Affine Affine")
			checkAffine(t, s, g, "bn_gamma", g.Inputs[0], true, false)
			checkAffine(t, s, g, "bn_beta", g.Ops[0].Out[0], false, true)
		}},
		{"two_in_a_row", func(t testing.TB) *ir.Graph {
			// Dense -> BN -> BN, each used once: both fold into the Dense.
			b := newBuilder(t, "two in a row")
			x := b.in("x", ir.Batch, 2)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 2, 3)), nil)
			h = b.bn("bn_1", h, 3, true, true)
			return b.out(b.bn("bn_2", h, 3, true, false))
		}, func(t *testing.T, s snapshot, g *ir.Graph) {
			wantKinds(t, g, "MatMul")
		}},
	})
}

// ---- fuse ----

func TestFuseGolden(t *testing.T) {
	fused := func(layer, act string, attrs ir.Attrs) func(t *testing.T, _ snapshot, g *ir.Graph) {
		return func(t *testing.T, _ snapshot, g *ir.Graph) {
			noKind(t, g, "Unary")
			op := opByLayer(t, g, layer)
			if got := op.Attrs.String("act", "linear"); got != act {
				t.Errorf("%s act %q, want %q", layer, got, act)
			}
			for k, v := range attrs {
				if op.Attrs[k] != v {
					t.Errorf("%s attribute %s = %v, want %v", layer, k, op.Attrs[k], v)
				}
			}
			if g.Outputs[0] != op.Out[0] {
				t.Errorf("the graph output is not %s's output", layer)
			}
		}
	}
	notFused := func(layer, act string) func(t *testing.T, _ snapshot, g *ir.Graph) {
		return func(t *testing.T, _ snapshot, g *ir.Graph) {
			if len(opsOfKind(g, "Unary")) != 1 {
				t.Errorf("ops %s, want the Unary kept", kinds(g))
			}
			if got := opByLayer(t, g, layer).Attrs.String("act", "linear"); got != act {
				t.Errorf("%s act %q, want %q", layer, got, act)
			}
		}
	}
	dense := func(name string, act string, uses func(b *builder, h *ir.Value) *ir.Graph) func(t testing.TB) *ir.Graph {
		return func(t testing.TB) *ir.Graph {
			b := newBuilder(t, name)
			x := b.in("x", ir.Batch, 3)
			var a ir.Attrs
			if act != "" {
				a = ir.Attrs{"act": act}
			}
			return uses(b, b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 4), b.c("dense.bias", 4)), a))
		}
	}
	runGolden(t, "fuse", FuseActivations, []goldenCase{
		{"matmul_relu", dense("matmul relu", "", func(b *builder, h *ir.Value) *ir.Graph {
			return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}))
		}), fused("dense", "relu", nil)},
		{"conv_leaky_relu", func(t testing.TB) *ir.Graph {
			b := newBuilder(t, "conv leaky relu")
			x := b.in("x", ir.Batch, 3, 3, 2)
			h := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 3, 2, 2), b.c("conv.bias", 2)), convAttrs(pad1))
			return b.out(b.op("Unary", "leaky", vals(h), ir.Attrs{"fn": "leaky_relu", "alpha": 0.1}))
		}, fused("conv", "leaky_relu", ir.Attrs{"alpha": 0.1})},
		{"conv_transpose_relu_full", func(t testing.TB) *ir.Graph {
			// ReLU(max_value=6, negative_slope=0.1, threshold=0.5): all three copied.
			b := newBuilder(t, "deconv relu full")
			x := b.in("x", ir.Batch, 2, 2, 2)
			h := b.op("ConvTranspose", "deconv", vals(x, b.c("deconv.kernel", 2, 2, 2, 2)),
				ir.Attrs{"strides": []int{2, 2}, "dilations": one2, "out_size": []int{4, 4}, "crop": []int{0, 0}})
			return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu_full", "alpha": 0.1, "max_value": 0.75, "threshold": 0.5}))
		}, fused("deconv", "relu_full", ir.Attrs{"alpha": 0.1, "max_value": 0.75, "threshold": 0.5})},
		{"depthwise_sigmoid", func(t testing.TB) *ir.Graph {
			b := newBuilder(t, "depthwise sigmoid")
			x := b.in("x", ir.Batch, 3, 3, 2)
			h := b.op("DepthwiseConv", "dw", vals(x, b.c("dw.kernel", 2, 2, 2, 1)), convAttrs(pad0))
			return b.out(b.op("Unary", "sigmoid", vals(h), ir.Attrs{"fn": "sigmoid"}))
		}, fused("dw", "sigmoid", nil)},
		{"used_twice", dense("used twice", "", func(b *builder, h *ir.Value) *ir.Graph {
			r := b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
			return b.out(b.op("Binary", "add", vals(r, h), ir.Attrs{"fn": "add"}))
		}), notFused("dense", "linear")},
		{"producer_is_output", dense("producer output", "", func(b *builder, h *ir.Value) *ir.Graph {
			return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}), h)
		}), notFused("dense", "linear")},
		{"math_fn", dense("math fn", "", func(b *builder, h *ir.Value) *ir.Graph {
			return b.out(b.op("Unary", "exp", vals(h), ir.Attrs{"fn": "exp"}))
		}), notFused("dense", "linear")},
		{"already_has_act", dense("already has act", "tanh", func(b *builder, h *ir.Value) *ir.Graph {
			return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}))
		}), notFused("dense", "tanh")},
		{"graph_input", func(t testing.TB) *ir.Graph {
			b := newBuilder(t, "graph input")
			x := b.in("x", ir.Batch, 3)
			return b.out(b.op("Unary", "relu", vals(x), ir.Attrs{"fn": "relu"}))
		}, func(t *testing.T, _ snapshot, g *ir.Graph) { wantKinds(t, g, "Unary") }},
		{"two_activations", dense("two activations", "", func(b *builder, h *ir.Value) *ir.Graph {
			// relu fuses; the tanh after it then sees a producer with an activation.
			h = b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
			return b.out(b.op("Unary", "tanh", vals(h), ir.Attrs{"fn": "tanh"}))
		}), notFused("dense", "relu")},
	})
}

package passes

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// Numerical equivalence: small graphs evaluated with the reference interpreter before and
// after the whole pipeline (passes.Run, with ir.Verify after every pass) on random inputs
// must agree to 1e-5 relative.

// checkRunEquivalent runs the pipeline on g and compares the interpreter's outputs before
// and after on a few random batches.
func checkRunEquivalent(t *testing.T, g *ir.Graph, seed uint64) {
	t.Helper()
	mustVerify(t, g, "before the pipeline")
	rng := rand.New(rand.NewPCG(seed, 99))
	type run struct {
		n    int
		in   []tensor
		want []tensor
	}
	var runs []run
	for _, n := range []int{1, 3} {
		in := randomInputs(t, g, n, rng)
		want, err := eval(g, in, n)
		if err != nil {
			t.Fatalf("interpreter, before: %v", err)
		}
		runs = append(runs, run{n, in, want})
	}
	var ran []string
	err := Run(g, func(pass string, g *ir.Graph) error {
		ran = append(ran, pass)
		if err := ir.Verify(g); err != nil {
			return fmt.Errorf("after %s: %w", pass, err)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if fmt.Sprint(ran) != fmt.Sprint(Names()) {
		t.Errorf("ran %v, want %v", ran, Names())
	}
	noKind(t, g, "Dropout", "Identity", "BatchNorm")
	for _, r := range runs {
		got, err := eval(g, r.in, r.n)
		if err != nil {
			t.Fatalf("interpreter, after: %v\n%s", err, ir.Print(g))
		}
		compareOutputs(t, r.want, got, 1e-5)
	}
	if t.Failed() {
		t.Logf("graph after the pipeline:\n%s", ir.Print(g))
	}
}

// equivGraphs are the hand-built graphs of the equivalence test.
var equivGraphs = []struct {
	name  string
	build func(t testing.TB) *ir.Graph
	want  string // op kinds after the pipeline
}{
	{"mlp", func(t testing.TB) *ir.Graph {
		// Dense -> BN -> relu -> Dropout -> Dense -> tanh: BN folds, both activations fuse.
		b := newBuilder(t, "equiv mlp")
		x := b.in("x", ir.Batch, 6)
		h := b.op("MatMul", "dense_1", vals(x, b.c("dense_1.kernel", 6, 8), b.c("dense_1.bias", 8)), nil)
		h = b.bn("bn", h, 8, true, true)
		h = b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
		h = b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.5})
		h = b.op("MatMul", "dense_2", vals(h, b.c("dense_2.kernel", 8, 3)), nil)
		return b.out(b.op("Unary", "tanh", vals(h), ir.Attrs{"fn": "tanh"}))
	}, "MatMul MatMul"},
	{"cnn", func(t testing.TB) *ir.Graph {
		// Conv3x3 (same) -> BN -> leaky_relu -> Conv1x1 (no bias) -> BN (no gamma/beta) ->
		// Identity -> add the input back -> sigmoid: the Add and the sigmoid fold into conv_2.
		b := newBuilder(t, "equiv cnn")
		x := b.in("x", ir.Batch, 5, 4, 3)
		h := b.op("Conv", "conv_1", vals(x, b.c("conv_1.kernel", 3, 3, 3, 4), b.c("conv_1.bias", 4)), convAttrs(pad1))
		h = b.bn("bn_1", h, 4, true, true)
		h = b.op("Unary", "leaky", vals(h), ir.Attrs{"fn": "leaky_relu", "alpha": 0.1})
		h = b.op("Conv", "conv_2", vals(h, b.c("conv_2.kernel", 1, 1, 4, 3)), convAttrs(pad0))
		h = b.bn("bn_2", h, 3, false, false)
		h = b.op("Identity", "identity", vals(h), nil)
		h = b.op("Binary", "residual", vals(h, x), ir.Attrs{"fn": "add"})
		return b.out(b.op("Unary", "sigmoid", vals(h), ir.Attrs{"fn": "sigmoid"}))
	}, "Conv Conv"},
	{"pads", func(t testing.TB) *ir.Graph {
		// Zero spatial pads: before a stride-2 DepthwiseConv (folded), before a padded Conv
		// (folded, pads summed), read by a Conv and a Binary (kept), on the channel axis (kept).
		b := newBuilder(t, "equiv pads")
		x := b.in("x", ir.Batch, 5, 6, 2)
		p1 := b.op("Pad", "pad_1", vals(x), ir.Attrs{"before": []int{0, 0, 0, 0}, "after": []int{0, 1, 1, 0}})
		h := b.op("DepthwiseConv", "dw", vals(p1, b.c("dw.kernel", 3, 3, 2, 1), b.c("dw.bias", 2)),
			ir.Attrs{"strides": []int{2, 2}, "dilations": one2, "pads": pad0})
		p2 := b.op("Pad", "pad_2", vals(h), ir.Attrs{"before": []int{0, 2, 1, 0}, "after": []int{0, 0, 1, 0}})
		h = b.op("Conv", "conv", vals(p2, b.c("conv.kernel", 3, 3, 2, 3)), convAttrs(pad1))
		p3 := b.op("Pad", "pad_3", vals(h), ir.Attrs{"before": []int{0, 1, 1, 0}, "after": []int{0, 1, 1, 0}})
		c := b.op("Conv", "conv_2", vals(p3, b.c("conv_2.kernel", 1, 1, 3, 3)), convAttrs(pad0))
		h = b.op("Binary", "add", vals(c, p3), ir.Attrs{"fn": "add"})
		p4 := b.op("Pad", "pad_4", vals(h), ir.Attrs{"before": []int{0, 0, 0, 1}, "after": []int{0, 0, 0, 1}})
		return b.out(b.op("Conv", "conv_3", vals(p4, b.c("conv_3.kernel", 1, 1, 5, 2)), convAttrs(pad0)))
	}, "DepthwiseConv Conv Pad Conv Pad Conv"},
	{"residuals", func(t testing.TB) *ir.Graph {
		// Residual adds: after a Conv with its own activation (added after it), with both
		// inputs from fusible producers (the later one takes the residual), with broadcasting
		// (stays an Add), onto a MatMul whose Add is a graph output.
		b := newBuilder(t, "equiv residuals")
		x := b.in("x", ir.Batch, 4, 4, 3)
		c1 := b.op("Conv", "conv_1", vals(x, b.c("conv_1.kernel", 3, 3, 3, 3), b.c("conv_1.bias", 3)),
			ir.Attrs{"strides": one2, "dilations": one2, "pads": pad1, "act": "tanh"})
		h := b.op("Binary", "add_1", vals(c1, x), ir.Attrs{"fn": "add"})
		c2 := b.op("Conv", "conv_2", vals(h, b.c("conv_2.kernel", 1, 1, 3, 3)), convAttrs(pad0))
		c3 := b.op("Conv", "conv_3", vals(h, b.c("conv_3.kernel", 1, 1, 3, 3), b.c("conv_3.bias", 3)), convAttrs(pad0))
		h = b.op("Binary", "add_2", vals(c2, c3), ir.Attrs{"fn": "add"})
		h = b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
		h = b.op("Binary", "add_bias", vals(h, b.c("row", 3)), ir.Attrs{"fn": "add"})
		f := b.op("Reshape", "flat", vals(h), ir.Attrs{"shape": []int{int(ir.Batch), 48}})
		d := b.op("MatMul", "dense", vals(f, b.c("dense.kernel", 48, 48)), nil)
		return b.out(b.op("Binary", "add_out", vals(f, d), ir.Attrs{"fn": "add"}))
	}, "Conv Conv Conv Binary Reshape MatMul"},
	{"conv1d", func(t testing.TB) *ir.Graph {
		// Two Conv1Ds as Keras' lowering writes them (each a 2-D Conv between Reshapes), the
		// first with BN and relu after its Reshape back, then a 1-D max pooling on its own
		// pair of Reshapes: BN and relu move up and fold into the first Conv, the Reshapes
		// between the layers cancel, and the pooling (a 1×2 window) folds into the second Conv.
		b := newBuilder(t, "equiv conv1d")
		x := b.in("x", ir.Batch, 9, 2)
		h := b.op("Reshape", "conv_1", vals(x), ir.Attrs{"shape": []int{-1, 1, 9, 2}})
		h = b.op("Conv", "conv_1", vals(h, b.c("conv_1.kernel", 1, 3, 2, 4), b.c("conv_1.bias", 4)), convAttrs([]int{0, 0, 1, 1}))
		h = b.op("Reshape", "conv_1", vals(h), ir.Attrs{"shape": []int{-1, 9, 4}})
		h = b.bn("bn", h, 4, true, true)
		h = b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
		h = b.op("Reshape", "conv_2", vals(h), ir.Attrs{"shape": []int{-1, 1, 9, 4}})
		h = b.op("Conv", "conv_2", vals(h, b.c("conv_2.kernel", 1, 2, 4, 3)), convAttrs(pad0))
		h = b.op("Reshape", "conv_2", vals(h), ir.Attrs{"shape": []int{-1, 8, 3}})
		h = b.op("Reshape", "pool", vals(h), ir.Attrs{"shape": []int{-1, 1, 8, 3}})
		h = b.op("Pool", "pool", vals(h), ir.Attrs{"mode": "max", "window": []int{1, 2}, "strides": []int{1, 2}, "pads": pad0})
		return b.out(b.op("Reshape", "pool", vals(h), ir.Attrs{"shape": []int{-1, 4, 3}}))
	}, "Reshape Conv Conv Reshape"},
	{"strided_conv", func(t testing.TB) *ir.Graph {
		// A strided, dilated, asymmetrically padded Conv, then BN.
		b := newBuilder(t, "equiv strided")
		x := b.in("x", ir.Batch, 7, 6, 2)
		h := b.op("Conv", "conv", vals(x, b.c("conv.kernel", 3, 2, 2, 3), b.c("conv.bias", 3)),
			ir.Attrs{"strides": []int{2, 1}, "dilations": []int{1, 2}, "pads": []int{1, 0, 0, 1}})
		return b.out(b.bn("bn", h, 3, true, true))
	}, "Conv"},
	{"depthwise_and_transpose", func(t testing.TB) *ir.Graph {
		// DepthwiseConv -> BN -> relu -> ConvTranspose -> BN -> Dropout.
		b := newBuilder(t, "equiv dw deconv")
		x := b.in("x", ir.Batch, 4, 4, 2)
		h := b.op("DepthwiseConv", "dw", vals(x, b.c("dw.kernel", 3, 3, 2, 3), b.c("dw.bias", 6)), convAttrs(pad1))
		h = b.bn("bn_1", h, 6, true, true)
		h = b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"})
		h = b.op("ConvTranspose", "deconv", vals(h, b.c("deconv.kernel", 3, 3, 2, 6)),
			ir.Attrs{"strides": []int{2, 2}, "dilations": one2, "out_size": []int{8, 8}, "crop": []int{1, 1}})
		h = b.bn("bn_2", h, 2, true, false)
		return b.out(b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.2}))
	}, "DepthwiseConv ConvTranspose"},
	{"affine_cases", func(t testing.TB) *ir.Graph {
		// BN on a graph input, BN after an activation, BN whose producer has another use:
		// three Affine ops, then the Dense->relu fuses.
		b := newBuilder(t, "equiv affine")
		x := b.in("x", ir.Batch, 4)
		h := b.bn("bn_in", x, 4, true, true)
		h = b.op("MatMul", "dense_1", vals(h, b.c("dense_1.kernel", 4, 4), b.c("dense_1.bias", 4)), ir.Attrs{"act": "tanh"})
		h = b.bn("bn_act", h, 4, false, true)
		s := b.op("MatMul", "dense_2", vals(h, b.c("dense_2.kernel", 4, 4)), nil)
		h = b.bn("bn_shared", s, 4, true, false)
		h = b.op("Binary", "residual", vals(h, s), ir.Attrs{"fn": "add"})
		h = b.op("MatMul", "dense_3", vals(h, b.c("dense_3.kernel", 4, 2)), nil)
		return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}))
	}, "Affine MatMul Affine MatMul Affine Binary MatMul"},
	{"unfusable", func(t testing.TB) *ir.Graph {
		// Activations that must stay: used twice, producer is an output, after an activation.
		b := newBuilder(t, "equiv unfusable")
		x := b.in("x", ir.Batch, 3)
		a := b.op("MatMul", "dense_a", vals(x, b.c("dense_a.kernel", 3, 3)), nil)
		r := b.op("Unary", "relu_a", vals(a), ir.Attrs{"fn": "relu"})
		y := b.op("Binary", "add", vals(r, a), ir.Attrs{"fn": "add"})
		c := b.op("MatMul", "dense_c", vals(y, b.c("dense_c.kernel", 3, 3)), ir.Attrs{"act": "sigmoid"})
		d := b.op("Unary", "tanh", vals(c), ir.Attrs{"fn": "tanh"})
		e := b.op("MatMul", "dense_e", vals(d, b.c("dense_e.kernel", 3, 2)), nil)
		f := b.op("Unary", "exp", vals(e), ir.Attrs{"fn": "exp"})
		return b.out(f, e)
	}, "MatMul Unary Binary MatMul Unary MatMul Unary"},
	{"bn_after_identity_output", func(t testing.TB) *ir.Graph {
		// Dense -> Identity (a graph output) -> BN: after the dropout pass the Dense output
		// is a graph output, so the BN must become an Affine.
		b := newBuilder(t, "equiv identity output")
		x := b.in("x", ir.Batch, 3)
		h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 3)), nil)
		i := b.op("Identity", "identity", vals(h), nil)
		return b.out(i, b.bn("bn", i, 3, true, true))
	}, "MatMul Affine"},
}

func TestRunEquivalence(t *testing.T) {
	for i, c := range equivGraphs {
		t.Run(c.name, func(t *testing.T) {
			g := c.build(t)
			checkRunEquivalent(t, g, uint64(i))
			if got := kinds(g); got != c.want {
				t.Errorf("ops after the pipeline %q, want %q", got, c.want)
			}
		})
	}
}

// TestRunEquivalenceRandom builds seeded random Dense graphs mixing BatchNorm, activations,
// Dropout/Identity, residual adds and graph outputs taken mid-way, and checks the pipeline
// keeps their meaning. The generator never puts a BatchNorm directly on another
// BatchNorm's output (see TestBNFoldStaleUses for the bug that pattern exposes).
func TestRunEquivalenceRandom(t *testing.T) {
	acts := []string{"relu", "tanh", "sigmoid", "leaky_relu"}
	folded, affine, fused := 0, 0, 0
	for seed := uint64(0); seed < 60; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 5))
			b := newBuilder(t, fmt.Sprint("random ", seed))
			const w = 4
			pool := []*ir.Value{b.in("x", ir.Batch, w)}
			isBN := map[*ir.Value]bool{}
			pick := func() *ir.Value {
				// Prefer recent values, so that chains form, but reach back sometimes.
				if rng.IntN(3) == 0 {
					return pool[rng.IntN(len(pool))]
				}
				return pool[len(pool)-1]
			}
			var outs []*ir.Value
			steps := 4 + rng.IntN(10)
			for i := 0; i < steps; i++ {
				name := fmt.Sprint("l", i)
				x := pick()
				var y *ir.Value
				switch rng.IntN(8) {
				case 0, 1:
					in := vals(x, b.c(name+".kernel", w, w))
					if rng.IntN(2) == 0 {
						in = append(in, b.c(name+".bias", w))
					}
					var a ir.Attrs
					if rng.IntN(4) == 0 {
						a = ir.Attrs{"act": acts[rng.IntN(len(acts))]}
					}
					y = b.op("MatMul", name, in, a)
				case 2:
					if isBN[x] {
						x = pool[0]
					}
					y = b.bn(name, x, w, rng.IntN(2) == 0, rng.IntN(2) == 0)
					isBN[y] = true
				case 3:
					y = b.op("Unary", name, vals(x), ir.Attrs{"fn": acts[rng.IntN(len(acts))]})
				case 4:
					kind := []string{"Dropout", "Identity"}[rng.IntN(2)]
					y = b.op(kind, name, vals(x), nil)
				case 5:
					y = b.op("Binary", name, vals(x, pick()), ir.Attrs{"fn": "add"})
				case 6:
					y = b.op("Conv", name, vals(b.op("Reshape", name+"_img", vals(x), ir.Attrs{"shape": []int{-1, 1, 1, w}}),
						b.c(name+".kernel", 1, 1, w, w)), convAttrs(pad0))
					y = b.op("Reshape", name+"_flat", vals(y), ir.Attrs{"shape": []int{-1, w}})
				case 7: // a Dense read only by a BatchNorm: folds
					y = b.op("MatMul", name, vals(x, b.c(name+".kernel", w, w)), nil)
					y = b.bn(name+"_bn", y, w, rng.IntN(2) == 0, rng.IntN(2) == 0)
					isBN[y] = true
				}
				if k := y.Def.Kind; (k == "Identity" || k == "Dropout") && isBN[x] {
					isBN[y] = true // an identity of a BN output is one after the dropout pass
				}
				pool = append(pool, y)
				if rng.IntN(5) == 0 {
					outs = append(outs, y)
				}
			}
			g := b.out(append(outs, pool[len(pool)-1])...)
			unary := len(opsOfKind(g, "Unary"))
			checkRunEquivalent(t, g, seed)
			fused += unary - len(opsOfKind(g, "Unary"))
			affine += len(opsOfKind(g, "Affine"))
			for _, c := range g.Consts {
				if strings.Contains(c.Name, ".bias_bnfolded") {
					folded++
				}
			}
		})
	}
	// The generator must exercise every rewrite.
	t.Logf("folded %d BatchNorms, made %d Affines, fused %d activations", folded, affine, fused)
	if folded < 10 || affine < 10 || fused < 10 {
		t.Errorf("random graphs folded %d BatchNorms, made %d Affines, fused %d activations: too few", folded, affine, fused)
	}
}

package passes

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// TestNames checks the pipeline's documented order (passes.go and the README's --dump
// stages): shapes, dropout, reshapes, heads, padfold, bnfold, residual, fuse, convpool, upconv, blocks, schedule, each with its function
// and a description.
func TestNames(t *testing.T) {
	want := []string{"shapes", "dropout", "reshapes", "heads", "padfold", "bnfold", "residual", "fuse", "convpool", "upconv", "blocks", "schedule"}
	if got := Names(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	funcs := map[string]func(*ir.Graph) error{
		"shapes": Shapes, "dropout": RemoveIdentities, "reshapes": FoldReshapes, "heads": FoldHeadTransposes, "padfold": FoldPads, "bnfold": FoldBatchNorm, "residual": FuseResidualAdds,
		"fuse": FuseActivations, "convpool": FuseConvPools, "upconv": FuseUpsampledConvs, "blocks": FuseBlocks, "schedule": Schedule,
	}
	for i, p := range Inference {
		if p.Name != want[i] || p.Doc == "" || p.Run == nil {
			t.Errorf("pass %d: %q doc %q run %v", i, p.Name, p.Doc, p.Run != nil)
		}
		if fmt.Sprintf("%p", p.Run) != fmt.Sprintf("%p", funcs[p.Name]) {
			t.Errorf("pass %s does not run its function", p.Name)
		}
	}
}

// pipelineGraph has work for every pass: Dropout, BN to fold, an activation to fuse.
func pipelineGraph(t testing.TB) *ir.Graph {
	b := newBuilder(t, "pipeline")
	x := b.in("x", ir.Batch, 3)
	h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 3)), nil)
	h = b.op("Dropout", "dropout", vals(h), ir.Attrs{"rate": 0.5})
	h = b.bn("bn", h, 3, true, true)
	return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}))
}

// TestRunOrder checks that Run applies the passes in order, calls after once per pass with
// the graph as that pass left it, and ends with the expected graph.
func TestRunOrder(t *testing.T) {
	g := pipelineGraph(t)
	var log []string
	err := Run(g, func(pass string, got *ir.Graph) error {
		if got != g {
			t.Errorf("after(%s) got another graph", pass)
		}
		mustVerify(t, got, "after "+pass)
		log = append(log, pass+": "+kinds(got))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"shapes: MatMul Dropout BatchNorm Unary",
		"dropout: MatMul BatchNorm Unary",
		"reshapes: MatMul BatchNorm Unary",
		"heads: MatMul BatchNorm Unary",
		"padfold: MatMul BatchNorm Unary",
		"bnfold: MatMul Unary",
		"residual: MatMul Unary",
		"fuse: MatMul",
		"convpool: MatMul",
		"upconv: MatMul",
		"blocks: MatMul",
		"schedule: MatMul",
	}
	if strings.Join(log, "\n") != strings.Join(want, "\n") {
		t.Errorf("passes ran as\n%s\nwant\n%s", strings.Join(log, "\n"), strings.Join(want, "\n"))
	}
	if act := g.Ops[0].Attrs.String("act", ""); act != "relu" {
		t.Errorf("act %q after fuse", act)
	}
	// A nil after is allowed.
	if err := Run(pipelineGraph(t), nil); err != nil {
		t.Errorf("Run with a nil after: %v", err)
	}
}

// TestRunStopsAtFailingPass replaces each pass in turn by one that fails, and checks that
// Run returns an error naming that pass and wrapping its error, after running exactly the
// passes before it.
func TestRunStopsAtFailingPass(t *testing.T) {
	saved := append([]Pass{}, Inference...)
	defer func() { Inference = saved }()
	for k := range saved {
		t.Run(saved[k].Name, func(t *testing.T) {
			defer copy(Inference, saved)
			var ran, after []string
			boom := errors.New("boom")
			for i := range Inference {
				p := saved[i]
				Inference[i].Run = func(g *ir.Graph) error {
					ran = append(ran, p.Name)
					if i == k {
						return boom
					}
					return p.Run(g)
				}
			}
			err := Run(pipelineGraph(t), func(pass string, g *ir.Graph) error {
				after = append(after, pass)
				return nil
			})
			if !errors.Is(err, boom) {
				t.Fatalf("Run returned %v, want the pass's error", err)
			}
			if want := "pass " + saved[k].Name + ": boom"; err.Error() != want {
				t.Errorf("error %q, want %q", err, want)
			}
			if want := Names()[:k+1]; fmt.Sprint(ran) != fmt.Sprint(want) {
				t.Errorf("ran %v, want %v", ran, want)
			}
			if want := Names()[:k]; fmt.Sprint(after) != fmt.Sprint(want) {
				t.Errorf("after called for %v, want %v", after, want)
			}
		})
	}
}

// TestRunRealFailures checks Run's error for graphs that real passes refuse, and that the
// later passes do not run.
func TestRunRealFailures(t *testing.T) {
	cases := []struct {
		name  string
		build func(t testing.TB) *ir.Graph
		pass  string
		want  string
	}{
		{"shapes", func(t testing.TB) *ir.Graph {
			g := pipelineGraph(t)
			g.Ops[0].Out[0].Type.Shape = ir.Shape{ir.Batch, 4} // the recorded type is wrong
			return g
		}, "shapes", "MatMul (layer dense)"},
		{"bnfold", func(t testing.TB) *ir.Graph {
			// BatchNorm statistics that are graph inputs cannot be folded.
			b := newBuilder(t, "dynamic stats")
			x := b.in("x", ir.Batch, 3)
			mean := b.in("mean", 3)
			h := b.op("MatMul", "dense", vals(x, b.c("dense.kernel", 3, 3)), nil)
			h = b.op("Dropout", "dropout", vals(h), nil)
			h = b.op("BatchNorm", "bn", vals(h, mean, b.pos("bn.var", 3)), bnAttrs(1e-3, false, false))
			return b.out(b.op("Unary", "relu", vals(h), ir.Attrs{"fn": "relu"}))
		}, "bnfold", "BatchNorm (layer bn): statistics are not constants"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := c.build(t)
			var after []string
			err := Run(g, func(pass string, _ *ir.Graph) error {
				after = append(after, pass)
				return nil
			})
			if err == nil {
				t.Fatal("Run succeeded")
			}
			if want := "pass " + c.pass + ": "; !strings.HasPrefix(err.Error(), want) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want %q...%q", err, want, c.want)
			}
			for _, p := range after {
				if p == c.pass || p == "fuse" {
					t.Errorf("after was called for %s", p)
				}
			}
			if len(opsOfKind(g, "Unary")) != 1 {
				t.Errorf("fuse ran after the failure: %s", kinds(g))
			}
		})
	}
}

// TestRunStopsOnAfterError checks that an error from after stops the pipeline and is
// returned as is.
func TestRunStopsOnAfterError(t *testing.T) {
	g := pipelineGraph(t)
	stop := errors.New("stop")
	var seen []string
	err := Run(g, func(pass string, _ *ir.Graph) error {
		seen = append(seen, pass)
		if pass == "dropout" {
			return stop
		}
		return nil
	})
	if err != stop {
		t.Errorf("Run returned %v, want after's error unchanged", err)
	}
	if fmt.Sprint(seen) != "[shapes dropout]" {
		t.Errorf("after called for %v", seen)
	}
	if kinds(g) != "MatMul BatchNorm Unary" {
		t.Errorf("bnfold or fuse ran after the stop: %s", kinds(g))
	}
}

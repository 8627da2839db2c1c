package passes

import (
	"testing"

	"github.com/kerasgen/kerasgen/ir"
)

// TestFuseResidualAdds checks where the residuals of the "residuals" graph went after the
// pipeline: conv_1 (tanh) adds x after its activation; of conv_2 and conv_3 the later,
// conv_3, adds conv_2 before the fused relu; the MatMul adds the flattened input.
func TestFuseResidualAdds(t *testing.T) {
	var g *ir.Graph
	for _, c := range equivGraphs {
		if c.name == "residuals" {
			g = c.build(t)
		}
	}
	if err := Run(g, nil); err != nil {
		t.Fatal(err)
	}
	want := map[string][3]string{ // layer: residual attr, residual input's producer, act
		"conv_1": {"after_act", "", "tanh"},
		"conv_2": {"", "", "linear"},
		"conv_3": {"before_act", "conv_2", "relu"},
		"dense":  {"before_act", "flat", "linear"},
	}
	for _, op := range g.Ops {
		w, ok := want[op.Layer]
		if !ok {
			continue
		}
		delete(want, op.Layer)
		got := [3]string{op.Attrs.String("residual", ""), "", op.Attrs.String("act", "linear")}
		if r := op.Residual(); r != nil && r.Def != nil {
			got[1] = r.Def.Layer
		}
		if got != w {
			t.Errorf("%s: residual, from, act = %q, want %q", op.Layer, got, w)
		}
	}
	if len(want) != 0 {
		t.Errorf("ops missing after the pipeline: %v", want)
	}
}

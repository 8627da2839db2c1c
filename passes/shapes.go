package passes

import (
	"fmt"

	"github.com/kerasgen/kerasgen/ir"
)

// Shapes re-runs every op's shape rule in execution order and checks that the recorded
// output types agree: after it, every value's type is what its op's definition says.
func Shapes(g *ir.Graph) error {
	for _, op := range g.Ops {
		def, ok := ir.Ops[op.Kind]
		if !ok {
			return fmt.Errorf("unknown op %q (layer %s)", op.Kind, op.Layer)
		}
		if len(op.In) < def.MinIn || (def.MaxIn >= 0 && len(op.In) > def.MaxIn) {
			return fmt.Errorf("%s (layer %s): %d inputs, the op takes %d to %d", op.Kind, op.Layer, len(op.In), def.MinIn, def.MaxIn)
		}
		types, err := def.Infer(op)
		if err != nil {
			return fmt.Errorf("%s (layer %s): %w", op.Kind, op.Layer, err)
		}
		if len(types) != len(op.Out) {
			return fmt.Errorf("%s (layer %s): %d outputs, the rule gives %d", op.Kind, op.Layer, len(op.Out), len(types))
		}
		for i, t := range types {
			if o := op.Out[i].Type; o.DType != t.DType || !o.Shape.Equal(t.Shape) {
				return fmt.Errorf("%s (layer %s): output %d is %v, the rule gives %v", op.Kind, op.Layer, i, o, t)
			}
		}
	}
	return nil
}

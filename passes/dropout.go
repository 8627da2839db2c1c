package passes

import "github.com/kerasgen/kerasgen/ir"

// RemoveIdentities removes Dropout (and the other train-time noise layers lowered to it)
// and Identity ops: every use of their output reads their input instead. A graph output
// that is also a graph input stays as it is. After it, no Dropout or Identity op remains.
func RemoveIdentities(g *ir.Graph) error {
	kept := g.Ops[:0]
	for _, op := range g.Ops {
		if op.Kind == "Dropout" || op.Kind == "Identity" {
			g.Replace(op.Out[0], op.In[0])
			continue
		}
		kept = append(kept, op)
	}
	g.Ops = kept
	return nil
}

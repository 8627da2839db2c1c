// Package passes holds kerasgen's IR passes: an ordered table of named passes, each in its
// own file with a comment stating what it guarantees. Run applies them in order; tests run
// ir.Verify between passes.
package passes

import (
	"fmt"

	"github.com/kerasgen/kerasgen/ir"
)

// Pass is one named graph rewrite.
type Pass struct {
	Name string
	Doc  string
	Run  func(g *ir.Graph) error
}

// Inference is the pass pipeline for a graph that predicts, in order.
var Inference = []Pass{
	{"shapes", "re-infer every op's output types and check them", Shapes},
	{"dropout", "remove Dropout and Identity ops (the identity at inference)", RemoveIdentities},
	{"reshapes", "move per-element ops above the Reshapes between them and their producer; merge chained Reshapes", FoldReshapes},
	{"heads", "let batched products read and write attention's heads in place of the Transposes around them", FoldHeadTransposes},
	{"padfold", "fold zero spatial Pads into the convolutions that read them", FoldPads},
	{"bnfold", "fold BatchNorm into the preceding Conv/MatMul, or turn it into an Affine", FoldBatchNorm},
	{"residual", "fold residual Adds into the Conv/MatMul producing one of their inputs", FuseResidualAdds},
	{"fuse", "fuse activations into the op that produces their input", FuseActivations},
	{"convpool", "fold 2×2, stride-2 max poolings into the convolutions that produce their input", FuseConvPools},
	{"upconv", "fold 2× nearest upsamplings into the 3×3 'same' convolutions that read them", FuseUpsampledConvs},
	{"blocks", "mark inverted-residual blocks (expand, depthwise, project; or depthwise, project) to run band by band", FuseBlocks},
	{"schedule", "run a convolutional trunk micro-batch by micro-batch when its activations outgrow L2", Schedule},
}

// Names lists the pipeline's pass names, in order.
func Names() []string {
	var ns []string
	for _, p := range Inference {
		ns = append(ns, p.Name)
	}
	return ns
}

// Run applies the inference pipeline. after, when not nil, is called after each pass (for
// dumps and for verifying between passes); an error from it stops the pipeline.
func Run(g *ir.Graph, after func(pass string, g *ir.Graph) error) error {
	for _, p := range Inference {
		if err := p.Run(g); err != nil {
			return fmt.Errorf("pass %s: %w", p.Name, err)
		}
		if after != nil {
			if err := after(p.Name, g); err != nil {
				return err
			}
		}
	}
	return nil
}

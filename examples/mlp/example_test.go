package mlp_test

import (
	"fmt"
	"log"

	"github.com/kerasgen/kerasgen/examples/mlp"
)

// Example uses the generated package the way an application does: New once, then Predict
// with a caller-owned output buffer.
func Example() {
	model, err := mlp.New()
	if err != nil {
		log.Fatal(err)
	}
	// Row 1 of the bundled input (examples/models/mlp/input.npy); TF.js predicts
	// probabilities 0.8145, 0.1238, 0.0617 for it.
	features := []float32{0.74115264, -0.4616032, 0.43112937, 0.06794081, -0.35381699, -0.76987863, 0.22218101, 0.31635588}
	probs := make([]float32, 3)
	if err := model.Predict(1, features, probs); err != nil {
		log.Fatal(err)
	}
	best := 0
	for i, p := range probs {
		if p > probs[best] {
			best = i
		}
	}
	fmt.Printf("class %d with probability %.4f\n", best, probs[best])
	// Output: class 0 with probability 0.8145
}
